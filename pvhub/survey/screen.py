"""Screen a building stock without a database: derive its candidates, shade and estimate them in one call.

This is what ``pvhub survey FILE`` runs and what the survey job builds on. It imports only the pure
parts (:mod:`gis` and :mod:`pvhub.yieldengine`) and the database-free
:mod:`pvhub.survey.candidate_shading`, so a city can be screened anywhere.

Unshaded, the estimate is one vectorised :func:`pvhub.yieldengine.estimate` call over the candidates'
distinct (kind, tilt, azimuth) (the engine interpolates a (tilt, azimuth) table when that is cheaper
than one pvlib run per orientation; see :func:`_distinct_orientations`): that gives every candidate's
``kwh_per_kwp_unshaded``. The sun is computed for the weather year's location; a warning says when the
buildings lie more than :data:`FAR_WEATHER_KM` from it.

Building shade (issue #19, ``shading=True``, the default): every candidate is sampled, each sample
point's horizon is cast over the stock's buildings within ``radius_m`` (its own building and the
neighbours; :mod:`pvhub.survey.candidate_shading`) and the engine estimates each candidate with its
points' horizons and sky-view factors hour by hour (``mismatch``: the plain irradiance loss, or
Martínez-Moreno's electrical mismatch for the beam, :func:`pvlib.shading.direct_martinez`). The
engine's ``shading_loss`` is the share of the candidate's energy its shade takes; a candidate's
``kwh_per_kwp`` is its unshaded figure times one minus that share, so the two figures a candidate
carries always agree with its loss; and the minimum yield screens on the shaded figure. Without
shading, ``shading_loss`` and ``sky_view_factor`` are None and the unshaded yield is the yield.

``min_kwh_per_kwp`` defaults to :data:`DEFAULT_MIN_KWH_PER_KWP`, the same figure as the survey's
rules (:mod:`pvhub.survey.rules`): a surface's cost per kWh goes as one over its specific yield, so a
candidate yielding under about 55–60 % of a well-oriented roof in the same weather (about 1,050
kWh/kWp on the embedded Shanghai year, benchmarks/README.md) costs nearly twice as much per kWh and is
not worth a tender. On the embedded year that keeps walls facing within about 30° of south and drops
east and west walls (about 505 kWh/kWp), each listed as skipped with its figure; pass 0 to keep them.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from pyproj import CRS, Geod

from gis.candidates import Candidate, CandidateRules, SkippedPart, derive_candidates
from gis.shading import DEFAULT_RADIUS_M, Scene
from gis.stock import N_, MetricFrame, Skipped, Stock, because
from pvhub.core.errors import Phrase
from pvhub.survey.candidate_shading import CandidateShade, shade_candidates
from pvhub.yieldengine import (
    SURFACE_KINDS,
    KindAssumptions,
    Mismatch,
    WeatherYear,
    default_weather,
    estimate,
)

#: A candidate with a lower specific yield (kWh/kWp) is skipped; see the module docstring.
DEFAULT_MIN_KWH_PER_KWP = 600.0
#: Buildings farther than this from the weather year's location (km) get a warning.
FAR_WEATHER_KM = 100.0
#: ``provenance["shading"]`` of a survey run without building shade.
SHADING_METHOD = "none (building shade left out: --no-shading)"
#: Decimals of a candidate's shading loss and sky-view factor (0.01 %: finer than the rays resolve).
SHADE_DECIMALS = 4
_GEOD = Geod(ellps="WGS84")

#: Told the share done and what is being done: a :class:`Phrase`, so that a job page can show it in
#: the reader's language (``str()`` of it is the English the CLI prints).
Progress = Callable[[float, Phrase], None]


@dataclass(slots=True)
class ScreenedCandidate:
    """A candidate and its estimate: kWp DC, kWh AC a year, kWh/kWp (shaded when the survey shades, and
    unshaded); ``shading_loss`` (0–1, the share of its energy building shade takes) and
    ``sky_view_factor`` (0–1, the mean of its sample points') are None in a survey without shading."""

    candidate: Candidate
    kwp: float
    annual_kwh: float
    kwh_per_kwp: float
    kwh_per_kwp_unshaded: float
    shading_loss: float | None = None
    sky_view_factor: float | None = None


@dataclass
class SurveyResult:
    """What a survey found: the stock's building count, screened candidates, what was left out and why.

    ``frame`` is the stock's metric frame, kept to print centroids in the file's own coordinates.
    """

    buildings: int
    candidates: list[ScreenedCandidate]
    skipped: list[Skipped]
    warnings: list[str]
    provenance: dict[str, Any]
    frame: MetricFrame | None = field(default=None, repr=False)
    #: the sample points' horizons and sky views and the stages' times (None without shading), for the
    #: benchmark and whoever wants a candidate's skyline; ``shade.profile.surface`` indexes
    #: ``shade.candidates``, the candidates whose rays were cast
    shade: CandidateShade | None = field(default=None, repr=False)


def survey(
    stock: Stock,
    *,
    weather: WeatherYear | None = None,
    assumptions: Mapping[str, KindAssumptions] | None = None,
    rules: CandidateRules = CandidateRules(),
    min_kwh_per_kwp: float = DEFAULT_MIN_KWH_PER_KWP,
    boundary: Any = None,
    progress: Progress | None = None,
    shading: bool = True,
    radius_m: float = DEFAULT_RADIUS_M,
    mismatch: Mismatch = "irradiance",
    scene: Scene | None = None,
) -> SurveyResult:
    """Derive, shade and estimate the candidates of ``stock``; those under ``min_kwh_per_kwp`` (shaded
    yield) are skipped.

    ``shading``: building shade from the stock's buildings within ``radius_m`` (m) of each sample point
    (see the module docstring); ``scene``: the buildings that cast shade, in ``stock``'s frame (default:
    ``stock``'s own; the survey job passes every stored building, neighbours and other imports too).
    """
    if radius_m <= 0:
        raise ValueError(f"radius_m must be > 0 m, got {radius_m}")
    report = progress or (lambda _share, _text: None)
    weather = weather or default_weather()
    shade = _Shade(shading, radius_m, mismatch, scene)
    was_enabled = gc.isenabled()
    gc.disable()  # a city's million screened candidates hold no cycles: collecting them only costs time
    try:
        return _survey(stock, weather, assumptions, rules, min_kwh_per_kwp, boundary, report, shade)
    finally:
        if was_enabled:
            gc.enable()


def _survey(
    stock: Stock,
    weather: WeatherYear,
    assumptions: Mapping[str, KindAssumptions] | None,
    rules: CandidateRules,
    min_kwh_per_kwp: float,
    boundary: Any,
    report: Progress,
    shade: _Shade,
) -> SurveyResult:
    report(0.0, Phrase("deriving candidates from {count:,} buildings", count=len(stock.buildings)))
    derived = derive_candidates(stock, rules, boundary=boundary)
    cands = derived.candidates
    report(0.1 if shade.on else 0.5, Phrase("estimating {count:,} candidates", count=len(cands)))
    n = len(cands)
    kinds = np.array([c.kind for c in cands], dtype=object)
    tilt = np.fromiter((c.tilt for c in cands), dtype=float, count=n)
    azimuth = np.fromiter((c.azimuth for c in cands), dtype=float, count=n)
    usable = np.fromiter((c.usable_area_m2 for c in cands), dtype=float, count=n)
    first, inverse = _distinct_orientations(kinds, tilt, azimuth)
    res = estimate(
        kinds[first],
        tilt[first],
        azimuth[first],
        np.ones(len(first)),
        weather=weather,
        assumptions=assumptions,
    )
    kwp = usable * res.capacity_kwp[inverse]  # kWp per m² of usable area, times the area
    unshaded = res.specific_yield[inverse]
    figures = _Figures(unshaded, unshaded, None, None)
    shading: Any = SHADING_METHOD
    cast: CandidateShade | None = None
    if shade.on and n:
        figures, shading, cast = _shaded(
            stock, cands, unshaded, min_kwh_per_kwp, shade, weather, assumptions, report
        )
    report(0.9, Phrase("screening"))
    skipped = list(stock.skipped) + derived.skipped
    screened = _screen(cands, kwp, figures, min_kwh_per_kwp, skipped)
    warnings = list(stock.warnings) + _distance_warning(stock, weather)
    provenance = {
        "weather": weather.describe(),
        "engine": {k: res.provenance[k] for k in ("engine_version", "pvlib_version", "method")},
        "assumption_sets": res.provenance["assumption_sets"],
        "rules": {**rules.as_dict(), "min_kwh_per_kwp": min_kwh_per_kwp},
        "shading": shading,
    }
    report(
        1.0, Phrase("{count:,} candidates, {skipped:,} skipped", count=len(screened), skipped=len(skipped))
    )
    return SurveyResult(len(stock.buildings), screened, skipped, warnings, provenance, stock.frame, cast)


def _distinct_orientations(
    kinds: np.ndarray, tilt: np.ndarray, azimuth: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The first candidate of each distinct (kind, tilt, azimuth) to a micro-degree (the engine's own
    rounding), and each candidate's index among them.

    The engine's specific yield depends on the kind and orientation only, and a candidate's capacity
    is its usable area times the kind's power density, so one engine call over the distinct
    orientations at 1 m² gives every candidate's figures. A city's walls share few orientations (its
    streets' directions); the engine's own search for distinct orientations sorts (tilt, azimuth)
    pairs, which took a third of the survey of 100,000 buildings, while this sorts one int64 key.
    """
    codes = {k: i for i, k in enumerate(sorted(set(kinds.tolist())))}
    kind_code = np.fromiter((codes[k] for k in kinds.tolist()), dtype=np.int64, count=len(kinds))
    micro_tilt = np.round(tilt * 1e6).astype(np.int64)  # 0 … 9e7
    micro_az = np.round(np.mod(azimuth, 360.0) * 1e6).astype(np.int64)  # 0 … 3.6e8
    key = (kind_code * 90_000_001 + micro_tilt) * 360_000_001 + micro_az  # < 4e17, within int64
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    return first, inverse.ravel()


@dataclass(frozen=True)
class _Shade:
    """How a survey shades: on or off, the rays' reach (m), the mismatch model, the scene if given."""

    on: bool
    radius_m: float
    mismatch: Mismatch
    scene: Scene | None


@dataclass(frozen=True)
class _Figures:
    """Per candidate: specific yield shaded and unshaded (kWh/kWp), shading loss and sky-view factor
    (None without shading)."""

    specific: np.ndarray
    unshaded: np.ndarray
    loss: np.ndarray | None
    sky_view: np.ndarray | None


def _shaded(
    stock: Stock,
    everyone: list[Candidate],
    unshaded: np.ndarray,
    minimum: float,
    shade: _Shade,
    weather: WeatherYear,
    assumptions: Mapping[str, KindAssumptions] | None,
    report: Progress,
) -> tuple[_Figures, dict[str, Any], CandidateShade]:
    """Shade the candidates and estimate each with its points' horizons (0.1 → 0.9 of the progress:
    the rays take most of it, reported chunk by chunk).

    A candidate under ``minimum`` unshaded is screened out whatever its shade (shade only lowers a
    yield), so no ray is cast for it: it is skipped on its unshaded figure. That spares the rays of a
    city's east and west walls, about a third of its candidates.
    """
    worth = np.flatnonzero(unshaded >= minimum)
    cands = [everyone[i] for i in worth.tolist()]
    n = len(cands)
    report(0.12, Phrase("building shade: sampling {count:,} candidates", count=n))

    def rays(share: float) -> None:
        report(
            0.15 + 0.6 * share, Phrase("building shade: rays cast for {share:.0%} of the points", share=share)
        )

    cast: CandidateShade = shade_candidates(
        stock, cands, scene=shade.scene, radius_m=shade.radius_m, progress=rays
    )
    report(0.76, Phrase("building shade: estimating {count:,} candidates hour by hour", count=n))
    start = time.perf_counter()
    res = estimate(
        np.array([c.kind for c in cands], dtype=object),
        np.fromiter((c.tilt for c in cands), dtype=float, count=n),
        np.fromiter((c.azimuth for c in cands), dtype=float, count=n),
        np.ones(n),
        weather=weather,
        assumptions=assumptions,
        shade=cast.profile,
        mismatch=shade.mismatch,
    )
    cast.timings["engine_s"] = time.perf_counter() - start
    loss = np.full(len(everyone), np.nan)
    sky = np.full(len(everyone), np.nan)
    loss[worth] = np.clip(np.nan_to_num(np.asarray(res.shading_loss, dtype=float)), 0.0, 1.0)
    sky[worth] = np.asarray(res.sky_view_factor, dtype=float)
    specific = unshaded.copy()
    specific[worth] = unshaded[worth] * (1.0 - loss[worth])
    cast.shading_loss = loss[worth]
    described = {
        **cast.describe(shade.mismatch),
        "engine": res.provenance.get("building_shade"),
        "timings_s": {k: round(v, 3) for k, v in cast.timings.items()},
    }
    return _Figures(specific, unshaded, loss, sky), described, cast


def _screen(
    cands: list[Candidate],
    kwp: np.ndarray,
    figures: _Figures,
    minimum: float,
    skipped: list[Skipped],
) -> list[ScreenedCandidate]:
    out: list[ScreenedCandidate] = []
    append = out.append
    nothing = [None] * len(cands)
    loss = nothing if figures.loss is None else np.round(figures.loss, SHADE_DECIMALS).tolist()
    sky = nothing if figures.sky_view is None else np.round(figures.sky_view, SHADE_DECIMALS).tolist()
    rows = zip(
        cands, kwp.tolist(), figures.specific.tolist(), figures.unshaded.tolist(), loss, sky, strict=True
    )
    for c, p, s, u, lo, sv in rows:
        if s < minimum:
            reason = because(
                N_("{kind} {id}: {kwh_per_kwp:.0f} kWh/kWp, under the minimum {minimum:g} kWh/kWp"),
                kind=c.kind,
                id=c.id,
                kwh_per_kwp=s,
                minimum=minimum,
                band=_band_number(c.id),
            )
            skipped.append(SkippedPart(c.source, area_m2=c.area_m2, **reason))
            continue
        append(ScreenedCandidate(c, p, p * s, s, u, lo, sv))
    return out


def _band_number(candidate_id: str) -> int | None:
    """A facade band's number from its candidate id (``building/object/face/b7``), None for a roof:
    the pages group a face's bands by it."""
    last = candidate_id.rsplit("/", 1)[-1]
    return int(last[1:]) if last[:1] == "b" and last[1:].isdigit() else None


def _distance_warning(stock: Stock, weather: WeatherYear) -> list[str]:
    """A warning when the buildings' centre lies more than FAR_WEATHER_KM from the weather's location."""
    footprints = [b.footprint for b in stock.buildings if b.footprint is not None]
    if not footprints:
        return []
    minx, miny, maxx, maxy = shapely.total_bounds(np.array(footprints, dtype=object))
    lon, lat = (minx + maxx) / 2.0, (miny + maxy) / 2.0
    _, _, metres = _GEOD.inv(lon, lat, weather.longitude, weather.latitude)
    km = metres / 1000.0
    if km <= FAR_WEATHER_KM:
        return []
    return [
        f"the buildings' centre (lon {lon:.4f}, lat {lat:.4f}) lies {km:,.0f} km from where the weather year "
        f"was recorded (lon {weather.longitude:.4f}, lat {weather.latitude:.4f}); the sun and the weather "
        f"are those of the weather's location (pass --weather for a year recorded nearby)"
    ]


def totals(result: SurveyResult) -> dict[str, Any]:
    """``{"kwp", "annual_mwh", "by_kind": {kind: {"kwp", "annual_mwh", "count"}}}``, every kind listed."""
    by_kind = {k: {"kwp": 0.0, "annual_mwh": 0.0, "count": 0} for k in SURFACE_KINDS}
    for s in result.candidates:
        row = by_kind.setdefault(s.candidate.kind, {"kwp": 0.0, "annual_mwh": 0.0, "count": 0})
        row["kwp"] += s.kwp
        row["annual_mwh"] += s.annual_kwh / 1000.0
        row["count"] += 1
    for row in by_kind.values():
        row["kwp"] = round(float(row["kwp"]), 3)
        row["annual_mwh"] = round(float(row["annual_mwh"]), 3)
    return {
        "kwp": round(sum(float(r["kwp"]) for r in by_kind.values()), 3),
        "annual_mwh": round(sum(float(r["annual_mwh"]) for r in by_kind.values()), 3),
        "by_kind": by_kind,
    }


def survey_json(result: SurveyResult, *, weather: WeatherYear, wall_s: float) -> dict[str, Any]:
    """The JSON ``pvhub survey --json`` prints (issue #18, "Command line"), key for key."""
    return {
        "buildings": result.buildings,
        "weather": {
            "name": weather.label,
            "sha256": weather.sha256,
            "synthetic": weather.source == "synthetic",
        },
        "candidates": _candidate_rows(result),
        "skipped": [{"source": s.source.as_dict(), "reason": s.reason} for s in result.skipped],
        "totals": totals(result),
        "warnings": list(result.warnings),
        "wall_s": round(float(wall_s), 3),
    }


def _candidate_rows(result: SurveyResult) -> list[dict[str, Any]]:
    cands = result.candidates
    n = len(cands)
    x = np.fromiter((s.candidate.centroid[0] for s in cands), dtype=float, count=n)
    y = np.fromiter((s.candidate.centroid[1] for s in cands), dtype=float, count=n)
    z = np.fromiter((s.candidate.centroid[2] for s in cands), dtype=float, count=n)
    decimals = 3
    if result.frame is not None and n:
        x, y, z = (np.asarray(a, dtype=float) for a in result.frame.to_file(x, y, z))
        decimals = 7 if CRS.from_epsg(result.frame.source_epsg).is_geographic else 3
    rows = []
    for s, fx, fy, fz in zip(cands, x.tolist(), y.tolist(), z.tolist(), strict=True):
        c = s.candidate
        rows.append(
            {
                "id": c.id,
                "building": c.building,
                "source": c.source.as_dict(),
                "kind": c.kind,
                "centroid": [round(fx, decimals), round(fy, decimals), round(fz, 3)],
                "lon": round(c.lon, 7),
                "lat": round(c.lat, 7),
                "z_m": round(c.z_m, 3),
                "area_m2": round(c.area_m2, 3),
                "usable_area_m2": round(c.usable_area_m2, 3),
                "tilt": round(c.tilt, 3),
                "azimuth": round(c.azimuth, 3),
                "kwp": round(s.kwp, 3),
                "annual_kwh": round(s.annual_kwh, 1),
                "kwh_per_kwp": round(s.kwh_per_kwp, 1),
                "kwh_per_kwp_unshaded": round(s.kwh_per_kwp_unshaded, 1),
                "shading_loss": s.shading_loss,
                "sky_view_factor": s.sky_view_factor,
            }
        )
    return rows
