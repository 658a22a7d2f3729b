"""Bundling runs and bundles: start a run, follow it, edit and publish the drafts."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, Field

from pvhub.accounts.deps import CurrentUser
from pvhub.accounts.models import User
from pvhub.bundling import bundles
from pvhub.bundling import runs as bundling
from pvhub.bundling.enums import BundleStatus
from pvhub.bundling.models import BundlingRun
from pvhub.bundling.runs import BundlingParameters
from pvhub.core import policy
from pvhub.core.enums import RunStatus
from pvhub.core.errors import NotFound
from pvhub.core.http import SessionDep
from pvhub.economics.schemas import EconomicsPublic
from pvhub.jobs import service as jobs
from pvhub.jobs.deps import StartJob
from pvhub.register.enums import BusinessModel

router = APIRouter(tags=["bundling"], responses={409: {"description": "Not allowed in the bundle's status"}})


class BundlingRunPublic(BaseModel):
    """A run: its parameters, live progress (best cost and bound over time) and, once done, its result."""

    id: int
    status: RunStatus
    parameters: dict[str, Any]
    progress: float = Field(description="Fraction of the time limit used, 0–1")
    message: str
    series: list[dict[str, Any]] = Field(description="Best cost (m), bound (m) and bundled kWp over time (s)")
    result: dict[str, Any] | None
    error: str | None
    job_id: int | None
    created_at: datetime
    finished_at: datetime | None


class BundlePublic(BaseModel):
    id: int
    code: str
    status: BundleStatus
    capacity_kwp: float
    annual_kwh: float
    anchor_site_id: int | None
    site_ids: list[int]
    kinds: dict[str, int] = Field(description="Approved surfaces per kind")
    subdistricts: list[str]
    diameter_m: float = Field(description="Largest distance between two of its sites, m")
    run_id: int | None
    published_at: datetime | None
    warnings: list[str] = Field(description="Limits of its run that hand edits made it break")


class SiteBundleChange(BaseModel):
    bundle_id: int | None = Field(
        description="Draft or locked bundle to move the site into; null takes it out"
    )


def _public(view: bundles.BundleView) -> BundlePublic:
    return BundlePublic(**{**asdict(view), "warnings": [w.text() for w in view.warnings]})


def run_public(session: SessionDep, run: BundlingRun) -> BundlingRunPublic:
    state, job = bundling.run_state(session, run)
    detail = (job.detail or {}) if job is not None else {}
    return BundlingRunPublic(
        id=run.id or 0,
        status=state,
        parameters=run.parameters,
        progress=1.0 if state == RunStatus.succeeded else (job.progress if job else 0.0),
        message=job.message if job else "",
        series=list(detail.get("series", [])),
        result=run.result,
        error=job.error if job is not None and state != RunStatus.succeeded else run.error,
        job_id=run.job_id,
        created_at=run.created_at,
        finished_at=run.finished_at or (job.finished_at if job else None),
    )


def _run(session: SessionDep, user: User, run_id: int) -> BundlingRun:
    policy.require(user, "bundle:run")
    run = session.get(BundlingRun, run_id)
    if run is None:
        raise NotFound("No bundling run with id {run_id}.", run_id=run_id)
    return run


@router.post("/bundling-runs", response_model=BundlingRunPublic, status_code=status.HTTP_202_ACCEPTED)
def start_run(
    body: BundlingParameters,
    user: CurrentUser,
    session: SessionDep,
    start_job: StartJob,
) -> BundlingRunPublic:
    """Queue a bundling run (office). Unlocked drafts are replaced if it succeeds; else nothing changes."""
    run = bundling.submit_run(session=session, actor=user, params=body)
    start_job.start(run.job_id)
    return run_public(session, run)


@router.get("/bundling-runs", response_model=list[BundlingRunPublic])
def list_runs(user: CurrentUser, session: SessionDep) -> list[BundlingRunPublic]:
    """The latest 20 runs, newest first (office)."""
    return [run_public(session, r) for r in bundles.runs(session=session, user=user)]


@router.get("/bundling-runs/{run_id}", response_model=BundlingRunPublic)
def read_run(run_id: int, user: CurrentUser, session: SessionDep) -> BundlingRunPublic:
    """A run's status, live progress, and result or error (office)."""
    return run_public(session, _run(session, user, run_id))


