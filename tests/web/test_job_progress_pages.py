"""A running or failed job says what it is doing, or why it failed, in the reader's language.

The job row keeps English (the API, logs); the pages render the template and values the job kept.
"""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from optimiser.bundling.progress import PHASES, BundlingProgress
from pvhub.bundling import runs as bundling
from pvhub.bundling.models import BundlingRun
from pvhub.core.enums import Role, RunStatus
from pvhub.core.errors import NotFound, Phrase
from pvhub.jobs import service as jobs
from pvhub.jobs.models import Job
from tests.conftest import api_token
from tests.web.test_pages import login
from web.i18n import translations_for

EN = {"Accept-Language": "en"}
ZH = {"Accept-Language": "zh-CN"}


def _running_job(session: Session, kind: str) -> Job:
    job = Job(kind=kind, status=RunStatus.running, worker=jobs.worker_id())
    session.add(job)
    session.commit()
    assert job.id is not None
    return job


def test_a_running_estimate_job_says_its_step_in_the_readers_language(
    client: TestClient, engine: Engine, session: Session, make_user
) -> None:  # type: ignore[no-untyped-def]
    make_user("office@x.cn", Role.office)
    job = _running_job(session, "estimate")
    assert job.id is not None
    jobs.JobProgress(engine, job.id)(0.1, Phrase("estimating {count} surfaces", count=12))
    login(client, "office@x.cn")

    zh = client.get(f"/jobs/{job.id}", headers=ZH).text
    assert "正在估算 12 个表面" in zh and "estimating" not in zh
    assert "estimating 12 surfaces" in client.get(f"/jobs/{job.id}", headers=EN).text
    api = client.get(f"/api/v1/jobs/{job.id}", headers=api_token(client, "office@x.cn"))
    assert api.json()["message"] == "estimating 12 surfaces"  # the API stays English


def test_a_plain_progress_message_is_shown_as_it_was_given(
    client: TestClient, engine: Engine, session: Session, make_user
) -> None:  # type: ignore[no-untyped-def]
    make_user("office@x.cn", Role.office)
    job = _running_job(session, "estimate")
    assert job.id is not None
    jobs.JobProgress(engine, job.id)(0.5, "half way")
    login(client, "office@x.cn")
    assert "half way" in client.get(f"/jobs/{job.id}", headers=ZH).text


def test_a_failed_job_page_gives_the_reason_in_the_readers_language(
    client: TestClient, session: Session, make_user
) -> None:  # type: ignore[no-untyped-def]
    make_user("office@x.cn", Role.office)
    error = NotFound("No award run with id {run_id}.", run_id=77)
    job = Job(kind="estimate", status=RunStatus.failed, error=error.message, result=jobs.failure_parts(error))
    session.add(job)
    session.commit()
    login(client, "office@x.cn")

    zh = client.get(f"/jobs/{job.id}", headers=ZH).text
    assert translations_for("zh_CN").gettext("No award run with id {run_id}.").format(run_id=77) in zh
    assert "No award run" not in zh
    assert "No award run with id 77." in client.get(f"/jobs/{job.id}", headers=EN).text


def test_the_bundling_panel_names_the_optimisers_phase(
    client: TestClient, engine: Engine, session: Session, make_user
) -> None:  # type: ignore[no-untyped-def]
    make_user("office@x.cn", Role.office)
    job = _running_job(session, "bundling")
    session.add(BundlingRun(status=RunStatus.running, job_id=job.id))
    session.commit()
    assert job.id is not None
    live = bundling._LiveSeries(jobs.JobProgress(engine, job.id))
    live(BundlingProgress("eliminate", 3.0, 0.05, 455_432.0, None, 207_000.0))
    login(client, "office@x.cn")

    zh = client.get("/bundles", headers=ZH).text
    assert "优化阶段：" in zh and "合并未装满的打包" in zh
    en = client.get("/bundles", headers=EN).text
    assert "Optimiser phase:" in en and "merging under-filled bundles" in en


def test_every_optimiser_phase_has_a_name_in_both_languages() -> None:
    for language in ("zh_CN", "en"):
        names = {phase: translations_for(language).gettext(f"phase.{phase}") for phase in PHASES}
        assert all(name != f"phase.{phase}" for phase, name in names.items()), (language, names)
