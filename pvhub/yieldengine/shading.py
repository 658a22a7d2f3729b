"""Building shade in the yield engine: per-point horizons applied hour by hour.

A :class:`ShadeProfile` holds, for sample points on the surfaces, the obstruction elevation
per true-azimuth bin (``gis.shading.horizons``: bin k is azimuth k · step, its centre) and
each point's sky-view factor. The engine applies it to the Perez/PVWatts chain of
:mod:`pvhub.yieldengine.engine` as follows; each choice and why:

* **Sun behind an obstruction, per point and hour.** A point sees the sun when the sun's
  apparent elevation is above the point's horizon in the bin *nearest* the sun's azimuth. The
  horizons are ray-cast at the bin centres, so the nearest bin is the measured value (the sun is
  within step/2 of it); linear interpolation would turn a tower's edge into a ramp, no truer.
  ``f(h)`` = share of the surface's points that see the sun.
* **The surface's own plane is left to cos(AOI).** A horizon includes the point's own plane
  (a wall hides the sky behind it). The chain already removes that exactly (the beam is
  max(cos AOI, 0)), so an obstruction counts only where it rises more than
  :data:`PLANE_TOLERANCE_DEG` above the plane's own horizon across the bin. The tolerance
  covers the 0.5° storage and bisection resolution of the horizons; an obstruction lower than
  that hides the sun only at angles of incidence beyond 89°, where the beam is nil. So an
  unobstructed profile gives exactly the unshaded engine. (In the bin that holds the plane's
  own edge the plane decides, obstruction or not: the sun there is within a bin of grazing.)
* **Beam and circumsolar diffuse** are scaled by f(h): Perez's circumsolar term comes from
  the disc around the sun and is hidden with it.
* **Isotropic sky diffuse** is dhi·(1 − F1)·SVF instead of dhi·(1 − F1)·(1 + cos β)/2, SVF
  the mean sky-view factor of the surface's points (cosine-weighted sky share of the tilted
  plane's hemisphere), capped at (1 + cos β)/2: buildings only ever remove sky. A point
  whose horizon nowhere rises above its plane's counts (1 + cos β)/2 exactly (a numerical
  SVF of the bare plane is off by ~1e-4 at 2° bins).
* **Horizon brightening** (Perez F2·sin β) is the light of a band along the horizon, 6.5°
  high in the Perez model (Perez et al. 1987, Solar Energy 39(3) 221–231; kept in the 1990
  coefficients). It is scaled by the share of that band the points still see: per bin, the
  part of [0°, 6.5°] above both the obstruction and the plane's own horizon, weighted by
  max(cos(azimuth − surface azimuth), 0) — a near-horizontal ray's incidence on the plane,
  which is why the unobstructed term is proportional to sin β — relative to the same sum
  for the bare plane.
* **Ground-reflected light** stays (1 − cos β)/2·ρ·GHI of the unobstructed plane. The
  obstructing facades, which take the place of sky (not of ground) in the surface's view,
  reflect light that is not modelled (facade albedo is of the order of the ground's 0.2),
  and that is taken to make up for the street floor the buildings shade. It keeps the
  treatment simple and errs, if anything, slightly high for deep canyons.
* **Terrain** (the site horizon profile) keeps its role: a beam mask of the whole surface,
  as without building shade. A point then sees the beam only above both horizons — the
  elementwise maximum — and building shade is measured against the same surface with
  terrain but without buildings.
* **Mismatch.** ``"irradiance"`` (default): energy follows irradiance. ``"martinez"``:
  ``pvlib.shading.direct_martinez`` (Martínez-Moreno, Muñoz and Lorenzo 2010, eqs. 6 and 8)
  with the surface's sample points as the blocks: each hour the beam and circumsolar are
  multiplied by the share of points that see the sun and by 1 − (shaded points)/(points + 1),
  so a partly shaded string loses more than its shaded area; all points lit or all shaded, it
  is the irradiance loss.

Two paths, neither looping in Python over surfaces × hours:

* ``exact`` (``auto`` up to :data:`EXACT_MAX_SURFACES` shaded surfaces): the full hourly
  chain (temperature, DC, inverter) per surface, in blocks, with the unshaded reference
  evaluated exactly per distinct orientation.
* ``table`` (``auto`` above that): the unshaded yield (the 2° table, or the exact
  site-horizon path) times (1 − monthly loss), the loss per surface and month being
  Σ ΔPOA_eff / Σ POA_eff over the month's hours, from the irradiance chain alone in float32:
  beam + circumsolar per (hour, surface), only in the hours the sun faces some surface of the
  block; the orientation-free sky terms summed per month once. Temperature and the inverter
  are not re-evaluated, nor the Perez clip of negative sky diffuse. Shade cools the cells a
  little (the DC loss is ~0.3 points below the irradiance loss), and PVWatts' inverter
  efficiency falls at part load (the AC loss ~1 point above it on a dim north wall with 17 %
  irradiance loss), so this path underestimates the loss of dimly lit surfaces most; the tests
  and ``benchmarks/shading_engine.py`` bound the difference to ``exact`` (within 2 % of annual
  energy, mean 0.2 %).
* Visibility is (points × hours) comparisons of the sun's elevation with each point's horizon
  in the sun's bin, visited per point rank so each is a dense (hours × surfaces) array.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pvlib

from pvhub.yieldengine.assumptions import KindAssumptions
from pvhub.yieldengine.engine import (
    BuildingShade,
    Sky,
    ac_monthly,
    direct_and_circumsolar,
    facing_hours,
    perez_components,
    plane_of_array,
    prepare_sky,
    specific_yield_exact,
)
from pvhub.yieldengine.weather import WeatherYear

Mismatch = Literal["irradiance", "martinez"]
MISMATCHES: tuple[str, ...] = ("irradiance", "martinez")
#: An obstruction counts only this far above the plane's own horizon [degrees].
PLANE_TOLERANCE_DEG = 1.0
#: Height of the Perez horizon-brightening band [degrees] (Perez et al. 1987).
HORIZON_BAND_DEG = 6.5
#: ``auto`` evaluates at most this many shaded surfaces with the exact chain, more by table.
EXACT_MAX_SURFACES = 256
#: The table path drops the hours the sun is behind every surface of a block as steep as this.
FACING_MIN_TILT_DEG = 60.0
_BLOCK_CELLS = 8_000_000  # hours × surfaces × min(points, 4) per block: float32 arrays of ~8 MB
_EXACT_BLOCK_CELLS = 1_500_000  # hours × surfaces per block of the exact chain (~20 float64 arrays of 12 MB)
_NO_OBSTRUCTION = np.float32(-90.0)

#: How a run's building shade was computed, as its provenance records it (pages translate these).
EXACT_METHOD = "exact hourly chain per surface"
TABLE_METHOD = "table yield x (1 - monthly loss of effective irradiance)"


@dataclass(frozen=True)
class ShadeProfile:
    """Horizons of sample points on an estimate's surfaces.

    ``horizon`` (P, A) float32: obstruction elevation per true-azimuth bin [degrees], bin k at
    azimuth k · step_deg, A = 360 / step_deg, as ``gis.shading.horizons`` gives it;
    ``surface`` (P,): index of the estimate's surface each point lies on (surfaces without
    points get no building shade); ``sky_view`` (P,): sky-view factor of each point [0–1].
    """

    horizon: np.ndarray
    surface: np.ndarray
    sky_view: np.ndarray
    step_deg: float = 2.0

    @property
    def points(self) -> int:
        return int(self.surface.size)

    def check(self, n: int) -> None:
        """Raise ValueError naming the field, the point and why, if the profile does not fit n surfaces."""
        bins = round(360.0 / self.step_deg) if self.step_deg > 0 else 0
        if bins < 1 or abs(bins * self.step_deg - 360.0) > 1e-9:
            raise ValueError(f"ShadeProfile.step_deg must divide 360 degrees, got {self.step_deg}")
        p = self.surface.shape[0] if self.surface.ndim == 1 else -1
        if self.horizon.shape != (p, bins) or self.sky_view.shape != (p,):
            raise ValueError(
                f"ShadeProfile: horizon must be (points, {bins}) and surface, sky_view (points,); "
                f"got {self.horizon.shape}, {self.surface.shape}, {self.sky_view.shape}"
            )
        if not np.issubdtype(self.surface.dtype, np.integer):
            raise ValueError(
                f"ShadeProfile.surface must hold integer surface indices, got {self.surface.dtype}"
            )
        _first_bad("surface", (self.surface < 0) | (self.surface >= n), f"must index one of the {n} surfaces")
        # min and max per point: NaN fails both comparisons, and no (P, A) temporaries
        low, high = self.horizon.min(axis=1), self.horizon.max(axis=1)
        _first_bad(
            "horizon", ~((low >= -90) & (high <= 90)), "elevations must be finite, within [-90, 90] degrees"
        )
        _first_bad("sky_view", ~((self.sky_view >= 0) & (self.sky_view <= 1)), "must be within [0, 1]")


def _first_bad(field: str, bad: np.ndarray, why: str) -> None:
    if bad.any():
        raise ValueError(f"ShadeProfile point {int(np.flatnonzero(bad)[0])}: {field} {why}")


def _sun_bins(sky: Sky, step_deg: float) -> np.ndarray:
    """Index of the horizon bin nearest each hour's solar azimuth."""
    bins = round(360.0 / step_deg)
    return np.rint(sky.solar_azimuth / step_deg).astype(np.intp) % bins


