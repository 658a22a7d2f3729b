"""Candidate PV surfaces derived from a building stock (the survey, 排摸): roofs, facade bands, canopies.

Pure: takes a :class:`gis.stock.Stock`, returns plain dataclasses. What a candidate is:

* **Roofs** — every roof face not steeper than ``max_roof_tilt_deg``, flat or pitched (pitched planes
  come from LoD2). Usable area is the plane shrunk inward by ``roof_setback_m``, measured in the
  plane's own 2D coordinates, so a pitched plane keeps its true (sloped) area, and at most
  ``roof_usable_ratio`` of the gross area (plant and access the file does not show). *North rule*: a pitched
  plane steeper than :data:`NORTH_ROOF_TILT_DEG` must face within ``wall_azimuth_range`` as a wall
  must; a steep north-facing plane is skipped with that reason (a flat or gently pitched roof faces
  the sky whatever its azimuth, and the minimum specific yield of the survey screens the rest).
* **Curtain walls** — every wall face whose true azimuth lies in ``wall_azimuth_range`` is cut into
  horizontal bands, one per storey counted from the building's base (the building's height over its
  storeys when the source gives both, else ``storey_height_m``; or per ``band_height_m``),
  because the top and the bottom of a tower's wall see different suns. A band's gross area is the
  wall's area within the band: the face is clipped in its own plane, so a gable or an irregular wall
  is measured as it is; the gross areas of a face's bands and skipped parts add up to the face's area.
  Usable area is gross × ``opaque_share``.
* **Corridors and walkways** — a building its attributes mark as a covered way (OSM ``building=roof``,
  ``man_made=canopy``, ``covered=yes``, ``highway=footway`` with ``covered``, ``building:part=roof``;
  CityJSON ``BuildingInstallation`` or a function naming a walkway, corridor or skybridge) gives its
  roof as a ``corridor`` when it starts above the ground (``min_height_m`` > 0: it joins buildings
  above the street) and as a ``walkway`` otherwise; its walls are open sides, not candidates. Bridges
  (OSM ``bridge=*``, ``man_made=bridge``, a CityJSON ``Bridge``) are never candidates.

Angles follow pvlib: tilt 0 = horizontal, azimuth from *true* north (0 = N, 90 = E, 180 = S); the
frame's meridian convergence is added to the grid azimuth. A flat plane (tilt < 0.01°) gets azimuth
180. Footprint prisms are the common case (100,000 buildings must derive in seconds), so roofs are
handled as arrays (one vectorised shapely buffer) and rectangular vertical walls — every wall of a
prism, most of an LoD1 solid — are banded with numpy; other walls (gables, holes) are clipped one by
one with shapely.
"""

from __future__ import annotations

import gc
import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry import Polygon
from shapely.geometry.base import BaseGeometry

from gis.area import DEFAULT_SETBACK_M
from gis.stock import DEFAULT_STOREY_HEIGHT_M, N_, Face, Skipped, SourceRef, Stock, StockBuilding, because

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: A pitched roof plane steeper than this (degrees) must face within the walls' azimuth range.
NORTH_ROOF_TILT_DEG = 15.0
#: Below this tilt (degrees) a plane counts as flat: tilt 0, azimuth 180.
FLAT_TILT_DEG = 0.01
#: A wall may lean this far past vertical (degrees) before it counts as facing downward.
OVERHANG_TOLERANCE_DEG = 0.5
_EPS = 1e-6
#: A building's height over its storeys is taken as its storey height only within these bounds, m: a
#: lower quotient means the storeys count something else, a higher one a hall or a wrong height.
MIN_STOREY_M, MAX_STOREY_M = 2.0, 8.0

_CANOPY_TAGS = {("building", "roof"), ("man_made", "canopy"), ("covered", "yes"), ("building:part", "roof")}
_STRUCTURE_KEYS = frozenset(("bridge", "man_made", "type", "covered", "building:part", "highway", "function"))
_CANOPY_WORDS = ("walkway", "corridor", "skybridge", "canopy", "covered")