@router.post("/bundling-runs/{run_id}/cancel", response_model=BundlingRunPublic)
def cancel_run(run_id: int, user: CurrentUser, session: SessionDep) -> BundlingRunPublic:
    """Stop a queued or running run; it stores nothing. A finished run is returned unchanged."""
    run = _run(session, user, run_id)
    if run.job_id is not None:
        jobs.cancel(session=session, actor=user, job_id=run.job_id)
    session.flush()
    return run_public(session, run)


@router.get("/bundles", response_model=list[BundlePublic])
def list_bundles(
    user: CurrentUser,
    session: SessionDep,
    status_: Annotated[BundleStatus | None, Query(alias="status")] = None,
) -> list[BundlePublic]:
    """Bundles: all (office) or published ones (suppliers), optionally of one status."""
    return [_public(v) for v in bundles.list_bundles(session=session, user=user, status=status_)]


@router.get("/bundles/{bundle_id}", response_model=BundlePublic)
def read_bundle(bundle_id: int, user: CurrentUser, session: SessionDep) -> BundlePublic:
    return _public(bundles.get_bundle(session=session, user=user, bundle_id=bundle_id))


@router.get(
    "/bundles/{bundle_id}/economics",
    response_model=EconomicsPublic,
    responses={422: {"description": "No approved surface of the bundle has a current estimate"}},
)
def read_bundle_economics(
    bundle_id: int,
    user: CurrentUser,
    session: SessionDep,
    model: Annotated[
        BusinessModel | None,
        Query(description="Business model; default: its lot's, else that of most of its sites' kWp"),
    ] = None,
) -> dict[str, Any]:
    """A bundle's investment, LCOE and each party's yearly cash flows, NPV, IRR and payback, at the
    programme's default terms (office: every bundle; suppliers: published ones)."""
    found = bundles.bundle_economics(session=session, user=user, bundle_id=bundle_id, model=model)
    return found.to_dict()


def _after(session: SessionDep, user: User, bundle_id: int) -> BundlePublic:
    session.flush()
    return read_bundle(bundle_id, user, session)


@router.post("/bundles/{bundle_id}/publish", response_model=BundlePublic)
def publish_bundle(bundle_id: int, user: CurrentUser, session: SessionDep) -> BundlePublic:
    """Make a draft final (office): it can be tendered, and no later run changes it."""
    bundles.publish(session=session, actor=user, bundle_id=bundle_id)
    return _after(session, user, bundle_id)


@router.post("/bundles/{bundle_id}/lock", response_model=BundlePublic)
def lock_bundle(bundle_id: int, user: CurrentUser, session: SessionDep) -> BundlePublic:
    """Lock a draft (office): the next run keeps its sites together in it."""
    bundles.set_locked(session=session, actor=user, bundle_id=bundle_id, locked=True)
    return _after(session, user, bundle_id)


@router.post("/bundles/{bundle_id}/unlock", response_model=BundlePublic)
def unlock_bundle(bundle_id: int, user: CurrentUser, session: SessionDep) -> BundlePublic:
    bundles.set_locked(session=session, actor=user, bundle_id=bundle_id, locked=False)
    return _after(session, user, bundle_id)


@router.put("/sites/{site_id}/bundle", status_code=status.HTTP_204_NO_CONTENT)
def move_site(site_id: int, body: SiteBundleChange, user: CurrentUser, session: SessionDep) -> None:
    """Move a site into another unpublished bundle, or out of bundling (office)."""
    bundles.move_site(session=session, actor=user, site_id=site_id, bundle_id=body.bundle_id)
