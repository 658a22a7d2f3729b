"""Shared fixtures: a real database (SQLite file by default, PostgreSQL when
``PVHUB_TEST_DATABASE_URL`` names one), migrated with Alembic, emptied after every test.

Tests that use the database are marked ``db`` automatically, so ``make test`` can run exactly
those again on PostgreSQL.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, SQLModel, select

import pvhub.tables  # noqa: F401
from pvhub import job_kinds
from pvhub.accounts.models import Organisation, User
from pvhub.core import migrate
from pvhub.core.db import make_engine, normalise_url
from pvhub.core.enums import Role
from pvhub.core.security import hash_password
from pvhub.core.settings import Settings
from pvhub.register.enums import SurfaceStatus
from pvhub.register.models import Site, Surface

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
TEST_PASSWORD = "correct-horse-battery"
DB_FIXTURES = {"database_url", "engine", "session", "client", "make_user"}

job_kinds.install()  # tests submit and run jobs through the services, without an app


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if DB_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.db)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated, empty database for this test session."""
    url = (
        os.environ.get("PVHUB_TEST_DATABASE_URL") or f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    )
    if not url.startswith("sqlite"):
        url = _own_database(url, os.environ.get("PYTEST_XDIST_WORKER"))
        engine = make_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    migrate.upgrade(url)
    return url


def _own_database(url: str, worker: str | None) -> str:
    """With pytest-xdist, each worker gets a PostgreSQL database of its own (``<name>_<worker>``),
    created afresh beside the one named, since every test empties the tables it used."""
    if not worker:
        return url
    base = make_url(normalise_url(url))
    name = f"{base.database}_{worker}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def _empty(engine: Engine) -> None:
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(SQLModel.metadata.sorted_tables):
                conn.execute(table.delete())


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session on the real database; everything written is removed after the test."""
    with Session(engine, expire_on_commit=False) as session:
        yield session
    _empty(engine)


@pytest.fixture(scope="session")
def password_hash() -> str:
    """One argon2 hash of TEST_PASSWORD, reused so fixtures do not pay for hashing each time."""
    return hash_password(TEST_PASSWORD)


@pytest.fixture
def make_user(session: Session, password_hash: str):  # type: ignore[no-untyped-def]
    """Create a user (and its organisation, when new) committed to the database."""

    def make(email: str, role: Role, org_name: str | None = None) -> User:
        org_name = org_name or f"{role.value} org of {email}"
        org = session.exec(select(Organisation).where(Organisation.name == org_name)).first()
        if org is None:
            org = Organisation(
                name=org_name, kind=role, annual_capacity_kw=5000 if role == Role.supplier else None
            )
            session.add(org)
            session.flush()
        assert org.id is not None
        user = User(email=email, role=role, organisation_id=org.id, password_hash=password_hash)
        session.add(user)
        session.commit()
        return user

    return make


@pytest.fixture
def settings(database_url: str) -> Settings:
    # no test reaches the internet: PVGIS is a port where nothing listens (offline, as in CI)
    return Settings(
        env="test", database_url=database_url, secret_key="t" * 40, pvgis_url="http://127.0.0.1:9/api/tmy"
    )


@pytest.fixture
def client(settings: Settings, session: Session) -> Iterator[TestClient]:
    """The whole app over a real database; cookies persist between requests."""
    from web.app import create_app

    app = create_app(settings)
    with TestClient(app, base_url="http://testserver") as test_client:
        yield test_client
    app.state.engine.dispose()


def api_token(client: TestClient, email: str, password: str = TEST_PASSWORD) -> dict[str, str]:
    """Bearer header for ``email``."""
    response = client.post("/api/v1/auth/token", data={"username": email, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


ROOF_22_SOUTH = {
    "kind": "roof",
    "tilt_deg": 22,
    "azimuth_deg": 180,
    "gross_area_m2": 500,
    "usable_area_m2": 300,
}


def add_site(
    session: Session, organisation_id: int, name: str, *surfaces: dict[str, object]
) -> tuple[Site, list[Surface]]:
    """A committed site near the district centre with the given surfaces (approved unless they say)."""
    site = Site(name=name, organisation_id=organisation_id, lon=121.48, lat=31.23)
    session.add(site)
    session.flush()
    assert site.id is not None
    rows = [
        Surface.model_validate({"status": SurfaceStatus.approved, **spec, "site_id": site.id})
        for spec in surfaces
    ]
    session.add_all(rows)
    session.commit()
    return site, rows