@dataclass(frozen=True)
class CandidateRules:
    """What counts as a candidate, and how facades are cut.

    ``opaque_share`` defaults to 0.30 because BIPV goes on spandrels, not on vision glass: GB
    50189-2015 (公共建筑节能设计标准) §3.2.2 caps each facade's window-to-wall ratio, curtain walls
    included, at 0.70 for public buildings in Shanghai's climate zone (hot summer, cold winter), so at
    least 30 % of a facade is opaque. ``wall_azimuth_range`` is inclusive, in true azimuths (pvlib);
    a range with ``lo > hi`` wraps through north. ``min_area_m2`` applies to the usable area.

    ``roof_usable_ratio`` caps a roof's usable area at that share of its gross area: a building file
    shows no plant rooms, stair heads, water tanks or access paths, and a roof loses them as well as
    its edge setback. 0.70 is the register's own ratio for a roof entered without geometry
    (``pvhub.register.geometry.DEFAULT_USABLE_RATIO``; a pure library cannot import it), so a roof
    gets the same capacity whether the survey found it or an owner typed it.
    """

    min_area_m2: float = 10.0
    band_height_m: float | None = None
    storey_height_m: float = DEFAULT_STOREY_HEIGHT_M
    opaque_share: float = 0.30
    wall_azimuth_range: tuple[float, float] = (90.0, 270.0)
    roof_setback_m: float = DEFAULT_SETBACK_M["roof"]
    max_roof_tilt_deg: float = 60.0
    roof_usable_ratio: float = 0.70

    def __post_init__(self) -> None:
        if self.min_area_m2 < 0 or self.roof_setback_m < 0:
            raise ValueError("min_area_m2 and roof_setback_m must be >= 0")
        if self.band_height_m is not None and self.band_height_m <= 0:
            raise ValueError(f"band_height_m must be > 0, got {self.band_height_m}")
        if self.storey_height_m <= 0:
            raise ValueError(f"storey_height_m must be > 0, got {self.storey_height_m}")
        if not 0.0 <= self.opaque_share <= 1.0:
            raise ValueError(f"opaque_share must be within [0, 1], got {self.opaque_share}")
        if not 0.0 < self.roof_usable_ratio <= 1.0:
            raise ValueError(f"roof_usable_ratio must be within (0, 1], got {self.roof_usable_ratio}")
        if not 0.0 <= self.max_roof_tilt_deg <= 90.0:
            raise ValueError(f"max_roof_tilt_deg must be within [0, 90], got {self.max_roof_tilt_deg}")

    @property
    def band_m(self) -> float:
        """Height of one wall band, m."""
        return self.band_height_m if self.band_height_m is not None else self.storey_height_m

    def as_dict(self) -> dict[str, Any]:
        """Plain data for provenance."""
        return {
            "min_area_m2": self.min_area_m2,
            "band_height_m": self.band_height_m,
            "storey_height_m": self.storey_height_m,
            "opaque_share": self.opaque_share,
            "wall_azimuth_range": list(self.wall_azimuth_range),
            "roof_setback_m": self.roof_setback_m,
            "max_roof_tilt_deg": self.max_roof_tilt_deg,
            "roof_usable_ratio": self.roof_usable_ratio,
            "north_roof_tilt_deg": NORTH_ROOF_TILT_DEG,
        }


@dataclass(slots=True)
class Candidate:
    """One candidate surface; see the module docstring for the rules and conventions.

    ``centroid`` is area-weighted in the stock's metric frame; ``outline`` is WGS84 lon/lat: the roof's
    exterior ring (closed) or, for a wall band, its 2-point ground line walked with the wall on the
    right. Slotted and not frozen, because a city has a million of these: a frozen dataclass costs
    about 4 µs more per instance (every field set through ``object.__setattr__``), seconds a city.
    Treat it as read-only all the same.
    """

    id: str
    building: str
    source: SourceRef
    kind: str
    centroid: tuple[float, float, float]
    lon: float
    lat: float
    z_m: float
    area_m2: float
    usable_area_m2: float
    tilt: float
    azimuth: float
    storey: int | None
    band_m: tuple[float, float] | None
    outline: tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class SkippedPart(Skipped):
    """A face or part of one left out, with its gross area (m²) so a face's parts add up."""

    area_m2: float = 0.0


@dataclass
class CandidateSet:
    """The candidates of a stock, and what was left out with the reason."""

    candidates: list[Candidate]
    skipped: list[Skipped] = field(default_factory=list)


def derive_candidates(
    stock: Stock, rules: CandidateRules = CandidateRules(), *, boundary: BaseGeometry | None = None
) -> CandidateSet:
    """Derive the candidate surfaces of every building of ``stock`` inside ``boundary`` (WGS84).

    A building is inside when its footprint's centroid is (its faces' centre when it has no
    footprint); outside it is kept as a neighbour and yields one skipped entry.
    """
    with _gc_paused():
        return _derive(stock, rules, boundary)


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector: a city's million candidates hold no cycles, and its
    collections, triggered again and again as they are allocated, more than doubled the time."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _derive(stock: Stock, rules: CandidateRules, boundary: BaseGeometry | None) -> CandidateSet:
    out = CandidateSet([])
    inside = _inside(stock, boundary)
    roofs: list[tuple[StockBuilding, Face, str]] = []
    walls: list[tuple[StockBuilding, Face]] = []
    for building, is_inside in zip(stock.buildings, inside.tolist(), strict=True):
        if not is_inside:
            out.skipped.append(
                Skipped(building.source, **because(N_("outside the district boundary: kept as a neighbour")))
            )
            continue
        if not building.faces:
            if building.note:
                out.skipped.append(Skipped(building.source, building.note))
            else:
                out.skipped.append(
                    Skipped(building.source, **because(N_("no 3D shape: height and levels unknown")))
                )
            continue
        role = structure_kind(building)
        if role == "bridge":
            out.skipped.append(
                Skipped(
                    building.source,
                    **because(N_("a bridge: bridges over roads and water are not candidates")),
                )
            )
            continue
        kind = "roof" if role == "building" else role
        for face in building.faces:
            if face.kind == "roof":
                roofs.append((building, face, kind))
            elif face.kind == "wall" and role == "building":
                walls.append((building, face))
    _roof_candidates(stock, roofs, rules, out)
    _wall_candidates(stock, walls, rules, out)
    return out


