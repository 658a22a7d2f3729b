"""Fixtures of the security tests: a small world of users and a page login that goes through the form."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from pvhub import backup
from pvhub.core.enums import Role
from tests.conftest import ROOF_22_SOUTH, TEST_PASSWORD, add_site


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the page carries a CSRF token"
    return match.group(1)


def page_login(client: TestClient, email: str, password: str = TEST_PASSWORD) -> str:
    """Log in through the login form; returns the new session's CSRF token."""
    form = client.get("/login")
    response = client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": csrf_of(form.text), "next": "/"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return csrf_of(client.get("/").text)


@dataclass(frozen=True)
class SmallWorld:
    office: str
    owner: str
    other_owner: str
    supplier: str
    site_id: int
    surface_id: int


@pytest.fixture
def small_world(session: Session, make_user) -> SmallWorld:  # type: ignore[no-untyped-def]
    """An office, a supplier and two owners; the second owner has a site with one roof."""
    make_user("office@sec.cn", Role.office, "Office")
    make_user("owner@sec.cn", Role.owner, "Owner A")
    other = make_user("other@sec.cn", Role.owner, "Owner B")
    make_user("supplier@sec.cn", Role.supplier, "Supplier S")
    site, surfaces = add_site(session, other.organisation_id, "B tower", ROOF_22_SOUTH)
    assert site.id is not None and surfaces[0].id is not None
    return SmallWorld(
        "office@sec.cn", "owner@sec.cn", "other@sec.cn", "supplier@sec.cn", site.id, surfaces[0].id
    )


def fingerprint(engine: Engine, tmp_path: Path) -> list[str]:
    """Every row of every table (the backup's body), to prove that nothing changed."""
    path = tmp_path / "fingerprint.jsonl"
    backup.export_all(engine, path, overwrite=True)
    return path.read_text(encoding="utf-8").splitlines()[1:]
