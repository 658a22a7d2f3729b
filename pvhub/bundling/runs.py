"""Bundling runs: the register → an optimiser instance → draft bundles, as a background job.

A run reads the register (approved surfaces with a current estimate, grouped by site), hands the
pure optimiser an instance, and stores the answer in one transaction at the end. So a failed,
infeasible or cancelled run leaves the bundles exactly as they were.

What the instance holds, following DESIGN.md (Conventions, Optimiser results):
- units are sites; a site's kWp is the sum of its approved surfaces' current estimates;
- published bundles are not in the instance at all: their sites are left out and their kWp is
  reported as already bundled;
- a locked draft bundle pins its sites (``locked_bundle`` = the bundle's code) and may take in more;
- the sites of one demonstration point share a ``keep_with`` group, so a point is tendered whole;
- each site carries its ``value`` (issue #20: the investing party's NPV at the hurdle rate under the
  site's own business model, :func:`pvhub.economics.service.site_values`) and, when the office keeps
  bundles to one business model or subdistrict, that as its ``group``; ``min_value_cny`` is the floor.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, Field, model_validator
from sqlmodel import Session, col, select

from gis.distance import project_points
from optimiser.bundling import (
    RECOMMENDED_BUNDLE_COST_M,
    BundlingInstance,
    BundlingProgress,
    BundlingResult,
    solve_bundling,
)
from optimiser.bundling import (
    Site as UnitSite,
)
from optimiser.bundling.instance import MAX_VALUE_CNY
from pvhub.accounts.models import User
from pvhub.bundling.enums import BundleStatus
from pvhub.bundling.models import Bundle, BundleSite, BundlingRun
from pvhub.core import audit, policy
from pvhub.core.enums import RunStatus
from pvhub.core.errors import Conflict, InvalidInput, Phrase
from pvhub.core.ids import ascii_id
from pvhub.economics.service import site_values
from pvhub.estimates.models import Estimate
from pvhub.jobs import service as jobs
from pvhub.jobs.models import Job
from pvhub.jobs.progress import JobCancelled, Progress
from pvhub.programme.models import DemonstrationPointSite
from pvhub.register.enums import SurfaceStatus
from pvhub.register.models import Site, Surface

CODE_PREFIX = "BDL-"
SameGroup = Literal["none", "business_model", "subdistrict"]
SERIES_POINTS = 240  # enough for a smooth live chart; older points are thinned out


class BundlingParameters(BaseModel):
    """What the office asks of a run. Defaults are the packages a district office would publish.

    500–3,000 kWp and ≤ 30 sites within 2 km keep a package within one supplier's yearly reach and
    one site team's travel; the per-bundle cost (metres of travel-equivalent) stops the optimiser
    from splitting the district into many bundles just over the minimum (optimiser/README.md).
    """

    min_capacity_kwp: float = Field(default=500.0, ge=0, le=1_000_000)
    max_capacity_kwp: float = Field(default=3000.0, gt=0, le=1_000_000)
    max_sites: int | None = Field(default=30, ge=1, le=100_000)
    max_distance_m: float | None = Field(default=2000.0, gt=0, le=100_000)
    bundle_count: int | None = Field(default=None, ge=1, le=10_000)
    min_bundles: int | None = Field(default=None, ge=0, le=10_000)
    max_bundles: int | None = Field(default=None, ge=1, le=10_000)
    bundle_cost_m: float = Field(default=RECOMMENDED_BUNDLE_COST_M, ge=0, le=1_000_000)
    require_all: bool = False
    time_limit_s: float = Field(default=30.0, ge=1, le=600)
    seed: int = Field(default=0, ge=0, le=2**31 - 1)
    min_value_cny: float | None = Field(
        default=None,
        ge=-MAX_VALUE_CNY,
        le=MAX_VALUE_CNY,
        description=(
            "Bankability floor: every bundle's sites' values (NPV at the hurdle rate of the investing "
            "party, CNY) must add up to at least this; 0 means IRR ≥ hurdle; null: no floor"
        ),
    )
    same_group: SameGroup = Field(
        default="none", description="Keep every bundle to one business model or one subdistrict"
    )

    @model_validator(mode="after")
    def _consistent(self) -> BundlingParameters:
        if self.min_capacity_kwp > self.max_capacity_kwp:
            raise ValueError("the minimum bundle capacity is above the maximum")
        if (
            self.min_bundles is not None
            and self.max_bundles is not None
            and self.min_bundles > self.max_bundles
        ):
            raise ValueError("the minimum number of bundles is above the maximum")
        return self


@dataclass(frozen=True)
class RegisterSnapshot:
    """The register as the run saw it: units for the optimiser and what was left out, and why."""

    instance: BundlingInstance
    site_kwh: dict[int, float]
    site_value: dict[int, float]
    published_kwp: float
    skipped: list[dict[str, Any]]


def _current_capacity(session: Session) -> tuple[dict[int, float], dict[int, float], dict[int, int]]:
    """Per site: kWp and kWh of approved surfaces with a current estimate; count of those without."""
    rows = session.exec(
        select(Surface.site_id, Estimate.capacity_kwp, Estimate.annual_kwh, Estimate.stale)
        .join(Estimate, col(Estimate.surface_id) == col(Surface.id), isouter=True)
        .where(Surface.status == SurfaceStatus.approved)
    ).all()
    kwp: dict[int, float] = defaultdict(float)
    kwh: dict[int, float] = defaultdict(float)
    missing: dict[int, int] = defaultdict(int)
    for site_id, cap, energy, stale in rows:
        if cap is None or stale:
            missing[site_id] += 1
        else:
            kwp[site_id] += float(cap)
            kwh[site_id] += float(energy)
    return kwp, kwh, missing


def _memberships(session: Session) -> dict[int, Bundle]:
    rows = session.exec(
        select(BundleSite.site_id, Bundle).join(Bundle, col(Bundle.id) == col(BundleSite.bundle_id))
    )
    return {site_id: bundle for site_id, bundle in rows.all()}


def snapshot_register(session: Session, params: BundlingParameters) -> RegisterSnapshot:
    """Build the optimiser's instance from the register (reads only)."""
    kwp, kwh, missing = _current_capacity(session)
    member = _memberships(session)
    points = dict(session.exec(select(DemonstrationPointSite.site_id, DemonstrationPointSite.point_id)).all())
    skipped = [
        {"site_id": sid, "reason": f"{n} approved surface(s) without a current estimate: re-estimate first"}
        for sid, n in sorted(missing.items())
    ]
    ids = sorted(s for s in set(kwp) | set(missing) if s in kwp)
    published_kwp = sum(kwp[s] for s in ids if s in member and member[s].status == BundleStatus.published)
    ids = [s for s in ids if not (s in member and member[s].status == BundleStatus.published)]
    sites = {s.id: s for s in session.exec(select(Site).where(col(Site.id).in_(ids))).all()}
    xy = project_points([(sites[s].lon, sites[s].lat) for s in ids]) if ids else np.zeros((0, 2))
    # every run records each site's value (the bundles page sums them); the floor is the office's choice
    values = site_values(session=session, site_ids=ids) if ids else {}
    units = [
        UnitSite(
            id=str(sid),
            x=float(x),
            y=float(y),
            capacity_kw=round(kwp[sid], 3),
            keep_with=f"point-{points[sid]}" if sid in points else None,
            locked_bundle=member[sid].code
            if sid in member and member[sid].status == BundleStatus.locked
            else None,
            value=round(values.get(sid, 0.0), 2),
            group=_group(sites[sid], params.same_group),
        )
        for sid, (x, y) in zip(ids, xy, strict=True)
    ]
    instance = BundlingInstance(
        sites=tuple(units),
        bundle_count=params.bundle_count,
        min_bundles=params.min_bundles,
        max_bundles=params.max_bundles,
        min_capacity_kw=params.min_capacity_kwp,
        max_capacity_kw=params.max_capacity_kwp,
        max_sites=params.max_sites,
        max_distance_m=params.max_distance_m,
        bundle_cost_m=params.bundle_cost_m,
        require_all=params.require_all,
        min_value=params.min_value_cny,
        same_group_only=params.same_group != "none",
    )
    kept = {s: round(values.get(s, 0.0), 2) for s in ids}
    return RegisterSnapshot(instance, {s: kwh[s] for s in ids}, kept, published_kwp, skipped)


def _group(site: Site, same_group: SameGroup) -> str | None:
    """The site's label when bundles are kept to one group (a site without a subdistrict: null, which
    the optimiser bundles only with other null-group sites)."""
    if same_group == "business_model":
        return str(site.business_model.value)
    if same_group == "subdistrict":
        return site.subdistrict.strip() or None
    return None


def submit_run(*, session: Session, actor: User, params: BundlingParameters) -> BundlingRun:
    """Queue a bundling run (the caller commits, then starts the job)."""
    policy.require(actor, "bundle:run")
    # One run at a time: two runs storing at once would each replace the other's drafts.
    active = session.exec(
        select(Job.id).where(
            Job.kind == "bundling", col(Job.status).in_([RunStatus.queued, RunStatus.running])
        )
    ).first()
    if active is not None:
        raise Conflict("A bundling run is already under way; wait for it to finish or cancel it.")
    job = jobs.submit(session=session, actor=actor, kind="bundling", parameters=params.model_dump())
    run = BundlingRun(parameters=params.model_dump(), job_id=job.id, created_by_id=actor.id)
    session.add(run)
    session.flush()
    job.parameters = {**params.model_dump(), "run_id": run.id}
    audit.record(
        session,
        actor=actor,
        entity="bundling_run",
        entity_id=run.id,
        action="submit",
        after=params.model_dump(),
    )
    return run