def plane_reference(tilt: np.ndarray, azimuth: np.ndarray, step_deg: float) -> np.ndarray:
    """Elevation the plane itself hides the sky up to, at its highest across each bin: (k, A) float32.

    The plane of tilt β and azimuth γ hides direction (az, el) when
    cos el · sin β · cos(az − γ) + sin el · cos β < 0, i.e. below atan2(−sin β cos(az − γ), cos β),
    which grows as cos(az − γ) falls: its highest over a bin is where cos(az − γ) is least, at
    one of the bin's edges or, in the bin holding γ + 180°, −1. Never below 0 (the sun is never
    below the horizontal in the lit hours that matter).
    """
    bins = round(360.0 / step_deg)
    edges = np.radians((np.arange(bins + 1) - 0.5) * step_deg).astype(np.float32)
    c = np.cos(edges[None, :] - np.radians(azimuth).astype(np.float32)[:, None])  # float32: 4x faster
    least = np.minimum(c[:, :-1], c[:, 1:])
    back = np.rint(((azimuth + 180.0) % 360.0) / step_deg).astype(np.intp) % bins
    least[np.arange(azimuth.size), back] = -1.0
    b = np.radians(tilt)[:, None]
    el = np.arctan2(least * (-np.sin(b)).astype(np.float32), np.cos(b).astype(np.float32))
    el *= np.float32(180.0 / np.pi)
    return np.maximum(el, np.float32(0.0))


