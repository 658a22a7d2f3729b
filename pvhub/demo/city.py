"""A generated Huangpu-like city as an OpenStreetMap-style GeoJSON building file (for the demo and the
survey benchmark).

What it looks like, and why:

* **The river.** A 400 m wide Huangpu runs north–south just east of ``centre`` and bends east then
  south-west below it, along the west bank of Huangpu District's outline in :mod:`pvhub.demo.district`
  (the Bund at the top, the bend at Nanpu and Lupu bridges). No building stands in it; one
  ``man_made=bridge`` crosses it (the readers skip it as not a building).
* **Street grid.** Blocks of 200 × 150 m with 20 m streets, turned :data:`STREET_ANGLE_DEG`
  anticlockwise from true east (see there why). A block's type follows its distance to
  the river: **towers** (100–250 m, as on the Bund and in Lujiazui) within 800 m of the water, some
  on a podium (``building:part`` features: a 4–6 storey podium and the tower above it, as OSM's
  Simple 3D Buildings scheme draws them); **mid-rise** slabs, L-shapes and point blocks of 6–30
  storeys (most of them under 12) further out, mixed with **low-rise lanes** (里弄: rows of 2–3
  storey terraces, 9 m deep and 30–40 m long, their long sides facing the street grid's south, 4 m
  alleys between).
* **Tags as OSM has them.** Most buildings have a numeric ``height``; some only ``building:levels``;
  a few a ``height`` such as ``"45 m"``; a few neither (the readers keep them without a 3D shape);
  a covered walkway (``building=roof``) along a street and a skybridge (``building=roof``,
  ``covered=yes``, ``min_height`` 15 m) across one.

Buildings never overlap each other, the river or the ``avoid`` footprints (the demo's registered
sites): lots are placed on the grid with numpy, and lots touching the water or an ``avoid`` polygon
(an STRtree query) are dropped. Without an ``area`` the city holds the lots nearest ``centre``;
with one (the demo's district outline) it holds lots lying wholly inside it, drawn at random over
the whole area, so a few thousand buildings spread over the district instead of filling its
corner round ``centre``. Deterministic per ``seed``; 100,000 buildings take a few seconds.
Coordinates are WGS84, through the UTM zone of ``centre`` (pyproj), rounded to 7 decimals (1 cm).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray
from pyproj import CRS, Proj, Transformer
from shapely.geometry import LineString, Polygon, shape
from shapely.geometry.base import BaseGeometry

from gis.crs import utm_epsg

FloatArray = NDArray[np.float64]

BLOCK_X_M, BLOCK_Y_M, STREET_M = 200.0, 150.0, 20.0
#: The river's west bank, metres east and north of ``centre`` (121.49, 31.23): points of the
#: Huangpu District outline's river side in pvhub.demo.district, extended north and south-west.
RIVER_BANK_M = (
    (100.0, 30000.0),
    (100.0, 4000.0),
    (143.0, 1442.0),
    (476.0, 444.0),
    (1237.0, -776.0),
    (1380.0, -1442.0),
    (1237.0, -2107.0),
    (286.0, -3382.0),
    (-1142.0, -4158.0),
    (-3000.0, -5000.0),
    (-30000.0, -12000.0),
)
RIVER_WIDTH_M = 400.0
TOWER_BELT_M = 800.0
#: The street grid's turn, degrees anticlockwise from true east: a wall facing the grid's south
#: faces 180 − 12.5 = 167.5° (true), its west neighbour 257.5°. 12.5° is the median of the street
#: grid angles the demo's subdistricts use for their registered sites (0–40°,
#: pvhub.demo.district), so the city's blocks run as the sites' do. A grid square to true north
#: would put every east and west wall exactly on the survey's inclusive 90–270° azimuth bounds,
#: where the 1 cm rounding of the coordinates (up to 0.03° on a 30 m wall) would decide at random
#: whether the wall is surveyed; turned, every wall lies clearly inside or outside the range.
STREET_ANGLE_DEG = 12.5
# lot templates inside a block's 180 × 130 m interior: (x, y, width, depth) of each lot
_LANES = np.array([(c * 45.0, r * 13.0, 40.0, 9.0) for c in range(4) for r in range(10)])
_MID = np.array([(c * 60.0, r * 43.0, 60.0, 43.0) for c in range(3) for r in range(3)])
_TOWERS = np.array([(c * 90.0, r * 65.0, 90.0, 65.0) for c in range(2) for r in range(2)])
_TYPES = ("tower", "mid", "lane")


@dataclass
class _Lots:
    """Lots chosen for buildings: type index, lot rectangle (x, y, w, d) in metres from the centre."""

    kind: NDArray[np.int64]
    rect: FloatArray
    block: NDArray[np.int64]


def generate_city(
    n_buildings: int,
    *,
    seed: int = 0,
    centre: tuple[float, float] = (121.49, 31.23),
    avoid: Sequence[BaseGeometry | Mapping[str, Any]] = (),
    area: Polygon | None = None,
) -> dict[str, Any]:
    """A FeatureCollection of ``n_buildings`` buildings (parts not counted) around ``centre`` (WGS84),
    or spread over ``area`` (a WGS84 polygon) when given; ``ValueError`` if the area cannot hold them."""
    if n_buildings < 0:
        raise ValueError(f"n_buildings must be >= 0, got {n_buildings}")
    rng = np.random.default_rng(seed)
    to_wgs84, to_metric, to_frame = _transformers(centre)
    avoid_m = [_to_metric(_as_geometry(g), to_metric) for g in avoid]
    area_m = None if area is None else _to_metric(area, to_metric)
    bank = np.array(RIVER_BANK_M)
    water = LineString(np.stack(to_frame(bank[:, 0], bank[:, 1]), axis=1)).buffer(
        RIVER_WIDTH_M, single_sided=True
    )
    extras = _extras(n_buildings, water, avoid_m, area_m)
    n_lots = n_buildings - len(extras)
    if area_m is None:
        lots = _lots(n_lots, water, avoid_m, rng)
    else:
        lots = _area_lots(n_lots, water, avoid_m, area_m, rng)
    features = _buildings(lots, rng, to_wgs84)
    features += [_feature(f"w{i}", props, coords, to_wgs84) for i, (props, coords) in enumerate(extras)]
    features += _bridge(water, avoid_m, to_wgs84)
    return {"type": "FeatureCollection", "features": features}


def _transformers(centre: tuple[float, float]) -> tuple[Any, Any, Any]:
    """Conversions between WGS84 and the street frame: metres from ``centre`` along the street grid
    (the UTM zone's grid turned by :data:`STREET_ANGLE_DEG` plus the meridian convergence at
    ``centre``, so the grid's angle holds from *true* east); and from UTM metres to that frame."""
    epsg = utm_epsg(*centre)
    fwd = Transformer.from_crs(4326, epsg, always_xy=True)
    inv = Transformer.from_crs(epsg, 4326, always_xy=True)
    x0, y0 = fwd.transform(*centre)
    # PROJ's convergence is the true azimuth of grid north (true = grid + convergence; see
    # gis/stock_frames.py): a grid turned anticlockwise by angle + convergence faces the true angle.
    convergence = float(Proj(CRS.from_epsg(epsg)).get_factors(*centre).meridian_convergence)
    turn = np.radians(STREET_ANGLE_DEG + convergence)
    cos, sin = float(np.cos(turn)), float(np.sin(turn))

    def to_frame(x: FloatArray, y: FloatArray) -> tuple[FloatArray, FloatArray]:
        x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        return x * cos + y * sin, -x * sin + y * cos

    def to_wgs84(u: FloatArray, v: FloatArray) -> tuple[FloatArray, FloatArray]:
        u, v = np.asarray(u, dtype=float), np.asarray(v, dtype=float)
        lon, lat = inv.transform(u * cos - v * sin + x0, u * sin + v * cos + y0)
        return np.round(lon, 7), np.round(lat, 7)

    def to_metric(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
        x, y = fwd.transform(lon, lat)
        return to_frame(np.asarray(x) - x0, np.asarray(y) - y0)

    return to_wgs84, to_metric, to_frame


def _as_geometry(g: BaseGeometry | Mapping[str, Any]) -> BaseGeometry:
    return g if isinstance(g, BaseGeometry) else shape(g)


def _to_metric(geom: BaseGeometry, to_metric: Any) -> BaseGeometry:
    return shapely.transform(geom, lambda x, y: to_metric(x, y), interleaved=False)


def _lots(n: int, water: BaseGeometry, avoid: list[BaseGeometry], rng: np.random.Generator) -> _Lots:
    """The n lots nearest the centre on a street grid big enough to hold them, off the water."""
    if n <= 0:
        return _no_lots()
    half = max(2, int(np.sqrt(n / 12.0)))
    while True:
        bx, by = np.meshgrid(np.arange(-half, half) * BLOCK_X_M, np.arange(-half, half) * BLOCK_Y_M)
        lots = _grid_lots(bx.ravel(), by.ravel(), water, avoid, rng, limit=int(n * 1.3) + 100)
        if len(lots.kind) >= n:
            break
        half = int(half * 1.4) + 1
    centre = lots.rect[:, :2] + lots.rect[:, 2:] / 2.0
    order = np.argsort(np.hypot(centre[:, 0], centre[:, 1]), kind="stable")[:n]
    order.sort()
    return _Lots(lots.kind[order], lots.rect[order], lots.block[order])


def _area_lots(
    n: int, water: BaseGeometry, avoid: list[BaseGeometry], area: BaseGeometry, rng: np.random.Generator
) -> _Lots:
    """n lots drawn at random from every lot of the street grid lying wholly inside ``area``, the
    towers' first: Huangpu's outline holds about 10,500 lots (470 in tower blocks, 2,800 mid-rise,
    7,200 in lanes), more than a quick demo's few thousand buildings, so the lanes and slabs are
    thinned evenly over the whole district and the river's towers all stand."""
    if n <= 0:
        return _no_lots()
    minx, miny, maxx, maxy = area.bounds
    cols = np.arange(np.floor(minx / BLOCK_X_M), np.ceil(maxx / BLOCK_X_M)) * BLOCK_X_M
    rows = np.arange(np.floor(miny / BLOCK_Y_M), np.ceil(maxy / BLOCK_Y_M)) * BLOCK_Y_M
    bx, by = np.meshgrid(cols, rows)
    lots = _grid_lots(bx.ravel(), by.ravel(), water, avoid, rng, limit=None, area=area)
    if len(lots.kind) < n:
        raise ValueError(
            f"the area holds {len(lots.kind)} lots off the water, fewer than the {n} buildings asked for"
        )
    key = rng.random(len(lots.kind)) - (lots.kind == 0)  # towers' keys are lowest: taken first
    order = np.sort(np.argsort(key, kind="stable")[:n])
    return _Lots(lots.kind[order], lots.rect[order], lots.block[order])


def _no_lots() -> _Lots:
    return _Lots(np.zeros(0, np.int64), np.zeros((0, 4)), np.zeros(0, np.int64))


def _grid_lots(
    bx: FloatArray,
    by: FloatArray,
    water: BaseGeometry,
    avoid: list[BaseGeometry],
    rng: np.random.Generator,
    *,
    limit: int | None,
    area: BaseGeometry | None = None,
) -> _Lots:
    """The lots of the blocks whose street corners are (bx, by), typed by their block's distance to
    the water: only the ``limit`` nearest the centre when given; lots on the water, on an ``avoid``
    polygon, not wholly inside ``area`` or left as a lane's courtyard are dropped."""
    bx, by = bx + STREET_M / 2, by + STREET_M / 2
    shapely.prepare(water)
    inner_w, inner_d = BLOCK_X_M - STREET_M, BLOCK_Y_M - STREET_M
    dist = shapely.distance(water, shapely.points(bx + inner_w / 2, by + inner_d / 2))
    wet = shapely.intersects(water, shapely.box(bx, by, bx + inner_w, by + inner_d))
    draw = rng.random(len(bx))
    block_kind = np.where(
        dist < TOWER_BELT_M,
        np.where(draw < 0.7, 0, 1),
        np.where(draw < (np.where(dist < 2500.0, 0.45, 0.6)), 2, 1),
    )
    templates = (_TOWERS, _MID, _LANES)
    counts = np.array([len(t) for t in templates])[block_kind]
    block = np.repeat(np.arange(len(bx)), counts)
    within = np.arange(len(block)) - np.repeat(np.cumsum(counts) - counts, counts)
    kind = block_kind[block]
    rect = np.empty((len(block), 4))
    for k, template in enumerate(templates):
        sel = kind == k
        rect[sel] = template[within[sel]]
    rect[:, 0] += bx[block]
    rect[:, 1] += by[block]
    keep = ~((kind == 2) & (rng.random(len(kind)) < 0.1))  # a few gaps in the lanes: courtyards
    if limit is not None:  # only the nearest lots are tested and kept
        near = np.argsort(np.hypot(rect[:, 0] + rect[:, 2] / 2, rect[:, 1] + rect[:, 3] / 2), kind="stable")
        keep[near[limit:]] = False
    test = np.flatnonzero(keep)
    boxes = shapely.box(
        rect[test, 0], rect[test, 1], rect[test, 0] + rect[test, 2], rect[test, 1] + rect[test, 3]
    )
    on_water = wet[block[test]]
    drop = np.zeros(len(test), dtype=bool)
    drop[on_water] = shapely.intersects(water, boxes[on_water])
    if avoid:
        drop[shapely.STRtree(avoid).query(boxes, predicate="intersects")[0]] = True
    if area is not None:
        shapely.prepare(area)
        drop |= ~shapely.contains(area, boxes)
    keep[test[drop]] = False
    return _Lots(kind[keep].astype(np.int64), rect[keep], block[keep].astype(np.int64))


def _buildings(lots: _Lots, rng: np.random.Generator, to_wgs84: Any) -> list[dict[str, Any]]:
    n = len(lots.kind)
    x, y, w, d = lots.rect.T if n else (np.zeros(0),) * 4
    shape_draw, size_a, size_b, jitter = rng.random(n), rng.random(n), rng.random(n), rng.random((n, 2))
    rings: list[FloatArray | None] = [None] * n
    storeys = np.zeros(n, dtype=np.int64)
    height = np.zeros(n)
    podium = np.zeros(n, dtype=bool)
    lane = lots.kind == 2
    # lanes: a terrace 9 m deep, 30–40 m long, its long side facing south; 2–3 storeys
    length = 30.0 + 10.0 * size_a
    _put_rects(rings, lane, x, y, length, np.full(n, 9.0))
    storeys[lane] = 2 + (size_b[lane] < 0.5)
    height[lane] = storeys[lane] * 3.0 + 1.5  # a pitched roof's ridge above the top storey
    mid = lots.kind == 1
    slab, ell = mid & (shape_draw < 0.5), mid & (shape_draw >= 0.5) & (shape_draw < 0.8)
    point = mid & (shape_draw >= 0.8)
    sw, sd = 30.0 + 20.0 * size_a, 12.0 + 4.0 * size_b
    _put_rects(rings, slab, x + 4 + jitter[:, 0] * (w - 8 - sw), y + 4 + jitter[:, 1] * (d - 8 - sd), sw, sd)
    side = 18.0 + 8.0 * size_a
    _put_rects(
        rings, point, x + 4 + jitter[:, 0] * (w - 8 - side), y + 4 + jitter[:, 1] * (d - 8 - side), side, side
    )
    _put_ells(rings, ell, x + 4, y + 4, 30.0 + 15.0 * size_a, 25.0 + 8.0 * size_b, 12.0 + 3.0 * jitter[:, 0])
    storeys[mid] = 6 + np.floor(24.0 * rng.beta(1.2, 3.0, n)[mid]).astype(np.int64)
    height[mid] = storeys[mid] * 3.1
    tower = lots.kind == 0
    podium = tower & (shape_draw < 0.3)
    tside = 28.0 + 14.0 * size_a
    _put_rects(rings, tower & ~podium, x + (w - tside) / 2, y + (d - tside) / 2, tside, tside)
    _put_rects(rings, podium, x + 5, y + 5, w - 10, d - 10)
    height[tower] = np.round(100.0 + 150.0 * rng.random(n)[tower], 1)
    storeys[tower] = np.round(height[tower] / 4.0).astype(np.int64)
    tag = rng.random(n)
    return _features(lots, rings, storeys, height, podium, tag, (x, y, w, d, tside), to_wgs84)


def _put_rects(rings: list[Any], sel: NDArray[np.bool_], x0: Any, y0: Any, w: Any, d: Any) -> None:
    """Counter-clockwise rectangles (x0, y0, w, d) for the selected lots."""
    idx = np.flatnonzero(sel)
    if not len(idx):
        return
    x0, y0 = np.broadcast_to(x0, sel.shape)[idx], np.broadcast_to(y0, sel.shape)[idx]
    w, d = np.broadcast_to(w, sel.shape)[idx], np.broadcast_to(d, sel.shape)[idx]
    xs = np.stack([x0, x0 + w, x0 + w, x0], axis=1)
    ys = np.stack([y0, y0, y0 + d, y0 + d], axis=1)
    for i, r in zip(idx.tolist(), np.stack([xs, ys], axis=2), strict=True):
        rings[i] = r


def _put_ells(rings: list[Any], sel: NDArray[np.bool_], x0: Any, y0: Any, w: Any, d: Any, arm: Any) -> None:
    """Counter-clockwise L-shapes: a south wing w × arm and a west wing arm × d."""
    idx = np.flatnonzero(sel)
    if not len(idx):
        return
    x0, y0, w, d, a = (np.broadcast_to(v, sel.shape)[idx] for v in (x0, y0, w, d, arm))
    xs = np.stack([x0, x0 + w, x0 + w, x0 + a, x0 + a, x0], axis=1)
    ys = np.stack([y0, y0, y0 + a, y0 + a, y0 + d, y0 + d], axis=1)
    for i, r in zip(idx.tolist(), np.stack([xs, ys], axis=2), strict=True):
        rings[i] = r


_USES = {0: ("office", "commercial", "hotel"), 1: ("apartments", "residential", "office"), 2: ("terrace",)}


def _features(
    lots: _Lots,
    rings: list[Any],
    storeys: NDArray[np.int64],
    height: FloatArray,
    podium: NDArray[np.bool_],
    tag: FloatArray,
    geom: tuple[Any, ...],
    to_wgs84: Any,
) -> list[dict[str, Any]]:
    """GeoJSON features; every ring converted in one pyproj call."""
    n = len(rings)
    if not n:
        return []
    counts = np.array([len(r) for r in rings])
    flat = np.concatenate(rings)
    lon, lat = to_wgs84(flat[:, 0], flat[:, 1])
    coords = np.stack([lon, lat], axis=1).tolist()
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).tolist()
    out: list[dict[str, Any]] = []
    kinds, heights, levels = lots.kind.tolist(), height.tolist(), storeys.tolist()
    for i in range(n):
        ring = coords[starts[i] : starts[i] + counts[i]]
        props = _tags(kinds[i], heights[i], levels[i], float(tag[i]), i)
        feature_id = f"b{i}"
        out.append({"type": "Feature", "id": feature_id, "properties": props, "geometry": _polygon(ring)})
        if podium[i]:
            out += _podium_parts(feature_id, i, geom, heights[i], to_wgs84)
    return out


def _tags(kind: int, height: float, levels: int, draw: float, i: int) -> dict[str, Any]:
    """OSM tags: mostly a numeric height and levels; some levels only, a few "45 m", a few nothing."""
    uses = _USES[kind]
    props: dict[str, Any] = {"building": uses[i % len(uses)]}
    if draw < 0.005:
        return props  # neither height nor levels: kept without a 3D shape
    if draw < 0.03:
        props["height"] = f"{height:g} m"
    elif draw < (0.45 if kind == 2 else 0.2):
        props["building:levels"] = levels
    else:
        props["height"] = round(height, 1)
        props["building:levels"] = levels
    if kind == 2:
        props["roof:shape"] = "gabled"
    if kind == 0:
        props["name"] = f"Tower {i}"
    return props


def _podium_parts(
    building_id: str, i: int, geom: tuple[Any, ...], height: float, to_wgs84: Any
) -> list[dict[str, Any]]:
    """A podium over the whole lot and the tower rising from its roof, as two ``building:part``s."""
    x, y, w, d, ts = (float(v[i]) for v in geom)
    px, py, pw, pd = x + 5, y + 5, w - 10, d - 10
    tx, ty = x + (w - ts) / 2, y + (d - ts) / 2
    base = 20.0
    parts = []
    for suffix, (rx, ry, rw, rd), props in (
        ("podium", (px, py, pw, pd), {"height": base, "building:levels": 5}),
        ("tower", (tx, ty, ts, ts), {"min_height": base, "height": round(height, 1)}),
    ):
        xs = np.array([rx, rx + rw, rx + rw, rx])
        ys = np.array([ry, ry, ry + rd, ry + rd])
        lon, lat = to_wgs84(xs, ys)
        ring = np.stack([lon, lat], axis=1).tolist()
        parts.append(
            {
                "type": "Feature",
                "id": f"{building_id}-{suffix}",
                "properties": {"building:part": "yes", "building_id": building_id, **props},
                "geometry": _polygon(ring),
            }
        )
    return parts


def _polygon(ring: list[list[float]]) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}


