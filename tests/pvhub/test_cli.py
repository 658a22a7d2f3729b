"""The ``pvhub`` command line, run as an operator would, on a real SQLite file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

PVHUB = str(Path(sys.executable).with_name("pvhub"))


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    environment = {
        **os.environ,
        "PVHUB_ENV": "development",
        "PVHUB_DATABASE_URL": f"sqlite:///{tmp_path}/cli.db",
    }
    environment.pop("PVHUB_SECRET_KEY", None)
    return environment


def run(env: dict[str, str], *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PVHUB, *args], env=env, input=stdin, capture_output=True, text=True, timeout=120)


def test_every_command_is_documented() -> None:
    for args in (
        ["--help"],
        ["db", "upgrade", "--help"],
        ["demo", "--help"],
        ["serve", "--help"],
        ["user", "add", "--help"],
    ):
        result = subprocess.run([PVHUB, *args], capture_output=True, text=True)
        assert result.returncode == 0 and "Usage" in result.stdout


def test_upgrade_then_add_users(env: dict[str, str]) -> None:
    assert run(env, "db", "upgrade").returncode == 0
    added = run(
        env,
        "user",
        "add",
        "pm@office.cn",
        "--role",
        "office",
        "--org",
        "项目办",
        "--password-stdin",
        stdin="a-long-password\n",
    )
    assert added.returncode == 0, added.stderr
    assert "password:" not in added.stdout
    generated = run(env, "user", "add", "two@office.cn", "--role", "office", "--org", "项目办")
    assert generated.returncode == 0 and "password: " in generated.stdout
    duplicate = run(env, "user", "add", "pm@office.cn", "--role", "office", "--org", "项目办")
    assert duplicate.returncode == 1 and "already exists" in duplicate.stderr
    wrong_kind = run(env, "user", "add", "x@o.cn", "--role", "owner", "--org", "项目办")
    assert wrong_kind.returncode == 1 and "office organisation" in wrong_kind.stderr
    short = run(
        env,
        "user",
        "add",
        "y@o.cn",
        "--role",
        "office",
        "--org",
        "项目办",
        "--password-stdin",
        stdin="short\n",
    )
    assert short.returncode == 1 and "10 characters" in short.stderr


def test_demo_loads_once(env: dict[str, str]) -> None:
    assert run(env, "db", "upgrade").returncode == 0
    first = run(env, "demo")
    assert first.returncode == 0 and "300 sites" in first.stdout and "office@demo.pvhub" in first.stdout
    again = run(env, "demo")
    assert again.returncode == 0 and "already holds data" in again.stdout


def test_production_without_a_secret_key_fails_clearly(env: dict[str, str]) -> None:
    env["PVHUB_ENV"] = "production"
    result = run(env, "serve")
    assert result.returncode != 0 and "PVHUB_SECRET_KEY is required" in result.stderr


def test_yield_prints_annual_and_monthly_energy_per_kwp_as_json() -> None:
    import json

    result = subprocess.run(
        [PVHUB, "yield", "--tilt", "22", "--azimuth", "180", "--losses", "10"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert 1000 < report["annual_kwh_per_kwp"] < 1200
    assert len(report["monthly_kwh_per_kwp"]) == 12
    assert abs(sum(report["monthly_kwh_per_kwp"]) - report["annual_kwh_per_kwp"]) < 0.5
    assert report["assumptions"]["losses_pct"] == 10
    bad = subprocess.run([PVHUB, "yield", "--tilt", "95", "--azimuth", "180"], capture_output=True, text=True)
    assert bad.returncode == 1 and "--tilt must be between 0 and 90" in bad.stderr


def test_import_dry_run_then_real_then_a_bad_file(env: dict[str, str], tmp_path: Path) -> None:
    import json

    assert run(env, "db", "upgrade").returncode == 0
    assert run(env, "user", "add", "w@x.cn", "--role", "owner", "--org", "外滩物业").returncode == 0
    good = tmp_path / "survey.csv"
    good.write_text(
        "site_name,address,lon,lat,kind,tilt_deg,azimuth_deg,gross_area_m2,height_m\n"
        "Bund House,1 Zhongshan Rd,121.490,31.238,roof,5,180,800,40\n",
        encoding="utf-8",
    )
    dry = run(env, "import", str(good), "--org", "外滩物业", "--dry-run", "--json")
    assert dry.returncode == 0, dry.stderr
    report = json.loads(dry.stdout)
    assert report["ok"] and report["dry_run"] and report["created"]["sites"] == 1
    real = run(env, "import", str(good), "--org", "外滩物业")
    assert real.returncode == 0 and "created 1 sites and 1 surfaces" in real.stdout
    bad = tmp_path / "bad.csv"
    bad.write_text(
        good.read_text(encoding="utf-8") + "Other,2 Rd,121.49,31.23,roof,5,180,-3,10\n", encoding="utf-8"
    )
    failed = run(env, "import", str(bad), "--org", "外滩物业")
    assert failed.returncode == 1 and "nothing imported" in failed.stderr and "error at 3" in failed.stderr
    unknown = run(env, "import", str(good), "--org", "Nobody")
    assert unknown.returncode == 1 and "no organisation named" in unknown.stderr


def test_a_broken_cityjson_file_is_refused_with_its_problem(env: dict[str, str], tmp_path: Path) -> None:
    """CityObjects as a list and a scale of 1e300 once crashed the parser; now exit 1, nothing written."""
    import sqlite3

    from tests.hostile.corpus import cityjson_changed

    assert run(env, "db", "upgrade").returncode == 0
    assert run(env, "user", "add", "w@x.cn", "--role", "owner", "--org", "外滩物业").returncode == 0
    cases = {
        "CityObjects must be a JSON object": lambda d: d.update(CityObjects=[d["CityObjects"]["b1"]]),
        "beyond ±1e9": lambda d: d["transform"].update(scale=[1e300, 1e300, 1e300]),
    }
    for words, change in cases.items():
        path = tmp_path / "model.city.json"
        path.write_bytes(cityjson_changed(change))
        result = run(env, "import", str(path), "--org", "外滩物业")
        assert result.returncode == 1 and "nothing imported" in result.stderr, result.stderr
        assert words in result.stderr and "Traceback" not in result.stderr
    with sqlite3.connect(tmp_path / "cli.db") as db:
        assert db.execute("SELECT count(*) FROM site").fetchone() == (0,)
