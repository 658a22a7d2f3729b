"""Estimating surfaces: rows → arrays for the pure yield engine → Estimate rows with provenance.

A batch replaces the estimates of the surfaces it covers in the caller's transaction, so a failed
run leaves the previous estimates as they were.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from sqlmodel import Session, col, delete, select

from pvhub import audit, jobs, policy
from pvhub.errors import NotFound
from pvhub.jobs import ProgressFn
from pvhub.models import Estimate, EstimatePublic, Surface, SurfaceStatus, User
from pvhub.yieldengine import WeatherYear, estimate


@dataclass(frozen=True)
class EstimateRunSummary:
    surfaces: int
    capacity_kwp: float
    annual_kwh: float
    weather: str


def surfaces_to_estimate(*, session: Session, only_missing_or_stale: bool) -> list[int]:
    """Approved surfaces; with ``only_missing_or_stale`` those without a current estimate."""
    query = select(Surface.id).where(Surface.status == SurfaceStatus.approved)
    if only_missing_or_stale:
        current = select(Estimate.surface_id).where(col(Estimate.stale).is_(False))
        query = query.where(col(Surface.id).not_in(current))
    return [i for i in session.exec(query.order_by(col(Surface.id))).all() if i is not None]


def _no_progress(_fraction: float, _message: str) -> None:
    return None


def estimate_surfaces(
    *,
    session: Session,
    actor: User | None,
    surface_ids: Sequence[int],
    weather: WeatherYear | None = None,
    progress: ProgressFn = _no_progress,
) -> EstimateRunSummary:
    """Estimate the given surfaces in one vectorised engine call and store the results.

    ``actor`` None is the operator at the command line or a job. Capacity in kWp, energy in kWh AC.
    Everything is computed before the first write, so ``progress`` (which commits on its own
    connection) never waits behind this transaction.
    """
    if actor is not None:
        policy.require(actor, "estimate:run")
    surfaces = list(session.exec(select(Surface).where(col(Surface.id).in_(list(surface_ids)))).all())
    if not surfaces:
        return EstimateRunSummary(surfaces=0, capacity_kwp=0.0, annual_kwh=0.0, weather="")
    progress(0.1, f"estimating {len(surfaces)} surfaces")
    result = estimate(
        [s.kind.value for s in surfaces],
        np.array([s.tilt_deg for s in surfaces]),
        np.array([s.azimuth_deg for s in surfaces]),
        np.array([s.usable_area_m2 for s in surfaces]),
        np.array([s.shading_loss for s in surfaces]),
        weather=weather,
    )
    progress(0.8, "storing the estimates")
    provenance = result.provenance
    weather_info = provenance["weather"]
    ids = [s.id for s in surfaces if s.id is not None]
    session.exec(delete(Estimate).where(col(Estimate.surface_id).in_(ids)))
    rows = [
        Estimate(
            surface_id=ids[i],
            capacity_kwp=float(result.capacity_kwp[i]),
            annual_kwh=float(result.annual_kwh[i]),
            specific_yield_kwh_per_kwp=float(result.specific_yield[i]),
            monthly_kwh=[round(float(v), 2) for v in result.monthly_kwh[i]],
            co2_avoided_t=float(result.co2_t[i]),
            assumptions={
                **provenance["assumption_sets"][int(result.assumption_set[i])],
                "method": provenance["method"],
                "engine_version": provenance["engine_version"],
                "co2_t_per_mwh": provenance["co2_t_per_mwh"],
                "shading": provenance["shading"],
                "weather": weather_info,
            },
            weather_source=str(weather_info.get("label") or weather_info.get("source"))[:200],
            weather_hash=str(weather_info["sha256"])[:64],
            pvlib_version=provenance["pvlib_version"],
        )
        for i, surface in enumerate(surfaces)
    ]
    session.add_all(rows)
    session.flush()
    summary = EstimateRunSummary(
        surfaces=len(rows),
        capacity_kwp=float(result.capacity_kwp.sum()),
        annual_kwh=float(result.annual_kwh.sum()),
        weather=rows[0].weather_source,
    )
    audit.record(
        session,
        actor=actor,
        entity="estimate",
        entity_id="batch",
        action="run",
        after={
            "surfaces": summary.surfaces,
            "capacity_kwp": round(summary.capacity_kwp, 1),
            "annual_kwh": round(summary.annual_kwh),
            "weather_hash": rows[0].weather_hash,
        },
    )
    return summary


def estimates_for(*, session: Session, surface_ids: Sequence[int]) -> dict[int, Estimate]:
    """The stored estimate of each of these surfaces that has one, by surface id."""
    rows = session.exec(select(Estimate).where(col(Estimate.surface_id).in_(list(surface_ids)))).all()
    return {row.surface_id: row for row in rows}


@jobs.register("estimate", "estimate:run")
def estimate_job(session: Session, parameters: dict[str, Any], progress: ProgressFn) -> dict[str, Any]:
    """Job: estimate the listed surfaces, or all approved ones missing a current estimate
    (every approved one with ``all``)."""
    ids = parameters.get("surface_ids")
    if not ids:
        ids = surfaces_to_estimate(session=session, only_missing_or_stale=not parameters.get("all", False))
    return asdict(estimate_surfaces(session=session, actor=None, surface_ids=ids, progress=progress))


def get_estimate(*, session: Session, user: User, surface_id: int) -> EstimatePublic:
    """The estimate of a surface the user may read (NotFound when it has none yet)."""
    from pvhub.services import register

    register.get_surface(session=session, user=user, surface_id=surface_id)
    row = session.exec(select(Estimate).where(Estimate.surface_id == surface_id)).first()
    if row is None:
        raise NotFound(f"Surface {surface_id} has no estimate yet (it is estimated once approved).")
    weather = row.assumptions.get("weather", {}) if isinstance(row.assumptions, dict) else {}
    return EstimatePublic.model_validate(row, update={"synthetic_weather": bool(weather.get("synthetic"))})


def site_monthly_kwh(rows: Iterable[Estimate]) -> list[float]:
    """The 12 monthly AC energies (kWh) of several surfaces added up; empty when none is estimated."""
    totals = [0.0] * 12
    found = False
    for row in rows:
        found = True
        totals = [a + float(b) for a, b in zip(totals, row.monthly_kwh, strict=True)]
    return totals if found else []
