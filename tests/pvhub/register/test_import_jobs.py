"""A large import as a background job: refused before anything is stored, the upload kept only while its
job needs it, the report kept as JSON that pages can still say in the reader's language."""

from __future__ import annotations

import json
import os
import time
from enum import Enum
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from pvhub.accounts.models import User
from pvhub.core.audit_events import AuditEvent
from pvhub.core.enums import Role, RunStatus
from pvhub.core.errors import ENGLISH, FieldName, InvalidInput, NotFound, PermissionDenied, Phrase
from pvhub.jobs import service as jobs
from pvhub.jobs.models import Job
from pvhub.programme.models import Programme
from pvhub.register.enums import SurfaceKind
from pvhub.register.imports import jobs as import_jobs
from pvhub.register.imports import service as imports
from pvhub.register.imports.rows import DEGREES, Foreign, Problem, Skip
from pvhub.register.models import Site, Surface

HEADER = "site_name,address,lon,lat,kind,tilt_deg,azimuth_deg,gross_area_m2,usable_area_m2"
GOOD = (
    HEADER + "\n"
    "外滩大楼,中山东一路1号,121.4903,31.2400,roof,0,,1200,900\n"
    "外滩大楼,中山东一路1号,121.4903,31.2400,curtain_wall,90,180,400,\n"
    "Xintiandi Mall,Madang Rd 8,121.4750,31.2190,roof,5,180,150,120\n"
).encode()
BAD = (
    (
        HEADER + "\n"
        "外滩大楼,中山东一路1号,121.4903,31.2400,roof,0,,一千,\n"  # line 2: not a number
        "外滩大楼,中山东一路1号,121.4903,31.2400,roof,95,180,1200,\n"  # line 3: tilt out of range
        "和平饭店,南京东路20号,121.486,31.236,roof,0,,0.5,\n"  # line 4: skipped, below 1 m²
    ).encode()
)


@pytest.fixture
def owner(make_user: Any) -> User:
    return make_user("owner@example.com", Role.owner, "Bund Properties")


def submit(session: Session, actor: User, content: bytes, data_dir: Path, **options: Any) -> Job:
    options.setdefault("organisation_id", actor.organisation_id)
    job = import_jobs.submit_import(
        session=session, actor=actor, filename="survey.csv", content=content, data_dir=data_dir, **options
    )
    session.commit()
    return job


def finished(session: Session, engine: Engine, job: Job) -> Job:
    """Run the job to its end in this thread, as a job thread would, and read it back."""
    assert job.id is not None
    jobs.run(engine, job.id)
    session.rollback()  # end this session's snapshot: the job wrote on its own connection
    found = session.get(Job, job.id, populate_existing=True)
    assert found is not None
    return found


def count(session: Session, model: type) -> int:
    session.rollback()
    return int(session.exec(select(func.count()).select_from(model)).one())


def uploads(data_dir: Path) -> list[Path]:
    folder = data_dir / "imports"
    return sorted(folder.iterdir()) if folder.exists() else []


def test_a_submitted_import_stores_the_file_until_its_job_has_imported_it(
    session: Session, engine: Engine, owner: User, tmp_path: Path
) -> None:
    job = submit(session, owner, GOOD, tmp_path, datum="gcj02", min_area_m2=2.0)
    (stored,) = uploads(tmp_path)
    assert stored.read_bytes() == GOOD and stored.stat().st_mode & 0o777 == 0o600
    assert stored.name not in {"survey.csv"} and stored.suffix == ".upload"
    assert job.status == RunStatus.queued and job.created_by_id == owner.id
    params = job.parameters
    assert {k: params[k] for k in ("actor_id", "organisation_id", "filename", "size", "datum")} == {
        "actor_id": owner.id,
        "organisation_id": owner.organisation_id,
        "filename": "survey.csv",
        "size": len(GOOD),
        "datum": "gcj02",
    }
    assert params["min_area_m2"] == 2.0 and params["skip_north_walls"] is False and params["crs"] is None
    assert len(params["sha256"]) == 64
    assert "_upload" not in jobs.public(job).parameters  # where the server keeps it is its own business

    done = finished(session, engine, job)
    assert done.status == RunStatus.succeeded, done.error
    result = done.result or {}
    assert result["ok"] is True and result["format"] == "csv" and result["filename"] == "survey.csv"
    assert result["created"] == {
        "sites": 2,
        "surfaces": {"roof": 2, "curtain_wall": 1, "corridor": 0, "walkway": 0},
    }
    assert count(session, Site) == 2 and count(session, Surface) == 3
    assert uploads(tmp_path) == []
    imported = session.exec(select(AuditEvent).where(AuditEvent.entity == "import")).one()
    assert imported.actor_id == owner.id  # on behalf of the owner, not "system"


