"""A bundling run or an estimate run killed with its process (SIGKILL, mid-run) stores nothing, and
after a restart the app says the run failed and why — through the API and on the bundles page.

Each test runs ``pvhub serve`` on its own copy of the demo district, starts the job through the API,
waits until the job is well into its work (the optimiser improving its solution; the estimates being
written), kills the server, reads the tables straight from the file, and starts the server again.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.faults.live import ROOT, Server, environment, rows

pytestmark = pytest.mark.slow

BUNDLES = "SELECT id, code, status, capacity_kwp, annual_kwh, anchor_site_id, run_id FROM bundle ORDER BY id"
BUNDLE_SITES = "SELECT bundle_id, site_id FROM bundlesite ORDER BY bundle_id, site_id"
ESTIMATES = (
    "SELECT id, surface_id, capacity_kwp, annual_kwh, monthly_kwh, stale, computed_at "
    "FROM estimate ORDER BY id"
)
REASON = "stopped before it finished"


def wait_for(
    server: Server, headers: dict[str, str], job_id: int, ready: Callable[[dict[str, Any]], bool]
) -> dict[str, Any]:
    """Poll the job until ``ready`` says so; fail if it ends first (the kill would come too late)."""
    deadline = time.monotonic() + 120
    job: dict[str, Any] = {}
    while time.monotonic() < deadline:
        job = server.get(f"/api/v1/jobs/{job_id}", headers)
        if job["status"] not in ("queued", "running"):
            raise AssertionError(f"the job ended before it could be killed: {job}")
        if ready(job):
            return job
        time.sleep(0.02)
    raise AssertionError(f"the job never reached the point to kill it: {job}")


def scale_register(db: Path, doublings: int) -> int:
    """Copy the approved surfaces onto their sites ``2 ** doublings`` times over (without estimates),
    so an estimate run over all of them takes seconds to write. Returns the approved count."""
    import sqlite3
    from contextlib import closing

    with closing(sqlite3.connect(db)) as conn:
        columns = ", ".join(r[1] for r in conn.execute("PRAGMA table_info(surface)") if r[1] != "id")
        for _ in range(doublings):
            conn.execute(
                f"INSERT INTO surface ({columns}) SELECT {columns} FROM surface WHERE status = 'approved'"
            )
        conn.commit()
        return int(conn.execute("SELECT count(*) FROM surface WHERE status = 'approved'").fetchone()[0])


def test_an_estimate_run_killed_while_writing_changes_no_estimate_and_fails_with_a_reason(
    demo_db: Path, tmp_path: Path
) -> None:
    approved = scale_register(demo_db, doublings=4)
    before = rows(demo_db, ESTIMATES)
    assert 800 < len(before) < approved
    env = environment(demo_db)
    server = Server(env, tmp_path / "server.log").start()
    try:
        office = server.token()
        job = server.post("/api/v1/estimates/runs", office, {"all": True})
        wait_for(server, office, job["id"], lambda j: j["message"] == "storing the estimates")
        time.sleep(0.3)  # into the write: old estimates deleted, new rows being flushed, no commit yet
        assert server.get(f"/api/v1/jobs/{job['id']}", office)["status"] == "running"
        server.kill()
    finally:
        server.stop()

    assert rows(demo_db, ESTIMATES) == before
    assert rows(demo_db, "PRAGMA integrity_check") == [("ok",)]

    again = Server(env, tmp_path / "restart.log").start()
    try:
        office = again.token()
        failed = again.get(f"/api/v1/jobs/{job['id']}", office)
        assert failed["status"] == "failed", failed
        assert REASON in failed["error"] and f":{server.pid}/" in failed["error"]
        assert "nothing it computed was stored" in failed["error"]
        assert failed["finished_at"] is not None
        # Running it again works: the crash left no lock, no half-state behind.
        one = rows(demo_db, "SELECT id FROM surface WHERE status = 'approved' ORDER BY id DESC LIMIT 1")[0][0]
        rerun = again.post("/api/v1/estimates/runs", office, {"surface_ids": [one]})
        for _ in range(600):
            state = again.get(f"/api/v1/jobs/{rerun['id']}", office)
            if state["status"] not in ("queued", "running"):
                break
            time.sleep(0.05)
        assert state["status"] == "succeeded", state
    finally:
        again.stop()
    assert rows(
        demo_db,
        f"SELECT count(*) FROM auditevent WHERE entity = 'job' AND entity_id = '{job['id']}' "
        "AND action = 'recovered_as_failed'",
    ) == [(1,)]


def test_a_bundling_run_killed_while_solving_changes_no_bundle_and_fails_with_a_reason(
    demo_db: Path, tmp_path: Path
) -> None:
    before = rows(demo_db, BUNDLES), rows(demo_db, BUNDLE_SITES)
    assert any(status == "draft" for _, _, status, *_ in before[0])  # drafts a successful run would replace
    env = environment(demo_db)
    server = Server(env, tmp_path / "server.log").start()
    try:
        office = server.token()
        listed = server.get("/api/v1/bundles", office)
        run = server.post(
            "/api/v1/bundling-runs",
            office,
            {"min_capacity_kwp": 1000, "max_capacity_kwp": 2000, "time_limit_s": 120},
        )
        wait_for(server, office, run["job_id"], lambda j: len((j.get("detail") or {}).get("series", [])) >= 2)
        live = server.get(f"/api/v1/bundling-runs/{run['id']}", office)
        assert live["status"] == "running" and live["series"], live
        server.kill()
    finally:
        server.stop()

    assert (rows(demo_db, BUNDLES), rows(demo_db, BUNDLE_SITES)) == before
    stored = rows(
        demo_db,
        f"SELECT status, finished_at, coalesce(result, 'null') FROM bundlingrun WHERE id = {run['id']}",
    )
    assert stored == [("queued", None, "null")], stored  # the run row is only written with its result
    assert rows(demo_db, "PRAGMA integrity_check") == [("ok",)]

    again = Server(env, tmp_path / "restart.log").start()
    try:
        office = again.token()
        failed = again.get(f"/api/v1/bundling-runs/{run['id']}", office)
        assert failed["status"] == "failed", failed
        assert REASON in failed["error"] and "nothing it computed was stored" in failed["error"]
        job = again.get(f"/api/v1/jobs/{run['job_id']}", office)
        assert job["status"] == "failed" and job["error"] == failed["error"]
        assert again.get("/api/v1/bundles", office) == listed
        page = _office_page(again, "/bundles")
        # the page is in Chinese (the default): "the process running this job stopped before it finished"
        shown = "在完成前已停止，其计算结果均未保存"
        assert shown in page, "the bundles page shows the run's failure and its reason"
    finally:
        again.stop()


def _office_page(server: Server, path: str) -> str:
    """A page as the office sees it, logged in through the login form (session cookie, CSRF)."""
    import re

    with httpx.Client(base_url=server.url, timeout=60) as browser:
        login = browser.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', login.text)
        assert token is not None
        browser.post(
            "/login",
            data={"email": "office@demo.pvhub", "password": "pvhub-demo", "csrf_token": token.group(1)},
        )
        page = browser.get(path)
        assert page.status_code == 200
        return page.text


def _start_bundling(server: Server, office: dict[str, str]) -> dict[str, Any]:
    run: dict[str, Any] = server.post(
        "/api/v1/bundling-runs",
        office,
        {"min_capacity_kwp": 1000, "max_capacity_kwp": 2000, "time_limit_s": 120},
    )
    wait_for(server, office, run["job_id"], lambda j: j["status"] == "running" and j["progress"] > 0)
    return run


UNSHARE = shutil.which("unshare")


def _pid_namespaces() -> bool:
    """Whether this machine lets us start a process as PID 1 of a new namespace (root, as CI runs)."""
    if UNSHARE is None or os.geteuid() != 0:
        return False
    probe = subprocess.run(
        [UNSHARE, "--pid", "--fork", "--mount-proc", "true"], capture_output=True, timeout=30
    )
    return probe.returncode == 0


@pytest.mark.skipif(not _pid_namespaces(), reason="a PID namespace needs unshare(1) and root, as CI has")
def test_a_job_killed_in_a_container_fails_when_the_container_restarts_with_the_same_pid(
    demo_db: Path, tmp_path: Path
) -> None:
    """In a container the app is PID 1, on the same host name, after every restart (compose's
    ``restart: unless-stopped``): the restarted app must not take the dead job for its own."""
    assert UNSHARE is not None
    container = (UNSHARE, "--pid", "--fork", "--mount-proc")
    env = environment(demo_db)
    server = Server(env, tmp_path / "server.log", prefix=container).start()
    try:
        run = _start_bundling(server, server.token())
        server.kill()
    finally:
        server.stop()
    again = Server(env, tmp_path / "restart.log", prefix=container).start()
    try:
        failed = again.get(f"/api/v1/bundling-runs/{run['id']}", again.token())
        assert failed["status"] == "failed", failed
        assert f"({socket.gethostname()}:1" in failed["error"] and REASON in failed["error"]
    finally:
        again.stop()


SUBMIT_THEN_DIE = """
import os, signal
from pvhub import job_kinds
from pvhub.core.db import make_engine, transaction
from pvhub.core.settings import get_settings
from pvhub.jobs import service as jobs

job_kinds.install()
with transaction(make_engine(get_settings().database_url)) as session:
    job = jobs.submit(session=session, actor=None, kind="estimate", parameters={})
    session.flush()
    job_id = job.id
print(job_id, flush=True)
os.kill(os.getpid(), signal.SIGKILL)  # dies before its background thread would have started the job
"""


def test_a_job_accepted_by_a_process_that_died_before_starting_it_fails_at_the_next_start(
    demo_db: Path, tmp_path: Path
) -> None:
    env = environment(demo_db)
    died = subprocess.run(
        [sys.executable, "-c", SUBMIT_THEN_DIE],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert died.returncode == -9, died.stderr
    job_id = int(died.stdout)
    server = Server(env, tmp_path / "server.log").start()  # at once: the job is seconds old
    try:
        job = server.get(f"/api/v1/jobs/{job_id}", server.token())
        assert job["status"] == "failed", job
        assert "stopped before starting it; nothing was stored" in job["error"], job
    finally:
        server.stop()
