"""Re-estimate the grid-connected surfaces on a measured weather period (a background job).

Each surface is estimated exactly as its typical-year estimate was — the tilt, azimuth, usable area,
shading loss and the per-kind assumption set that estimate recorded in ``Estimate.assumptions`` — but
on the measured weather, so measured energy divided by the result differs from 1 only by what the
weather does not explain (:func:`pvhub.monitoring.progress.weather_normalised_ratios`). The site's
horizon profile is today's (an estimate does not copy it; a changed horizon outdates the estimate).
The energy is the estimate's, not scaled to a reported installed kWp, as for the typical-year ratio,
so the two ratios differ only by the weather.

Surfaces connected after the period ended, and estimates that recorded no assumption set (made
before estimates recorded them), are left out and counted in the result. The job computes
everything first and writes once at the end: a failure leaves the previous comparison as it was.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlmodel import Session, col, delete, select

from pvhub.construction.models import Construction
from pvhub.core import audit
from pvhub.core.errors import Phrase
from pvhub.estimates.models import Estimate
from pvhub.jobs.progress import JobCancelled, Progress
from pvhub.monitoring.models import WeatherNormalisedEnergy
from pvhub.register.models import Site, Surface
from pvhub.weather import measured
from pvhub.weather.models import WeatherDataset
from pvhub.yieldengine import KindAssumptions
from pvhub.yieldengine.period import estimate_period, kind_assumptions_from
from pvhub.yieldengine.weather import WeatherYear


@dataclass(frozen=True)
class _Target:
    """One surface to re-estimate, as its estimate recorded it."""

    surface_id: int
    site_id: int
    estimate_id: int
    assumptions: KindAssumptions
    tilt_deg: float
    azimuth_deg: float
    usable_area_m2: float
    shading_loss: float


def normalise_job(session: Session, parameters: dict[str, Any], progress: Progress) -> dict[str, Any]:
    """Job: estimate every grid-connected surface on measured weather ``parameters['dataset_id']``
    and replace that period's stored comparison."""
    dataset = measured.get_measured(session=session, dataset_id=int(parameters["dataset_id"]))
    progress(0.05, Phrase("reading the measured weather"))
    year = measured.load_period(dataset)
    targets, skipped = _targets(session, dataset)
    progress(0.2, Phrase("estimating {count} surfaces on the measured weather", count=len(targets)))
    energy = _estimate(year, targets, _horizons(session, {t.site_id for t in targets}), progress)
    progress(0.9, Phrase("storing the comparison"))
    return _store(session, dataset, targets, energy, skipped)


def _targets(session: Session, dataset: WeatherDataset) -> tuple[list[_Target], dict[str, int]]:
    """The connected surfaces with a recorded estimate, and how many were left out and why."""
    rows = session.exec(
        select(col(Construction.surface_id), col(Construction.connected_on), col(Surface.site_id), Estimate)
        .join(Surface, col(Surface.id) == col(Construction.surface_id))
        .join(Estimate, col(Estimate.surface_id) == col(Construction.surface_id))
        .where(col(Construction.connected_on).is_not(None))
        .order_by(col(Construction.surface_id))
    ).all()
    period_end = dataset.period_end.date()
    targets: list[_Target] = []
    skipped = {"connected_after_the_period": 0, "no_recorded_assumptions": 0}
    for surface_id, connected_on, site_id, estimate in rows:
        if connected_on is None or connected_on >= period_end:
            skipped["connected_after_the_period"] += 1
            continue
        target = _target(surface_id, site_id, estimate)
        if target is None:
            skipped["no_recorded_assumptions"] += 1
            continue
        targets.append(target)
    return targets, skipped


def _target(surface_id: int, site_id: int, estimate: Estimate) -> _Target | None:
    """The surface as its estimate saw it, or None when the estimate recorded too little to re-run."""
    record = estimate.assumptions or {}
    surface = record.get("surface") or {}
    try:
        assumptions = kind_assumptions_from(record)
        return _Target(
            surface_id,
            site_id,
            int(estimate.id or 0),
            assumptions,
            float(surface["tilt_deg"]),
            float(surface["azimuth_deg"]),
            float(surface["usable_area_m2"]),
            float(surface.get("shading_loss") or 0.0),
        )
    except (KeyError, TypeError, ValueError):
        return None


def _horizons(session: Session, site_ids: set[int]) -> dict[int, tuple[list[float], list[float]]]:
    rows = session.exec(select(Site.id, Site.horizon).where(col(Site.id).in_(list(site_ids)))).all()
    return {
        sid: (list(h["azimuth_deg"]), list(h["elevation_deg"])) for sid, h in rows if sid is not None and h
    }


def _estimate(
    year: WeatherYear,
    targets: list[_Target],
    horizons: dict[int, tuple[list[float], list[float]]],
    progress: Progress,
) -> dict[int, dict[tuple[int, int], float]]:
    """kWh per surface and (year, month): one engine call per recorded assumption set."""
    groups: dict[KindAssumptions, list[_Target]] = defaultdict(list)
    for target in targets:
        groups[target.assumptions].append(target)
    out: dict[int, dict[tuple[int, int], float]] = {}
    for done, (assumptions, members) in enumerate(groups.items()):
        if progress.cancelled():
            raise JobCancelled()
        result = estimate_period(
            year,
            [assumptions.kind] * len(members),
            np.array([t.tilt_deg for t in members]),
            np.array([t.azimuth_deg for t in members]),
            np.array([t.usable_area_m2 for t in members]),
            np.array([t.shading_loss for t in members]),
            assumptions={assumptions.kind: assumptions},
            site=[t.site_id for t in members],
            horizons={t.site_id: horizons[t.site_id] for t in members if t.site_id in horizons},
            method="exact",
        )
        out.update({t.surface_id: result.by_month(i) for i, t in enumerate(members)})
        progress(
            0.2 + 0.7 * (done + 1) / len(groups),
            Phrase("estimating {count} surfaces on the measured weather", count=len(targets)),
        )
    return out


def _store(
    session: Session,
    dataset: WeatherDataset,
    targets: list[_Target],
    energy: dict[int, dict[tuple[int, int], float]],
    skipped: dict[str, int],
) -> dict[str, Any]:
    """Replace the period's comparison with the new one (one transaction: the job's)."""
    session.exec(delete(WeatherNormalisedEnergy).where(col(WeatherNormalisedEnergy.dataset_id) == dataset.id))
    rows = [
        WeatherNormalisedEnergy(
            dataset_id=dataset.id or 0,
            surface_id=t.surface_id,
            year=y,
            month=m,
            estimated_kwh=round(max(kwh, 0.0), 3),
            estimate_id=t.estimate_id,
        )
        for t in targets
        for (y, m), kwh in energy[t.surface_id].items()
    ]
    session.add_all(rows)
    session.flush()
    result = {
        "dataset_id": dataset.id,
        "surfaces": len(targets),
        "months": len({(r.year, r.month) for r in rows}),
        "estimated_kwh": round(sum(r.estimated_kwh for r in rows), 1),
        "skipped": skipped,
    }
    audit.record(
        session, actor=None, entity="weather", entity_id=dataset.id, action="normalise", after=result
    )
    return result