def test_a_file_with_errors_writes_nothing_and_its_result_lists_every_problem(
    session: Session, engine: Engine, owner: User, tmp_path: Path
) -> None:
    done = finished(session, engine, submit(session, owner, BAD, tmp_path))
    assert done.status == RunStatus.succeeded  # the job ran to its end; the import said no
    result = done.result or {}
    assert result["ok"] is False and result["created"]["sites"] == 0
    assert result["errors_total"] == 2 and result["skipped_total"] == 2  # the face, then its site
    assert [(e["index"], e["field"]) for e in result["errors"]] == [(2, "gross_area_m2"), (3, "tilt_deg")]
    tilt = result["errors"][1]
    assert tilt["message"] == "tilt_deg must be between 0 and 90 degrees, got 95"
    assert tilt["template"] == "{name} must be between {low:g} and {high:g} {unit}, got {number:g}"
    assert tilt["params"] == {
        "name": {"field": "tilt_deg"},
        "low": 0,
        "high": 90,
        "number": 95.0,
        "unit": {"template": "degrees", "params": {}},
    }
    assert [s["index"] for s in result["skipped"]] == [4, 4] and "below" in result["skipped"][0]["reason"]
    assert count(session, Site) == 0 and count(session, Surface) == 0
    assert uploads(tmp_path) == []


class Marked:
    """A wording that shows what it translated: the template, enum words and field labels marked."""

    def gettext(self, message: str) -> str:
        return f"«{message}»"

    def term(self, value: Enum) -> str:
        return f"term:{value.value}"

    def field(self, name: str) -> str:
        return f"label:{name}"


def foreign(sentence: str) -> str:
    return f"foreign:{sentence}"


def test_problems_and_skips_come_back_from_json_as_they_were_made() -> None:
    """Field names, library sentences, phrases within phrases and lists of fields survive the round trip."""
    made = [
        Problem(
            3,
            "tilt_deg",
            "{name} must be at most {high:g} {unit}, got {number:g}",
            name=FieldName("tilt_deg"),
            high=90,
            unit=DEGREES,
            number=95.5,
        ),
        Problem(
            1, "file", "the file lacks the columns {columns}", columns=[FieldName("lon"), FieldName("lat")]
        ),
        Problem(7, "geometry", "outside_boundary: {detail}", detail=Foreign("the polygon lies outside")),
        Problem.said(None, "row", "pydantic's own sentence"),
        Problem(2, "name", "{name} is {length} characters long", name=FieldName("site_name"), length=300),
    ]
    skipped = [Skip("b-1", "{count} faces: {reason}", count=2, reason=Foreign("north-facing wall"))]
    report = imports.ImportReport(ok=False, dry_run=False, format="csv", errors=made, skipped=skipped)
    stored = json.loads(json.dumps(import_jobs.result_of(report, filename="f.csv")))
    problems, skips = import_jobs.report_entries(stored)
    assert problems == made and skips == skipped  # same places and English text
    for back, original in zip([*problems, *skips], [*made, *skipped], strict=True):
        assert back.localized(Marked(), foreign) == original.localized(Marked(), foreign)
        assert back.localized(ENGLISH) == original.localized(ENGLISH)
    assert problems[2].localized(Marked(), foreign) == "«outside_boundary: {detail}»".replace(
        "{detail}", "foreign:the polygon lies outside"
    )
    assert [p.field for p in problems] == ["tilt_deg", "file", "geometry", "row", "name"]


def test_a_value_json_cannot_keep_leaves_the_english_text() -> None:
    problem = Problem(5, "kind", "a {kind} cannot go here", kind=SurfaceKind.roof)
    report = imports.ImportReport(ok=False, dry_run=False, errors=[problem])
    (entry,) = import_jobs.result_of(report, filename="f.csv")["errors"]
    assert entry == {
        "index": 5,
        "field": "kind",
        "message": "a roof cannot go here",
        "template": None,
        "params": None,
    }
    (back,), _ = import_jobs.report_entries({"errors": [entry]})
    # the English text, given to the page's recogniser of sentences not ours
    # (web.import_report.gis_text)
    assert back.localized(Marked(), foreign) == "foreign:a roof cannot go here"
    assert problem.localized(Marked(), foreign) == "«a {kind} cannot go here»".replace("{kind}", "term:roof")


def test_refusals_come_before_anything_is_stored(
    session: Session, owner: User, make_user: Any, tmp_path: Path
) -> None:
    supplier = make_user("s@example.com", Role.supplier, "EPC")
    other = make_user("b@example.com", Role.owner, "Other owner")
    with pytest.raises(PermissionDenied):
        submit(session, supplier, GOOD, tmp_path, organisation_id=owner.organisation_id)
    with pytest.raises(NotFound, match="No organisation"):
        submit(session, owner, GOOD, tmp_path, organisation_id=other.organisation_id)
    with pytest.raises(InvalidInput, match="unknown datum"):
        submit(session, owner, GOOD, tmp_path, datum="itrf")
    with pytest.raises(InvalidInput, match="min_area_m2"):
        submit(session, owner, GOOD, tmp_path, min_area_m2=-1)
    session.rollback()
    assert uploads(tmp_path) == [] and count(session, Job) == 0


