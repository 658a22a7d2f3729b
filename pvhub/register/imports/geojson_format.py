"""GeoJSON import: a FeatureCollection where each feature is one surface.

Properties are the CSV columns (see :mod:`pvhub.register.imports.csv_format`); features with the same
``site_name`` (and ``address``) form one site. Geometry:

- ``Polygon`` / ``MultiPolygon`` — the plan outline of a roof, corridor or walkway (kind defaults
  to roof; tilt at most 75°). Gross area = plan area / cos(tilt); usable area = the outline shrunk
  by the kind's setback (:data:`gis.area.DEFAULT_SETBACK_M`) / cos(tilt). Area properties win.
- ``LineString`` — the base line of a curtain wall (two positions), with ``height_from_m``
  (default 0) and ``height_to_m`` (required); it faces the right-hand side of the line unless
  ``facing`` is ``left``. Tilt 90°, azimuth and area from :func:`gis.plane.curtain_wall`.

The site is located at ``lon``/``lat`` when given, else at the mean centroid of its surfaces.
Coordinates are converted from the import's datum (GCJ-02, BD-09) to WGS84 before measuring or
checking the boundary. Errors are indexed by the 0-based feature index.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, cast

import shapely
from shapely.geometry import LineString, mapping
from shapely.geometry.base import BaseGeometry

from gis.area import DEFAULT_SETBACK_M, gross_area_m2, usable_area_m2
from gis.chinese_crs import Datum, geometry_to_wgs84, to_wgs84
from gis.crs import projection_for
from gis.geojson import parse_feature_collection, parse_geometry
from gis.plane import curtain_wall
from gis.validate import validate_polygon
from pvhub.register.enums import SurfaceKind
from pvhub.register.imports.rows import (
    FieldReader,
    Foreign,
    Parsed,
    Problem,
    SiteDraft,
    canonical_values,
    surface_from_fields,
)

_DECIMALS = 7  # ~1 cm
_MAX_PLAN_TILT_DEG = 75.0  # as the register form: steeper is a wall, and 1/cos(tilt) blows up


def read_geojson(doc: Any, *, datum: Datum, boundary: BaseGeometry | None) -> Parsed:
    """Read a parsed FeatureCollection into site drafts (WGS84)."""
    parsed = Parsed()
    header = parse_feature_collection({**doc, "features": []} if isinstance(doc, Mapping) else doc)
    features = doc.get("features") if isinstance(doc, Mapping) else None
    if header.errors or not isinstance(features, list):
        parsed.errors.extend(Problem.said(None, e.field, e.message) for e in header.errors)
        if not parsed.errors:
            parsed.errors.append(Problem(None, "features", "expected a list of features"))
        return parsed
    if not features:
        parsed.errors.append(Problem(None, "features", "the FeatureCollection has no features"))
        return parsed
    sites: dict[tuple[str, str], SiteDraft] = {}
    centroids: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for index, feature in enumerate(features):
        _read_feature(index, feature, datum, boundary, parsed, sites, centroids)
    for key, site in sites.items():
        if site.lon is None or site.lat is None:
            points = centroids[key]
            site.lon = sum(p[0] for p in points) / len(points)
            site.lat = sum(p[1] for p in points) / len(points)
    parsed.sites = list(sites.values())
    return parsed


def _read_feature(
    index: int,
    feature: Any,
    datum: Datum,
    boundary: BaseGeometry | None,
    parsed: Parsed,
    sites: dict[tuple[str, str], SiteDraft],
    centroids: dict[tuple[str, str], list[tuple[float, float]]],
) -> None:
    if not isinstance(feature, Mapping) or feature.get("type") != "Feature":
        parsed.errors.append(Problem(index, "type", 'expected "type": "Feature"'))
        return
    properties = feature.get("properties") or {}
    if not isinstance(properties, Mapping):
        parsed.errors.append(Problem(index, "properties", "properties must be an object or null"))
        return
    fields = FieldReader(index, canonical_values(properties))
    site = fields.site(location_required=False)
    location = fields.location(required=False)
    geometry = _geometry(index, feature.get("geometry"), datum, boundary, parsed)
    if geometry is None:
        parsed.errors.extend(fields.errors)
        return
    kind_default = SurfaceKind.curtain_wall if isinstance(geometry, LineString) else SurfaceKind.roof
    measured = _measure(fields, geometry, kind_default)
    if measured is not None and isinstance(geometry, LineString):
        fields.values = {**fields.values, "tilt_deg": 90.0, "azimuth_deg": measured[2]}
    areas = None if measured is None else (measured[0], measured[1])
    surface = surface_from_fields(fields, geometry_areas=areas, kind_default=kind_default)
    parsed.errors.extend(fields.errors)
    if surface is None or fields.errors or measured is None:
        return
    if isinstance(geometry, LineString) and fields.values.get("height_m") in (None, ""):
        surface.height_m = measured[3]
    surface.geometry = _geojson(geometry)
    if feature.get("id") is not None:
        surface.external_ref = str(feature["id"])[:100]
    key = (site.name, site.address)
    if key not in sites:
        sites[key] = site
        centroids[key] = []
    if location is not None and sites[key].lon is None:
        lon, lat = to_wgs84(location[0], location[1], datum)
        sites[key].lon, sites[key].lat = float(lon), float(lat)
    centre = geometry.centroid
    centroids[key].append((centre.x, centre.y))
    sites[key].surfaces.append(surface)


def _geometry(
    index: int, raw: Any, datum: Datum, boundary: BaseGeometry | None, parsed: Parsed
) -> BaseGeometry | None:
    """Validate a feature's geometry and return it in WGS84 (or record the problems)."""
    if isinstance(raw, Mapping) and raw.get("type") == "LineString":
        line = _line(index, raw.get("coordinates"), parsed)
        geometry: BaseGeometry | None = None if line is None else geometry_to_wgs84(line, datum)
    elif isinstance(raw, Mapping) and raw.get("type") in ("Polygon", "MultiPolygon"):
        shape, errors = parse_geometry(raw, index)
        parsed.errors.extend(Problem.said(e.index, e.field, e.message) for e in errors)
        geometry = None if shape is None else geometry_to_wgs84(shape, datum)
    else:
        kind = raw.get("type") if isinstance(raw, Mapping) else None
        parsed.errors.append(
            Problem(
                index,
                "geometry",
                "a surface needs a Polygon (roof, corridor, walkway) or a LineString (curtain wall "
                "base line), not {kind}",
                kind=kind,
            )
            if kind
            else Problem(
                index,
                "geometry",
                "a surface needs a Polygon (roof, corridor, walkway) or a LineString (curtain wall "
                "base line), not no geometry",
            )
        )
        return None
    if geometry is not None and boundary is not None and not boundary.covers(geometry):
        parts = getattr(geometry, "geoms", [geometry])
        issues = [
            i for p in parts for i in validate_polygon(p, boundary=boundary) if i.code == "outside_boundary"
        ]
        where = geometry.representative_point()
        parsed.errors.append(
            Problem(index, "geometry", "outside_boundary: {detail}", detail=Foreign(issues[0].message))
            if issues
            else Problem(
                index,
                "geometry",
                "outside_boundary: the line lies (partly) outside the programme boundary near lon {lon:.6f}, "
                "lat {lat:.6f}",
                lon=where.x,
                lat=where.y,
            )
        )
        return None
    return geometry


