"""Building shade on the survey's candidates (issue #19), without a database, as :mod:`screen` works.

For a :class:`gis.stock.Stock` and the candidates :func:`gis.candidates.derive_candidates` found in it:

* **Sample points.** A roof (or a canopy's top: corridor, walkway) is sampled over its face's exterior
  ring (:func:`gis.shading.sample_polygons`, up to :data:`ROOF_MAX_POINTS` points on an adaptive grid);
  a facade band over its own strip of the wall (:func:`gis.shading.sample_wall_bands`, up to
  :data:`BAND_MAX_POINTS` points along the width at mid-height), so a tower's lower storeys and its upper
  ones get their own points and their own shade. The face is found in the stock by the candidate's
  building and source (object, feature, face indices), the way :mod:`gis.candidates` named it.
* **Scene.** One Embree scene of every face of every building of the stock
  (:meth:`gis.shading.Scene.from_stock`): the candidates' own buildings (a wing shading a wall, a higher
  part shading a lower roof) and their neighbours, whether inside the district or not. Rays travel at
  most ``radius_m``.
* **Horizons.** Per point, the obstruction elevation over 2° bins of *true* azimuth
  (:func:`gis.shading.horizons`, with the frame's meridian convergence at each candidate), which
  reports progress block by block (the rays are where the time goes); then each point's sky-view
  factor for its candidate's tilt and azimuth.

The result is a :class:`pvhub.yieldengine.ShadeProfile` whose ``surface`` indexes the candidates in the
order given (every candidate has at least one point), which :func:`pvhub.yieldengine.estimate` applies
hour by hour, and the time each stage took.

Limits, stated for the survey's users: walls are sampled as vertical strips at mid-height of the band
(a wall leaning a few degrees is sampled on its footprint line); roofs over their exterior ring (holes,
courtyards, are not left out of the grid); nothing but the stock's buildings casts shade here (no
vegetation, no terrain: the site horizon of the register covers terrain).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry import Polygon

from gis.candidates import Candidate
from gis.shading import (
    AZIMUTH_STEP_DEG,
    DEFAULT_RADIUS_M,
    SamplePoints,
    Scene,
    horizons,
    sample_polygons,
    sample_wall_bands,
    sky_view_factor,
)
from gis.stock import Face, SourceRef, Stock, StockBuilding
from pvhub.yieldengine import ShadeProfile

FloatArray = NDArray[np.float64]

#: Sample points of a roof at most (the contract's default for polygons): a 16-point grid sees a
#: parapet's or a neighbour's shadow cover a quarter of a roof in steps of about 6 %.
ROOF_MAX_POINTS = 16
#: Sample points along a facade band at most (the contract's default for wall bands).
BAND_MAX_POINTS = 8

#: Told the share of the rays cast (0–1) as they are cast.
RayProgress = Callable[[float], None]


@dataclass
class CandidateShade:
    """The shade of a list of candidates: the engine's input (``profile.surface`` indexes
    ``candidates``) and how long each stage took (s)."""

    candidates: Sequence[Candidate]
    profile: ShadeProfile
    points: int
    triangles: int
    radius_m: float
    step_deg: float
    timings: dict[str, float] = field(default_factory=dict)
    #: the engine's shading loss of each of ``candidates`` (0–1), once the survey has estimated them
    shading_loss: FloatArray | None = None

    def describe(self, mismatch: str) -> dict[str, object]:
        """The survey's ``provenance["shading"]``: how the shade was computed."""
        return {
            "method": (
                "ray casting (Embree through trimesh/embreex) from sample points of each candidate over "
                "every face of the stock's buildings, own building and neighbours; horizon per point and "
                "2° true azimuth, sky-view factor per point; applied hour by hour by the yield engine"
            ),
            "radius_m": self.radius_m,
            "step_deg": self.step_deg,
            "points": self.points,
            "triangles": self.triangles,
            "roof_max_points": ROOF_MAX_POINTS,
            "band_max_points": BAND_MAX_POINTS,
            "mismatch": mismatch,
        }


def shade_candidates(
    stock: Stock,
    candidates: Sequence[Candidate],
    *,
    scene: Scene | None = None,
    radius_m: float = DEFAULT_RADIUS_M,
    step_deg: float = AZIMUTH_STEP_DEG,
    progress: RayProgress | None = None,
) -> CandidateShade:
    """Sample ``candidates`` (derived from ``stock``), cast their horizons in ``scene`` (default: the
    whole stock's) and give the engine's :class:`ShadeProfile` with the stages' times.

    ``scene`` must stand in ``stock``'s metric frame; the survey job passes one scene of every stored
    building (all imports, neighbours included) while it screens one import at a time.
    """
    timings: dict[str, float] = {}
    start = time.perf_counter()
    if scene is None:
        scene = Scene.from_stock(stock)
    timings["scene_s"] = time.perf_counter() - start
    start = time.perf_counter()
    points = candidate_points(stock, candidates)
    timings["sampling_s"] = time.perf_counter() - start
    start = time.perf_counter()
    tilt = np.fromiter((c.tilt for c in candidates), dtype=float, count=len(candidates))
    azimuth = np.fromiter((c.azimuth for c in candidates), dtype=float, count=len(candidates))
    convergence = _convergence(stock, candidates)[points.surface]
    horizon = _cast(scene, points, convergence, radius_m, step_deg, progress)
    timings["rays_s"] = time.perf_counter() - start
    start = time.perf_counter()
    sky = _sky_view(horizon, tilt[points.surface], azimuth[points.surface], step_deg)
    timings["sky_view_s"] = time.perf_counter() - start
    profile = ShadeProfile(horizon=horizon, surface=points.surface, sky_view=sky, step_deg=step_deg)
    return CandidateShade(candidates, profile, points.count, scene.triangles, radius_m, step_deg, timings)


def _cast(
    scene: Scene,
    points: SamplePoints,
    convergence: FloatArray,
    radius_m: float,
    step_deg: float,
    progress: RayProgress | None,
) -> np.ndarray:
    """The horizons of all points (one float32 (P, A) array), telling ``progress`` block by block."""
    return horizons(
        scene, points, step_deg=step_deg, radius_m=radius_m, convergence_deg=convergence, progress=progress
    )


#: Points per :func:`gis.shading.sky_view_factor` call: it works in float64 (P, A) arrays, a dozen of
#: them at once; 300,000 points at 2° took 4.6 GB in one call, 16,384 points take about 250 MB.
SKY_VIEW_POINTS = 16_384


def _sky_view(horizon: np.ndarray, tilt: FloatArray, azimuth: FloatArray, step_deg: float) -> FloatArray:
    """Each point's sky-view factor, :data:`SKY_VIEW_POINTS` points at a time (memory, not speed)."""
    out = np.empty(len(horizon))
    for lo in range(0, len(horizon), SKY_VIEW_POINTS):
        hi = lo + SKY_VIEW_POINTS
        out[lo:hi] = sky_view_factor(horizon[lo:hi], tilt[lo:hi], azimuth[lo:hi], step_deg=step_deg)
    return out


def _convergence(stock: Stock, candidates: Sequence[Candidate]) -> FloatArray:
    """The frame's meridian convergence (degrees) at each candidate's centroid."""
    if not candidates:
        return np.zeros(0)
    xy = np.array([c.centroid[:2] for c in candidates], dtype=float)
    return np.asarray(stock.frame.convergence_deg(xy[:, 0], xy[:, 1]), dtype=float).reshape(len(candidates))


# --- sample points --------------------------------------------------------------------------------