def test_the_office_imports_for_an_owner(
    session: Session, engine: Engine, owner: User, make_user: Any, tmp_path: Path
) -> None:
    office = make_user("o@example.com", Role.office, "Programme office")
    session.add(Programme(boundary=None))
    session.commit()
    done = finished(
        session, engine, submit(session, office, GOOD, tmp_path, organisation_id=owner.organisation_id)
    )
    assert done.status == RunStatus.succeeded and (done.result or {})["ok"] is True
    assert {s.organisation_id for s in session.exec(select(Site)).all()} == {owner.organisation_id}


def test_a_job_whose_upload_is_gone_or_changed_fails_saying_so(
    session: Session, engine: Engine, owner: User, tmp_path: Path
) -> None:
    gone = submit(session, owner, GOOD, tmp_path)
    uploads(tmp_path)[0].unlink()
    failed = finished(session, engine, gone)
    assert failed.status == RunStatus.failed
    assert failed.error == (
        "The uploaded file 'survey.csv' is no longer on the server; nothing was imported. Upload it again."
    )
    assert (failed.result or {})["failure"]["params"] == {"field": None, "filename": "survey.csv"}

    changed = submit(session, owner, GOOD, tmp_path)
    (stored,) = uploads(tmp_path)
    stored.write_bytes(GOOD.replace(b"1200", b"9999"))
    failed = finished(session, engine, changed)
    assert failed.status == RunStatus.failed and "changed on the server" in (failed.error or "")
    assert uploads(tmp_path) == [] and count(session, Site) == 0


def test_an_account_deactivated_before_its_import_ran_imports_nothing(
    session: Session, engine: Engine, owner: User, tmp_path: Path
) -> None:
    job = submit(session, owner, GOOD, tmp_path)
    owner.active = False
    session.add(owner)
    session.commit()
    failed = finished(session, engine, job)
    assert failed.status == RunStatus.failed and "no longer active" in (failed.error or "")
    assert count(session, Site) == 0 and uploads(tmp_path) == []


def test_a_cancelled_import_leaves_its_upload_to_the_next_submission(
    session: Session, engine: Engine, owner: User, make_user: Any, tmp_path: Path
) -> None:
    """A job cancelled while queued never runs, so its file stays until a later submission (or the
    next start) finds that no active job names it and that it is old enough."""
    cancelled = submit(session, owner, GOOD, tmp_path)
    assert cancelled.id is not None
    jobs.cancel(session=session, actor=owner, job_id=cancelled.id)
    session.commit()
    (orphan,) = uploads(tmp_path)
    queued = submit(session, owner, GOOD, tmp_path)  # a young orphan is left alone
    assert orphan in uploads(tmp_path) and len(uploads(tmp_path)) == 2

    hour_ago = time.time() - 3600
    for path in uploads(tmp_path):
        os.utime(path, (hour_ago, hour_ago))
    assert import_jobs.remove_orphaned_uploads(session, tmp_path) == 1
    (kept,) = uploads(tmp_path)  # the queued job's file stays, however old
    assert kept.name == Path(queued.parameters["_upload"]).name
    assert import_jobs.remove_orphaned_uploads_on_start(engine, tmp_path) == 0


def test_when_an_import_runs_as_a_job() -> None:
    big, small = 2_000_000, 10
    assert import_jobs.runs_as_job(size=big, dry_run=False, background=None, threshold_mb=1.0)
    assert not import_jobs.runs_as_job(size=small, dry_run=False, background=None, threshold_mb=1.0)
    assert import_jobs.runs_as_job(size=small, dry_run=False, background=True, threshold_mb=1.0)
    assert not import_jobs.runs_as_job(size=big, dry_run=False, background=False, threshold_mb=1.0)
    assert not import_jobs.runs_as_job(size=big, dry_run=True, background=True, threshold_mb=1.0)


def test_a_cancel_request_stops_the_import_before_it_writes(
    session: Session, engine: Engine, owner: User, tmp_path: Path
) -> None:
    job = submit(session, owner, GOOD, tmp_path)
    assert job.id is not None
    job.cancel_requested = True  # as if asked between the start and the first step
    session.add(job)
    session.commit()
    done = finished(session, engine, job)
    assert done.status == RunStatus.cancelled and count(session, Site) == 0 and uploads(tmp_path) == []


def test_the_import_step_is_a_phrase_the_job_page_can_translate(
    session: Session, engine: Engine, owner: User, tmp_path: Path
) -> None:
    steps: list[Phrase | str] = []
    imports.import_file(
        session=session,
        actor=owner,
        organisation_id=owner.organisation_id or 0,
        filename="survey.csv",
        content=GOOD,
        dry_run=False,
        progress=lambda _fraction, message: steps.append(message),
    )
    session.rollback()
    (step,) = steps
    assert isinstance(step, Phrase) and str(step) == "storing 2 sites and 3 surfaces"