def _obstruction(horizon: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Horizon where it rises above the plane's own (+ tolerance), else -90 (nothing in the way)."""
    h = horizon.astype(np.float32, copy=False)
    return np.where(h > reference + np.float32(PLANE_TOLERANCE_DEG), h, _NO_OBSTRUCTION)


def _band_weights(reference: np.ndarray, azimuth: np.ndarray, step_deg: float) -> np.ndarray:
    """Per-bin weights of the Perez horizon band of k planes, normalised to the bare plane: (k, A).

    max(cos(bin azimuth − plane azimuth), 0) times the share of the band the bare plane sees,
    divided by their sum; a point's band share is then Σ weight · (its seen share / bare share).
    """
    centres = np.radians(np.arange(reference.shape[1]) * step_deg).astype(np.float32)
    weight = np.maximum(np.cos(centres[None, :] - np.radians(azimuth).astype(np.float32)[:, None]), 0.0)
    total = (weight * np.clip((HORIZON_BAND_DEG - reference) / HORIZON_BAND_DEG, 0.0, 1.0)).sum(axis=1)
    return (weight / np.where(total > 0, total, np.inf)[:, None]).astype(np.float32)


def _band_share(obstruction: np.ndarray, reference: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Share of the Perez horizon band each point sees, relative to the bare plane: (p,)."""
    seen = np.maximum(obstruction, reference)
    np.subtract(np.float32(HORIZON_BAND_DEG), seen, out=seen)
    np.clip(seen, 0.0, np.float32(HORIZON_BAND_DEG), out=seen)
    return np.asarray((weights * seen).sum(axis=1) / HORIZON_BAND_DEG)


@dataclass(frozen=True)
class SurfacePoints:
    """A profile's points grouped by surface, for gathering blocks of surfaces (``SurfacePoints.of``)."""

    profile: ShadeProfile
    order: np.ndarray
    start: np.ndarray  # (n,) first position in ``order`` of each surface's points
    count: np.ndarray  # (n,)

    @classmethod
    def of(cls, profile: ShadeProfile, n: int) -> SurfacePoints:
        order = np.argsort(profile.surface, kind="stable")
        start = np.searchsorted(profile.surface[order], np.arange(n))
        return cls(profile, order, start, np.bincount(profile.surface, minlength=n))


@dataclass(frozen=True)
class _Block:
    """Building shade of a block of k listed surfaces."""

    rows: slice  # into the listed surfaces
    hours: np.ndarray  # the lit hours ``visible`` covers (indices into the sky's); elsewhere all see the sun
    cos_aoi: np.ndarray | None  # (len(hours), k) float32 when computed to pick the hours
    visible: np.ndarray  # (len(hours), k) float32: share of the points that see the sun
    count: np.ndarray  # (k,) points
    sky_view: np.ndarray  # (k,) mean of the points' sky-view factors (the result's)
    sky_view_used: np.ndarray  # (k,) the same with unobstructed points at the bare plane's, capped
    band: np.ndarray  # (k,) share of the horizon band left

    def keep(self, mismatch: Mismatch) -> np.ndarray:
        """Share of beam and circumsolar kept each hour (hours, k): irradiance or Martínez."""
        if mismatch == "irradiance":
            return self.visible
        # direct_martinez of a unit beam with no diffuse is 1 minus its beam factor, eq. (6)
        blocks = self.count.astype(np.float32)
        shaded = np.float32(1.0) - self.visible
        lost = pvlib.shading.direct_martinez(1.0, 1.0, shaded, np.rint(blocks * shaded), blocks)
        return np.float32(1.0) - np.asarray(lost, dtype=np.float32)


def _blocks(
    sky: Sky,
    pts: SurfacePoints,
    surfaces: np.ndarray,
    tilt: np.ndarray,
    azimuth: np.ndarray,
    hours: np.ndarray,
    facing: bool,
    cells: int = _BLOCK_CELLS,
) -> Iterator[_Block]:
    """Building shade of consecutive blocks of the listed surfaces (tilt, azimuth per listed surface).

    The listed surfaces must come in descending order of their point counts: within a block,
    the surfaces with more than r points are then a prefix, and the points are visited by
    their rank r in their surface (a loop over at most the largest point count), each rank a
    dense (hours × surfaces) comparison. ``facing``: keep only the hours in which the sun is in
    front of some surface of a block of steep planes (walls facing one way skip half the day).
    ``cells``: hours × surfaces × min(points, 4) per block.
    """
    step = pts.profile.step_deg
    sun_bins, sun_el = _sun_bins(sky, step), sky.apparent_elevation.astype(np.float32)
    most = max(1, int(pts.count[surfaces].max(initial=1)))
    per_block = max(1, cells // max(1, hours.size * min(most, 4)))
    for lo in range(0, surfaces.size, per_block):
        sl = slice(lo, lo + per_block)
        s, t, g = surfaces[sl], tilt[sl], azimuth[sl]
        # steep planes (walls) face the sun a part of the day; roofs nearly all of it: not worth a pass
        steep = facing and t.min() >= FACING_MIN_TILT_DEG
        at, cos_aoi = facing_hours(sky, t, g, hours) if steep else (hours, None)
        bins, el = sun_bins[at], sun_el[at][:, None]
        count = pts.count[s]
        ref = plane_reference(t, g, step)
        weights = _band_weights(ref, g, step)
        bare = 0.5 * (1.0 + np.cos(np.radians(t)))
        seen = np.zeros((at.size, s.size), dtype=np.uint8 if count[0] < 256 else np.int32)
        sees = np.empty((at.size, s.size), dtype=bool)
        svf, used, band = np.zeros(s.size), np.zeros(s.size), np.zeros(s.size)
        for rank in range(int(count[0])):
            m = int(np.count_nonzero(count > rank))
            idx = pts.order[pts.start[s[:m]] + rank]
            obstruction = _obstruction(pts.profile.horizon[idx], ref[:m])
            # take(mode="clip") skips the bounds check (bins are valid): ~40 % faster than indexing
            np.less(
                np.take(np.ascontiguousarray(obstruction.T), bins, axis=0, mode="clip"), el, out=sees[:, :m]
            )
            seen[:, :m] += sees[:, :m]
            # a point nothing rises above sees the bare plane's sky, whatever its SVF's rounding
            free = obstruction.max(axis=1) == _NO_OBSTRUCTION
            svf[:m] += pts.profile.sky_view[idx]
            used[:m] += np.where(free, bare[:m], pts.profile.sky_view[idx])
            band[:m] += _band_share(obstruction, ref[:m], weights[:m])
        visible = seen.astype(np.float32)
        visible /= count.astype(np.float32)
        used = np.minimum(used / count, bare)
        yield _Block(sl, at, cos_aoi, visible, count, svf / count, used, band / count)


def _hours_needing_sun(sky: Sky) -> np.ndarray:
    """Lit hours with beam or circumsolar light: only there does the sun's visibility matter."""
    _, circumsolar, _ = perez_components(sky)
    return np.flatnonzero((sky.dni > 0) | (circumsolar > 0))


@dataclass(frozen=True)
class ShadedYield:
    """Monthly specific yield [kWh/kWp] with and without building shade, (k, 12) each, and the method."""

    shaded: np.ndarray
    unshaded: np.ndarray
    sky_view: np.ndarray
    method: str


def _exact_block(
    sky: Sky, a: KindAssumptions, tilt: np.ndarray, azimuth: np.ndarray, block: _Block, **kw: Any
) -> np.ndarray:
    """Shaded monthly specific yield of a block by the full hourly chain, (k, 12)."""
    beam_mask, mismatch = kw["beam_mask"], kw["mismatch"]
    visible = np.ones((block.count.size, sky.ghi.size), dtype=np.float32)
    visible[:, block.hours] = block.visible.T
    points = block.count.astype(float) if mismatch == "martinez" else None
    shade = BuildingShade(visible, block.sky_view_used, block.band, points)
    poa_global, effective, _ = plane_of_array(sky, tilt, azimuth, a, beam_mask, shade)
    return ac_monthly(sky, poa_global, effective, a)


def _loss_block(
    sky: Sky, a: KindAssumptions, tilt: np.ndarray, azimuth: np.ndarray, block: _Block, **kw: Any
) -> np.ndarray:
    """Monthly loss fraction of effective irradiance of a block, (k, 12).

    ΔPOA_eff = (1 − kept) · (beam_eff + circumsolar) + ((1 + cos β)/2 − SVF) · iso + sin β · (1 − band) · hor,
    over POA_eff = beam_eff + circumsolar + (1 + cos β)/2 · iso + sin β · hor + ground; the
    orientation-free terms summed per month once (the Perez clip of negative sky diffuse, rare,
    is left out here).
    """
    beam_mask, mismatch, sums = kw["beam_mask"], kw["mismatch"], kw["sums"]
    months = _MonthRuns.of(sky, block.hours)
    direct = direct_and_circumsolar(
        sky, tilt, azimuth, a, block.hours, beam_mask, block.cos_aoi
    )  # (hours, k)
    iso, hor, ground = sums
    ct, st = np.cos(np.radians(tilt))[:, None], np.sin(np.radians(tilt))[:, None]
    bare = 0.5 * (1 + ct)
    beam = months.sum(direct)
    total = beam + bare * iso + st * hor + 0.5 * (1 - ct) * ground
    direct *= block.keep(mismatch)  # what the points still get
    svf = block.sky_view_used[:, None]
    lost = beam - months.sum(direct) + (bare - svf) * iso + st * (1 - block.band[:, None]) * hor
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(np.where(total > 0, lost / total, 0.0))


@dataclass(frozen=True)
class _MonthRuns:
    """Monthly sums over the listed hours as sums over runs of consecutive hours of one month.

    A slice sum per run is far cheaper than a (12, H) matrix product on a busy machine (BLAS
    threads), and the weather's hours are in time order, so a year has 12 runs.
    """

    bounds: list[tuple[int, int, int]]  # (first, stop, month)
    hours_each: float  # the interval's length [h], the same for every record

    @classmethod
    def of(cls, sky: Sky, hours: np.ndarray) -> _MonthRuns:
        weights = sky.month_weights[hours]
        month = weights.argmax(axis=1)
        cut = np.flatnonzero(np.diff(month)) + 1
        first, stop = np.r_[0, cut], np.r_[cut, month.size]
        step = float(weights.max()) if weights.size else 1.0
        if weights.size and not np.allclose(weights.max(axis=1), step):
            raise ValueError("records of unequal length: monthly sums need one interval length")
        return cls([(int(f), int(e), int(month[f])) for f, e in zip(first, stop, strict=True)], step)

    def sum(self, x: np.ndarray) -> np.ndarray:
        """(hours, k) → (k, 12) weighted monthly sums, accumulated in float64 (float32 would
        lose ~1e-5 over a month's hours, and the loss is a difference of two such sums)."""
        out = np.zeros((12, x.shape[1]))
        for first, stop, month in self.bounds:  # runs of months, not surfaces or hours
            out[month] += x[first:stop].sum(axis=0, dtype=np.float64)
        return (out * self.hours_each).T


def shaded_specific_yield(
    sky: Sky,
    a: KindAssumptions,
    surfaces: np.ndarray,
    tilt: np.ndarray,
    azimuth: np.ndarray,
    points: SurfacePoints,
    *,
    beam_mask: np.ndarray | None,
    unshaded: np.ndarray | None,
    mismatch: Mismatch,
) -> ShadedYield:
    """Shaded monthly yield of the listed surfaces (all with points) by one of the two paths.

    ``unshaded`` (k, 12): the unshaded yield to scale (table path); None: the exact path, whose
    reference is evaluated exactly per distinct orientation.
    """
    hours = _hours_needing_sun(sky)
    out = np.empty((surfaces.size, 12))
    svf = np.empty(surfaces.size)
    kw: dict[str, Any] = {"beam_mask": beam_mask, "mismatch": mismatch}
    if unshaded is None:
        orient, inverse = np.unique(np.round(np.stack([tilt, azimuth]), 6), axis=1, return_inverse=True)
        reference = specific_yield_exact(sky, orient[0], orient[1], a, beam_mask)[np.ravel(inverse)]
        method, evaluate = EXACT_METHOD, _exact_block
    else:
        reference, evaluate = unshaded, _loss_block
        method = TABLE_METHOD
        iso, _, hor = perez_components(sky)
        kw["sums"] = (
            iso @ sky.month_weights,
            hor @ sky.month_weights,
            (sky.ghi * a.albedo) @ sky.month_weights,
        )
    # most points first (see _blocks), then like orientations together (fewer facing hours per block)
    order = np.lexsort((azimuth, np.round(tilt), -points.count[surfaces]))
    listed = (surfaces[order], tilt[order], azimuth[order])
    # the exact chain holds ~20 float64 (hours × surfaces) arrays: blocks as small as the engine's
    most = min(4, max(1, int(points.count[surfaces].max(initial=1))))
    cells = _BLOCK_CELLS if unshaded is not None else _EXACT_BLOCK_CELLS * most
    for block in _blocks(sky, points, *listed, hours, facing=unshaded is not None, cells=cells):
        rows = order[block.rows]
        out[rows] = evaluate(sky, a, tilt[rows], azimuth[rows], block, **kw)
        svf[rows] = block.sky_view
    if unshaded is not None:
        out = reference * (1.0 - np.clip(out, 0.0, 1.0))
    return ShadedYield(out, reference, svf, method)


def shaded_hours_by_month(weather: WeatherYear, horizon: np.ndarray, step_deg: float = 2.0) -> np.ndarray:
    """Sunshine hours lost per month to a set of points' skylines: shape (12,) [hours].

    Over the hours with DNI > 0 and the sun up: the share of the points whose horizon (in the
    bin nearest the sun's azimuth, own plane included) reaches the sun's apparent elevation,
    times the interval's hours, in the month of the interval's middle.
    """
    horizon = np.atleast_2d(np.asarray(horizon, dtype=np.float32))
    if horizon.shape[1] != round(360.0 / step_deg) or horizon.shape[0] == 0:
        raise ValueError(f"horizon must be (points, {round(360.0 / step_deg)}), got {horizon.shape}")
    sky = prepare_sky(weather)
    hours = np.flatnonzero((sky.dni > 0) & (sky.apparent_elevation > 0))
    bins, el = _sun_bins(sky, step_deg)[hours], sky.apparent_elevation[hours].astype(np.float32)
    hidden = np.zeros(hours.size)
    per_block = max(1, _BLOCK_CELLS // max(1, hours.size))
    for lo in range(0, horizon.shape[0], per_block):
        hidden += (horizon[lo : lo + per_block][:, bins] >= el).sum(axis=0)
    return np.asarray((hidden / horizon.shape[0]) @ sky.month_weights[hours])
