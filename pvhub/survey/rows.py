"""A gis :class:`~gis.stock.Stock` as database rows and back.

:func:`building_rows` turns what a reader found in a building file into :class:`Building` rows
(the storage convention of issue #18: faces in the stock's metric frame ``frame_epsg``, rings
rounded to the millimetre, the footprint as WGS84 GeoJSON rounded to 7 decimals, about 1 cm).
:func:`stock_from_rows` rebuilds a Stock from stored rows, so the survey job measures the same
faces the import kept.

Rows of several imports may stand in different metric frames (a Delft file in RD New, a Shanghai
file in UTM 51N). A Stock has one frame, so :func:`stock_from_rows` takes the frame most rows use
and moves the other rows' faces into it with pyproj (x and y; heights are left as they are).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
from pyproj import CRS, Proj, Transformer
from shapely.geometry import MultiPolygon, Polygon, mapping, shape

from gis.crs import WGS84
from gis.stock import Face, FloatArray, MetricFrame, SourceRef, Stock, StockBuilding
from pvhub.core.columns import utcnow
from pvhub.survey.models import Building

#: Decimals of a stored WGS84 coordinate: 1e-7° is about 1 cm.
LONLAT_DECIMALS = 7
#: Decimals of a stored metric face coordinate: millimetres.
METRIC_DECIMALS = 3
_FACE_KINDS = ("roof", "wall", "ground", "other")


def building_rows(
    stock: Stock,
    *,
    stock_import_id: int,
    subdistricts: Sequence[str] | None = None,
    inside: Sequence[bool] | None = None,
) -> list[Building]:
    """One :class:`Building` per stock building, in the stock's order (not added to a session).

    ``subdistricts`` and ``inside`` (one per building, same order) are what the import decided from
    the registered sites and the programme's boundary; without them a building's own ``subdistrict``
    attribute is used and every building counts as inside the district.
    """
    values = building_values(stock, stock_import_id=stock_import_id, subdistricts=subdistricts, inside=inside)
    return [Building(**row) for row in values]


def building_values(
    stock: Stock,
    *,
    stock_import_id: int,
    subdistricts: Sequence[str] | None = None,
    inside: Sequence[bool] | None = None,
) -> list[dict[str, Any]]:
    """The columns of :func:`building_rows` as plain dicts, for bulk inserts: building a SQLModel
    object costs about 3 ms (pydantic inspects each default factory), too much for 100,000."""
    out = []
    for i, building in enumerate(stock.buildings):
        subdistrict = subdistricts[i] if subdistricts is not None else _own_subdistrict(building)
        inside_district = inside[i] if inside is not None else True
        out.append(_values(building, stock.frame.epsg, stock_import_id, subdistrict, inside_district))
    return out


def _own_subdistrict(building: StockBuilding) -> str:
    value = building.attributes.get("subdistrict")
    return str(value).strip()[:50] if value is not None else ""


def _values(
    building: StockBuilding, epsg: int, stock_import_id: int, subdistrict: str, inside: bool
) -> dict[str, Any]:
    lon, lat = centroid_lonlat(building.footprint)
    return {
        "stock_import_id": stock_import_id,
        "source_id": building.id[:120],
        "source_feature": building.source.feature,
        "name": (building.name or "")[:200],
        "address": (building.address or "")[:300],
        "use": (building.use or "")[:60],
        "subdistrict": subdistrict,
        "height_m": building.height_m,
        "base_m": building.base_m,
        "min_height_m": building.min_height_m,
        "storeys": building.storeys,
        "roof_shape": (building.roof_shape or "")[:40],
        "lod": (building.lod or "")[:10],
        "inside_district": inside,
        "lon": lon,
        "lat": lat,
        "footprint": footprint_geojson(building.footprint),
        "frame_epsg": epsg,
        "faces": [face_dict(face) for face in building.faces],
        "attributes": _attributes(building),
        "note": (building.note or "")[:300],
        "survey_skipped": [],
        "created_at": utcnow(),
    }


def centroid_lonlat(footprint: Polygon | MultiPolygon | None) -> tuple[float, float]:
    """The footprint's centroid in lon/lat, rounded as stored ((0, 0) without a footprint).

    The centroid of lon/lat coordinates differs from the metric one by well under a centimetre over
    a building's size, so no projection is needed here.
    """
    if footprint is None or footprint.is_empty:
        return 0.0, 0.0
    point = footprint.centroid
    return round(float(point.x), LONLAT_DECIMALS), round(float(point.y), LONLAT_DECIMALS)


def footprint_geojson(footprint: Polygon | MultiPolygon | None) -> dict[str, Any] | None:
    """A footprint as a GeoJSON geometry with coordinates rounded to :data:`LONLAT_DECIMALS`."""
    if footprint is None or footprint.is_empty:
        return None
    return _rounded(mapping(footprint))


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, LONLAT_DECIMALS)
    if isinstance(value, list | tuple):
        return [_rounded(item) for item in value]
    if isinstance(value, dict):
        return {key: _rounded(item) for key, item in value.items()}
    return value


def face_dict(face: Face) -> dict[str, Any]:
    """A face in the stored form ``{object, indices, kind, semantic, rings}``."""
    return {
        "object": face.object_id,
        "indices": [int(i) for i in face.indices],
        "kind": face.kind,
        "semantic": face.semantic,
        "rings": [np.asarray(ring, dtype=float).round(METRIC_DECIMALS).tolist() for ring in face.rings],
    }


def _attributes(building: StockBuilding) -> dict[str, Any]:
    """The source's attributes, as JSON can keep them, plus the building's parts."""
    out = {str(key): _json_safe(value) for key, value in building.attributes.items()}
    out["parts"] = list(building.parts)
    return out


def _json_safe(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if np.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return str(value)


# --- back: rows to a Stock ------------------------------------------------------------------------


def stock_from_rows(buildings: Sequence[Building], *, epsg: int | None = None) -> Stock:
    """The Stock the rows describe, in the metric frame ``epsg`` (default: the frame most rows use).

    The frame's ``to_file`` is the identity (the original files are not kept, so "the file's own
    coordinates" are the frame's). Rows without faces (no height known) come back without faces and
    with their note.
    """
    frames = Counter(b.frame_epsg for b in buildings if b.frame_epsg is not None)
    target = epsg or (frames.most_common(1)[0][0] if frames else _utm_of(buildings))
    movers: dict[int, Callable[[FloatArray], FloatArray]] = {
        source: _mover(source, target) for source in frames if source != target
    }
    stock_buildings = [_stock_building(b, movers.get(b.frame_epsg or target)) for b in buildings]
    return Stock(buildings=stock_buildings, skipped=[], problems=[], frame=metric_frame(target))


def _utm_of(buildings: Sequence[Building]) -> int:
    """The UTM zone of the rows' mean position (rows without a frame: no faces to place)."""
    lon = float(np.mean([b.lon for b in buildings])) if buildings else 121.47
    lat = float(np.mean([b.lat for b in buildings])) if buildings else 31.23
    zone = int((lon + 180) // 6) + 1
    return (32600 if lat >= 0 else 32700) + zone


def _mover(source: int, target: int) -> Callable[[FloatArray], FloatArray]:
    transformer = Transformer.from_crs(CRS.from_epsg(source), CRS.from_epsg(target), always_xy=True)

    def move(ring: FloatArray) -> FloatArray:
        x, y = transformer.transform(ring[:, 0], ring[:, 1])
        return np.column_stack([np.asarray(x, dtype=float), np.asarray(y, dtype=float), ring[:, 2]])

    return move


def _stock_building(row: Building, move: Callable[[FloatArray], FloatArray] | None) -> StockBuilding:
    attributes = dict(row.attributes or {})
    parts = attributes.pop("parts", [])
    footprint = shape(row.footprint) if row.footprint else None
    return StockBuilding(
        id=row.source_id,
        source=SourceRef(
            object=row.source_id if row.source_feature is None else None, feature=row.source_feature
        ),
        footprint=footprint if isinstance(footprint, Polygon | MultiPolygon) else None,
        base_m=row.base_m,
        height_m=row.height_m,
        min_height_m=row.min_height_m,
        storeys=row.storeys,
        use=row.use or None,
        name=row.name or None,
        address=row.address or None,
        roof_shape=row.roof_shape or None,
        attributes=attributes,
        faces=[_face(raw, move) for raw in row.faces or []],
        parts=[str(p) for p in parts] if isinstance(parts, list) else [],
        lod=row.lod or None,
        note=row.note or None,
    )


def _face(raw: dict[str, Any], move: Callable[[FloatArray], FloatArray] | None) -> Face:
    rings = tuple(np.asarray(ring, dtype=float).reshape(-1, 3) for ring in raw.get("rings", []))
    if move is not None:
        rings = tuple(move(ring) for ring in rings)
    kind = raw.get("kind")
    return Face(
        object_id=raw.get("object"),
        indices=tuple(int(i) for i in raw.get("indices", [])),
        kind=kind if kind in _FACE_KINDS else "other",
        semantic=raw.get("semantic"),
        rings=rings,
    )


def metric_frame(epsg: int) -> MetricFrame:
    """A :class:`MetricFrame` for a projected CRS: lon/lat out through pyproj, the file's
    coordinates the frame's own, and PROJ's meridian convergence (the true azimuth of grid north)."""
    crs = CRS.from_epsg(epsg)
    to_wgs84 = Transformer.from_crs(crs, WGS84, always_xy=True)
    proj = Proj(crs)

    def to_lonlat(x: FloatArray, y: FloatArray) -> tuple[FloatArray, FloatArray]:
        lon, lat = to_wgs84.transform(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
        return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)

    def to_file(x: FloatArray, y: FloatArray, z: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        return np.asarray(x, dtype=float), np.asarray(y, dtype=float), np.asarray(z, dtype=float)

    def convergence_deg(x: FloatArray, y: FloatArray) -> FloatArray:
        lon, lat = to_lonlat(x, y)
        return np.asarray(proj.get_factors(lon, lat).meridian_convergence, dtype=float)

    return MetricFrame(
        epsg=epsg, source_epsg=epsg, to_wgs84=to_lonlat, to_file=to_file, convergence_deg=convergence_deg
    )


def iter_chunks(items: Iterable[Building], size: int) -> Iterable[list[Building]]:
    """Rows in lists of ``size`` (bulk inserts without holding a second copy of every row)."""
    chunk: list[Building] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def footprint_polygon(raw: Any) -> Polygon | MultiPolygon | None:
    """A stored GeoJSON footprint (a site's or a building's) as a valid shapely (Multi)Polygon, else None."""
    if not isinstance(raw, dict):
        return None
    try:
        geom = shape(raw)
    except (AttributeError, KeyError, TypeError, ValueError, IndexError):
        return None
    if not isinstance(geom, Polygon | MultiPolygon) or geom.is_empty:
        return None
    return geom if geom.is_valid else None
