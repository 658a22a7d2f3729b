"""The hostile files large enough to be imported by a background job (over PVHUB_IMPORT_JOB_MB's 1 MB):
the job's result names the same line, feature or object, field and words as an import in the request,
nothing is written, and the stored upload is gone."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from pvhub.core.audit_events import AuditEvent
from pvhub.core.settings import Settings
from pvhub.register.models import Site, Surface
from tests.conftest import api_token
from tests.hostile.conftest import World
from tests.hostile.corpus import CORPUS, Hostile
from tests.pvhub.jobs.test_jobs import wait_for

LARGE = [case for case in CORPUS if len(case.build()) > 1_000_000]


def counts(session: Session) -> tuple[int, ...]:
    session.rollback()
    imported = select(func.count()).select_from(AuditEvent).where(AuditEvent.entity == "import")
    return (
        *(int(session.exec(select(func.count()).select_from(m)).one()) for m in (Site, Surface)),
        int(session.exec(imported).one()),
    )


def test_the_corpus_has_files_that_become_jobs() -> None:
    assert len(LARGE) >= 2, [c.name for c in CORPUS]


@pytest.mark.parametrize("case", LARGE, ids=lambda c: c.name)
def test_a_large_hostile_file_imported_by_a_job_is_refused_as_clearly(
    client: TestClient, world: World, session: Session, settings: Settings, tmp_path: Path, case: Hostile
) -> None:
    settings.data_dir = tmp_path
    assert settings.import_job_mb == 1.0  # the default: these files are jobs because of their size
    headers = api_token(client, world.owner)
    response = client.post("/api/v1/imports", files={"file": (case.filename, case.build())}, headers=headers)
    assert response.status_code == 202, response.text[:500]
    job = wait_for(client, response.json()["job_id"], headers)
    assert job["status"] == "succeeded", job["error"]
    result = job["result"]
    assert result["ok"] is False and result["created"]["sites"] == 0
    named = [e for e in result["errors"] if e["field"] == case.field and e["index"] == case.index]
    assert named and case.words in named[0]["message"], result["errors"]
    assert counts(session) == (0, 0, 0)
    assert list((tmp_path / "imports").iterdir()) == []
