"""The app restarts cleanly against an existing database.

Run as an operator would on the demo district's SQLite file: a second ``pvhub serve`` on the same
file serves the same data and leaves the first one's running job alone (it is not "interrupted",
its process is alive); the job can be cancelled through either; ``pvhub db upgrade`` run again on a
database already at head changes nothing; a server stopped and started again serves the same data.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from tests.faults.live import Server, environment, pvhub, rows

pytestmark = pytest.mark.slow

READS = [
    ("/api/v1/sites", {"limit": 500}),
    ("/api/v1/surfaces", {"limit": 500}),
    ("/api/v1/bundles", {}),
    ("/api/v1/tenders", {}),
    ("/api/v1/tenders/1", {}),
    ("/api/v1/demonstration-points", {}),
    ("/api/v1/programme/progress", {}),
]


def snapshot(server: Server, headers: dict[str, str]) -> dict[str, Any]:
    """What the office reads through the API (the register, bundles, tenders, progress)."""
    return {path: server.get(path, headers, **params) for path, params in READS}


def schema_and_counts(db: Path) -> tuple[list[Any], dict[str, int]]:
    schema = rows(db, "SELECT type, name, sql FROM sqlite_master ORDER BY type, name")
    tables = [name for kind, name, _ in schema if kind == "table" and not name.startswith("sqlite_")]
    return schema, {t: rows(db, f'SELECT count(*) FROM "{t}"')[0][0] for t in tables}


def test_a_second_server_on_the_same_file_serves_the_same_data_and_leaves_a_live_job_alone(
    demo_db: Path, tmp_path: Path
) -> None:
    env = environment(demo_db)
    first = Server(env, tmp_path / "first.log").start()
    second = Server(env, tmp_path / "second.log")
    try:
        office = first.token()
        seen = snapshot(first, office)
        assert seen["/api/v1/sites"]["total"] == 300 and seen["/api/v1/bundles"]
        run = first.post(
            "/api/v1/bundling-runs",
            office,
            {"min_capacity_kwp": 1000, "max_capacity_kwp": 2000, "time_limit_s": 120},
        )
        for _ in range(600):
            if first.get(f"/api/v1/jobs/{run['job_id']}", office)["status"] == "running":
                break
            time.sleep(0.05)

        second.start()  # its start-up recovery runs while the first server's job is running
        assert snapshot(second, office) == seen  # the first server's token is good on the second
        live = second.get(f"/api/v1/bundling-runs/{run['id']}", office)
        assert live["status"] == "running", live

        cancelled = second.post(f"/api/v1/bundling-runs/{run['id']}/cancel", office, {})
        assert cancelled["status"] == "running" and cancelled["message"] == "cancelling"
        for _ in range(600):  # the first server's job thread sees the request in the database
            state = first.get(f"/api/v1/bundling-runs/{run['id']}", office)
            if state["status"] != "running":
                break
            time.sleep(0.05)
        assert state["status"] == "cancelled" and "nothing was stored" in state["error"], state
        assert snapshot(second, office) == seen
    finally:
        first.stop()
        second.stop()


def test_db_upgrade_again_changes_nothing_and_a_restarted_server_serves_the_same_data(
    demo_db: Path, tmp_path: Path
) -> None:
    env = environment(demo_db)
    server = Server(env, tmp_path / "before.log").start()
    try:
        office = server.token()
        seen = snapshot(server, office)
        held = schema_and_counts(demo_db)
        revision = rows(demo_db, "SELECT version_num FROM alembic_version")
        for _ in range(2):  # the migrate service of a deployment runs at every start
            upgraded = pvhub(env, "db", "upgrade")
            assert upgraded.returncode == 0 and "database at head" in upgraded.stdout, upgraded.stderr
        assert schema_and_counts(demo_db) == held
        assert rows(demo_db, "SELECT version_num FROM alembic_version") == revision
        assert snapshot(server, office) == seen  # the running server did not notice
        again = pvhub(env, "demo")
        assert again.returncode == 0 and "already holds data" in again.stdout
    finally:
        server.stop()
    assert schema_and_counts(demo_db)[0] == held[0]

    restarted = Server(env, tmp_path / "after.log").start()
    try:
        assert snapshot(restarted, restarted.token()) == seen
        assert snapshot(restarted, office) == seen  # tokens outlive a restart (same secret key)
    finally:
        restarted.stop()
    assert "Traceback" not in restarted.output()
