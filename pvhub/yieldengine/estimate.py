"""Estimate surfaces: capacity, annual and monthly energy, specific yield, avoided CO2.

Arrays in, arrays out. Shading: ``shading_loss`` is the surface's annual loss fraction
(0–1) applied to its AC energy on top of the PVWatts system losses (whose generic 3 %
shading stays part of ``losses_pct``). A site horizon profile, when given, blocks the
beam whenever the sun is below it; those surfaces are evaluated exactly per orientation.
Building shade, when a :class:`~pvhub.yieldengine.shading.ShadeProfile` is given, is applied
hour by hour to the surfaces that have sample points (see :mod:`pvhub.yieldengine.shading`);
``shading_loss`` still applies on top (callers pass 0 for those surfaces).
Solar geometry uses the weather year's location (a district spans a few km) and puts the
sun at the middle of each weather interval; ``provenance['weather']['interval']`` records the
weather file's interval convention and that rule.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal, TypedDict

import numpy as np
import pvlib

from pvhub.yieldengine.assumptions import (
    DEFAULT_ASSUMPTIONS,
    DEFAULT_CO2_T_PER_MWH,
    KindAssumptions,
    assumptions_for,
)
from pvhub.yieldengine.engine import (
    DEFAULT_STEP_DEG,
    Sky,
    horizon_beam_mask,
    prepare_sky,
    specific_yield_exact,
    yield_table,
)
from pvhub.yieldengine.shading import (
    EXACT_MAX_SURFACES,
    MISMATCHES,
    Mismatch,
    ShadeProfile,
    SurfacePoints,
    shaded_specific_yield,
)
from pvhub.yieldengine.synthetic import synthetic_year
from pvhub.yieldengine.weather import WeatherYear, read_weather

#: 2: the sun at the middle of each weather interval (of its sunlit part at sunrise and
#: sunset) instead of at the file's time stamp (issue #17); every estimate changes.
ENGINE_VERSION = "2"
Method = Literal["auto", "table", "exact"]


class EstimateProvenance(TypedDict):
    """What an estimate used; store it with the estimate."""

    engine_version: str
    pvlib_version: str
    method: str
    weather: dict[str, Any]
    assumption_sets: list[dict[str, Any]]
    co2_t_per_mwh: float
    shading: str
    horizon_sites: list[Any]
    building_shade: dict[str, Any] | None


@dataclass(frozen=True, eq=False)
class EstimateResult:
    """Per-surface results (arrays of length n) and the run's provenance.

    capacity_kwp [kWp DC], annual_kwh [kWh AC], specific_yield [kWh/kWp],
    monthly_kwh (n, 12) [kWh AC], co2_t [tCO2 avoided per year];
    ``assumption_set[i]`` indexes ``provenance['assumption_sets']``;
    shading_loss: annual share of the energy lost to building shade against the same surface
    without it (before the manual ``shading_loss``), NaN for surfaces without sample points;
    sky_view_factor: mean of the surface's points' sky-view factors, NaN without points.
    """

    capacity_kwp: np.ndarray
    annual_kwh: np.ndarray
    specific_yield: np.ndarray
    monthly_kwh: np.ndarray
    co2_t: np.ndarray
    assumption_set: np.ndarray
    provenance: EstimateProvenance
    shading_loss: np.ndarray
    sky_view_factor: np.ndarray


_default_year: WeatherYear | None = None


def default_weather() -> WeatherYear:
    """The embedded default year (synthetic Shanghai Longhua), built once per process."""
    global _default_year
    if _default_year is None:
        _default_year = synthetic_year()
    return _default_year


def _as_array(value: Any, n: int, name: str) -> np.ndarray:
    arr = (
        np.broadcast_to(np.asarray(value, dtype=float), (n,)).copy()
        if np.ndim(value) == 0
        else np.asarray(value, dtype=float)
    )
    if arr.shape != (n,):
        raise ValueError(f"{name} must have one value per surface ({n}), got shape {arr.shape}")
    return arr


def _specific_monthly(
    weather: WeatherYear,
    a: KindAssumptions,
    tilt: np.ndarray,
    azimuth: np.ndarray,
    method: Method,
    step_deg: float,
    mask: np.ndarray | None,
) -> tuple[np.ndarray, str]:
    sky = prepare_sky(weather)
    beam = None if mask is None else mask
    if beam is None and method != "exact":
        table = yield_table(sky, a, step_deg)
        orient = np.unique(np.round(np.stack([tilt, azimuth % 360.0]), 6), axis=1)
        if method == "table" or orient.shape[1] > table.needed_nodes(tilt, azimuth).size:
            return table.lookup(tilt, azimuth), f"bilinear {step_deg:g}° (tilt, azimuth) table"
    orient, inverse = np.unique(np.round(np.stack([tilt, azimuth % 360.0]), 6), axis=1, return_inverse=True)
    exact = specific_yield_exact(sky, orient[0], orient[1], a, beam)
    return exact[np.ravel(inverse)], "exact per distinct orientation"


def _apply_building_shade(
    sky: Sky,
    a: KindAssumptions,
    rows: np.ndarray,
    tilt: np.ndarray,
    azimuth: np.ndarray,
    points: SurfacePoints,
    beam_mask: np.ndarray | None,
    exact: bool,
    mismatch: Mismatch,
    *,
    out: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> set[str]:
    """Shade the rows in place (monthly specific yield, building-shade loss, sky view); the method used."""
    if rows.size == 0:
        return set()
    monthly_sy, building_loss, sky_view = out
    res = shaded_specific_yield(
        sky, a, rows, tilt[rows], azimuth[rows], points,
        beam_mask=beam_mask, unshaded=None if exact else monthly_sy[rows], mismatch=mismatch,
    )  # fmt: skip
    monthly_sy[rows] = res.shaded
    plain_annual = res.unshaded.sum(axis=1)
    safe = np.where(plain_annual > 0, plain_annual, 1.0)
    building_loss[rows] = np.where(plain_annual > 0, 1.0 - res.shaded.sum(axis=1) / safe, 0.0)
    sky_view[rows] = res.sky_view
    return {res.method}


def estimate(
    kind: Sequence[str] | np.ndarray,
    tilt: Any,
    azimuth: Any,
    usable_area_m2: Any,
    shading_loss: Any = 0.0,
    *,
    weather: WeatherYear | None = None,
    assumptions: Mapping[str, KindAssumptions] | None = None,
    power_density_w_m2: Any = None,
    losses_pct: Any = None,
    co2_t_per_mwh: float = DEFAULT_CO2_T_PER_MWH,
    site: Sequence[Any] | None = None,
    horizons: Mapping[Any, tuple[Any, Any]] | None = None,
    method: Method = "auto",
    step_deg: float = DEFAULT_STEP_DEG,
    shade: ShadeProfile | None = None,
    mismatch: Mismatch = "irradiance",
) -> EstimateResult:
    """Estimate n surfaces.

    Parameters
    ----------
    kind : (n,) str — ``roof``, ``curtain_wall``, ``corridor`` or ``walkway``.
    tilt : (n,) degrees, 0 = horizontal … 90 = vertical.
    azimuth : (n,) degrees, pvlib convention (0 = north, 90 = east, 180 = south).
    usable_area_m2 : (n,) m² of usable area.
    shading_loss : (n,) or scalar annual shading loss fraction, 0–1 (NaN = 0).
    power_density_w_m2, losses_pct : optional (n,) or scalar overrides; NaN = the kind's default.
        ``losses_pct`` replaces the PVWatts system-loss percentage.
    site, horizons : optional site key per surface, and horizon profiles
        ``{site: (azimuths_deg, elevations_deg)}`` (pvlib azimuths).
    method : ``auto`` (table when it is cheaper than exact), ``table`` or ``exact``.
        With building shade, ``auto`` runs the exact hourly chain for up to
        ``EXACT_MAX_SURFACES`` shaded surfaces and the table path above that.
    shade : sample-point horizons of the surfaces (building shade), or None.
    mismatch : ``irradiance`` (energy follows irradiance) or ``martinez``
        (``pvlib.shading.direct_martinez``, the points as blocks).
    """
    kinds = np.asarray(kind, dtype=object)
    n = kinds.size
    tilt_a, az_a = _as_array(tilt, n, "tilt"), _as_array(azimuth, n, "azimuth") % 360.0
    area = _as_array(usable_area_m2, n, "usable_area_m2")
    manual = np.nan_to_num(_as_array(shading_loss, n, "shading_loss"))
    if np.any((tilt_a < 0) | (tilt_a > 90)) or not np.all(np.isfinite(tilt_a) & np.isfinite(az_a)):
        raise ValueError("tilt must be within [0, 90] degrees and azimuth finite")
    if np.any(area < 0) or np.any((manual < 0) | (manual > 1)):
        raise ValueError("usable_area_m2 must be >= 0 and shading_loss within [0, 1]")
    density = _as_array(np.nan if power_density_w_m2 is None else power_density_w_m2, n, "power_density_w_m2")
    losses = _as_array(np.nan if losses_pct is None else losses_pct, n, "losses_pct")
    if mismatch not in MISMATCHES:
        raise ValueError(f"mismatch must be one of {', '.join(MISMATCHES)}, got {mismatch!r}")
    if shade is not None:
        shade.check(n)
    weather = weather or default_weather()
    table_cfg = dict(assumptions or DEFAULT_ASSUMPTIONS)
    sites = np.asarray(site, dtype=object) if site is not None else np.full(n, None, dtype=object)
    horizons = horizons or {}

    sets: list[KindAssumptions] = []
    set_index = np.empty(n, dtype=int)
    # NaN (no override) becomes None so that equal keys compare equal
    keys = [
        (k, None if d != d else d, None if lo != lo else lo)
        for k, d, lo in zip(kinds.tolist(), density.tolist(), losses.tolist(), strict=True)
    ]
    memo: dict[tuple[Any, ...], int] = {}
    for i, key in enumerate(keys):  # per surface, but only dictionary look-ups (no hours involved)
        idx = memo.get(key)
        if idx is None:
            a = assumptions_for(key[0], table=table_cfg, losses_pct=key[2])
            if key[1] is not None:
                a = replace(a, power_density_w_m2=key[1])
            idx = memo[key] = len(sets)
            sets.append(a)
        set_index[i] = idx

    monthly_sy = np.empty((n, 12))
    methods: set[str] = set()
    has_horizon = np.array([s in horizons for s in sites.tolist()], dtype=bool)
    groups: dict[tuple[Any, ...], list[int]] = {}
    for j, a in enumerate(sets):
        groups.setdefault(a.yield_key(), []).append(j)
    sky = prepare_sky(weather)
    points = SurfacePoints.of(shade, n) if shade is not None else None
    has_points = points.count > 0 if points is not None else np.zeros(n, dtype=bool)
    exact_shade = method == "exact" or (method == "auto" and has_points.sum() <= EXACT_MAX_SURFACES)
    building_loss, sky_view = np.full(n, np.nan), np.full(n, np.nan)
    shade_methods: set[str] = set()
    for members in groups.values():
        a = sets[members[0]]
        sel = np.isin(set_index, members)
        plain = sel & ~has_horizon
        masks: dict[Any, np.ndarray | None] = {}
        if plain.any():
            monthly_sy[plain], how = _specific_monthly(
                weather, a, tilt_a[plain], az_a[plain], method, step_deg, None
            )
            methods.add(how)
            masks[None] = None
        for s in {x for x in sites[sel & has_horizon].tolist()}:
            rows = sel & (sites == s)
            h_az, h_el = horizons[s]
            masks[s] = mask = horizon_beam_mask(sky.solar_azimuth, sky.apparent_elevation, h_az, h_el)
            monthly_sy[rows], how = _specific_monthly(
                weather, a, tilt_a[rows], az_a[rows], "exact", step_deg, mask
            )
            methods.add(how + " with site horizon")
        if points is not None:
            for key, beam in masks.items():
                rows_s = np.flatnonzero(sel & has_points & (~has_horizon if key is None else sites == key))
                shade_methods |= _apply_building_shade(
                    sky, a, rows_s, tilt_a, az_a, points, beam, exact_shade, mismatch,
                    out=(monthly_sy, building_loss, sky_view),
                )  # fmt: skip

    capacity = area * np.array([a.power_density_w_m2 for a in sets])[set_index] / 1000.0
    monthly_sy *= (1.0 - manual)[:, None]
    monthly = monthly_sy * capacity[:, None]
    annual = monthly.sum(axis=1)
    provenance: EstimateProvenance = {
        "engine_version": ENGINE_VERSION,
        "pvlib_version": pvlib.__version__,
        "method": "; ".join(sorted(methods)) or "none",
        "weather": weather.describe(),
        "assumption_sets": [a.as_dict() for a in sets],
        "co2_t_per_mwh": float(co2_t_per_mwh),
        "shading": "surface shading_loss fraction applied to AC energy on top of losses_pct",
        "horizon_sites": sorted({str(s) for s in sites[has_horizon].tolist()}),
        "building_shade": None
        if shade is None
        else {
            "method": "; ".join(sorted(shade_methods)) or "none",
            "mismatch": mismatch,
            "surfaces": int(has_points.sum()),
            "points": shade.points,
            "step_deg": float(shade.step_deg),
        },
    }
    return EstimateResult(
        capacity,
        annual,
        monthly_sy.sum(axis=1),
        monthly,
        annual / 1000.0 * co2_t_per_mwh,
        set_index,
        provenance,
        shading_loss=building_loss,
        sky_view_factor=sky_view,
    )


def orientation_report(
    tilt: float,
    azimuth: float,
    kind: str = "roof",
    weather_path: str | Path | None = None,
    losses_pct: float | None = None,
    *,
    weather: WeatherYear | None = None,
) -> dict[str, Any]:
    """Annual and monthly kWh/kWp of one orientation and what was assumed (for ``pvhub yield``).

    Returns exactly ``{"annual_kwh_per_kwp", "monthly_kwh_per_kwp" (12), "assumptions", "weather"}``.
    """
    if weather is None:
        weather = read_weather(weather_path) if weather_path is not None else default_weather()
    density = assumptions_for(kind).power_density_w_m2
    res = estimate(
        [kind], [tilt], [azimuth], [1000.0 / density], weather=weather, losses_pct=losses_pct, method="exact"
    )
    assumptions = res.provenance["assumption_sets"][0]
    assumptions.update(
        tilt_deg=float(tilt),
        azimuth_deg=float(azimuth) % 360.0,
        transposition="perez",
        dc_model="pvwatts",
        ac_model="pvwatts",
        pvlib_version=pvlib.__version__,
    )
    return {
        "annual_kwh_per_kwp": round(float(res.specific_yield[0]), 2),
        "monthly_kwh_per_kwp": [round(float(x), 2) for x in res.monthly_kwh[0] / res.capacity_kwp[0]],
        "assumptions": assumptions,
        "weather": weather.describe(),
    }