def structure_kind(building: StockBuilding) -> str:
    """``building``, ``corridor``, ``walkway`` or ``bridge``, from the building's attributes."""
    attrs = building.attributes
    if not attrs or (attrs.get("building") != "roof" and _STRUCTURE_KEYS.isdisjoint(attrs)):
        return "building"

    def tag(key: str, default: str = "") -> str:
        value = attrs.get(key)
        return default if value is None else str(value).lower()

    if tag("bridge", "no") != "no" or tag("man_made") == "bridge" or tag("type") in ("bridge", "bridgepart"):
        return "bridge"
    covered = any(tag(k) == v for k, v in _CANOPY_TAGS)
    covered = covered or (tag("highway") == "footway" and tag("covered", "no") != "no")
    covered = covered or tag("type") == "buildinginstallation"
    covered = covered or any(w in tag("function") for w in _CANOPY_WORDS)
    if not covered:
        return "building"
    return "corridor" if building.min_height_m > 0 else "walkway"


def _inside(stock: Stock, boundary: BaseGeometry | None) -> NDArray[np.bool_]:
    n = len(stock.buildings)
    if boundary is None:
        return np.ones(n, dtype=bool)
    lon = np.full(n, np.nan)
    lat = np.full(n, np.nan)
    with_fp = [i for i, b in enumerate(stock.buildings) if b.footprint is not None]
    if with_fp:
        centres = shapely.centroid(np.array([stock.buildings[i].footprint for i in with_fp], dtype=object))
        lon[with_fp], lat[with_fp] = shapely.get_x(centres), shapely.get_y(centres)
    for i, b in enumerate(stock.buildings):
        if b.footprint is None and b.faces:
            pts = np.concatenate([r for f in b.faces for r in f.rings])
            x, y = stock.frame.to_wgs84(pts[:, 0:1].mean(axis=0), pts[:, 1:2].mean(axis=0))
            lon[i], lat[i] = float(x[0]), float(y[0])
    known = ~np.isnan(lon)
    result = np.ones(n, dtype=bool)  # a building with no location at all is skipped for its lack of shape
    shapely.prepare(boundary)
    result[known] = shapely.intersects_xy(boundary, lon[known], lat[known])
    return result


