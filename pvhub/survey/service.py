"""Running the survey (排摸) over the building stock: candidates estimated and stored, confirmed ones kept.

A run reads the stock's buildings inside the district, derives and estimates their candidate
surfaces (:func:`pvhub.survey.screen.survey`, database-free) on the programme's weather year and
assumptions, then stores them in one go: candidates not yet confirmed are updated, created or
deleted by ``(building_id, key)``; confirmed ones (now an owner's draft surface) are left as they
are. Everything is computed before the first write, as the estimate job does, so the job's progress
(committed on its own connection) never waits behind this transaction, and a failure stores nothing.

Neighbours (``inside_district`` False) are not surveyed: they yield no candidates. They will shade
the candidates once shading from the stock comes (issue #19); until then the shading fields are null.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete
from sqlmodel import Session, col, func, select

from pvhub.accounts.models import User
from pvhub.core import audit, policy
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
from pvhub.survey.rules import DEFAULT_RULES, SurveyRules
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
    rules: SurveyRules = DEFAULT_RULES,
    job_id: int | None = None,
    started_by_id: int | None = None,
) -> SurveyRun:
    """Survey the buildings inside the district and store the result (the caller's transaction)."""
    progress(0.02, Phrase("reading the building stock"))
    buildings = list(session.exec(select(Building).where(col(Building.inside_district))).all())
    config = current_config(session=session).with_overrides(weather=weather)
    progress(0.05, Phrase("reading the weather year"))
    year = config.weather()
    screened = _screen_all(buildings, year, config.assumptions, rules, progress)
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
    _store_candidates(session, buildings, screened, run.id)
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


def _screen_all(
    buildings: Sequence[Building],
    year: WeatherYear,
    assumptions: Any,
    rules: SurveyRules,
    progress: ProgressFn,
) -> _Screened:
    """Screen the buildings, one stock import (one metric frame, unique source ids) at a time."""
    groups: dict[int, list[Building]] = defaultdict(list)
    for building in buildings:
        groups[building.stock_import_id].append(building)
    out = _Screened()
    done = 0
    for group in groups.values():
        by_source = {b.source_id: b for b in group}
        stock = stock_from_rows(group)
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
        )
        for item in result.candidates:
            found = by_source.get(str(item.candidate.building))
            if found is not None and found.id is not None:
                out.rows[(found.id, str(item.candidate.id))] = _candidate_values(item)
        for skipped in result.skipped:
            owner = _skipped_building(skipped.source, group)
            if owner is not None and owner.id is not None:
                out.skipped[owner.id].append({"source": skipped.source.as_dict(), "reason": skipped.reason})
        out.warnings.extend(result.warnings)
        out.provenance = dict(result.provenance)
        done += len(group)
    return out


def _skipped_building(source: Any, group: Sequence[Building]) -> Building | None:
    """The building a skipped object or face belongs to (its feature, its id or one of its parts)."""
    for building in group:
        if source.feature is not None and building.source_feature == source.feature:
            return building
        if source.object is not None and (
            building.source_id == source.object or source.object in building.attributes.get("parts", [])
        ):
            return building
    return None


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


def _store_candidates(
    session: Session, buildings: Sequence[Building], screened: _Screened, run_id: int
) -> None:
    """Upsert the unconfirmed candidates by (building, key); confirmed ones are left alone."""
    offered = set(
        session.exec(
            select(BuildingOffer.building_id).where(BuildingOffer.status == OfferStatus.offered)
        ).all()
    )
    existing = {(c.building_id, c.key): c for c in session.exec(select(SurveyCandidate)).all()}
    now = datetime.now(UTC)
    for (building_id, key), values in screened.rows.items():
        row = existing.get((building_id, key))
        if row is not None and row.status == CandidateStatus.confirmed:
            continue
        if row is None:
            row = SurveyCandidate(building_id=building_id, key=key, **values)
        else:
            for name, value in values.items():
                setattr(row, name, value)
        row.survey_run_id, row.computed_at = run_id, now
        row.status = CandidateStatus.offered if building_id in offered else CandidateStatus.unclaimed
        session.add(row)
    stale = [
        row.id
        for (building_id, key), row in existing.items()
        if row.status != CandidateStatus.confirmed and (building_id, key) not in screened.rows
    ]
    for start in range(0, len(stale), 5000):
        session.exec(delete(SurveyCandidate).where(col(SurveyCandidate.id).in_(stale[start : start + 5000])))
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