def candidate_points(stock: Stock, candidates: Sequence[Candidate]) -> SamplePoints:
    """The sample points of every candidate, ``surface`` = the candidate's index in ``candidates``.

    Roofs (and canopies) are sampled in one :func:`sample_polygons` call, facade bands in one
    :func:`sample_wall_bands` call; the two are merged back into the candidates' order.
    """
    faces = _face_index(stock)
    roof_idx: list[int] = []
    roof_rings: list[FloatArray] = []
    wall_idx: list[int] = []
    walls: list[tuple[StockBuilding, Face, Candidate]] = []
    for i, c in enumerate(candidates):
        found = faces.get((c.building, c.source))
        if found is None:
            raise ValueError(
                f"candidate {c.id}: its face (object {c.source.object}, feature {c.source.feature}, "
                f"faces {list(c.source.faces)}) is not in the stock it was said to come from"
            )
        building, face = found
        if c.band_m is None:
            roof_idx.append(i)
            roof_rings.append(np.asarray(face.rings[0], dtype=float))
        else:
            wall_idx.append(i)
            walls.append((building, face, c))
    parts: list[tuple[list[int], SamplePoints]] = []
    if roof_rings:
        parts.append((roof_idx, sample_polygons(roof_rings, max_points=ROOF_MAX_POINTS)))
    if walls:
        parts.append((wall_idx, _band_points(walls)))
    return _in_order(parts, len(candidates))


def _face_index(stock: Stock) -> dict[tuple[str, SourceRef], tuple[StockBuilding, Face]]:
    """Every face of the stock by (building id, the source its candidates carry)."""
    out: dict[tuple[str, SourceRef], tuple[StockBuilding, Face]] = {}
    for b in stock.buildings:
        for f in b.faces:
            out.setdefault((b.id, face_source(b, f)), (b, f))
    return out


def face_source(building: StockBuilding, face: Face) -> SourceRef:
    """The :class:`SourceRef` :mod:`gis.candidates` gives a candidate of ``face``: a footprint part's own
    feature (or CSV line); a CityJSON object; for a footprint's own faces no object (a footprint file
    has features, not objects). Kept in step with the deriving rule, which a test checks on every
    candidate of a generated city."""
    part = building.part_sources.get(face.object_id) if building.part_sources and face.object_id else None
    if part is not None:
        return SourceRef(object=part.object, feature=part.feature, faces=tuple(face.indices))
    own = face.object_id == building.id and building.source.object is None
    return SourceRef(
        object=None if own else face.object_id, feature=building.source.feature, faces=tuple(face.indices)
    )


def _band_points(walls: Sequence[tuple[StockBuilding, Face, Candidate]]) -> SamplePoints:
    """Sample points of facade bands: each band's strip of its wall (ground line, bottom, top, normal).

    A wall is many bands (a tower's, dozens): its geometry is computed once per face, and the
    rectangles (every wall of a footprint prism) all at once with numpy."""
    n = len(walls)
    row_of: dict[int, int] = {}
    faces: list[Face] = []
    face_row = np.empty(n, dtype=np.int64)
    bottom = np.empty(n)
    top = np.empty(n)
    for j, (b, f, c) in enumerate(walls):
        assert c.band_m is not None  # a wall band (the caller sorted them)
        k = row_of.get(id(f))
        if k is None:
            k = row_of[id(f)] = len(faces)
            faces.append(f)
        face_row[j] = k
        bottom[j], top[j] = b.base_m + c.band_m[0], b.base_m + c.band_m[1]
    origin, u, h_n, smin, smax = _wall_axes(faces)
    start = origin[face_row] + smin[face_row, None] * u[face_row]
    end = origin[face_row] + smax[face_row, None] * u[face_row]
    rect = np.array([len(f.rings) == 1 and len(f.rings[0]) == 4 for f in faces], dtype=bool)
    for j in np.flatnonzero(~rect[face_row]).tolist():  # gables and walls with holes: clipped band by band
        k = int(face_row[j])
        lo, hi = _clipped(faces[k], origin[k], u[k], smin[k], smax[k], bottom[j], top[j])
        start[j], end[j] = origin[k] + lo * u[k], origin[k] + hi * u[k]
    return sample_wall_bands(start, end, bottom, top, h_n[face_row], max_points=BAND_MAX_POINTS)


def _wall_axes(faces: Sequence[Face]) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    """Per wall face: the first vertex's plan point, the unit along the wall (with the wall on the right,
    as :mod:`gis.candidates` walks it), the outward horizontal unit normal (Newell's normal of the
    exterior ring), and the extent along the wall (min, max)."""
    rings = [np.asarray(f.rings[0], dtype=float) for f in faces]
    counts = np.fromiter((len(r) for r in rings), dtype=np.int64, count=len(rings))
    pts = np.concatenate(rings) if rings else np.zeros((0, 3))
    ring = np.repeat(np.arange(len(rings)), counts)
    first = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    rel = pts - pts[first][ring]
    nxt = np.arange(len(pts)) + 1
    nxt[first + counts - 1] = first
    q = rel[nxt]
    terms = np.stack(
        [(rel[:, 1] - q[:, 1]) * (rel[:, 2] + q[:, 2]), (rel[:, 2] - q[:, 2]) * (rel[:, 0] + q[:, 0])], axis=1
    )  # Newell's x and y: the horizontal normal is all a wall's strip needs
    normal = np.zeros((len(rings), 2))
    np.add.at(normal, ring, terms)
    horiz = np.hypot(normal[:, 0], normal[:, 1])
    h_n = np.where(horiz[:, None] > 0, normal / np.where(horiz > 0, horiz, 1.0)[:, None], [0.0, -1.0])
    u = np.column_stack([-h_n[:, 1], h_n[:, 0]])
    s = np.einsum("ij,ij->i", rel[:, :2], u[ring])
    smin = np.full(len(rings), np.inf)
    smax = np.full(len(rings), -np.inf)
    np.minimum.at(smin, ring, s)
    np.maximum.at(smax, ring, s)
    return pts[first][:, :2], u, h_n, smin, smax


def _clipped(
    face: Face, origin: FloatArray, u: FloatArray, smin: float, smax: float, lo: float, hi: float
) -> tuple[float, float]:
    """The extent along the wall (from ``origin``) of a wall of any shape within the band [lo, hi]: the
    face clipped to the band in (along-wall, height) coordinates, so a gable's top band is sampled
    where it is; the whole width when the clip is empty."""
    sz = [np.column_stack([(np.asarray(r)[:, :2] - origin) @ u, np.asarray(r)[:, 2]]) for r in face.rings]
    poly = Polygon(sz[0], [r for r in sz[1:] if len(r) >= 3])
    poly = poly if poly.is_valid else shapely.make_valid(poly)
    clip = shapely.intersection(poly, shapely.box(smin - 1.0, lo, smax + 1.0, hi))
    if clip.is_empty:
        return smin, smax
    left, _, right, _ = clip.bounds
    return float(left), float(right)


def _in_order(parts: Sequence[tuple[list[int], SamplePoints]], n: int) -> SamplePoints:
    """Merge the roofs' and the bands' points, their ``surface`` mapped to the candidates' indices and
    the points sorted by candidate (so that a chunk of points covers neighbouring candidates)."""
    if not parts:
        empty = np.zeros((0, 3))
        return SamplePoints(empty, empty.copy(), np.zeros(0, dtype=np.int64))
    xyz = np.concatenate([p.xyz for _, p in parts])
    normal = np.concatenate([p.normal for _, p in parts])
    surface = np.concatenate([np.asarray(idx, dtype=np.int64)[p.surface] for idx, p in parts])
    order = np.argsort(surface, kind="stable")
    assert np.unique(surface).size == n, "every candidate has at least one sample point"
    return SamplePoints(xyz[order], normal[order], surface[order])
