# pvhub developer entry points.
#
#   make setup   .venv from requirements.lock (hashes checked), editable install, front-end libraries
#                into web/static/vendor/, compiled Babel catalogues. Idempotent; a no-op when nothing changed.
#   make run     setup, migrate, load the demo (only into an empty database), serve on 127.0.0.1:8000
#   make test    setup, system packages, lint, the suite on SQLite and the db-marked tests on a throwaway
#                PostgreSQL (scripts/test.sh)
#   make lint    ruff, mypy, import contracts
#   make clean   caches, node_modules, vendored assets, compiled catalogues, stamps (keeps .venv and data)
#   make distclean  clean + .venv

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-builtin-rules

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMPS := var/stamps
VENDOR := web/static/vendor

export PIP_DISABLE_PIP_VERSION_CHECK := 1

PY_DEPS_STAMP := $(VENV)/.pvhub-deps.stamp
PY_EDITABLE_STAMP := $(VENV)/.pvhub-editable.stamp
VENDOR_STAMP := $(STAMPS)/vendor.stamp

VENDOR_FILES := $(VENDOR)/htmx.min.js $(VENDOR)/leaflet.js $(VENDOR)/leaflet.css $(VENDOR)/images/marker-icon.png \
  $(VENDOR)/leaflet-geoman.min.js
# Redo the vendor copy when any vendored file went missing, even if the stamp is still there.
VENDOR_FORCE := $(if $(filter-out $(wildcard $(VENDOR_FILES)),$(VENDOR_FILES)),FORCE)

PO_FILES := $(wildcard web/translations/*/LC_MESSAGES/*.po)
MO_FILES := $(PO_FILES:.po=.mo)

.PHONY: help setup python-deps vendor translations run test lint clean distclean FORCE

help:
	@sed -n '3,11p' Makefile | sed 's/^# \{0,1\}//'

setup: python-deps vendor translations
	@:

# ---- Python ---------------------------------------------------------------------------------------
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

python-deps: $(PY_EDITABLE_STAMP)

$(PY_DEPS_STAMP): requirements.lock | $(BIN)/python
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r requirements.lock
	@touch $@

$(PY_EDITABLE_STAMP): $(PY_DEPS_STAMP) pyproject.toml
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $@

# ---- Front-end libraries (npm registry, copied; never committed) -----------------------------------
vendor: $(VENDOR_STAMP)

$(VENDOR_STAMP): package.json package-lock.json $(VENDOR_FORCE)
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	@if grep -q '"resolved"' package-lock.json; then \
	  echo "package-lock.json contains download URLs (\"resolved\"); regenerate it with" \
	       "npm install --omit-lockfile-registry-resolved" >&2; exit 1; fi
	rm -rf $(VENDOR)
	mkdir -p $(VENDOR)
	cp node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/
	cp node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.css $(VENDOR)/
	cp -r node_modules/leaflet/dist/images $(VENDOR)/images
	cp node_modules/@geoman-io/leaflet-geoman-free/dist/leaflet-geoman.min.js \
	  node_modules/@geoman-io/leaflet-geoman-free/dist/leaflet-geoman.css $(VENDOR)/
	@mkdir -p $(@D) && touch $@

# ---- Babel catalogues -------------------------------------------------------------------------------
translations: $(MO_FILES)

%.mo: %.po | $(PY_EDITABLE_STAMP)
	$(BIN)/pybabel compile -f -i $< -o $@

# ---- Run / test -------------------------------------------------------------------------------------
run: setup
	@# the monthly report's PDF (WeasyPrint) needs pango; without it pvhub runs and that page says so
	@$(BIN)/python -c 'import weasyprint' >/dev/null 2>&1 || echo "note: pango is missing, so /dashboard/report.pdf \
	will answer with an error; to make PDFs: sudo apt-get install libpango-1.0-0 libpangoft2-1.0-0" >&2
	PVHUB_ENV=development $(BIN)/pvhub db upgrade
	PVHUB_ENV=development $(BIN)/pvhub demo
	PVHUB_ENV=development exec $(BIN)/pvhub serve --host 127.0.0.1 --port 8000

test: setup
	bash scripts/test.sh

lint: setup
	bash scripts/test.sh --lint-only

clean:
	rm -rf node_modules $(VENDOR) $(STAMPS) .pytest_cache .mypy_cache .ruff_cache .hypothesis \
	  test-results screenshots build dist
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +
	find web/translations -name '*.mo' -delete 2>/dev/null || true

distclean: clean
	rm -rf $(VENV)

FORCE:
