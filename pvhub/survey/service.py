"""Running the survey (排摸) over the building stock: candidates estimated and stored, confirmed ones kept.

A run reads the stock's buildings inside the district, derives and estimates their candidate
surfaces (:func:`pvhub.survey.screen.survey`, database-free) on the programme's weather year and
assumptions, then stores them in one go: candidates not yet confirmed are updated, created or
deleted by ``(building_id, key)``; confirmed ones (now an owner's draft surface) are left as they
are. Everything is computed before the first write, as the estimate job does, so the job's progress
(committed on its own connection) never waits behind this transaction, and a failure stores nothing.

Neighbours (``inside_district`` False) are not surveyed: they yield no candidates, but they shade
(issue #19). Each stock import is screened in its own metric frame against one scene of every stored
building near it, of any import and inside the district or not, moved into that frame
(:func:`pvhub.survey.rows.stock_from_rows`), so a tower from another file or across the district's
border shades a candidate as a building of its own file does; the candidates' ``shading_loss`` and
``sky_view_factor`` are stored with them.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, insert, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from gis.shading import DEFAULT_RADIUS_M, Scene
from pvhub.accounts.models import User
from pvhub.core import audit, policy
from pvhub.core.db import transaction
from pvhub.core.enums import RunStatus
from pvhub.core.errors import Conflict, Phrase
from pvhub.estimates.config import current_config
from pvhub.jobs import service as jobs
from pvhub.jobs.models import Job
from pvhub.jobs.progress import ProgressFn
from pvhub.survey import screen
from pvhub.survey.enums import CandidateStatus, OfferStatus
from pvhub.survey.models import Building, BuildingOffer, SurveyCandidate, SurveyRun
from pvhub.survey.rows import stock_from_rows
from pvhub.survey.rules import SurveyRules, current_rules
from pvhub.yieldengine import WeatherYear

KIND = "survey"
PERMISSION = "survey:run"

#: Candidate kinds counted as facades in the totals ("Y on roofs, Z on facades").
FACADE_KINDS = frozenset({"curtain_wall"})


def _no_progress(_fraction: float, _message: str | Phrase) -> None:
    return None


def request_survey(*, session: Session, actor: User) -> Job:
    """Queue a survey run (office); the caller commits and starts it.

    Refused while another survey is queued or running (two runs would race on the same candidates),
    and when there is no building inside the district to survey.
    """
    policy.require(actor, PERMISSION)
    busy = session.exec(
        select(Job.id).where(Job.kind == KIND, col(Job.status).in_([RunStatus.queued, RunStatus.running]))
    ).first()
    if busy is not None:
        raise Conflict("A survey is already running (job {job_id}); follow it instead.", job_id=busy)
    inside = session.exec(
        select(func.count()).select_from(Building).where(col(Building.inside_district))
    ).one()
    if not inside:
        raise Conflict("There is no building inside the district to survey: import the building stock first.")
    return jobs.submit(session=session, actor=actor, kind=KIND, parameters={})


#: The ``worker`` of a survey queued for the next app process to start (``pvhub demo`` queues one, so
#: ``make run`` starts at once and the survey runs after start-up). No process has this id, and
#: :func:`pvhub.jobs.service.recover_interrupted` takes a worker it cannot place on this host for a
#: live one elsewhere, so the job waits for :func:`start_queued_on_start`.
ON_START = "on-start"


def queue_for_start(*, session: Session) -> Job:
    """Queue a survey (as the system) that the next app process to start runs (the demo's)."""
    # a Job row of its own rather than jobs.submit: the command line that loads the demo runs no jobs
    # and has no job kinds installed (pvhub.job_kinds), and the system needs no permission
    job = Job(
        kind=KIND, parameters={}, created_by_id=None, message="queued until the app starts", worker=ON_START
    )
    session.add(job)
    session.flush()
    audit.record(session, actor=None, entity="job", entity_id=job.id, action="submit", after={"kind": KIND})
    return job


def start_queued_on_start(engine: Engine) -> list[int]:
    """Take the surveys queued for start-up and run them in this process (app start-up); their ids."""
    with transaction(engine) as session:
        waiting = session.exec(
            select(Job).where(Job.kind == KIND, Job.status == RunStatus.queued, Job.worker == ON_START)
        ).all()
        for job in waiting:
            job.worker = jobs.worker_id()
            session.add(job)
        ids = [job.id for job in waiting if job.id is not None]
    for job_id in ids:
        jobs.start(engine, job_id)
    return ids


def survey_job(session: Session, parameters: dict[str, Any], progress: ProgressFn) -> dict[str, Any]:
    """The job function of :data:`KIND`: run the survey and summarise it."""
    del parameters  # a survey takes everything from the stock and the programme's configuration
    running = session.exec(
        select(Job).where(Job.kind == KIND, Job.status == RunStatus.running).order_by(col(Job.id).desc())
    ).first()
    run = run_survey(
        session=session,
        progress=progress,
        job_id=running.id if running else None,
        started_by_id=running.created_by_id if running else None,
    )
    return {"survey_run_id": run.id, "buildings": run.buildings, "candidates": run.candidates, **run.totals}


@dataclass
class _Screened:
    """What the screening of the stock gave, before anything is written."""

    rows: dict[tuple[int, str], dict[str, Any]] = field(default_factory=dict)
    skipped: dict[int, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    warnings: list[str] = field(default_factory=list)
    provenance: dict[str, Any] = field(default_factory=dict)


def run_survey(
    *,
    session: Session,
    progress: ProgressFn = _no_progress,
    weather: WeatherYear | None = None,
    rules: SurveyRules | None = None,
    job_id: int | None = None,
    started_by_id: int | None = None,
    building_ids: Sequence[int] | None = None,
) -> SurveyRun:
    """Survey the buildings inside the district and store the result (the caller's transaction).

    ``rules``: the rules in force (:func:`pvhub.survey.rules.current_rules`) unless given; the run
    records the ones it used. ``building_ids`` surveys only those buildings (and touches no other
    building's candidates): the demo surveys the one building it offers at once and leaves the
    district to the job.
    """
    rules = current_rules(session) if rules is None else rules
    progress(0.02, Phrase("reading the building stock"))
    query = select(Building).where(col(Building.inside_district))
    if building_ids is not None:
        query = query.where(col(Building.id).in_(list(building_ids)))
    buildings = list(session.exec(query).all())
    config = current_config(session=session).with_overrides(weather=weather)
    progress(0.05, Phrase("reading the weather year"))
    year = config.weather()
    screened = _screen_all(session, buildings, year, config.assumptions, rules, progress)
    progress(0.9, Phrase("storing {count} candidates", count=len(screened.rows)))
    run = SurveyRun(
        job_id=job_id,
        started_by_id=started_by_id,
        weather_sha256=year.sha256,
        rules=rules.as_dict(),
        provenance={**screened.provenance, "warnings": screened.warnings},
        buildings=len(buildings),
    )
    session.add(run)
    session.flush()
    assert run.id is not None
    _store_candidates(session, screened, run.id, None if building_ids is None else {b.id for b in buildings})
    for building in buildings:
        building.survey_skipped = screened.skipped.get(building.id or 0, [])
        session.add(building)
    run.candidates, run.totals = _totals(session)
    run.finished_at = datetime.now(UTC)
    session.add(run)
    session.flush()
    audit.record(
        session,
        actor=None,
        entity="survey_run",
        entity_id=run.id,
        action="run",
        after={"buildings": run.buildings, "candidates": run.candidates, "weather": run.weather_sha256},
    )
    return run


#: Buildings whose footprint centroid lies within the rays' reach plus this margin (m) of a surveyed
#: building's are put in its scene: a large building's faces reach about this far from its centroid.
SCENE_MARGIN_M = 300.0
#: Metres per degree of latitude (WGS84 mean; 1° is 111.3 km at 31° N to 0.1 %).
_M_PER_DEG = 111_320.0


def _shade_casters(session: Session, group: Sequence[Building], radius_m: float) -> list[Building]:
    """Every stored building (any import, inside the district or not) whose centroid lies in the
    group's bounding box widened by the rays' reach and :data:`SCENE_MARGIN_M`."""
    reach = radius_m + SCENE_MARGIN_M
    lat_lo, lat_hi = min(b.lat for b in group), max(b.lat for b in group)
    cos_lat = max(math.cos(math.radians(max(abs(lat_lo), abs(lat_hi)))), 0.01)
    dlat, dlon = reach / _M_PER_DEG, reach / (_M_PER_DEG * cos_lat)
    b = Building
    query = select(b).where(
        col(b.lon).between(min(x.lon for x in group) - dlon, max(x.lon for x in group) + dlon),
        col(b.lat).between(lat_lo - dlat, lat_hi + dlat),
    )
    return list(session.exec(query).all())


def _screen_all(
    session: Session,
    buildings: Sequence[Building],
    year: WeatherYear,
    assumptions: Any,
    rules: SurveyRules,
    progress: ProgressFn,
) -> _Screened:
    """Screen the buildings, one stock import (one metric frame, unique source ids) at a time, each
    against the scene of every stored building near it (see the module docstring)."""
    groups: dict[int, list[Building]] = defaultdict(list)
    for building in buildings:
        groups[building.stock_import_id].append(building)
    out = _Screened()
    done = 0
    for group in groups.values():
        by_source = {b.source_id: b for b in group}
        stock = stock_from_rows(group)
        casters = stock_from_rows(_shade_casters(session, group, DEFAULT_RADIUS_M), epsg=stock.frame.epsg)
        scene = Scene.from_stock(casters)
        del casters
        share = len(group) / max(len(buildings), 1)
        start = 0.1 + 0.8 * done / max(len(buildings), 1)

        def report(
            fraction: float, message: str | Phrase, _start: float = start, _share: float = share
        ) -> None:
            progress(_start + 0.8 * _share * max(0.0, min(1.0, fraction)), message)

        result = screen.survey(
            stock,
            weather=year,
            assumptions=assumptions,
            rules=rules.candidate_rules(),
            min_kwh_per_kwp=rules.min_kwh_per_kwp,
            boundary=None,
            progress=report,
            shading=True,
            radius_m=DEFAULT_RADIUS_M,
            scene=scene,
        )
        for item in result.candidates:
            found = by_source.get(str(item.candidate.building))
            if found is not None and found.id is not None:
                out.rows[(found.id, str(item.candidate.id))] = _candidate_values(item)
        owner_of = _owners(group)
        for skipped in result.skipped:
            owner = owner_of(skipped.source)
            if owner is not None and owner.id is not None:
                out.skipped[owner.id].append(
                    # code and params: the pages show the reason in the reader's language
                    {"source": skipped.source.as_dict(), "reason": skipped.reason, "code": skipped.code,
                     "params": skipped.params}
                )  # fmt: skip
        out.warnings.extend(result.warnings)
        out.provenance = dict(result.provenance)
        done += len(group)
    return out


def _owners(group: Sequence[Building]) -> Callable[[Any], Building | None]:
    """Find the building a skipped object or face belongs to: its feature, its id or one of its parts
    (dictionaries, so thousands of skipped faces cost no scan of the stock each)."""
    by_feature = {b.source_feature: b for b in group if b.source_feature is not None}
    by_object = {b.source_id: b for b in group}
    for b in group:
        for part in b.attributes.get("parts", []) if isinstance(b.attributes.get("parts"), list) else []:
            by_object.setdefault(str(part), b)

    def owner(source: Any) -> Building | None:
        if source.feature is not None and source.feature in by_feature:
            return by_feature[source.feature]
        return by_object.get(source.object) if source.object is not None else None

    return owner


def _candidate_values(item: Any) -> dict[str, Any]:
    """A screened candidate as the columns of :class:`SurveyCandidate`."""
    c = item.candidate
    return {
        "kind": str(c.kind),
        "source": c.source.as_dict(),
        "tilt_deg": round(float(c.tilt), 2),
        "azimuth_deg": round(float(c.azimuth), 2) % 360.0,
        "gross_area_m2": round(float(c.area_m2), 2),
        "usable_area_m2": round(float(c.usable_area_m2), 2),
        "z_m": round(float(c.z_m), 2),
        "storey": c.storey,
        "band_bottom_m": None if c.band_m is None else round(float(c.band_m[0]), 2),
        "band_top_m": None if c.band_m is None else round(float(c.band_m[1]), 2),
        "outline": _outline(c.outline),
        "lon": round(float(c.lon), 7),
        "lat": round(float(c.lat), 7),
        "kwp": round(float(item.kwp), 3),
        "annual_kwh": round(float(item.annual_kwh), 1),
        "kwh_per_kwp": round(float(item.kwh_per_kwp), 1),
        "kwh_per_kwp_unshaded": round(float(item.kwh_per_kwp_unshaded), 1),
        "shading_loss": item.shading_loss,
        "sky_view_factor": item.sky_view_factor,
    }


def _outline(points: Sequence[tuple[float, float]]) -> dict[str, Any] | None:
    """A candidate's WGS84 outline as GeoJSON: a roof's closed ring, a wall band's ground line."""
    coords = [[round(float(x), 7), round(float(y), 7)] for x, y in points]
    if len(coords) >= 4 and coords[0] == coords[-1]:
        return {"type": "Polygon", "coordinates": [coords]}
    return {"type": "LineString", "coordinates": coords} if len(coords) >= 2 else None


#: Rows per bulk INSERT or UPDATE (well within every database's limit on parameters per statement).
_CHUNK = 2_000


def _store_candidates(
    session: Session, screened: _Screened, run_id: int, only: set[int | None] | None
) -> None:
    """Upsert the unconfirmed candidates by (building, key) in bulk; confirmed ones are left alone.

    ``only``: the buildings surveyed, when not all of them were (no other building's rows change).
    """
    offered = set(
        session.exec(
            select(BuildingOffer.building_id).where(BuildingOffer.status == OfferStatus.offered)
        ).all()
    )
    c = SurveyCandidate
    query = select(c.id, c.building_id, c.key, c.status)
    if only is not None:
        query = query.where(col(c.building_id).in_([i for i in only if i is not None]))
    existing = {
        (building_id, key): (cid, status) for cid, building_id, key, status in session.exec(query).all()
    }
    now = datetime.now(UTC)
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for (building_id, key), values in screened.rows.items():
        status = CandidateStatus.offered if building_id in offered else CandidateStatus.unclaimed
        row = {**values, "survey_run_id": run_id, "computed_at": now, "status": status}
        found = existing.get((building_id, key))
        if found is None:
            inserts.append({"building_id": building_id, "key": key, **row})
        elif found[1] != CandidateStatus.confirmed:
            updates.append({"id": found[0], **row})
    stale = [
        cid
        for (building_id, key), (cid, status) in existing.items()
        if status != CandidateStatus.confirmed and (building_id, key) not in screened.rows
    ]
    for start in range(0, len(stale), _CHUNK):
        session.exec(delete(c).where(col(c.id).in_(stale[start : start + _CHUNK])))
    for start in range(0, len(updates), _CHUNK):
        session.execute(update(c), updates[start : start + _CHUNK])
    for start in range(0, len(inserts), _CHUNK):
        session.execute(insert(c), inserts[start : start + _CHUNK])
    session.flush()


def _totals(session: Session) -> tuple[int, dict[str, Any]]:
    """How many candidates the stock now has, and their kWp and MWh/yr in all, on roofs, on facades."""
    rows = session.exec(
        select(
            SurveyCandidate.kind,
            func.count(),
            func.coalesce(func.sum(SurveyCandidate.kwp), 0.0),
            func.coalesce(func.sum(SurveyCandidate.annual_kwh), 0.0),
        ).group_by(SurveyCandidate.kind)
    ).all()
    by_kind = {
        kind: {"candidates": int(n), "kwp": round(float(kwp), 1), "annual_mwh": round(float(kwh) / 1000, 1)}
        for kind, n, kwp, kwh in rows
    }
    count = int(sum(v["candidates"] for v in by_kind.values()))
    roofs = sum(v["kwp"] for k, v in by_kind.items() if k == "roof")
    facades = sum(v["kwp"] for k, v in by_kind.items() if k in FACADE_KINDS)
    return count, {
        "kwp": round(sum(v["kwp"] for v in by_kind.values()), 1),
        "annual_mwh": round(sum(v["annual_mwh"] for v in by_kind.values()), 1),
        "roof_kwp": round(roofs, 1),
        "facade_kwp": round(facades, 1),
        "by_kind": by_kind,
    }


def latest_run(*, session: Session) -> SurveyRun | None:
    """The newest finished survey run, or None before the first."""
    return session.exec(
        select(SurveyRun).where(col(SurveyRun.finished_at).is_not(None)).order_by(col(SurveyRun.id).desc())
    ).first()
