"""A database error in the middle of an import run as a background job writes nothing either: the job
fails and says why, the register and the import's audit entry stay as they were, the upload is gone."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from pvhub.core.audit_events import AuditEvent
from pvhub.core.enums import Role
from pvhub.core.settings import Settings
from pvhub.register.models import Site, Surface
from tests.conftest import api_token
from tests.faults import test_import_db_error as db_error
from tests.pvhub.jobs.test_jobs import wait_for

FAULT, ORG, SURVEY = db_error.FAULT, db_error.ORG, db_error.SURVEY
failing_table = db_error.failing_table  # the trigger that refuses the Nth insert into site or surface


def held(session: Session) -> tuple[int, ...]:
    """Sites, surfaces and import audit entries (the job's own entries are expected); the read's
    transaction ends so that the trigger can be dropped on PostgreSQL."""
    imported = select(func.count()).select_from(AuditEvent).where(AuditEvent.entity == "import")
    counts = (
        *(int(session.exec(select(func.count()).select_from(m)).one()) for m in (Site, Surface)),
        int(session.exec(imported).one()),
    )
    session.rollback()
    return counts


def test_an_import_job_writes_nothing_when_the_database_fails_mid_write(
    client: TestClient, session: Session, settings: Settings, tmp_path: Path, make_user, failing_table: str
) -> None:  # type: ignore[no-untyped-def]
    settings.data_dir = tmp_path
    make_user("estates@faults.cn", Role.owner, ORG)
    headers = api_token(client, "estates@faults.cn")
    before = held(session)
    response = client.post(
        "/api/v1/imports",
        files={"file": ("survey.csv", SURVEY.encode(), "text/csv")},
        data={"background": "true"},
        headers=headers,
    )
    assert response.status_code == 202, response.text
    job = wait_for(client, response.json()["job_id"], headers)
    assert job["status"] == "failed" and FAULT in job["error"], job
    assert held(session) == before
    assert list((tmp_path / "imports").iterdir()) == []
