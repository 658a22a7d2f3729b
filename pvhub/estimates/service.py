"""Estimating surfaces: rows → arrays for the pure yield engine → Estimate rows with provenance.

A batch replaces the estimates of the surfaces it covers in the caller's transaction, so a failed
run leaves the previous estimates as they were.

An estimate goes out of date when what it was computed from changes: the surface (see
:func:`pvhub.register.service.update_surface` and ``set_surface_assumptions``, which flag it) or the
configuration: the office's assumptions, the CO2 factor, the programme's weather year or the engine.
Each estimate stores the ``config_key`` it was made under (:mod:`pvhub.estimates.config`); every
read compares it with the key in force, so a change of configuration outdates exactly the affected
estimates at once, and :func:`flag_outdated_estimates` (at start-up and by ``pvhub estimate``)
records that in the rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlmodel import Session, col, delete, func, select

from pvhub.accounts.models import User
from pvhub.core import audit, policy
from pvhub.core.db import transaction
from pvhub.core.errors import Conflict, NotFound, Phrase
from pvhub.estimates.config import EstimateConfig, current_config
from pvhub.estimates.models import Estimate, EstimatePublic, SurfaceShade
from pvhub.estimates.shade import shade_profile
from pvhub.jobs import service as jobs
from pvhub.jobs.models import Job
from pvhub.jobs.progress import ProgressFn
from pvhub.register import service as register
from pvhub.register.enums import SurfaceStatus
from pvhub.register.models import Site, Surface
from pvhub.yieldengine import KindAssumptions, Mismatch, WeatherYear, estimate

# The pvlib chain the engine runs (recorded with each estimate so a reader need not know the code).
MODEL_CHAIN = {
    "transposition": "perez",
    "temperature_model": "sapm",
    "dc_model": "pvwatts",
    "losses_model": "pvwatts",
    "ac_model": "pvwatts",
}


@dataclass(frozen=True)
class EstimateRunSummary:
    surfaces: int
    capacity_kwp: float
    annual_kwh: float
    weather: str
    weather_sha256: str = ""


def config_key(kind: str, *, config: EstimateConfig) -> str:
    """The configuration key an estimate of a ``kind`` surface is made under (see
    :mod:`pvhub.estimates.config`). Per-surface values (orientation, area, shading loss) are not part
    of it: changing those marks the one estimate stale where they change."""
    return config.key(kind)


def flag_outdated_estimates(
    *,
    session: Session,
    assumptions: Mapping[str, KindAssumptions] | None = None,
    co2_t_per_mwh: float | None = None,
) -> int:
    """Mark stale every current estimate made under another configuration than the one in force
    (``assumptions`` and ``co2_t_per_mwh`` replace the configured ones; tests vary them).

    Returns how many were flagged. Estimates stored before keys were recorded count as outdated.
    Reading never needs this (:func:`_up_to_date` compares keys); it records the state in the rows.
    """
    config = current_config(session=session).with_overrides(
        assumptions=assumptions, co2_t_per_mwh=co2_t_per_mwh
    )
    current = select(Estimate.id).join(Surface, col(Surface.id) == col(Estimate.surface_id))
    current = current.where(_up_to_date(config))
    result = session.exec(
        sa.update(Estimate)
        .where(col(Estimate.stale).is_(False), col(Estimate.id).not_in(current))
        .values(stale=True)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)


def _up_to_date(config: EstimateConfig) -> Any:
    """SQL condition (on Estimate joined with its Surface): not flagged, and made under the
    configuration in force for the surface's kind. Read-only, so a job can select with it
    before its first write."""
    # an estimate stored before keys were recorded has none: '' (never a key), not NULL, so that
    # NOT(up to date) is true for it rather than unknown
    stored_key = sa.func.coalesce(col(Estimate.assumptions)["config_key"].as_string(), "")
    same_config = [
        sa.and_(col(Surface.kind) == kind, stored_key == key) for kind, key in config.keys().items()
    ]
    return sa.and_(col(Estimate.stale).is_(False), sa.or_(*same_config))


def flag_outdated_estimates_on_start(engine: sa.engine.Engine) -> int:
    """At start-up: a new pvhub may bring a new engine version, so flag what it outdated."""
    with transaction(engine) as session:
        return flag_outdated_estimates(session=session)


def out_of_date_count(*, session: Session) -> int:
    """How many estimates of approved surfaces are out of date (flagged, or made under another
    configuration than the one in force): what a re-estimate of all would redo."""
    query = _approved_estimates(select(func.count(col(Estimate.id))))
    return int(session.exec(query.where(sa.not_(_up_to_date(current_config(session=session))))).one())


def status(*, session: Session, user: User) -> dict[str, Any]:
    """What the office needs after a change of configuration: how many estimates it outdated."""
    policy.require(user, "programme:read")
    config = current_config(session=session)
    return {
        "out_of_date": out_of_date_count(session=session),
        "weather_sha256": config.weather_sha256,
        "config_keys": config.keys(),
    }


def surfaces_to_estimate(*, session: Session, only_missing_or_stale: bool) -> list[int]:
    """Approved surfaces; with ``only_missing_or_stale`` those without an up-to-date estimate
    (none, flagged stale, or made under assumptions the configuration has since changed)."""
    query = select(Surface.id).where(Surface.status == SurfaceStatus.approved)
    if only_missing_or_stale:
        current = (
            select(Estimate.surface_id)
            .join(Surface, col(Surface.id) == col(Estimate.surface_id))
            .where(_up_to_date(current_config(session=session)))
        )
        query = query.where(col(Surface.id).not_in(current))
    return [i for i in session.exec(query.order_by(col(Surface.id))).all() if i is not None]


def _no_progress(_fraction: float, _message: str | Phrase) -> None:
    return None


def estimate_surfaces(
    *,
    session: Session,
    actor: User | None,
    surface_ids: Sequence[int],
    weather: WeatherYear | None = None,
    progress: ProgressFn = _no_progress,
    assumptions: Mapping[str, KindAssumptions] | None = None,
    co2_t_per_mwh: float | None = None,
    mismatch: Mismatch = "irradiance",
    shades: Mapping[int, SurfaceShade] | None = None,
) -> EstimateRunSummary:
    """Estimate the given surfaces in one vectorised engine call and store the results.

    ``actor`` None is the operator at the command line or a job. Capacity in kWp, energy in kWh AC.
    ``weather``, ``assumptions`` and ``co2_t_per_mwh`` default to the configuration in force: the
    programme's weather year and the office's assumptions (a caller may replace them for one run).
    Everything is computed before the first write, so ``progress`` (which commits on its own
    connection) never waits behind this transaction.

    Shading (issue #19): a surface whose shading loss was typed (``shading_manual``) keeps that
    fraction; any other surface with a stored building shade (:mod:`pvhub.estimates.shade`) gets the
    engine's hour-by-hour shade from its sample points' horizons (``mismatch``: the engine's
    electrical treatment of partial shade), and the run writes the resulting annual loss and mean
    sky-view factor back to the surface; a surface with neither has no shading. The site's horizon
    (terrain) applies to all, on top. ``shades`` (by surface id) replace stored shade rows: shade
    computed and not yet written (:func:`pvhub.survey.surface_shading.estimate_job`).
    """
    if actor is not None:
        policy.require(actor, "estimate:run")
    surfaces = list(session.exec(select(Surface).where(col(Surface.id).in_(list(surface_ids)))).all())
    if not surfaces:
        return EstimateRunSummary(surfaces=0, capacity_kwp=0.0, annual_kwh=0.0, weather="")
    config = current_config(session=session).with_overrides(
        assumptions=assumptions, co2_t_per_mwh=co2_t_per_mwh, weather=weather
    )
    progress(0.05, Phrase("reading the weather year"))
    year = config.weather()
    progress(0.1, Phrase("estimating {count} surfaces", count=len(surfaces)))
    profile, used_shades = shade_profile(session, surfaces, shades)
    result = estimate(
        [s.kind.value for s in surfaces],
        np.array([s.tilt_deg for s in surfaces]),
        np.array([s.azimuth_deg for s in surfaces]),
        np.array([s.usable_area_m2 for s in surfaces]),
        # a typed loss overrides; the others' shade is the building shade (or none): 0 on top of it
        np.array([s.shading_loss if s.shading_manual else 0.0 for s in surfaces]),
        power_density_w_m2=np.array(
            [np.nan if s.power_density_w_m2 is None else s.power_density_w_m2 for s in surfaces]
        ),
        losses_pct=np.array([np.nan if s.losses_pct is None else s.losses_pct for s in surfaces]),
        site=[s.site_id for s in surfaces],
        horizons=_horizons(session, {s.site_id for s in surfaces}),
        weather=year,
        assumptions=config.assumptions,
        co2_t_per_mwh=config.co2_t_per_mwh,
        shade=profile,
        mismatch=mismatch,
    )
    progress(0.8, Phrase("storing the estimates"))
    keys = config.keys()
    provenance = result.provenance
    weather_info = provenance["weather"]
    ids = [s.id for s in surfaces if s.id is not None]
    _store_building_shade(session, surfaces, used_shades, result.shading_loss, result.sky_view_factor)
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
                **MODEL_CHAIN,
                "method": provenance["method"],
                "engine_version": provenance["engine_version"],
                "co2_t_per_mwh": provenance["co2_t_per_mwh"],
                **_shading_record(surface, used_shades.get(surface.id or 0), provenance),
                "surface": {
                    "tilt_deg": surface.tilt_deg,
                    "azimuth_deg": surface.azimuth_deg,
                    "usable_area_m2": surface.usable_area_m2,
                    "shading_loss": surface.shading_loss,
                    "shading_manual": surface.shading_manual,
                    "sky_view_factor": surface.sky_view_factor,
                    "power_density_w_m2": surface.power_density_w_m2,
                    "losses_pct": surface.losses_pct,
                },
                "config_key": keys[surface.kind.value],
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
        weather_sha256=rows[0].weather_hash,
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


#: Decimals of the computed shading loss and sky-view factor written to a surface.
SHADE_DECIMALS = 4


def _store_building_shade(
    session: Session,
    surfaces: Sequence[Surface],
    shades: Mapping[int, SurfaceShade],
    loss: np.ndarray,
    sky_view: np.ndarray,
) -> None:
    """Write each computed surface's annual building-shade loss and mean sky view (the values in
    force for a surface whose shading is not typed); a non-typed surface without a stored shade has
    none: loss 0, sky view unknown. Typed surfaces are left as they are."""
    for i, surface in enumerate(surfaces):
        if surface.shading_manual:
            continue
        has_shade = surface.id in shades and np.isfinite(loss[i])
        surface.shading_loss = round(float(np.clip(loss[i], 0.0, 1.0)), SHADE_DECIMALS) if has_shade else 0.0
        surface.sky_view_factor = (
            round(float(np.clip(sky_view[i], 0.0, 1.0)), SHADE_DECIMALS)
            if has_shade and np.isfinite(sky_view[i])
            else None
        )
        session.add(surface)


def _shading_record(
    surface: Surface, shade: SurfaceShade | None, provenance: Mapping[str, Any]
) -> dict[str, Any]:
    """What an estimate records of its shading: ``shading`` says which applied ("typed": the typed
    loss overrides, "building": building shade from the stock, "none": neither, with
    ``shading_reason`` "no_geometry" or "not_computed"), ``building_shade`` how it was computed."""
    if surface.shading_manual:
        return {"shading": "typed", "shading_method": provenance["shading"], "building_shade": None}
    if shade is None:
        reason = "no_geometry" if surface.geometry is None else "not_computed"
        return {"shading": "none", "shading_reason": reason, "building_shade": None}
    engine = provenance.get("building_shade") or {}
    return {
        "shading": "building",
        "building_shade": {
            "stock_version": shade.stock_version,
            "method": engine.get("method", ""),
            "mismatch": engine.get("mismatch", ""),
            "points": shade.points,
            "step_deg": shade.step_deg,
            "computed_at": shade.computed_at.isoformat(),
        },
    }


def _horizons(session: Session, site_ids: set[int]) -> dict[int, tuple[list[float], list[float]]]:
    """The horizon profiles of these sites that have one, as the engine takes them."""
    rows = session.exec(select(Site.id, Site.horizon).where(col(Site.id).in_(list(site_ids)))).all()
    return {
        sid: (list(h["azimuth_deg"]), list(h["elevation_deg"])) for sid, h in rows if sid is not None and h
    }


def estimates_for(*, session: Session, surface_ids: Sequence[int]) -> dict[int, Estimate]:
    """The stored estimate of each of these surfaces that has one, by surface id."""
    rows = session.exec(select(Estimate).where(col(Estimate.surface_id).in_(list(surface_ids)))).all()
    return {row.surface_id: row for row in rows}


# Ids named in a "no such surface" message; the rest are counted
_MISSING_SHOWN = 20
_ID_CHUNK = 10_000  # ids per IN (...) query, well within every database's limit on parameters


def request_run(
    *, session: Session, actor: User, surface_ids: Sequence[int] | None, parameters: dict[str, Any]
) -> Job:
    """Queue an estimate run (office) once what it names is known to exist; the caller commits and
    starts it.

    Every listed surface must exist: a run over ids that name nothing would end as an empty or failed
    job, so they are refused here (NotFound naming them) before any job row is written. The ids are
    within the database's range already (the API's :data:`pvhub.core.ids.Id`).
    """
    policy.require(actor, "estimate:run")
    wanted = sorted(set(surface_ids or ()))
    found: set[int] = set()
    for start in range(0, len(wanted), _ID_CHUNK):
        chunk = wanted[start : start + _ID_CHUNK]
        found.update(i for i in session.exec(select(Surface.id).where(col(Surface.id).in_(chunk))) if i)
    missing = [i for i in wanted if i not in found]
    if missing:
        shown: list[object] = [*missing[:_MISSING_SHOWN], *(["…"] if len(missing) > _MISSING_SHOWN else [])]
        raise NotFound(
            "No surface has id {surface_ids} ({count} in all); nothing was queued.",
            surface_ids=shown,
            count=len(missing),
            field="surface_ids",
        )
    return jobs.submit(session=session, actor=actor, kind="estimate", parameters=parameters)


def request_estimate(*, session: Session, actor: User, surface_id: int) -> Job:
    """Queue a job that (re-)estimates one surface (office); the caller commits and starts it.

    Only approved surfaces are estimated: one back in review is re-estimated once approved again.
    """
    policy.require(actor, "estimate:run")
    surface = register.get_surface(session=session, user=actor, surface_id=surface_id)
    if surface.status != SurfaceStatus.approved:
        raise Conflict(
            "Only approved surfaces are estimated; this one is {status}. "
            "It is estimated once it is approved.",
            status=surface.status,
        )
    return jobs.submit(
        session=session, actor=actor, kind="estimate", parameters={"surface_ids": [surface_id]}
    )


@dataclass(frozen=True)
class YieldFigures:
    """Estimated figures of approved surfaces added up: kWp DC, kWh AC per year, tCO2 per year.

    ``stale`` counts the estimates among them that are out of date.
    """

    surfaces: int = 0
    capacity_kwp: float = 0.0
    annual_kwh: float = 0.0
    co2_avoided_t: float = 0.0
    stale: int = 0

    @property
    def specific_yield_kwh_per_kwp(self) -> float | None:
        """Capacity-weighted mean specific yield [kWh/kWp]; None without capacity."""
        return self.annual_kwh / self.capacity_kwp if self.capacity_kwp > 0 else None


def _yield_columns(config: EstimateConfig) -> tuple[Any, ...]:
    return (
        func.count(col(Estimate.id)),
        func.coalesce(func.sum(Estimate.capacity_kwp), 0.0),
        func.coalesce(func.sum(Estimate.annual_kwh), 0.0),
        func.coalesce(func.sum(Estimate.co2_avoided_t), 0.0),
        func.coalesce(func.sum(sa.case((sa.not_(_up_to_date(config)), 1), else_=0)), 0),
    )


def _approved_estimates(query: Any) -> Any:
    """Only approved surfaces count: a withdrawn or rejected surface keeps its old estimate row,
    and one back in review is not part of the programme until approved again."""
    return query.join(Surface, col(Surface.id) == col(Estimate.surface_id)).where(
        Surface.status == SurfaceStatus.approved
    )


def yields_by_site(*, session: Session, site_ids: Sequence[int]) -> dict[int, YieldFigures]:
    """Estimated figures of each site's approved surfaces, for the sites that have any."""
    if not site_ids:
        return {}
    query = _approved_estimates(select(Surface.site_id, *_yield_columns(current_config(session=session))))
    query = query.where(col(Surface.site_id).in_(list(site_ids))).group_by(col(Surface.site_id))
    return {
        int(site_id): YieldFigures(int(n), float(kwp), float(kwh), float(co2), int(stale))
        for site_id, n, kwp, kwh, co2, stale in session.exec(query).all()
    }


