"""Building shade as pure geometry: sample points on surfaces, their horizons, their sky-view factors.

For each sample point of a surface and each azimuth bin, :func:`horizons` finds the elevation below
which the sky is hidden — by the surface's own plane, by its own building (a wing, a parapet, a higher
roof part) and by every other building within ``radius_m`` — by casting rays through an Embree scene
(:class:`Scene`, :mod:`gis.shading_scene`). :func:`sky_view_factor` turns a horizon into the
cosine-weighted share of the tilted plane's hemisphere that is sky. The yield engine
(``pvhub.yieldengine.shading``) applies both hour by hour; nothing here knows the sun or irradiance.

Conventions (issue #19's contract): azimuths are true azimuths in pvlib's convention (0 = north, 90 =
east, 180 = south), elevations degrees above the horizontal; coordinates are the stock's metric frame
(x east, y north, z up, metres), whose grid north differs from true north by the frame's meridian
convergence (``MetricFrame.convergence_deg``, added to a grid azimuth to get a true one). A horizon
has A = round(360 / step_deg) bins; bin k is centred on azimuth k × step_deg. Elevation 90 means the
whole vertical half-plane of that azimuth is hidden (behind a wall).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import NDArray

from gis.shading_scene import (
    BoolArray,
    FaceRings,
    FloatArray,
    IntArray,
    Scene,
    as_rings,
    axes,
    flat_polygons,
    planes,
)

__all__ = [
    "AZIMUTH_STEP_DEG",
    "DEFAULT_RADIUS_M",
    "LIFT_M",
    "BoolArray",
    "FloatArray",
    "IntArray",
    "SamplePoints",
    "Scene",
    "azimuth_bins",
    "horizons",
    "plane_horizon",
    "sample_polygons",
    "sample_wall_bands",
    "sky_view_factor",
]

AZIMUTH_STEP_DEG = 2.0
#: How far buildings are looked for, m: a 250 m tower (issue #19's figure for the tallest that shade Huangpu's
#: facades) casts a shadow 250 / tan(9.5°) ≈ 1,490 m long when the sun stands at 9.5°,
#: its elevation at 08:00 and 16:00 solar time on the winter solstice at latitude 31.2° N
#: (sin h = sin φ sin δ + cos φ cos δ cos ω with δ = −23.44°, ω = ±60°).
DEFAULT_RADIUS_M = 1500.0
#: Sample points are lifted this far off their surface along its normal, so that a ray leaving a point
#: does not hit the surface it starts on (Embree's float32 near the stock's local origin is ~1 mm).
LIFT_M = 0.05
#: Rays per Embree call in :func:`horizons`: ~1 M rays hold ~60 MB of work arrays per thread.
CHUNK_RAYS = 1_000_000


@dataclass(frozen=True)
class SamplePoints:
    """Points sampling n surfaces: where each point is, the normal of its surface, which surface.

    ``xyz`` (P, 3) is in the metric frame and already lifted :data:`LIFT_M` off the surface;
    ``normal`` (P, 3) is the unit normal of the point's surface, on the side that gets light;
    ``surface`` (P,) indexes the n surfaces sampled (0..n-1), each with at least one point.
    """

    xyz: FloatArray
    normal: FloatArray
    surface: IntArray

    @property
    def count(self) -> int:
        """P, the number of points."""
        return len(self.xyz)

    @staticmethod
    def concat(parts: Sequence[SamplePoints]) -> SamplePoints:
        """The points of several samplings in order; surface indices continue across the parts."""
        xyz, normal, surface = [], [], []
        offset = 0
        for part in parts:
            xyz.append(part.xyz)
            normal.append(part.normal)
            surface.append(part.surface + offset)
            offset += int(part.surface.max()) + 1 if part.count else 0
        if not xyz:
            return _empty_points()
        return SamplePoints(np.concatenate(xyz), np.concatenate(normal), np.concatenate(surface))


def _empty_points() -> SamplePoints:
    return SamplePoints(np.zeros((0, 3)), np.zeros((0, 3)), np.zeros(0, dtype=np.int64))


# --- sampling -------------------------------------------------------------------------------------


def _grid_points(
    polygons: NDArray[np.object_], spacing: FloatArray, max_points: int
) -> tuple[IntArray, FloatArray]:
    """Centres of square grids (one spacing per polygon, centred on its bounds) inside each polygon,
    for all polygons at once: (owner, xy). A polygon holding more than ``max_points`` centres (an
    irregular outline) gets its grid widened by 10 % until it holds no more; one holding none, its
    representative point."""
    shapely.prepare(polygons)
    spacing = spacing.copy()
    bounds = shapely.bounds(polygons)
    owners: list[IntArray] = []
    xys: list[FloatArray] = []
    todo = np.arange(len(polygons))
    while len(todo):
        b, s = bounds[todo], spacing[todo]
        nx = np.maximum(1, np.ceil((b[:, 2] - b[:, 0]) / s - 1e-9)).astype(np.int64)
        ny = np.maximum(1, np.ceil((b[:, 3] - b[:, 1]) / s - 1e-9)).astype(np.int64)
        counts = nx * ny
        own = np.repeat(np.arange(len(todo)), counts)
        j = np.arange(len(own)) - np.repeat(np.cumsum(counts) - counts, counts)
        x = (b[own, 0] + b[own, 2]) / 2.0 + (j % nx[own] - (nx[own] - 1) / 2.0) * s[own]
        y = (b[own, 1] + b[own, 3]) / 2.0 + (j // nx[own] - (ny[own] - 1) / 2.0) * s[own]
        inside = shapely.contains_xy(polygons[todo][own], x, y)
        over = np.bincount(own[inside], minlength=len(todo)) > max_points
        keep = inside & ~over[own]
        owners.append(todo[own[keep]])
        xys.append(np.column_stack([x[keep], y[keep]]))
        spacing[todo[over]] *= 1.1
        todo = todo[over]
    owner = np.concatenate(owners)
    xy = np.concatenate(xys)
    empty = np.nonzero(np.bincount(owner, minlength=len(polygons)) == 0)[0]
    if len(empty):
        owner = np.concatenate([owner, empty])
        xy = np.concatenate([xy, shapely.get_coordinates(shapely.point_on_surface(polygons[empty]))])
    order = np.argsort(owner, kind="stable")
    return owner[order], xy[order]


def sample_polygons(
    rings: Sequence[FaceRings], *, max_points: int = 16, min_spacing_m: float = 1.0
) -> SamplePoints:
    """Sample points on planar polygons: exterior rings (k, 3) in the frame, not closed, or sequences
    (exterior, *holes) for polygons with holes (no point falls in a hole: a dormer's or skylight's).

    The grid spacing adapts to the polygon: s = max(min_spacing_m, √(area / max_points)), so a large
    roof gets ``max_points`` points and a small one fewer but no closer than ``min_spacing_m``; the
    points are the grid's cell centres inside the polygon (the grid is widened if an irregular outline
    would hold more than ``max_points``), and a sliver with no centre inside gets its representative
    point. The normal is the ring's Newell normal turned up (n_z ≥ 0) for non-vertical planes; a
    vertical ring keeps its own orientation (counter-clockwise seen from outside = outward). All
    polygons are sampled in vectorised batches (a city has 10⁵ of them).
    """
    faces = [as_rings(r) for r in rings]
    if not faces:
        return _empty_points()
    for i, face in enumerate(faces):
        for ring in face:
            if ring.ndim != 2 or ring.shape[1] != 3 or len(ring) < 3:
                raise ValueError(
                    f"polygon {i}: a ring needs at least 3 vertices (x, y, z), got shape {ring.shape}"
                )
    exteriors = [f[0] for f in faces]
    area, origin, unit = planes(exteriors)
    flat = np.nonzero(area < 1e-9)[0]
    if len(flat):
        raise ValueError(f"polygon {flat[0]}: the ring has no area (its vertices are on one line)")
    # a roof drawn clockwise from above: its lit side is up all the same
    unit = np.where(unit[:, 2:3] < -1e-9, -unit, unit)
    u, v = axes(unit)
    polygons = flat_polygons(exteriors, origin, u, v)
    for i in (i for i, f in enumerate(faces) if len(f) > 1):
        holes = [np.column_stack([(h - origin[i]) @ u[i], (h - origin[i]) @ v[i]]) for h in faces[i][1:]]
        polygons[i] = shapely.Polygon(shapely.get_exterior_ring(polygons[i]), holes=holes)
    invalid = ~shapely.is_valid(polygons)
    if invalid.any():
        polygons[invalid] = shapely.make_valid(polygons[invalid])
    net = shapely.area(polygons)
    gone = np.nonzero(net < 1e-9)[0]
    if len(gone):
        raise ValueError(f"polygon {gone[0]}: no area is left outside its holes")
    spacing = np.maximum(min_spacing_m, np.sqrt(net / max(1, max_points)))
    owner, xy = _grid_points(polygons, spacing, max(1, max_points))
    xyz = origin[owner] + xy[:, :1] * u[owner] + xy[:, 1:] * v[owner] + unit[owner] * LIFT_M
    return SamplePoints(xyz, unit[owner], owner.astype(np.int64))


def sample_wall_bands(
    start_xy: FloatArray,
    end_xy: FloatArray,
    z_bottom: FloatArray,
    z_top: FloatArray,
    normal_xy: FloatArray,
    *,
    max_points: int = 8,
    min_spacing_m: float = 2.0,
) -> SamplePoints:
    """Sample points on n vertical rectangles (a facade's storey bands), all at once.

    Each band runs along its ground line ``start_xy`` → ``end_xy`` (n, 2) from ``z_bottom`` to
    ``z_top`` (n,), facing the outward unit ``normal_xy`` (n, 2). Its points are the centres of
    round(width / s) equal cells along the width (at least 1, at most ``max_points``), with
    s = max(min_spacing_m, width / max_points), at mid-height: a band is one storey, so the height
    varies little within it and the band above or below is sampled on its own.
    """
    start = np.asarray(start_xy, dtype=float).reshape(-1, 2)
    end = np.asarray(end_xy, dtype=float).reshape(-1, 2)
    bottom = np.asarray(z_bottom, dtype=float).reshape(-1)
    top = np.asarray(z_top, dtype=float).reshape(-1)
    nxy = np.asarray(normal_xy, dtype=float).reshape(-1, 2)
    width = np.hypot(*(end - start).T)
    spacing = np.maximum(min_spacing_m, width / max(1, max_points))
    count = np.clip(np.round(width / spacing), 1, max(1, max_points)).astype(np.int64)
    surface = np.repeat(np.arange(len(start), dtype=np.int64), count)
    first = np.concatenate([[0], np.cumsum(count)[:-1]])
    k = np.arange(len(surface)) - np.repeat(first, count)
    t = (k + 0.5) / count[surface]
    xy = start[surface] + (end - start)[surface] * t[:, None]
    z = (bottom[surface] + top[surface]) / 2.0
    unit = nxy / np.maximum(np.hypot(*nxy.T), 1e-12)[:, None]
    normal = np.column_stack([unit[surface], np.zeros(len(surface))])
    xyz = np.column_stack([xy, z]) + normal * LIFT_M
    return SamplePoints(xyz, normal, surface)


# --- horizons ------------------------------------------------------------------------------------


def azimuth_bins(step_deg: float = AZIMUTH_STEP_DEG) -> FloatArray:
    """The true azimuths (degrees) of the bin centres: k × step for k in 0..A-1."""
    count = round(360.0 / step_deg) if step_deg > 0 else 0
    if count < 1 or abs(count * step_deg - 360.0) > 1e-6:
        raise ValueError(f"step_deg: {step_deg} does not divide 360° into whole azimuth bins")
    return np.arange(count, dtype=np.float64) * (360.0 / count)


def _grid_azimuth_rad(points: int, step_deg: float, convergence_deg: float | FloatArray) -> FloatArray:
    """(P, A) grid azimuths, radians, of the true bin azimuths at each point."""
    conv = np.broadcast_to(np.asarray(convergence_deg, dtype=float), (points,))
    return np.radians(azimuth_bins(step_deg)[None, :] - conv[:, None])


def plane_horizon(
    normal: FloatArray, *, step_deg: float = AZIMUTH_STEP_DEG, convergence_deg: float | FloatArray = 0.0
) -> FloatArray:
    """(P, A) elevation, degrees, below which a point's own plane hides the sky at each true azimuth.

    A direction d = (cos e sin g, cos e cos g, sin e) at grid azimuth g is on the lit side of the plane
    when n·d = n_z sin e + c cos e > 0 with c = n_x sin g + n_y cos g, i.e. above e₀ = atan2(−c, n_z),
    clipped to 0–90: 0 where the plane leans towards that azimuth (the ground hides what is below),
    90 behind a vertical wall. Normals point up (n_z ≥ 0), as the samplers give them.
    """
    n = np.asarray(normal, dtype=float).reshape(-1, 3)
    g = _grid_azimuth_rad(len(n), step_deg, convergence_deg)
    c = n[:, :1] * np.sin(g) + n[:, 1:2] * np.cos(g)
    c = np.where(np.abs(c) < 1e-9, 0.0, c)  # along a wall: 0, not ±90 from a rounding error's sign
    # (+ 0.0 below turns the clip's −0.0 into 0.0)
    nz = np.where(np.abs(n[:, 2:3]) < 1e-9, 0.0, n[:, 2:3])
    return np.asarray(np.clip(np.degrees(np.arctan2(-c, nz)), 0.0, 90.0) + 0.0, dtype=np.float64)


def _directions(
    sin_g: NDArray[np.float32], cos_g: NDArray[np.float32], elevation_deg: NDArray[np.floating]
) -> NDArray[np.float32]:
    """Unit rays (m, 3) at grid azimuths (their sines and cosines) and elevations, in float32."""
    e = np.radians(elevation_deg, dtype=np.float32)
    ce = np.cos(e)
    out = np.empty((len(e), 3), dtype=np.float32)
    np.multiply(ce, sin_g, out=out[:, 0])
    np.multiply(ce, cos_g, out=out[:, 1])
    np.sin(e, out=out[:, 2])
    return out


def _horizon_rows(
    scene: Scene,
    local: NDArray[np.float32],
    base: FloatArray,
    grid_rad: FloatArray,
    radius_m: float,
    resolution_deg: float,
) -> NDArray[np.float32]:
    """Horizons of one block of points (all their azimuths): one ray above the plane horizon, then
    bisection of the blocked (point, azimuth) pairs, each step one Embree call for the whole block.
    The pairs still open are compacted after each step (float32 throughout: Embree's precision)."""
    out = base.astype(np.float32)
    p_idx, a_idx = np.nonzero(base < 90.0 - resolution_deg)
    if len(p_idx) == 0:
        return out
    g = grid_rad[p_idx, a_idx].astype(np.float32)
    sin_g, cos_g = np.sin(g), np.cos(g)
    first = out[p_idx, a_idx] + np.float32(resolution_deg)
    blocked = scene.occluded_local(local[p_idx], _directions(sin_g, cos_g, first), radius_m)
    p_idx, a_idx = p_idx[blocked], a_idx[blocked]
    origin, sin_g, cos_g = local[p_idx], sin_g[blocked], cos_g[blocked]
    lo = first[blocked]  # hidden
    # taken as sky: the zenith, unless the bisection climbs to it
    hi = np.full(len(lo), 90.0, dtype=np.float32)
    pos = np.arange(len(lo))
    found = np.empty(len(lo), dtype=np.float32)
    while len(pos):
        mid = (lo + hi) * np.float32(0.5)
        hit = scene.occluded_local(origin, _directions(sin_g, cos_g, mid), radius_m)
        lo = np.where(hit, mid, lo)
        hi = np.where(hit, hi, mid)
        done = hi - lo <= resolution_deg
        found[pos[done]] = (lo[done] + hi[done]) * np.float32(0.5)
        if done.any():
            keep = ~done
            pos, lo, hi, origin, sin_g, cos_g = (
                pos[keep],
                lo[keep],
                hi[keep],
                origin[keep],
                sin_g[keep],
                cos_g[keep],
            )
    out[p_idx, a_idx] = found
    return out


def _checked(points: SamplePoints, convergence_deg: float | FloatArray) -> FloatArray:
    """The convergence per point, after refusing input Embree would silently mishandle (NaN, ∞)."""
    conv = np.asarray(convergence_deg, dtype=float)
    if conv.ndim and conv.shape != (points.count,):
        raise ValueError(f"convergence_deg: {conv.shape[0]} values for {points.count} points")
    bad = ~(np.isfinite(points.xyz).all(axis=1) & np.isfinite(points.normal).all(axis=1))
    if conv.ndim:
        bad |= ~np.isfinite(conv)
    elif not np.isfinite(conv):
        raise ValueError(f"convergence_deg: {float(conv)} is not a finite angle")
    if bad.any():
        raise ValueError(f"point {int(np.argmax(bad))}: its position, normal or convergence is not finite")
    return np.broadcast_to(conv, (points.count,))


def horizons(
    scene: Scene,
    points: SamplePoints,
    *,
    step_deg: float = AZIMUTH_STEP_DEG,
    radius_m: float = DEFAULT_RADIUS_M,
    convergence_deg: float | FloatArray = 0.0,
    resolution_deg: float = 0.5,
    workers: int = 2,
    progress: Callable[[float], None] | None = None,
) -> NDArray[np.float32]:
    """(P, A) float32: per point and true azimuth bin, the elevation (degrees) below which the sky is hidden.

    The lowest value is the point's own plane horizon (:func:`plane_horizon`). One ray is cast
    ``resolution_deg`` above it; if it reaches ``radius_m`` unobstructed (the usual case on a roof) the
    plane horizon stands; otherwise the elevation is bisected between that ray and the zenith to
    ``resolution_deg`` and the midpoint of the last interval returned (error ≤ resolution / 2). The
    scene holds the point's own building, so a wing, a parapet or a higher roof part counts.

    Bisection assumes the obstruction is *solid below its skyline* per azimuth: every direction under
    the highest hidden one is hidden too. That is true of extruded buildings, and one elevation per
    azimuth cannot describe anything else. Where it is not (eaves over a wall, a skybridge, a
    dormer's roof over a roof), the result is the top of the lowest hidden band the bisection meets:
    an overhang with open sky under it (the first ray passes under it) is left out, and one over a
    lower obstruction with a gap between may be filled in down to it. On the Zurich LoD2 sample
    (/work/shared/data, tests/gis/test_shading.py) the result equals the top of the lowest hidden
    band found by a 0.25° scan for ≥ 99 % of (point, azimuth) pairs; eaves hide the sky above
    ~72–88° from ~20 % of the wall pairs, which the horizon leaves out (the sun there meets a wall at
    cos θ ≤ cos 72° ≈ 0.31, and that sky is under 2 % of a wall's cosine-weighted sky view).

    Rays are limited to ``radius_m`` (Embree's ray length). ``convergence_deg`` (scalar or (P,)) turns
    true azimuths to the frame's grid (grid = true − convergence). The work runs in blocks of ~1 M
    rays per Embree call, in ``workers`` threads. embreex releases the GIL during a call (checked: a
    Python thread keeps running while a call casts 3 M rays), so two threads use two cores; two threads
    casting raw rays measured 1.7× one on this 2-core machine, but they gain nothing when other
    processes already keep both cores busy (benchmarks/shading_rays.py prints wall and CPU time).
    ``progress``, when given, is told the share of the points done after each block (a city's rays
    take minutes).
    """
    bins = len(azimuth_bins(step_deg))
    conv = _checked(points, convergence_deg)
    out = np.empty((points.count, bins), dtype=np.float32)
    local = scene.local(points.xyz)
    rows = max(1, CHUNK_RAYS // bins)
    blocks = [slice(i, min(i + rows, points.count)) for i in range(0, points.count, rows)]

    def block(sl: slice) -> None:
        # per block, so that memory stays ~100 MB per thread whatever the number of points
        base = plane_horizon(points.normal[sl], step_deg=step_deg, convergence_deg=conv[sl])
        if scene.triangles == 0:
            out[sl] = base
            return
        grid_rad = _grid_azimuth_rad(len(base), step_deg, conv[sl])
        out[sl] = _horizon_rows(scene, local[sl], base, grid_rad, radius_m, resolution_deg)

    def done(sl: slice) -> None:
        if progress is not None:
            progress(sl.stop / max(points.count, 1))

    if workers <= 1 or len(blocks) <= 1 or scene.triangles == 0:
        for sl in blocks:
            block(sl)
            done(sl)
    else:
        with ThreadPoolExecutor(workers) as pool:
            for sl, _ in zip(blocks, pool.map(block, blocks), strict=True):  # in order, as each ends
                done(sl)
    return out


# --- sky view --------------------------------------------------------------------------------------


def sky_view_factor(
    horizon: NDArray[np.floating],
    tilt_deg: float | FloatArray,
    azimuth_deg: float | FloatArray,
    *,
    step_deg: float = AZIMUTH_STEP_DEG,
) -> FloatArray:
    """(P,) cosine-weighted share of a tilted plane's hemisphere that is sky: 1 is all sky.

    F = (1/π) ∫∫ cos θ dΩ over the sky above max(horizon, plane horizon), with dΩ = cos e de da and
    cos θ = n_z sin e + c(a) cos e, c(a) = sin β cos(a − γ) for tilt β and true azimuth γ. Per
    azimuth bin of width Δ with lower limit e₁ the elevation integral is closed form,
    ∫_{e₁}^{π/2} (n_z sin e + c cos e) cos e de = n_z cos² e₁ / 2 + c (π/4 − e₁/2 − sin 2e₁ / 4),
    and c is integrated over the bin exactly (2 sin β cos(a − γ) sin(Δ/2)), so an unobstructed plane
    gives (1 + cos β)/2 (to ~1e-4 at 2° bins, where the plane horizon varies within a bin).
    """
    h = np.asarray(horizon)
    bins = azimuth_bins(step_deg)
    if h.ndim != 2 or h.shape[1] != len(bins):
        raise ValueError(f"horizon: shape {h.shape} is not (points, {len(bins)}) for step_deg {step_deg}")
    p = h.shape[0]
    tilt = np.broadcast_to(np.asarray(tilt_deg, dtype=float), (p,))
    azimuth = np.broadcast_to(np.asarray(azimuth_deg, dtype=float), (p,))
    out = np.empty(p)
    rows = 20_000  # blocks of rows keep the (rows, A) float64 temporaries ~30 MB each
    for i in range(0, p, rows):
        sl = slice(i, i + rows)
        out[sl] = _sky_view_rows(h[sl].astype(float), tilt[sl], azimuth[sl], np.radians(bins))
    return out


def _sky_view_rows(
    h: FloatArray, tilt_deg: FloatArray, azimuth_deg: FloatArray, bins_rad: FloatArray
) -> FloatArray:
    beta = np.radians(tilt_deg)[:, None]
    gamma = np.radians(azimuth_deg)[:, None]
    a = bins_rad[None, :]
    half = np.pi / len(bins_rad)
    nz = np.cos(beta)
    c_mid = np.sin(beta) * np.cos(a - gamma)
    c_int = 2.0 * np.sin(beta) * np.cos(a - gamma) * np.sin(half)
    own = np.arctan2(-np.where(np.abs(c_mid) < 1e-9, 0.0, c_mid), np.where(nz < 1e-9, 0.0, nz))
    e1 = np.clip(np.maximum(np.radians(h), own), 0.0, np.pi / 2.0)
    per_bin = (
        nz * np.cos(e1) ** 2 / 2.0 * (2.0 * half) + (np.pi / 4.0 - e1 / 2.0 - np.sin(2.0 * e1) / 4.0) * c_int
    )
    return np.asarray(np.clip(per_bin.sum(axis=1) / np.pi, 0.0, 1.0))