def _true_azimuth(
    stock: Stock, normal: FloatArray, x: FloatArray, y: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Tilt and true azimuth (degrees) of unit normals at metric points; flat planes get 180."""
    tilt = np.degrees(np.arccos(np.clip(normal[:, 2], -1.0, 1.0)))
    grid = np.degrees(np.arctan2(normal[:, 0], normal[:, 1]))
    conv = np.asarray(stock.frame.convergence_deg(x, y), dtype=float) if len(x) else np.zeros(0)
    azimuth = np.mod(grid + conv, 360.0)
    flat = tilt < FLAT_TILT_DEG
    tilt[flat] = 0.0
    azimuth[flat] = 180.0
    return tilt, azimuth


def _in_range(azimuth: FloatArray, rng: tuple[float, float]) -> NDArray[np.bool_]:
    lo, hi = rng[0] % 360.0, rng[1] % 360.0
    if rng[1] - rng[0] >= 360.0:
        return np.ones(azimuth.shape, dtype=bool)
    a = np.mod(azimuth, 360.0)
    if lo <= hi:
        return (a >= lo - _EPS) & (a <= hi + _EPS)
    return (a >= lo - _EPS) | (a <= hi + _EPS)


#: Compass points of a reason (``compass``), marked for the pages' catalogues.
_COMPASS = (
    N_("north"), N_("north-east"), N_("east"), N_("south-east"),
    N_("south"), N_("south-west"), N_("west"), N_("north-west"),
)  # fmt: skip


def _compass(azimuth: float) -> str:
    return _COMPASS[int(((azimuth % 360.0) + 22.5) // 45.0) % 8]


def _range_text(rng: tuple[float, float]) -> str:
    return f"{rng[0]:g}–{rng[1]:g}°"


def _face_id(face: Face) -> int:
    return face.indices[0] if face.indices else 0


def _object(building: StockBuilding, face: Face) -> str | None:
    """The CityJSON object a face belongs to; None for a footprint's own faces (a footprint file has
    features, not objects: the reader names them by the building's id)."""
    if face.object_id == building.id and building.source.object is None:
        return None
    return face.object_id


def _source(building: StockBuilding, face: Face) -> SourceRef:
    part = building.part_sources.get(face.object_id) if building.part_sources and face.object_id else None
    if part is not None:  # a footprint part: its own feature (or CSV line)
        return SourceRef(object=part.object, feature=part.feature, faces=tuple(face.indices))
    return SourceRef(
        object=_object(building, face), feature=building.source.feature, faces=tuple(face.indices)
    )


def _base_id(building: StockBuilding, face: Face) -> str:
    return f"{building.id}/{_object(building, face) or '-'}/{_face_id(face)}"


# --- roofs ---------------------------------------------------------------------------------------


def _ragged(rings: list[FloatArray]) -> tuple[FloatArray, IntArray, IntArray]:
    """Concatenate rings: points, each point's ring index, each ring's start offset."""
    counts = np.fromiter((len(r) for r in rings), dtype=np.int64, count=len(rings))
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    pts = np.concatenate(rings).astype(float) if rings else np.zeros((0, 3))
    return pts, np.repeat(np.arange(len(rings), dtype=np.int64), counts), starts


def _newell_ragged(pts: FloatArray, ring: IntArray, starts: IntArray, n_rings: int) -> FloatArray:
    """Newell's vector of many rings at once (length = 2 × area), vertices shifted to each ring's first."""
    p = pts - pts[starts][ring]
    nxt = np.arange(len(p)) + 1
    ends = np.append(starts[1:], len(p))
    nxt[ends - 1] = starts
    q = p[nxt]
    terms = np.stack(
        [
            (p[:, 1] - q[:, 1]) * (p[:, 2] + q[:, 2]),
            (p[:, 2] - q[:, 2]) * (p[:, 0] + q[:, 0]),
            (p[:, 0] - q[:, 0]) * (p[:, 1] + q[:, 1]),
        ],
        axis=1,
    )
    out = np.zeros((n_rings, 3))
    np.add.at(out, ring, terms)
    return out


def _plane_basis(unit: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Orthonormal in-plane axes (e1 horizontal, e2 = n × e1) per unit normal; x, y for flat planes."""
    e1 = np.stack([-unit[:, 1], unit[:, 0], np.zeros(len(unit))], axis=1)
    norm = np.linalg.norm(e1, axis=1)
    flat = norm < 1e-9
    e1[flat] = (1.0, 0.0, 0.0)
    e1[~flat] /= norm[~flat, None]
    e2 = np.cross(unit, e1)
    return e1, e2


def _roof_candidates(
    stock: Stock, roofs: list[tuple[StockBuilding, Face, str]], rules: CandidateRules, out: CandidateSet
) -> None:
    if not roofs:
        return
    exteriors = [f.rings[0] for _, f, _ in roofs]
    pts, ring, starts = _ragged(exteriors)
    normal = _newell_ragged(pts, ring, starts, len(roofs))
    length = np.linalg.norm(normal, axis=1)
    ok = length > 1e-9
    unit = np.zeros_like(normal)
    unit[ok] = normal[ok] / length[ok, None]
    unit[~ok] = (0.0, 0.0, 1.0)
    e1, e2 = _plane_basis(unit)
    origin = pts[starts]
    rel = pts - origin[ring]
    uv = np.stack([np.einsum("ij,ij->i", rel, e1[ring]), np.einsum("ij,ij->i", rel, e2[ring])], axis=1)
    polys = np.empty(len(roofs), dtype=object)
    simple = np.array([len(f.rings) == 1 for _, f, _ in roofs]) & ok
    counts = np.bincount(ring, minlength=len(roofs))
    simple &= counts >= 3
    if simple.any():
        keep = simple[ring]
        rings2d = shapely.linearrings(uv[keep], indices=np.unique(ring[keep], return_inverse=True)[1])
        polys[simple] = shapely.polygons(rings2d)
    for i in np.flatnonzero(~simple):
        polys[i] = _plane_polygon(roofs[i][1], origin[i], e1[i], e2[i]) if ok[i] else Polygon()
    polys = shapely.make_valid(polys) if not shapely.is_valid(polys).all() else polys
    gross = shapely.area(polys)
    usable_geom = (
        shapely.buffer(polys, -rules.roof_setback_m, join_style="mitre")
        if rules.roof_setback_m > 0
        else polys
    )
    usable = np.minimum(shapely.area(usable_geom), rules.roof_usable_ratio * gross)
    c2 = shapely.centroid(polys)
    cu = np.nan_to_num(shapely.get_x(c2))
    cv = np.nan_to_num(shapely.get_y(c2))
    centre = origin + cu[:, None] * e1 + cv[:, None] * e2
    tilt, azimuth = _true_azimuth(stock, unit, centre[:, 0], centre[:, 1])
    lon, lat = stock.frame.to_wgs84(centre[:, 0], centre[:, 1])
    vlon, vlat = stock.frame.to_wgs84(pts[:, 0], pts[:, 1])
    facing = _in_range(azimuth, rules.wall_azimuth_range)
    rows = zip(
        roofs, centre.tolist(), np.asarray(lon).tolist(), np.asarray(lat).tolist(), gross.tolist(),
        usable.tolist(), tilt.tolist(), azimuth.tolist(), facing.tolist(), starts.tolist(), counts.tolist(),
        ok.tolist(), strict=True,
    )  # fmt: skip
    vlon_l, vlat_l = np.asarray(vlon).tolist(), np.asarray(vlat).tolist()
    for (b, f, kind), c, x, y, g, u, t, a, fac, s, n, valid in rows:
        reason = _roof_reason(valid, t, a, fac, u, rules)
        if reason is not None:
            out.skipped.append(SkippedPart(_source(b, f), area_m2=g, **reason))
            continue
        outline = tuple(zip(vlon_l[s : s + n], vlat_l[s : s + n], strict=True))
        out.candidates.append(
            Candidate(
                _base_id(b, f), b.id, _source(b, f), kind, (c[0], c[1], c[2]), x, y, c[2] - b.base_m, g, u,
                t, a, None, None, (*outline, outline[0]),
            )
        )  # fmt: skip


def _roof_reason(
    valid: bool, tilt: float, azimuth: float, facing: bool, usable: float, rules: CandidateRules
) -> dict[str, Any] | None:
    """Why a roof face is left out (:func:`gis.stock.because`), or None."""
    if not valid:
        return because(N_("roof face has no area"))
    if tilt > rules.max_roof_tilt_deg:
        return because(
            N_("roof plane tilted {tilt:.1f}°: steeper than {maximum:g}°"),
            tilt=tilt,
            maximum=rules.max_roof_tilt_deg,
        )
    if tilt > NORTH_ROOF_TILT_DEG and not facing:
        return because(
            N_(
                "pitched roof plane ({tilt:.0f}°) faces {compass} ({azimuth:.0f}°): "
                "steeper than {steep:g}° and outside {range}"
            ),
            tilt=tilt,
            compass=_compass(azimuth),
            azimuth=azimuth,
            steep=NORTH_ROOF_TILT_DEG,
            range=_range_text(rules.wall_azimuth_range),
        )
    if usable < rules.min_area_m2:
        return because(
            N_(
                "usable area {usable:.1f} m² after the {setback:g} m setback, "
                "at most {share:.0%} of the roof: under the minimum {minimum:g} m²"
            ),
            usable=usable,
            setback=rules.roof_setback_m,
            share=rules.roof_usable_ratio,
            minimum=rules.min_area_m2,
        )
    return None


def _plane_polygon(face: Face, origin: FloatArray, e1: FloatArray, e2: FloatArray) -> BaseGeometry:
    """A face (with holes) in its plane's 2D coordinates."""
    rings = [np.stack([(r - origin) @ e1, (r - origin) @ e2], axis=1) for r in face.rings]
    if any(len(r) < 3 for r in rings):
        return Polygon()
    return Polygon(rings[0], [r for r in rings[1:] if len(r) >= 3])


# --- walls ---------------------------------------------------------------------------------------


@dataclass
class _Walls:
    """Per-face arrays of the walls in range: geometry and where each face's bands begin and end."""

    items: list[tuple[StockBuilding, Face]]
    start_xy: FloatArray
    end_xy: FloatArray
    zmin: FloatArray
    zmax: FloatArray
    width: FloatArray
    tilt: FloatArray
    azimuth: FloatArray


def _wall_candidates(
    stock: Stock, walls: list[tuple[StockBuilding, Face]], rules: CandidateRules, out: CandidateSet
) -> None:
    if not walls:
        return
    rect = np.array([len(f.rings) == 1 and len(f.rings[0]) == 4 for _, f in walls], dtype=bool)
    idx = np.flatnonzero(rect)
    fast = np.zeros(len(walls), dtype=bool)
    if len(idx):
        p = np.stack([walls[i][1].rings[0] for i in idx]).astype(float)
        good, geom = _rectangles(p)
        fast[idx[good]] = True
        items = [walls[i] for i in idx[good]]
        _band_rectangles(stock, items, {k: v[good] for k, v in geom.items()}, rules, out)
    for i in np.flatnonzero(~fast):
        _band_generic(stock, walls[i][0], walls[i][1], rules, out)


def _rectangles(p: FloatArray) -> tuple[NDArray[np.bool_], dict[str, FloatArray]]:
    """Which (n, 4, 3) quads are vertical rectangles with horizontal top and bottom, and their geometry."""
    rel = p - p[:, :1, :]
    q = np.roll(rel, -1, axis=1)
    normal = np.stack(
        [
            ((rel[..., 1] - q[..., 1]) * (rel[..., 2] + q[..., 2])).sum(axis=1),
            ((rel[..., 2] - q[..., 2]) * (rel[..., 0] + q[..., 0])).sum(axis=1),
            ((rel[..., 0] - q[..., 0]) * (rel[..., 1] + q[..., 1])).sum(axis=1),
        ],
        axis=1,
    )
    area = np.linalg.norm(normal, axis=1) / 2.0
    horiz = np.hypot(normal[:, 0], normal[:, 1])
    safe = np.where(horiz > 0, horiz, 1.0)
    u = np.stack([-normal[:, 1] / safe, normal[:, 0] / safe], axis=1)  # along the wall, facing right
    s = np.einsum("nkj,nj->nk", rel[..., :2], u)
    z = p[..., 2]
    zmin, zmax = z.min(axis=1), z.max(axis=1)
    smin, smax = s.min(axis=1), s.max(axis=1)
    width, height = smax - smin, zmax - zmin
    tol = 1e-3
    at_ends = (np.abs(z - zmin[:, None]) < tol) | (np.abs(z - zmax[:, None]) < tol)
    good = (
        (horiz > 0)
        & (np.abs(normal[:, 2]) <= 1e-3 * np.maximum(horiz, 1e-12))
        & at_ends.all(axis=1)
        & (height > tol)
        & (width > tol)
        & (np.abs(area - width * height) <= 1e-3 * np.maximum(area, 1e-9))
    )
    origin = p[:, 0, :2]
    geom = {
        "start_xy": origin + smin[:, None] * u,
        "end_xy": origin + smax[:, None] * u,
        "zmin": zmin,
        "zmax": zmax,
        "width": width,
        "unit": np.column_stack([normal[:, :2] / safe[:, None], np.zeros(len(p))]),
    }
    return good, geom


def _bands(
    zmin: FloatArray, zmax: FloatArray, base: FloatArray, h: FloatArray
) -> tuple[IntArray, IntArray, FloatArray, FloatArray]:
    """Cut [zmin, zmax] of each face into bands of its height h counted from base: face index, band
    index, bottom and top of every band."""
    k0 = np.floor((zmin - base) / h + _EPS).astype(np.int64)
    k1 = np.maximum(np.ceil((zmax - base) / h - _EPS).astype(np.int64), k0 + 1)
    counts = k1 - k0
    face = np.repeat(np.arange(len(zmin), dtype=np.int64), counts)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    k = k0[face] + (np.arange(int(counts.sum()), dtype=np.int64) - starts[face])
    bottom = np.maximum(zmin[face], base[face] + k * h[face])
    top = np.minimum(zmax[face], base[face] + (k + 1) * h[face])
    return face, k, bottom, top


def band_height(building: StockBuilding, rules: CandidateRules) -> float:
    """The height of one facade band of ``building``, m: the rules' band height when set; else the
    building's own storey height (its height over its storeys, when the source gives both and the
    quotient is a plausible storey, 2–8 m), so bands follow the floors a facade is built by; else
    the rules' default storey height."""
    if rules.band_height_m is not None:
        return rules.band_height_m
    if building.storeys and building.height_m:
        storey = (building.height_m - (building.roof_height_m or 0.0)) / building.storeys
        if MIN_STOREY_M <= storey <= MAX_STOREY_M:
            return storey
    return rules.storey_height_m


def _band_heights(items: list[tuple[StockBuilding, Face]], rules: CandidateRules) -> FloatArray:
    """:func:`band_height` of each face's building (a building's walls are many faces: once each)."""
    memo: dict[int, float] = {}
    for b, _ in items:
        if id(b) not in memo:
            memo[id(b)] = band_height(b, rules)
    return np.fromiter((memo[id(b)] for b, _ in items), dtype=float, count=len(items))


def _band_rectangles(
    stock: Stock,
    items: list[tuple[StockBuilding, Face]],
    g: dict[str, FloatArray],
    rules: CandidateRules,
    out: CandidateSet,
) -> None:
    """Band vertical rectangles with numpy; a face whose fullest band is under the minimum is
    skipped whole (one entry, not one per storey)."""
    if not items:
        return
    mid = (g["start_xy"] + g["end_xy"]) / 2.0
    _, azimuth = _true_azimuth(stock, g["unit"], mid[:, 0], mid[:, 1])
    height = g["zmax"] - g["zmin"]
    facing = _in_range(azimuth, rules.wall_azimuth_range)
    fullest = g["width"] * np.minimum(_band_heights(items, rules), height) * rules.opaque_share
    narrow = facing & (fullest < rules.min_area_m2)
    skip = out.skipped.append
    for i in np.flatnonzero(~facing).tolist():
        a = float(azimuth[i])
        reason = _facing_reason(a, rules)
        skip(SkippedPart(_source(*items[i]), area_m2=float(g["width"][i] * height[i]), **reason))
    for i in np.flatnonzero(narrow).tolist():
        reason = because(
            N_(
                "wall {width:.1f} m wide: usable area at most {usable:.1f} m² a band, "
                "under the minimum {minimum:g} m²"
            ),
            width=float(g["width"][i]),
            usable=float(fullest[i]),
            minimum=rules.min_area_m2,
        )
        skip(SkippedPart(_source(*items[i]), area_m2=float(g["width"][i] * height[i]), **reason))
    sel = np.flatnonzero(facing & ~narrow)
    if len(sel):
        _emit_bands(
            stock,
            [items[i] for i in sel.tolist()],
            {k: v[sel] for k, v in g.items()},
            azimuth[sel],
            rules,
            out,
        )


def _emit_bands(
    stock: Stock,
    items: list[tuple[StockBuilding, Face]],
    g: dict[str, FloatArray],
    azimuth: FloatArray,
    rules: CandidateRules,
    out: CandidateSet,
) -> None:
    """Candidates (or skipped parts) from the bands of vertical rectangles facing the sun; a band's
    centroid is at mid-width, mid-height."""
    m = len(items)
    base = np.fromiter((b.base_m for b, _ in items), dtype=float, count=m)
    face, k, bottom, top = _bands(g["zmin"], g["zmax"], base, _band_heights(items, rules))
    gross = g["width"][face] * (top - bottom)
    usable = gross * rules.opaque_share
    keep = ((usable >= rules.min_area_m2) & (gross > 0)).tolist()
    zc = (bottom + top) / 2.0
    lo, hi, zrel = bottom - base[face], top - base[face], zc - base[face]
    starts = np.concatenate([[0], np.cumsum(np.bincount(face, minlength=m))]).tolist()
    mid = (g["start_xy"] + g["end_xy"]) / 2.0
    elon, elat = stock.frame.to_wgs84(np.concatenate([g["start_xy"][:, 0], g["end_xy"][:, 0]]),
                                      np.concatenate([g["start_xy"][:, 1], g["end_xy"][:, 1]]))  # fmt: skip
    mlon, mlat = stock.frame.to_wgs84(mid[:, 0], mid[:, 1])
    ends = np.stack([elon[:m], elat[:m], elon[m:], elat[m:]], axis=1).tolist()
    per_face = zip(items, ends, np.asarray(mlon).tolist(), np.asarray(mlat).tolist(), mid.tolist(),
                   azimuth.tolist(), starts[:-1], starts[1:], strict=True)  # fmt: skip
    k_l, lo_l, hi_l, g_l, u_l, zc_l, zr_l = (a.tolist() for a in (k, lo, hi, gross, usable, zc, zrel))
    append, skip, minimum = out.candidates.append, out.skipped.append, rules.min_area_m2
    for (b, f), e, x, y, (mx, my), az, first, last in per_face:
        src, base_id, bid, line = _source(b, f), _base_id(b, f), b.id, ((e[0], e[1]), (e[2], e[3]))
        for t in range(first, last):
            if not keep[t]:
                skip(
                    SkippedPart(
                        src, area_m2=g_l[t], **_band_reason(k_l[t], lo_l[t], hi_l[t], u_l[t], minimum)
                    )
                )
                continue
            append(
                Candidate(
                    f"{base_id}/b{k_l[t]}", bid, src, "curtain_wall", (mx, my, zc_l[t]), x, y, zr_l[t],
                    g_l[t], u_l[t], 90.0, az, k_l[t], (lo_l[t], hi_l[t]), line,
                )
            )  # fmt: skip


def _band_reason(k: int, lo: float, hi: float, usable: float, minimum: float) -> dict[str, Any]:
    return because(
        N_(
            "band {band} ({bottom:.1f}–{top:.1f} m): usable area {usable:.1f} m² "
            "under the minimum {minimum:g} m²"
        ),
        band=k,
        bottom=lo,
        top=hi,
        usable=usable,
        minimum=minimum,
    )


def _facing_reason(azimuth: float, rules: CandidateRules) -> dict[str, Any]:
    return because(
        N_("faces {compass} ({azimuth:.0f}°): outside {range}"),
        compass=_compass(azimuth),
        azimuth=azimuth,
        range=_range_text(rules.wall_azimuth_range),
    )


def _band_generic(stock: Stock, b: StockBuilding, f: Face, rules: CandidateRules, out: CandidateSet) -> None:
    """Band one wall of any shape by clipping it in (along-wall, height) coordinates with shapely."""
    ext = np.asarray(f.rings[0], dtype=float)
    normal = sum((_newell(np.asarray(r, dtype=float)) for r in f.rings[:1]), np.zeros(3))
    horiz = math.hypot(normal[0], normal[1])
    if horiz < 1e-9 or len(ext) < 3:
        out.skipped.append(
            SkippedPart(_source(b, f), **because(N_("wall face has no area or is horizontal")))
        )
        return
    unit = normal / np.linalg.norm(normal)
    h_n = np.array([normal[0], normal[1]]) / horiz
    u = np.array([-h_n[1], h_n[0]])
    origin = ext[0]
    sin_t = horiz / np.linalg.norm(normal)  # projected (s, z) area = true area × sin(tilt)
    poly = Polygon(*_sz_rings(f, origin, u))
    poly = poly if poly.is_valid else shapely.make_valid(poly)
    area = poly.area / sin_t
    c = poly.centroid
    cx, cy = _sz_to_xy(origin, u, h_n, unit, c.x, c.y) if not c.is_empty else (origin[0], origin[1])
    tilt_arr, az_arr = _true_azimuth(stock, unit[None, :], np.array([cx]), np.array([cy]))
    tilt, az = float(tilt_arr[0]), float(az_arr[0])
    if tilt > 90.0 + OVERHANG_TOLERANCE_DEG:
        reason = because(N_("wall faces downward (tilt {tilt:.0f}°)"), tilt=tilt)
        out.skipped.append(SkippedPart(_source(b, f), area_m2=area, **reason))
        return
    if not _in_range(np.array([az]), rules.wall_azimuth_range)[0]:
        out.skipped.append(SkippedPart(_source(b, f), area_m2=area, **_facing_reason(az, rules)))
        return
    smin, zmin, smax, zmax = poly.bounds
    h = np.array([band_height(b, rules)])
    _, ks, bottoms, tops = _bands(np.array([zmin]), np.array([zmax]), np.array([b.base_m]), h)
    clips = shapely.intersection(poly, shapely.box(smin - 1.0, bottoms, smax + 1.0, tops))
    areas = shapely.area(clips) / sin_t
    cents = shapely.centroid(clips)
    xs, zs = shapely.get_x(cents), shapely.get_y(cents)
    lon, lat = stock.frame.to_wgs84(np.array([origin[0] + smin * u[0], origin[0] + smax * u[0]]),
                                    np.array([origin[1] + smin * u[1], origin[1] + smax * u[1]]))  # fmt: skip
    line = ((float(lon[0]), float(lat[0])), (float(lon[1]), float(lat[1])))
    src, base_id = _source(b, f), _base_id(b, f)
    for kk, lo, hi, g, s, z in zip(
        ks.tolist(), bottoms.tolist(), tops.tolist(), areas.tolist(), xs.tolist(), zs.tolist(), strict=True
    ):
        usable = g * rules.opaque_share
        if usable < rules.min_area_m2 or g <= 0:
            reason = _band_reason(kk, lo - b.base_m, hi - b.base_m, usable, rules.min_area_m2)
            out.skipped.append(SkippedPart(src, area_m2=g, **reason))
            continue
        x, y = _sz_to_xy(origin, u, h_n, unit, s, z)
        clon, clat = stock.frame.to_wgs84(np.array([x]), np.array([y]))
        out.candidates.append(
            Candidate(
                f"{base_id}/b{kk}", b.id, src, "curtain_wall", (x, y, z), float(clon[0]), float(clat[0]),
                z - b.base_m, g, usable, min(tilt, 90.0), az, kk, (lo - b.base_m, hi - b.base_m), line,
            )
        )  # fmt: skip


def _newell(p: FloatArray) -> FloatArray:
    r = p - p[0]
    q = np.roll(r, -1, axis=0)
    return np.array(
        [
            np.sum((r[:, 1] - q[:, 1]) * (r[:, 2] + q[:, 2])),
            np.sum((r[:, 2] - q[:, 2]) * (r[:, 0] + q[:, 0])),
            np.sum((r[:, 0] - q[:, 0]) * (r[:, 1] + q[:, 1])),
        ]
    )


def _sz_rings(f: Face, origin: FloatArray, u: FloatArray) -> tuple[FloatArray, list[FloatArray]]:
    """A wall's rings as (distance along the wall, height) coordinates."""
    rings = [np.column_stack([(np.asarray(r)[:, :2] - origin[:2]) @ u, np.asarray(r)[:, 2]]) for r in f.rings]
    return rings[0], [r for r in rings[1:] if len(r) >= 3]


def _sz_to_xy(
    origin: FloatArray, u: FloatArray, h_n: FloatArray, unit: FloatArray, s: float, z: float
) -> tuple[float, float]:
    """The plan point of the wall's plane at along-wall distance s and height z (leaning walls move
    along their horizontal normal as they rise)."""
    sin_t = math.hypot(unit[0], unit[1])
    offset = -(z - origin[2]) * unit[2] / sin_t
    return float(origin[0] + s * u[0] + offset * h_n[0]), float(origin[1] + s * u[1] + offset * h_n[1])