class _LiveSeries:
    """Best cost and bound over time, for the page's live chart (stored on the job as detail)."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.points: list[dict[str, float | None]] = []

    def __call__(self, p: BundlingProgress) -> None:
        self.points.append(
            {
                "t": round(p.elapsed_s, 2),
                "cost_m": p.best_cost_m,
                "bound_m": p.bound_m,
                "bundled_kw": p.bundled_kw,
            }
        )
        if len(self.points) > SERIES_POINTS:
            self.points = self.points[::2]
        message = f"{p.phase}: best {p.best_cost_m:,.0f} m" if p.best_cost_m is not None else p.phase
        self.progress(min(p.fraction, 0.99), message, {"phase": p.phase, "series": self.points})


def bundling_job(session: Session, parameters: dict[str, Any], progress: Progress) -> dict[str, Any]:
    """Job: snapshot the register, solve, then replace the unlocked draft bundles in one go."""
    run_id = int(parameters["run_id"])
    params = BundlingParameters.model_validate({k: v for k, v in parameters.items() if k != "run_id"})
    snap = snapshot_register(session, params)
    if not snap.instance.sites:
        raise InvalidInput("No site is ready to bundle: approve and estimate surfaces first.")
    progress(0.01, Phrase("solving {count} sites", count=len(snap.instance.sites)))
    result = solve_bundling(
        snap.instance,
        time_limit_s=params.time_limit_s,
        seed=params.seed,
        on_progress=_LiveSeries(progress),
        should_stop=progress.cancelled,
    )
    if progress.cancelled():
        raise JobCancelled()
    _require_solution(result)
    return store_result(session, run_id=run_id, snap=snap, result=result)


def _require_solution(result: BundlingResult) -> None:
    """Fail the run when the optimiser has no bundles to store; the optimiser's reason goes with it."""
    if result.status == "infeasible":
        raise InvalidInput(
            "The optimiser proved that no bundling meets these limits: {reason}", reason=result.message
        )
    if result.status not in ("optimal", "feasible"):
        raise InvalidInput("The optimiser found no bundling: {reason}", reason=result.message)


