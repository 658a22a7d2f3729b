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
  unobstructed profile gives exactly the unshaded engine.
* **Beam and circumsolar diffuse** are scaled by f(h): Perez's circumsolar term comes from
  the disc around the sun and is hidden with it.
* **Isotropic sky diffuse** is dhi·(1 − F1)·SVF instead of dhi·(1 − F1)·(1 + cos β)/2, SVF
  the mean sky-view factor of the surface's points (cosine-weighted sky share of the tilted
  plane's hemisphere), capped at (1 + cos β)/2: buildings only ever remove sky.
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
  ``pvlib.shading.direct_martinez`` (Martínez-Moreno, Muñoz and Lorenzo 2010) with the
  surface's sample points as the blocks: each hour the beam and circumsolar lose the shaded
  share and, per shaded point, another 1/(points + 1), so a partly shaded string loses more
  than its shaded area.

Two paths, neither looping in Python over surfaces × hours:

* ``exact``: the full hourly chain (temperature, DC, inverter) per surface, in blocks, with
  the unshaded reference evaluated exactly per distinct orientation.
* ``table``: the unshaded yield (the 2° table, or the exact site-horizon path) times
  (1 − monthly loss), the loss per surface and month being Σ ΔPOA_eff / Σ POA_eff over the
  month's hours, from the irradiance chain alone in float32 blocks. Temperature and the
  inverter clip are not re-evaluated: shade lowers cell temperature a little, which the table
  path ignores (the tests bound the difference to exact).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

import numpy as np

