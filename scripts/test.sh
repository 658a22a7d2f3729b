#!/usr/bin/env bash
# Full check of pvhub, as CI runs it (via `make test`):
#   1. system packages the tests need (PostgreSQL server, Chromium, a CJK font, pango for WeasyPrint),
#      installed only if missing
#   2. ruff, mypy, lint-imports
#   3. the tests marked `db` against a throwaway PostgreSQL server, `pytest -n 2` (a database per worker)
#      (PVHUB_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:PORT/pvhub_test)
#   4. the whole suite on SQLite (PVHUB_TEST_DATABASE_URL unset), `pytest -n 2`
# Every step runs even when an earlier one failed; the script exits non-zero if any failed.
# The PostgreSQL server is stopped and its folder removed on exit, whatever happened.
#
# Options: --lint-only (step 2 only).  Extra environment: PVHUB_CHROMIUM (default: the `chromium` on PATH).
# The full suite runs last so that the last test-runner summary printed is the one of the whole suite.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
BIN=$ROOT/.venv/bin
LINT_ONLY=0
[[ "${1:-}" == "--lint-only" ]] && LINT_ONLY=1

unset PVHUB_TEST_DATABASE_URL

log() { printf '\n==> %s\n' "$*"; }

if [[ ! -x $BIN/pytest ]]; then
  make --no-print-directory setup
fi

FAILED=()
# step NAME CMD...: run CMD, remember NAME if it failed, carry on.
step() {
  local name=$1; shift
  log "$name: $*"
  local rc=0
  "$@" || rc=$?
  if (( rc != 0 )); then
    echo "!! $name failed (exit $rc)" >&2
    FAILED+=("$name")
  fi
  return 0
}
# pytest_step NAME ARGS...: like step, but pytest's exit 5 (no tests collected) counts as success.
pytest_step() {
  local name=$1; shift
  log "$name: pytest $*"
  local rc=0
  "$BIN/pytest" "$@" || rc=$?
  if (( rc == 5 )); then
    echo "-- $name: no tests collected (pytest exit 5), counted as success"
  elif (( rc != 0 )); then
    echo "!! $name failed (exit $rc)" >&2
    FAILED+=("$name")
  fi
  return 0
}

finish() {
  if (( ${#FAILED[@]} )); then
    echo >&2
    echo "test.sh: FAILED steps: ${FAILED[*]}" >&2
    exit 1
  fi
  exit 0
}

lint() {
  step ruff "$BIN/ruff" check .
  step mypy "$BIN/mypy"
  step lint-imports "$BIN/lint-imports"
}

if (( LINT_ONLY )); then
  lint
  finish
fi

# ---- 1. system packages ----------------------------------------------------------------------------
pg_bindir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
missing=()
[[ -n "$(pg_bindir)" && -x "$(pg_bindir)/initdb" ]] || missing+=(postgresql)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
dpkg-query -W -f='${Status}' fonts-noto-cjk 2>/dev/null | grep -q 'install ok installed' || missing+=(fonts-noto-cjk)
# pango for WeasyPrint (the monthly report's PDF, issue #22): it loads these libraries when imported
for pkg in libpango-1.0-0 libpangoft2-1.0-0; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if (( ${#missing[@]} )); then
  log "installing system packages: ${missing[*]}"
  SUDO=()
  if (( EUID != 0 )); then
    command -v sudo >/dev/null 2>&1 || { echo "need root or sudo to install: ${missing[*]}" >&2; exit 1; }
    SUDO=(sudo)
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${SUDO[@]}" apt-get update -qq
  "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
PGBIN=$(pg_bindir)
export PVHUB_CHROMIUM=${PVHUB_CHROMIUM:-$(command -v chromium)}

# ---- throwaway PostgreSQL --------------------------------------------------------------------------
PGTMP=$(mktemp -d /tmp/pvhub-pg.XXXXXX)
PGDATA_DIR=$PGTMP/data
# initdb refuses to run as root: as root, the server runs as the `postgres` user.
if (( EUID == 0 )); then
  as_pg() { runuser -u postgres -- "$@"; }
  chown postgres: "$PGTMP"
else
  as_pg() { "$@"; }
fi
chmod 700 "$PGTMP"

stop_pg() {
  if [[ -f $PGDATA_DIR/postmaster.pid ]]; then
    as_pg "$PGBIN/pg_ctl" -D "$PGDATA_DIR" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$PGTMP"
}
trap stop_pg EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
PGPORT=${PVHUB_TEST_PG_PORT:-54329}
while ! port_free "$PGPORT"; do PGPORT=$((PGPORT + 1)); done

log "PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PGPORT ($PGTMP)"
as_pg "$PGBIN/initdb" -D "$PGDATA_DIR" -U postgres --auth=trust -E UTF8 --no-locale -N >"$PGTMP/initdb.log" 2>&1 \
  || { cat "$PGTMP/initdb.log" >&2; exit 1; }
if ! as_pg "$PGBIN/pg_ctl" -D "$PGDATA_DIR" -w -t 30 -l "$PGTMP/server.log" \
    -o "-F -p $PGPORT -c listen_addresses=127.0.0.1 -c unix_socket_directories=$PGTMP \
        -c synchronous_commit=off -c fsync=off -c full_page_writes=off" start >/dev/null; then
  cat "$PGTMP/server.log" >&2
  exit 1
fi
as_pg "$PGBIN/createdb" -h 127.0.0.1 -p "$PGPORT" -U postgres pvhub_test
PG_URL="postgresql+psycopg://postgres@127.0.0.1:$PGPORT/pvhub_test"

# ---- 2. lint ---------------------------------------------------------------------------------------
lint

# ---- 3. db tests on PostgreSQL ---------------------------------------------------------------------
export PVHUB_TEST_DATABASE_URL=$PG_URL
pytest_step pytest-postgresql -m db -n 2 --durations=30  # one database per worker (tests/conftest.py)
unset PVHUB_TEST_DATABASE_URL
stop_pg
trap - EXIT

# ---- 4. whole suite on SQLite ----------------------------------------------------------------------
pytest_step pytest-sqlite -n 2 --durations=40  # the slowest tests, to keep the suite fast

finish