def register_yields(*, session: Session, user: User) -> YieldFigures:
    """Estimated figures over every site ``user`` may see (all pages of the register list)."""
    query = _approved_estimates(select(*_yield_columns(current_config(session=session))))
    query = query.join(Site, col(Site.id) == col(Surface.site_id)).where(register.site_visibility(user))
    n, kwp, kwh, co2, stale = session.exec(query).one()
    return YieldFigures(int(n), float(kwp), float(kwh), float(co2), int(stale))


def outdated(*, session: Session, estimate_ids: Iterable[int | None]) -> set[int]:
    """Which of these estimates are out of date: flagged stale, or made under assumptions the
    configuration has changed since."""
    ids = [i for i in estimate_ids if i is not None]
    if not ids:
        return set()
    query = (
        select(Estimate.id)
        .join(Surface, col(Surface.id) == col(Estimate.surface_id))
        .where(col(Estimate.id).in_(ids), _up_to_date(current_config(session=session)))
    )
    return set(ids) - {i for i in session.exec(query).all() if i is not None}


def get_estimate(*, session: Session, user: User, surface_id: int) -> EstimatePublic:
    """The estimate of a surface the user may read (NotFound when it has none yet)."""
    register.get_surface(session=session, user=user, surface_id=surface_id)
    row = session.exec(select(Estimate).where(Estimate.surface_id == surface_id)).first()
    if row is None:
        raise NotFound(
            "Surface {surface_id} has no estimate yet (it is estimated once approved).", surface_id=surface_id
        )
    weather = row.assumptions.get("weather", {}) if isinstance(row.assumptions, dict) else {}
    return EstimatePublic.model_validate(
        row,
        update={
            "synthetic_weather": bool(weather.get("synthetic")),
            "stale": bool(outdated(session=session, estimate_ids=[row.id])),
        },
    )


def site_monthly_kwh(rows: Iterable[Estimate]) -> list[float]:
    """The 12 monthly AC energies (kWh) of several surfaces added up; empty when none is estimated."""
    totals = [0.0] * 12
    found = False
    for row in rows:
        found = True
        totals = [a + float(b) for a, b in zip(totals, row.monthly_kwh, strict=True)]
    return totals if found else []
