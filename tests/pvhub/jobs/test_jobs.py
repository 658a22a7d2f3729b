"""Jobs run outside the request, report progress, store nothing when they fail, and recover after a crash."""

from __future__ import annotations

import time
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from pvhub.accounts.models import Organisation
from pvhub.bundling.models import BundlingRun
from pvhub.core.enums import Role, RunStatus
from pvhub.core.errors import InvalidInput
from pvhub.estimates.models import Estimate
from pvhub.jobs import service as jobs
from pvhub.jobs.models import Job
from pvhub.register.enums import SurfaceKind, SurfaceStatus
from pvhub.register.models import Site, Surface
from tests.conftest import api_token
from tests.web.test_pages import login


@jobs.register("test_writes_then_fails", "estimate:run")
def _writes_then_fails(
    session: Session, parameters: dict[str, Any], progress: jobs.ProgressFn
) -> dict[str, Any]:
    progress(0.5, "half way")
    session.add(Organisation(name="written by a failing job", kind=Role.owner))
    session.flush()
    raise InvalidInput("the job found bad data half way")


def wait_for(client: TestClient, job_id: int, headers: dict[str, str]) -> dict[str, Any]:
    for _ in range(200):
        job = client.get(f"/api/v1/jobs/{job_id}", headers=headers).json()
        if job["status"] in {"succeeded", "failed"}:
            return job
        time.sleep(0.05)
    raise AssertionError("job did not finish in 10 s")


def test_the_office_runs_estimates_as_a_background_job(
    client: TestClient, session: Session, make_user
) -> None:  # type: ignore[no-untyped-def]
    owner = make_user("w@x.cn", Role.owner, "Owner")
    make_user("o@x.cn", Role.office, "Office")
    site = Site(name="Tower", organisation_id=owner.organisation_id, lon=121.48, lat=31.23)
    session.add(site)
    session.flush()
    assert site.id is not None
    session.add(
        Surface(
            site_id=site.id,
            kind=SurfaceKind.roof,
            tilt_deg=10,
            azimuth_deg=180,
            gross_area_m2=300,
            usable_area_m2=200,
            status=SurfaceStatus.approved,
        )
    )
    session.commit()
    owner_headers = api_token(client, "w@x.cn")
    assert client.post("/api/v1/estimates/runs", json={}, headers=owner_headers).status_code == 403
    headers = api_token(client, "o@x.cn")
    started = client.post("/api/v1/estimates/runs", json={}, headers=headers)
    assert started.status_code == 202 and started.json()["status"] == "queued"
    job = wait_for(client, started.json()["id"], headers)
    assert job["status"] == "succeeded" and job["progress"] == 1.0
    assert job["result"]["surfaces"] == 1 and job["result"]["capacity_kwp"] > 30
    assert len(session.exec(select(Estimate)).all()) == 1
    assert client.get(f"/api/v1/jobs/{job['id']}", headers=owner_headers).status_code == 404


def test_a_failing_job_stores_nothing_and_says_why(engine: Engine, session: Session) -> None:
    job = jobs.submit(session=session, actor=None, kind="test_writes_then_fails", parameters={})
    session.commit()
    assert job.id is not None
    jobs.run(engine, job.id)
    session.expire_all()
    stored = session.get(Job, job.id)
    assert stored is not None and stored.status == RunStatus.failed
    assert stored.error == "the job found bad data half way" and stored.progress == 0.5
    # the template and its values, for pages in the reader's language (web.i18n.job_error_text)
    assert stored.result == {
        "failure": {"template": "the job found bad data half way", "params": {"field": None}}
    }
    assert session.exec(select(Organisation)).all() == []


def test_a_job_whose_process_died_is_failed_with_a_reason_on_restart(
    engine: Engine, session: Session
) -> None:
    dead = Job(
        kind="estimate", status=RunStatus.running, worker=f"{jobs.worker_id().rpartition(':')[0]}:999999"
    )
    session.add(dead)
    session.commit()
    assert jobs.recover_interrupted(engine) == 1
    session.expire_all()
    stored = session.get(Job, dead.id)
    assert stored is not None and stored.status == RunStatus.failed
    assert stored.error is not None and "stopped before it finished" in stored.error
    assert jobs.recover_interrupted(engine) == 0


def test_reading_a_job_whose_process_died_shows_it_failed_without_a_restart(
    client: TestClient, session: Session, make_user
) -> None:  # type: ignore[no-untyped-def]
    """The office polls a bundling run whose worker was killed: it sees it failed, with the reason,
    at once — it does not wait for the next start-up to stop seeing "running" or "cancelling"."""
    office = make_user("o@x.cn", Role.office, "Office")
    host = jobs.worker_id().rpartition(":")[0]
    dead = Job(kind="bundling", status=RunStatus.running, worker=f"{host}:999999", created_by_id=office.id)
    dead.cancel_requested, dead.message = True, "cancelling"
    alive = Job(kind="bundling", status=RunStatus.running, worker=jobs.worker_id(), created_by_id=office.id)
    session.add_all([dead, alive])
    session.commit()
    headers = api_token(client, "o@x.cn")
    shown = client.get(f"/api/v1/jobs/{dead.id}", headers=headers).json()
    assert shown["status"] == "failed"
    assert "stopped before it finished" in shown["error"]
    assert client.get(f"/api/v1/jobs/{alive.id}", headers=headers).json()["status"] == "running"
    session.expire_all()
    stored = session.get(Job, dead.id)
    assert stored is not None and stored.status == RunStatus.failed and stored.finished_at is not None
    # the office's bundling page says it in Chinese: the run's job is the dead one
    session.add(BundlingRun(parameters={}, created_by_id=office.id, job_id=dead.id, status=RunStatus.queued))
    session.commit()
    login(client, "o@x.cn")
    page = client.get("/lang/zh_CN?next=/bundles").text
    assert f"运行此任务的进程（{host}:999999）在完成前已停止，其计算结果均未保存。请重新运行。" in page
    assert "stopped before it finished" not in page
