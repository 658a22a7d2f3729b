"""compose.yaml is a valid Compose file and wires db -> migrate (one-shot) -> app.

No Docker engine is needed: the file is checked against the Compose specification's JSON schema that
check-jsonschema ships (offline).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "compose.yaml"


def _compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_compose_validates_against_compose_spec() -> None:
    exe = Path(sys.executable).parent / "check-jsonschema"
    result = subprocess.run(
        [str(exe), "--builtin-schema", "vendor.compose-spec", str(COMPOSE)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_services_and_dependencies() -> None:
    services = _compose()["services"]
    assert {"db", "migrate", "app"} <= set(services)

    db = services["db"]
    assert str(db["image"]).startswith("postgres:15")
    assert "healthcheck" in db
    assert db.get("volumes")

    migrate = services["migrate"]
    assert "build" in migrate
    assert migrate["command"] == ["pvhub", "db", "upgrade"]
    assert migrate.get("restart", "no") == "no"
    assert migrate["depends_on"]["db"]["condition"] == "service_healthy"

    app = services["app"]
    assert app["command"][:2] == ["pvhub", "serve"]
    assert "0.0.0.0" in app["command"]
    assert app["depends_on"]["migrate"]["condition"] == "service_completed_successfully"

    for name in ("migrate", "app"):
        env = services[name]["environment"]
        assert env["PVHUB_DATABASE_URL"].startswith("postgresql+psycopg://pvhub:")
        assert env["PVHUB_DATABASE_URL"].endswith("@db/pvhub")
        # The secret key is required from the environment, never defaulted in the file.
        assert env["PVHUB_SECRET_KEY"].startswith("${PVHUB_SECRET_KEY:?")


def test_dockerfile_installs_with_hashes() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert "FROM python:3.11-slim" in dockerfile
    assert "--require-hashes" in dockerfile
    assert "npm ci" in dockerfile
