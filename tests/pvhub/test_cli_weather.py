"""``pvhub weather set`` and ``pvhub weather show``, run as an operator would, on a real SQLite file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlmodel import Session, func, select

from pvhub.accounts.models import Organisation
from pvhub.core.db import make_engine
from pvhub.core.enums import Role
from pvhub.estimates.models import Estimate
from pvhub.weather.models import WeatherChoice, WeatherDataset
from tests.conftest import ROOF_22_SOUTH, add_site
from tests.pvhub.weather import files

PVHUB = str(Path(sys.executable).with_name("pvhub"))


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """A migrated SQLite file for the command to use."""
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


def stored(env: dict[str, str]) -> tuple[int, int]:
    engine = make_engine(env["PVHUB_DATABASE_URL"])
    with Session(engine) as session:
        counts = tuple(
            session.exec(select(func.count()).select_from(table)).one()
            for table in (WeatherDataset, WeatherChoice)
        )
    engine.dispose()
    return counts  # type: ignore[return-value]


def add_estimate(env: dict[str, str], weather_hash: str) -> None:
    """One estimated surface, made on the weather year with ``weather_hash``."""
    engine = make_engine(env["PVHUB_DATABASE_URL"])
    with Session(engine) as session:
        org = Organisation(name="Owner", kind=Role.owner)
        session.add(org)
        session.flush()
        assert org.id is not None
        _, [surface] = add_site(session, org.id, "Site", ROOF_22_SOUTH)
        assert surface.id is not None
        session.add(
            Estimate(
                surface_id=surface.id,
                capacity_kwp=50,
                annual_kwh=55_000,
                specific_yield_kwh_per_kwp=1100,
                monthly_kwh=[0.0] * 12,
                co2_avoided_t=30,
                assumptions={"weather": {"sha256": weather_hash}},
                weather_source="synthetic",
                weather_hash=weather_hash,
                pvlib_version="test",
            )
        )
        session.commit()
    engine.dispose()


def test_show_says_the_synthetic_year_is_the_default(env: dict[str, str]) -> None:
    shown = run(env, "weather", "show")
    assert shown.returncode == 0, shown.stderr
    assert "embedded synthetic year (default; no weather year set)" in shown.stdout
    as_json = json.loads(run(env, "weather", "show", "--json").stdout)
    assert as_json["synthetic"] is True and as_json["set_at"] is None and len(as_json["sha256"]) == 64


def test_set_stores_the_year_and_counts_what_is_out_of_date(env: dict[str, str], tmp_path: Path) -> None:
    add_estimate(env, "0" * 64)
    path = tmp_path / "shanghai.epw"
    path.write_bytes(files.epw_bytes(tmp_path))
    done = run(env, "weather", "set", str(path))
    assert done.returncode == 0, done.stderr
    assert "shanghai.epw" in done.stdout and "31.2200 N, 121.4700 E" in done.stdout
    assert (
        "Estimates are not re-run: 1 estimates are now out of date; run `pvhub estimate --all`."
        in done.stdout
    )
    shown = json.loads(run(env, "weather", "show", "--json").stdout)
    assert shown["synthetic"] is False and shown["name"] == "shanghai.epw" and shown["source"] == "epw"
    assert f"SHA-256: {shown['sha256']}" in done.stdout
    assert stored(env) == (1, 1)


def test_a_bad_file_exits_2_and_stores_nothing(env: dict[str, str], tmp_path: Path) -> None:
    path = tmp_path / "odd.epw"
    path.write_bytes(files.with_epw_value(files.epw_bytes(tmp_path), 4381, files.EPW_GHI, "2150"))
    refused = run(env, "weather", "set", str(path))
    assert refused.returncode == 2
    assert "record 4,381" in refused.stderr and "ghi 2,150.0 W/m²" in refused.stderr
    missing = run(env, "weather", "set", str(tmp_path / "absent.epw"))
    assert missing.returncode == 2 and "absent.epw" in missing.stderr
    assert stored(env) == (0, 0)


def test_a_far_file_needs_yes(env: dict[str, str], tmp_path: Path) -> None:
    path = tmp_path / "greensboro.epw"
    path.write_bytes(files.epw_bytes(tmp_path, files.greensboro()))
    refused = run(env, "weather", "set", str(path))
    assert refused.returncode == 2 and "--yes" in refused.stderr and "12,2" in refused.stderr
    assert stored(env) == (0, 0)
    confirmed = run(env, "weather", "set", str(path), "--yes")
    assert confirmed.returncode == 0, confirmed.stderr
    assert "36.1000 N, 79.9500 W" in confirmed.stdout and stored(env) == (1, 1)
