"""``pvhub buildings import`` run as an operator would, on a real SQLite file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlmodel import Session, func, select

from pvhub.core.db import make_engine
from pvhub.survey.models import Building
from tests.pvhub.survey.test_stock import GOOD, collection, feature

PVHUB = str(Path(sys.executable).with_name("pvhub"))


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    environment = {
        **os.environ,
        "PVHUB_ENV": "development",
        "PVHUB_DATABASE_URL": f"sqlite:///{tmp_path}/cli.db",
    }
    environment.pop("PVHUB_SECRET_KEY", None)
    assert run(environment, "db", "upgrade").returncode == 0
    return environment


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PVHUB, *args], env=env, capture_output=True, text=True, timeout=120)


def stored(env: dict[str, str]) -> int:
    engine = make_engine(env["PVHUB_DATABASE_URL"])
    with Session(engine) as session:
        n = int(session.exec(select(func.count()).select_from(Building)).one())
    engine.dispose()
    return n


def test_import_prints_one_line_and_stores(env: dict[str, str], tmp_path: Path) -> None:
    path = tmp_path / "stock.geojson"
    path.write_bytes(GOOD)
    done = run(env, "buildings", "import", str(path))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("imported 3 buildings from stock.geojson") and done.stdout.count("\n") == 1
    assert stored(env) == 3


def test_a_bad_file_exits_2_and_stores_nothing(env: dict[str, str], tmp_path: Path) -> None:
    path = tmp_path / "bad.geojson"
    path.write_bytes(collection(feature("a", 121.49, 31.23, height=-3)))
    done = run(env, "buildings", "import", str(path), "--datum", "gcj02")
    assert done.returncode == 2
    assert "feature 0, height" in done.stderr and "nothing imported" in done.stderr
    assert stored(env) == 0
    assert run(env, "buildings", "import", str(path), "--datum", "mars").returncode == 2