def _line(index: int, coordinates: Any, parsed: Parsed) -> LineString | None:
    try:
        points = [(float(p[0]), float(p[1])) for p in coordinates]
    except (TypeError, ValueError, IndexError, KeyError):
        parsed.errors.append(Problem(index, "geometry", "a LineString needs a list of [lon, lat] positions"))
        return None
    if len(points) != 2 or points[0] == points[1]:
        parsed.errors.append(
            Problem(
                index,
                "geometry",
                "a curtain wall's base line needs exactly 2 distinct positions (split longer lines)",
            )
        )
        return None
    if not all(math.isfinite(v) and -180 <= p[0] <= 180 and -90 <= p[1] <= 90 for p in points for v in p):
        parsed.errors.append(
            Problem(index, "geometry", "the base line's positions are not lon/lat in degrees")
        )
        return None
    return LineString(points)


def _measure(
    fields: FieldReader, geometry: BaseGeometry, kind_default: SurfaceKind
) -> tuple[float, float, float, float] | None:
    """Return (gross m², usable m², azimuth degrees, bottom height m) measured on the geometry."""
    kind = fields.kind(default=kind_default)
    fields.errors = [e for e in fields.errors if e.field != "kind"]  # surface_from_fields reports it
    if kind is None:
        return 0.0, 0.0, 180.0, 0.0
    if isinstance(geometry, LineString):
        return _wall(fields, geometry, kind)
    if kind == SurfaceKind.curtain_wall:
        fields.reject("geometry", "a curtain wall is drawn as its base line: a LineString with height_to_m")
        return None
    tilt = fields.number("tilt_deg", low=0.0, high=90.0) or 0.0
    fields.errors = [e for e in fields.errors if e.field != "tilt_deg"]  # reported again later
    if tilt > _MAX_PLAN_TILT_DEG:
        fields.reject(
            "tilt_deg",
            "tilt_deg ({tilt:g}) is too steep for a {kind} drawn in plan (at most {limit:g}); "
            "record a vertical surface as a curtain wall",
            tilt=tilt,
            kind=kind,
            limit=_MAX_PLAN_TILT_DEG,
        )
        return None
    slope = math.cos(math.radians(tilt))
    projection = projection_for(geometry)
    gross = gross_area_m2(geometry, projection) / slope
    usable = usable_area_m2(geometry, setback_m=DEFAULT_SETBACK_M[kind.value], projection=projection) / slope
    return gross, usable, 180.0, 0.0


