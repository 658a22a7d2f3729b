"""Fixtures of the fault tests: the demo district on a SQLite file, built once and copied per test."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.faults.live import Server, copy_database, environment, pvhub, wait_for_jobs


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``pvhub db upgrade`` and ``pvhub demo`` on a fresh file, as an operator would (once per run)."""
    db = tmp_path_factory.mktemp("demo-template") / "pvhub.db"
    env = environment(db)
    for command in (["db", "upgrade"], ["demo"]):
        done = pvhub(env, *command)
        assert done.returncode == 0, done.stderr
    # the app runs the survey the demo queued for its start-up: once here, not in every copy's server
    server = Server(env, db.with_suffix(".log")).start()
    try:
        wait_for_jobs(db)
    finally:
        server.stop()
    return db


@pytest.fixture
def demo_db(demo_template: Path, tmp_path: Path) -> Path:
    """This test's own copy of the demo database."""
    return copy_database(demo_template, tmp_path / "pvhub.db")