def _feature(fid: str, props: dict[str, Any], coords: FloatArray, to_wgs84: Any) -> dict[str, Any]:
    lon, lat = to_wgs84(coords[:, 0], coords[:, 1])
    return {
        "type": "Feature",
        "id": fid,
        "properties": props,
        "geometry": _polygon(np.stack([lon, lat], 1).tolist()),
    }


def _extras(
    n: int, water: BaseGeometry, avoid: list[BaseGeometry], area: BaseGeometry | None
) -> list[tuple[dict[str, Any], FloatArray]]:
    """A covered walkway along the street south of the centre's block and a skybridge across the
    street east of it, when the city has room for them (n ≥ 50) and they touch nothing (and lie
    inside ``area`` when given)."""
    if n < 50:
        return []
    y_street = 0.0  # the middle of the street between block rows -1 and 0
    x_street = -BLOCK_X_M  # the middle of the street between block columns -2 and -1
    walkway = np.array(
        [(-150.0, y_street - 2), (-90.0, y_street - 2), (-90.0, y_street + 2), (-150.0, y_street + 2)]
    )
    sky_y = STREET_M / 2 + 60.0  # level with a row of lots
    skybridge = np.array(
        [
            (x_street - 10, sky_y),
            (x_street + 10, sky_y),
            (x_street + 10, sky_y + 4),
            (x_street - 10, sky_y + 4),
        ]
    )
    candidates = [
        ({"building": "roof", "covered": "yes", "name": "covered walkway", "height": 3.5}, walkway),
        (
            {"building": "roof", "covered": "yes", "name": "skybridge", "min_height": 15.0, "height": 19.0},
            skybridge,
        ),
    ]
    keep = []
    for props, ring in candidates:
        poly = shapely.Polygon(ring)
        if poly.intersects(water) or any(poly.intersects(a) for a in avoid):
            continue
        if area is not None and not area.contains(poly):
            continue
        keep.append((props, ring))
    return keep


def _bridge(water: BaseGeometry, avoid: list[BaseGeometry], to_wgs84: Any) -> list[dict[str, Any]]:
    """One road bridge over the river at the centre's latitude (not a building: readers skip it)."""
    line = LineString([(-5000.0, 0.0), (5000.0, 0.0)]).intersection(water)
    if line.is_empty:
        return []
    x0, _, x1, _ = line.bounds
    ring = np.array([(x0 - 30, -10.0), (x1 + 30, -10.0), (x1 + 30, 10.0), (x0 - 30, 10.0)])
    if any(shapely.Polygon(ring).intersects(a) for a in avoid):
        return []
    return [
        _feature("bridge-0", {"man_made": "bridge", "bridge": "yes", "highway": "primary"}, ring, to_wgs84)
    ]