def _wall(
    fields: FieldReader, line: LineString, kind: SurfaceKind
) -> tuple[float, float, float, float] | None:
    if kind != SurfaceKind.curtain_wall:
        fields.reject("kind", "a LineString is a curtain wall's base line, not a {kind}", kind=kind)
        return None
    bottom = fields.number("height_from_m", low=0.0, high=1000.0, unit="m")
    top = fields.number("height_to_m", low=0.0, high=1000.0, required=True, unit="m")
    facing = str(fields.values.get("facing") or "right").strip().lower()
    if facing not in ("right", "left"):
        fields.reject(
            "facing",
            "facing must be right or left (seen walking along the line), got {facing!r}",
            facing=facing,
        )
    if top is None or fields.errors:
        return None
    bottom = bottom or 0.0
    if top <= bottom:
        fields.reject(
            "height_to_m",
            "height_to_m ({top:g} m) must be above height_from_m ({bottom:g} m)",
            top=top,
            bottom=bottom,
        )
        return None
    (x0, y0), (x1, y1) = line.coords
    wall = curtain_wall((x0, y0), (x1, y1), bottom_m=bottom, top_m=top, facing=cast(Any, facing))
    setback = DEFAULT_SETBACK_M["curtain_wall"]
    usable = max(0.0, wall.width_m - 2 * setback) * max(0.0, wall.height_m - 2 * setback)
    return wall.gross_area_m2, usable, wall.surface_azimuth, bottom


def _geojson(geometry: BaseGeometry) -> dict[str, Any]:
    """RFC 7946 geometry: counter-clockwise exteriors, coordinates rounded to 1e-7 degrees."""
    return cast(dict[str, Any], _rounded(mapping(shapely.orient_polygons(geometry))))


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, _DECIMALS)
    if isinstance(value, tuple | list):
        return [_rounded(v) for v in value]
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    return value
