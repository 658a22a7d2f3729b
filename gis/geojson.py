"""GeoJSON FeatureCollections in and out (RFC 7946: WGS84 lon/lat, counter-clockwise exteriors).

Reading collects every problem as a :class:`FeatureError` (0-based feature index, field, message)
instead of stopping at the first, so an import report can list them all.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import shapely
from shapely.geometry import MultiPolygon, Point, Polygon, mapping
from shapely.geometry.base import BaseGeometry

from gis.validate import close_ring, validate_ring

_COORDINATE_DECIMALS = 7  # ~1 cm; RFC 7946 §11.2 advises against more
# Names of WGS84 lon/lat in the obsolete GeoJSON 2008 "crs" member, which RFC 7946 dropped.
_WGS84_NAMES = ("CRS84", "EPSG::4326", "EPSG:4326", "EPSG/0/4326")


@dataclass(frozen=True)
class FeatureRecord:
    """One valid feature: its 0-based index, lon/lat geometry (shapely) and properties."""

    index: int
    geometry: BaseGeometry
    properties: dict[str, Any]
    id: str | int | None = None


@dataclass(frozen=True)
class FeatureError:
    """A problem in feature ``index`` (0-based; -1 for the collection itself)."""

    index: int
    field: str
    message: str


@dataclass
class FeatureCollectionReport:
    """Result of :func:`parse_feature_collection`."""

    features: list[FeatureRecord]
    errors: list[FeatureError]

    @property
    def ok(self) -> bool:
        """True when no feature had an error."""
        return not self.errors


def _polygon(
    rings: Any, index: int, field: str, strict: bool, boundary: BaseGeometry | None
) -> tuple[Polygon | None, list[FeatureError]]:
    if not isinstance(rings, list) or not rings:
        return None, [FeatureError(index, field, "a Polygon needs a list of rings")]
    errors: list[FeatureError] = []
    for r, ring in enumerate(rings):
        where = f"{field}" if r == 0 else f"{field}.hole[{r - 1}]"
        issues = validate_ring(ring, strict=strict, boundary=boundary if r == 0 else None)
        errors.extend(FeatureError(index, where, f"{i.code}: {i.message}") for i in issues)
    if errors:
        return None, errors
    polygon = Polygon(close_ring(rings[0]), [close_ring(h) for h in rings[1:]])
    if not polygon.is_valid:
        reason = shapely.validation.explain_validity(polygon)
        return None, [FeatureError(index, field, f"invalid_polygon: {reason}: check the holes")]
    return polygon, []


def parse_geometry(
    geometry: Any, index: int, *, strict: bool = False, boundary: BaseGeometry | None = None
) -> tuple[BaseGeometry | None, list[FeatureError]]:
    """Validate a GeoJSON geometry (Polygon, MultiPolygon or Point) and build the shapely geometry."""
    field = "geometry"
    if not isinstance(geometry, Mapping):
        return None, [FeatureError(index, field, "the feature has no geometry")]
    kind, coords = geometry.get("type"), geometry.get("coordinates")
    if kind == "Polygon":
        return _polygon(coords, index, field, strict, boundary)
    if kind == "MultiPolygon":
        if not isinstance(coords, list) or not coords:
            return None, [FeatureError(index, field, "a MultiPolygon needs a list of polygons")]
        parts: list[Polygon] = []
        errors: list[FeatureError] = []
        for p, rings in enumerate(coords):
            part, errs = _polygon(rings, index, f"{field}[{p}]", strict, boundary)
            errors.extend(errs)
            if part is not None:
                parts.append(part)
        return (None, errors) if errors else (MultiPolygon(parts), [])
    if kind == "Point":
        numbers = coords[:2] if isinstance(coords, list) and len(coords) >= 2 else []
        if numbers and all(isinstance(v, int | float) and not isinstance(v, bool) for v in numbers):
            lon, lat = float(numbers[0]), float(numbers[1])
            if -180 <= lon <= 180 and -90 <= lat <= 90:
                return Point(lon, lat), []
        return None, [FeatureError(index, field, "a Point needs [lon, lat] in degrees")]
    return None, [
        FeatureError(index, field, f"unsupported geometry type {kind!r} (Polygon, MultiPolygon, Point)")
    ]


def parse_feature_collection(
    doc: Any, *, strict: bool = False, boundary: BaseGeometry | None = None
) -> FeatureCollectionReport:
    """Read a GeoJSON FeatureCollection (parsed JSON) into records, collecting every error.

    Parameters
    ----------
    doc : mapping
        The FeatureCollection; coordinates in WGS84 lon/lat degrees.
    strict : bool
        Report unclosed rings instead of closing them.
    boundary : shapely geometry, optional
        Lon/lat polygon every feature must lie within.
    """
    if not isinstance(doc, Mapping) or doc.get("type") != "FeatureCollection":
        return FeatureCollectionReport([], [FeatureError(-1, "type", 'expected "type": "FeatureCollection"')])
    named_crs = (
        ((doc.get("crs") or {}).get("properties") or {}).get("name")
        if isinstance(doc.get("crs"), Mapping)
        else None
    )
    if named_crs and not str(named_crs).upper().endswith(_WGS84_NAMES):
        return FeatureCollectionReport(
            [],
            [FeatureError(-1, "crs", f"coordinates must be WGS84 lon/lat (RFC 7946), not {named_crs}")],
        )
    features = doc.get("features")
    if not isinstance(features, list):
        return FeatureCollectionReport([], [FeatureError(-1, "features", "expected a list of features")])
    records: list[FeatureRecord] = []
    errors: list[FeatureError] = []
    for index, feature in enumerate(features):
        if not isinstance(feature, Mapping) or feature.get("type") != "Feature":
            errors.append(FeatureError(index, "type", 'expected "type": "Feature"'))
            continue
        properties = feature.get("properties")
        if properties is None:
            properties = {}
        if not isinstance(properties, Mapping):
            errors.append(FeatureError(index, "properties", "properties must be an object or null"))
            continue
        geometry, errs = parse_geometry(feature.get("geometry"), index, strict=strict, boundary=boundary)
        errors.extend(errs)
        if geometry is not None:
            records.append(FeatureRecord(index, geometry, dict(properties), feature.get("id")))
    return FeatureCollectionReport(records, errors)


def feature(
    geometry: BaseGeometry, properties: Mapping[str, Any], id: str | int | None = None
) -> dict[str, Any]:
    """Return one RFC 7946 Feature: exteriors counter-clockwise, coordinates rounded to 1e-7°."""
    geom = shapely.orient_polygons(geometry, exterior_cw=False)
    geom = shapely.set_precision(geom, 10.0**-_COORDINATE_DECIMALS, mode="pointwise")
    out: dict[str, Any] = {
        "type": "Feature",
        "geometry": _lists(mapping(geom)),
        "properties": dict(properties),
    }
    if id is not None:
        out["id"] = id
    return out


def _lists(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return [_lists(v) for v in value]
    if isinstance(value, dict):
        return {k: _lists(v) for k, v in value.items()}
    return value


def feature_collection(
    features: Iterable[tuple[BaseGeometry, Mapping[str, Any]] | tuple[BaseGeometry, Mapping[str, Any], Any]],
) -> dict[str, Any]:
    """Return an RFC 7946 FeatureCollection from ``(geometry, properties[, id])`` tuples (lon/lat)."""
    out = []
    for item in features:
        geometry, properties = item[0], item[1]
        fid = item[2] if len(item) > 2 else None
        out.append(feature(geometry, properties, fid))
    return {"type": "FeatureCollection", "features": out}