from pvhub.yieldengine.assumptions import KindAssumptions
from pvhub.yieldengine.engine import (
    BuildingShade,
    Sky,
    ac_monthly,
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
_BLOCK_CELLS = 4_000_000  # points × hours per block (a few float32 arrays of 16 MB)
_NO_OBSTRUCTION = np.float32(-90.0)


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
        _first_bad("surface", (self.surface < 0) | (self.surface >= n), f"must index one of the {n} surfaces")
        _first_bad(
            "horizon",
            ~np.all(np.isfinite(self.horizon) & (np.abs(self.horizon) <= 90), axis=1),
            "elevations must be finite, within [-90, 90] degrees",
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
    cos el · sin β · cos(az − γ) + sin el · cos β < 0, i.e. below atan2(−sin β cos(az − γ), cos β);
    never below 0 (the sun is never below the horizontal in the lit hours that matter).
    """
    bins = round(360.0 / step_deg)
    offsets = np.linspace(-0.5, 0.5, 5) * step_deg
    az = (np.arange(bins)[:, None] * step_deg + offsets)[None]  # (1, A, 5)
    b, g = np.radians(tilt)[:, None, None], azimuth[:, None, None]
    el = np.degrees(np.arctan2(-np.sin(b) * np.cos(np.radians(az - g)), np.cos(b)))
    return np.maximum(el.max(axis=2), 0.0).astype(np.float32)


def _obstruction(horizon: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Horizon where it rises above the plane's own (+ tolerance), else -90 (nothing in the way)."""
    h = horizon.astype(np.float32, copy=False)
    return np.where(h > reference + np.float32(PLANE_TOLERANCE_DEG), h, _NO_OBSTRUCTION)


def _band_share(
    obstruction: np.ndarray, reference: np.ndarray, azimuth: np.ndarray, step_deg: float
) -> np.ndarray:
    """Share of the Perez horizon band each point sees, relative to the bare plane: (p,)."""
    bins = obstruction.shape[1]
    weight = np.maximum(np.cos(np.radians(np.arange(bins) * step_deg - azimuth[:, None])), 0.0)
    bare = np.clip((HORIZON_BAND_DEG - reference) / HORIZON_BAND_DEG, 0.0, 1.0)
    seen = np.clip((HORIZON_BAND_DEG - np.maximum(obstruction, reference)) / HORIZON_BAND_DEG, 0.0, 1.0)
    total = (weight * bare).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = (weight * seen).sum(axis=1) / total
    return np.where(total > 0, share, 1.0)


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

    def rows(self, surfaces: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Point indices of the given surfaces (grouped, in order) and each group's offset."""
        c = self.count[surfaces]
        offset = np.concatenate([[0], np.cumsum(c)[:-1]]).astype(np.intp)
        return self.order[np.repeat(self.start[surfaces] - offset, c) + np.arange(int(c.sum()))], offset


@dataclass(frozen=True)
class _Block:
    surfaces: np.ndarray  # indices into the estimate's n surfaces
    shade: BuildingShade
    sky_view: np.ndarray  # (k,) mean of the points' sky-view factors (uncapped, for the result)


def _blocks(
    sky: Sky,
    pts: SurfacePoints,
    surfaces: np.ndarray,
    tilt: np.ndarray,
    azimuth: np.ndarray,
    mismatch: Mismatch,
    hours: np.ndarray,
) -> Iterator[_Block]:
    """BuildingShade for consecutive blocks of surfaces (tilt, azimuth given per listed surface)."""
    step = pts.profile.step_deg
    bins, el = _sun_bins(sky, step)[hours], sky.apparent_elevation[hours].astype(np.float32)
    per_block = max(1, _BLOCK_CELLS // max(1, sky.ghi.size * max(1, int(pts.count[surfaces].max(initial=1)))))
    for lo in range(0, surfaces.size, per_block):
        sl = slice(lo, lo + per_block)
        s, t, g = surfaces[sl], tilt[sl], azimuth[sl]
        rows, offset = pts.rows(s)
        count = pts.count[s]
        owner = np.repeat(np.arange(s.size), count)
        ref = plane_reference(t, g, step)
        obstruction = _obstruction(pts.profile.horizon[rows], ref[owner])
        seen = np.add.reduceat(obstruction[:, bins] < el, offset, axis=0, dtype=np.float32)
        visible = np.ones((s.size, sky.ghi.size), dtype=np.float32)
        visible[:, hours] = seen / count[:, None]
        svf = np.add.reduceat(pts.profile.sky_view[rows].astype(float), offset) / count
        band = np.add.reduceat(_band_share(obstruction, ref[owner], g[owner], step), offset) / count
        cap = 0.5 * (1.0 + np.cos(np.radians(t)))
        shade = BuildingShade(
            visible, np.minimum(svf, cap), band, count.astype(float) if mismatch == "martinez" else None
        )
        yield _Block(s, shade, svf)


def _hours_needing_sun(sky: Sky) -> np.ndarray:
    """Lit hours with beam or diffuse light (circumsolar): only there does the sun's visibility matter."""
    return np.flatnonzero((sky.dni > 0) | (sky.dhi > 0))


@dataclass(frozen=True)
class ShadedYield:
    """Monthly specific yield [kWh/kWp] with and without building shade, (k, 12) each, and the method."""

    shaded: np.ndarray
    unshaded: np.ndarray
    sky_view: np.ndarray
    method: str


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
    shaded = np.empty((surfaces.size, 12))
    svf = np.empty(surfaces.size)
    if unshaded is None:
        orient, inverse = np.unique(np.round(np.stack([tilt, azimuth]), 6), axis=1, return_inverse=True)
        reference = specific_yield_exact(sky, orient[0], orient[1], a, beam_mask)[np.ravel(inverse)]
        method = "exact hourly chain per surface"
    else:
        reference, loss = unshaded, np.zeros((surfaces.size, 12))
        method = "table yield x (1 - monthly loss of effective irradiance)"
    lo = 0
    for block in _blocks(sky, points, surfaces, tilt, azimuth, mismatch, hours):
        sl = slice(lo, lo + block.surfaces.size)
        lo = sl.stop
        if unshaded is None:
            poa_global, effective, _ = plane_of_array(sky, tilt[sl], azimuth[sl], a, beam_mask, block.shade)
            shaded[sl] = ac_monthly(sky, poa_global, effective, a)
        else:
            _, effective, plain = plane_of_array(
                sky, tilt[sl], azimuth[sl], a, beam_mask, block.shade, dtype=np.float32, unshaded=True
            )
            assert plain is not None  # asked for with unshaded=True
            weights = sky.month_weights.astype(np.float32)
            lost, total = (plain - effective) @ weights, plain @ weights
            with np.errstate(invalid="ignore", divide="ignore"):
                loss[sl] = np.where(total > 0, lost / total, 0.0)
        svf[sl] = block.sky_view
    if unshaded is not None:
        shaded = reference * (1.0 - np.clip(loss, 0.0, 1.0))
    return ShadedYield(shaded, reference, svf, method)


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