def _next_code(session: Session) -> int:
    codes = session.exec(select(Bundle.code).where(col(Bundle.code).startswith(CODE_PREFIX))).all()
    numbers = [ascii_id(c[len(CODE_PREFIX) :]) for c in codes]  # BDL-007; no other form is counted
    return max((n for n in numbers if n is not None), default=0) + 1


def store_result(
    session: Session, *, run_id: int, snap: RegisterSnapshot, result: BundlingResult
) -> dict[str, Any]:
    """Replace the unlocked drafts by the result's bundles; refill locked bundles (one transaction)."""
    member = _memberships(session)
    moved = [
        s.id
        for s in snap.instance.sites
        if int(s.id) in member and member[int(s.id)].status == BundleStatus.published
    ]
    if moved:
        raise Conflict(
            "Sites {site_ids} were published in a bundle while the run was solving; run again.",
            site_ids=moved[:5],
        )
    existing = session.exec(
        select(Bundle).where(col(Bundle.status).in_([BundleStatus.draft, BundleStatus.locked]))
    ).all()
    locked = {b.code: b for b in existing if b.status == BundleStatus.locked}
    drafts = [b for b in existing if b.status == BundleStatus.draft]
    touched = [b.id for b in existing]
    for row in session.exec(select(BundleSite).where(col(BundleSite.bundle_id).in_(touched))).all():
        session.delete(row)
    session.flush()
    for bundle in drafts:
        session.delete(bundle)
    session.flush()
    number = _next_code(session)
    created: list[str] = []
    for found in result.bundles:
        pinned = locked.get(found.id)
        bundle = pinned if pinned is not None else Bundle(code=f"{CODE_PREFIX}{number:04d}", run_id=run_id)
        if pinned is None:
            number += 1
            session.add(bundle)
        bundle.anchor_site_id = int(found.anchor)
        bundle.capacity_kwp = round(
            sum(s.capacity_kw for s in snap.instance.sites if s.id in set(found.sites)), 3
        )
        bundle.annual_kwh = round(sum(snap.site_kwh[int(s)] for s in found.sites), 1)
        session.flush()
        assert bundle.id is not None
        for site in found.sites:
            session.add(BundleSite(bundle_id=bundle.id, site_id=int(site)))
        created.append(bundle.code)
    run = session.get(BundlingRun, run_id)
    assert run is not None
    summary = {
        **result.to_dict(),
        "bundle_codes": created,
        "published_kwp": round(snap.published_kwp, 3),
        "skipped": snap.skipped,
    }
    run.status, run.result, run.finished_at = RunStatus.succeeded, summary, datetime.now(UTC)
    audit.record(
        session,
        actor=None,
        entity="bundling_run",
        entity_id=run_id,
        action="store",
        after={"status": result.status, "bundles": created, "cost_m": result.cost_m},
    )
    return {
        "run_id": run_id,
        "status": result.status,
        "bundles": len(created),
        "bundled_kw": result.bundled_kw,
        "gap": result.gap,
    }


def run_now(*, session: Session, actor: User, params: BundlingParameters) -> BundlingRun:
    """Run bundling in this process and transaction (the demo and the command line)."""
    policy.require(actor, "bundle:run")
    run = BundlingRun(parameters=params.model_dump(), created_by_id=actor.id, status=RunStatus.running)
    session.add(run)
    session.flush()
    assert run.id is not None
    snap = snapshot_register(session, params)
    started = time.perf_counter()
    result = solve_bundling(snap.instance, time_limit_s=params.time_limit_s, seed=params.seed)
    _require_solution(result)
    store_result(session, run_id=run.id, snap=snap, result=result)
    run.result = {**(run.result or {}), "wall_s": round(time.perf_counter() - started, 2)}
    return run


def run_state(session: Session, run: BundlingRun) -> tuple[RunStatus, Job | None]:
    """The run's status, taking a failed or cancelled job into account (the run row is only
    written when the result is stored)."""
    job = session.get(Job, run.job_id) if run.job_id is not None else None
    if run.status == RunStatus.succeeded or job is None:
        return run.status, job
    return job.status, job
