"""Turning a site's footprint and a surface's drawn or surveyed shape into checked numbers.

Pure apart from its inputs: takes GeoJSON dicts and plain values, calls :mod:`gis`, and raises
:class:`~pvhub.core.errors.InvalidInput` naming the field and the problem.

Decisions
---------
* Roof: a Polygon is its plan outline; gross (sloped) area = plan area / cos(tilt), usable area =
  plan area after the roof setback / cos(tilt). Tilt defaults to 0 (flat, azimuth 180).
* Corridor and walkway: a Polygon footprint plus ``height_m`` makes a canopy (:func:`gis.plane.canopy`).
* Curtain wall: a two-point LineString base line plus ``height_from_m``/``height_to_m``; tilt is 90
  and the azimuth faces the right-hand side of start → end unless ``facing`` says ``left``. Usable
  area is the wall shrunk by the curtain-wall setback on every edge (0 m by default).
* Without geometry the surveyed ``tilt_deg``, ``azimuth_deg`` and ``gross_area_m2`` are required;
  usable area then defaults to the gross area times :data:`DEFAULT_USABLE_RATIO` for the kind, the
  same rule the file import applies to a row without geometry, so a surface entered either way
  gets the same capacity.
* An explicit ``usable_area_m2`` always wins over the computed one but may not exceed the gross area.
* A drawn surface lies within :data:`SURFACE_REACH_M` of its site's location: a site is one building
  or place, so a surface farther off has mistyped or swapped coordinates, or belongs to another site.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from shapely.geometry import Polygon, shape
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

from gis.area import DEFAULT_SETBACK_M, gross_area_m2, usable_area_m2
from gis.distance import centroids_lonlat, distance_to_point_m
from gis.plane import canopy, curtain_wall
from gis.validate import close_ring, validate_ring
from pvhub.core.errors import FieldName, InvalidInput
from pvhub.register.enums import SurfaceKind
from pvhub.register.models import MAX_AREA_M2

#: Usable / gross area when no usable area is given and there is no geometry to apply setbacks to:
#: roofs lose edge clearance and plant, façades their opaque frames and openings.
DEFAULT_USABLE_RATIO: Mapping[SurfaceKind, float] = {
    SurfaceKind.roof: 0.7,
    SurfaceKind.curtain_wall: 0.6,
    SurfaceKind.corridor: 0.85,
    SurfaceKind.walkway: 0.85,
}

#: How far a drawn surface may lie from its site's location point, m. A campus of one owner fits
#: within it; a datum mix-up (GCJ-02 against WGS-84, some 500 m in Shanghai) does not show at this
#: distance and is the import's datum option's job.
SURFACE_REACH_M = 1000.0

_MAX_ROOF_TILT = 75.0  # steeper than this is a wall, and 1/cos(tilt) blows up near 90


@dataclass(frozen=True)
class SurfaceShape:
    """Derived values stored on a surface: degrees, m² and m."""

    tilt_deg: float
    azimuth_deg: float
    gross_area_m2: float
    usable_area_m2: float
    height_m: float
    geometry: dict[str, Any] | None


def parse_polygon(geojson: object, *, field: str, boundary: BaseGeometry | None = None) -> Polygon:
    """Check a GeoJSON Polygon (WGS84 lon/lat) and return it as a shapely polygon."""
    if not isinstance(geojson, Mapping) or geojson.get("type") != "Polygon":
        got = geojson.get("type") if isinstance(geojson, Mapping) else type(geojson).__name__
        raise InvalidInput("{field}: expected a GeoJSON Polygon, got {got}.", got=got, field=field)
    rings = geojson.get("coordinates")
    if not isinstance(rings, list) or not rings:
        raise InvalidInput("{field}: a Polygon needs a list of rings in 'coordinates'.", field=field)
    issues = validate_ring(rings[0], boundary=boundary, boundary_name="the district boundary")
    if issues:
        raise InvalidInput("{field}: {problem}.", problem="; ".join(i.message for i in issues), field=field)
    for i, hole in enumerate(rings[1:], start=1):
        hole_issues = validate_ring(hole)
        if hole_issues:
            raise InvalidInput(
                "{field}: hole {hole}: {problem}.", hole=i, problem=hole_issues[0].message, field=field
            )
    polygon = Polygon(close_ring(rings[0]), [close_ring(h) for h in rings[1:]])
    if not polygon.is_valid:
        raise InvalidInput(
            "{field}: {problem} — holes must lie inside the outline without crossing it.",
            problem=explain_validity(polygon),
            field=field,
        )
    return polygon


def parse_base_line(geojson: object, *, field: str) -> tuple[tuple[float, float], tuple[float, float]]:
    """Check a GeoJSON LineString of two lon/lat positions (a curtain wall's base line)."""
    if not isinstance(geojson, Mapping) or geojson.get("type") != "LineString":
        got = geojson.get("type") if isinstance(geojson, Mapping) else type(geojson).__name__
        raise InvalidInput(
            "{field}: a curtain wall is drawn as a GeoJSON LineString base line, got {got}.",
            got=got,
            field=field,
        )
    points = geojson.get("coordinates")
    if not isinstance(points, list) or len(points) != 2:
        raise InvalidInput("{field}: the base line needs exactly 2 positions [lon, lat].", field=field)
    out: list[tuple[float, float]] = []
    for i, p in enumerate(points):
        ok = isinstance(p, list) and len(p) >= 2 and all(_is_number(v) for v in p[:2])
        if not ok or not (-180 <= p[0] <= 180 and -90 <= p[1] <= 90):
            raise InvalidInput(
                "{field}: position {position} is not a [lon, lat] pair in degrees.", position=i, field=field
            )
        out.append((float(p[0]), float(p[1])))
    if out[0] == out[1]:
        raise InvalidInput("{field}: the base line has zero length.", field=field)
    return out[0], out[1]


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def site_location(
    footprint: Mapping[str, Any] | None,
    lon: float | None,
    lat: float | None,
    *,
    boundary: BaseGeometry | None,
) -> tuple[float, float]:
    """Validate a site footprint; fill lon/lat (degrees) from its centroid when not given."""
    if footprint is None:
        if lon is None or lat is None:
            raise InvalidInput("Give the site's footprint, or both lon and lat.", field="footprint")
        return lon, lat
    polygon = parse_polygon(footprint, field="footprint", boundary=boundary)
    if lon is None or lat is None:
        centre = centroids_lonlat([polygon])[0]
        lon = float(centre[0]) if lon is None else lon
        lat = float(centre[1]) if lat is None else lat
    return float(lon), float(lat)


def surface_shape(
    kind: SurfaceKind, values: Mapping[str, Any], *, boundary: BaseGeometry | None = None
) -> SurfaceShape:
    """Derive tilt, azimuth, gross and usable area of a surface from ``values``.

    ``values`` holds the fields of :class:`~pvhub.register.models.SurfaceCreate` (None = not given).
    """
    if values.get("geometry") is None:
        shape_ = _surveyed(kind, values)
    elif kind == SurfaceKind.curtain_wall:
        shape_ = _curtain_wall(values)
    else:
        shape_ = _plan(kind, values, boundary)
    if shape_.gross_area_m2 > MAX_AREA_M2:
        raise InvalidInput(
            "{field}: the surface measures {area:,.0f} m²; one surface is at most "
            "{max_area:,.0f} m² (1 km²): check the coordinates, or split it.",
            area=shape_.gross_area_m2,
            max_area=MAX_AREA_M2,
            field="geometry",
        )
    usable = values.get("usable_area_m2")
    if usable is not None:
        if usable > shape_.gross_area_m2 + 1e-9:
            raise InvalidInput(
                "{field} ({usable:g} m²) exceeds the gross area ({gross:.1f} m²).",
                usable=usable,
                gross=shape_.gross_area_m2,
                field="usable_area_m2",
            )
        shape_ = SurfaceShape(**{**shape_.__dict__, "usable_area_m2": float(usable)})
    return shape_


def _surveyed(kind: SurfaceKind, values: Mapping[str, Any]) -> SurfaceShape:
    tilt = values.get("tilt_deg")
    if tilt is None and kind == SurfaceKind.curtain_wall:
        tilt = 90.0
    for name, value in (
        ("tilt_deg", tilt),
        ("azimuth_deg", values.get("azimuth_deg")),
        ("gross_area_m2", values.get("gross_area_m2")),
    ):
        if value is None:
            raise InvalidInput(
                "{field} is required when no geometry is given (draw the surface or give surveyed values).",
                field=name,
            )
    gross = float(values["gross_area_m2"])
    return SurfaceShape(
        tilt_deg=float(tilt),  # type: ignore[arg-type]
        azimuth_deg=float(values["azimuth_deg"]),
        gross_area_m2=gross,
        usable_area_m2=gross * DEFAULT_USABLE_RATIO[kind],
        height_m=float(values.get("height_m") or values.get("height_from_m") or 0.0),
        geometry=None,
    )


def _curtain_wall(values: Mapping[str, Any]) -> SurfaceShape:
    start, end = parse_base_line(values["geometry"], field="geometry")
    bottom, top = values.get("height_from_m"), values.get("height_to_m")
    if bottom is None or top is None:
        raise InvalidInput(
            "height_from_m and height_to_m are required with a curtain wall's base line.",
            field="height_to_m" if bottom is not None else "height_from_m",
        )
    if top <= bottom:
        raise InvalidInput(
            "{field} ({top:g} m) must be above {lower} ({bottom:g} m).",
            top=top,
            lower=FieldName("height_from_m"),
            bottom=bottom,
            field="height_to_m",
        )
    wall = curtain_wall(start, end, bottom_m=bottom, top_m=top, facing=values.get("facing") or "right")
    setback = DEFAULT_SETBACK_M["curtain_wall"]
    usable = max(0.0, wall.width_m - 2 * setback) * max(0.0, wall.height_m - 2 * setback)
    return SurfaceShape(
        tilt_deg=wall.surface_tilt,
        azimuth_deg=round(wall.surface_azimuth, 3) % 360.0,
        gross_area_m2=wall.gross_area_m2,
        usable_area_m2=usable,
        height_m=float(bottom),
        geometry={"type": "LineString", "coordinates": [list(start), list(end)]},
    )


def _plan(kind: SurfaceKind, values: Mapping[str, Any], boundary: BaseGeometry | None) -> SurfaceShape:
    polygon = parse_polygon(values["geometry"], field="geometry", boundary=boundary)
    tilt = float(values.get("tilt_deg") or 0.0)
    if tilt > _MAX_ROOF_TILT:
        raise InvalidInput(
            "{field} ({tilt:g}) is too steep for a {kind} drawn in plan (at most {max_tilt:g}); "
            "record a vertical surface as a curtain wall.",
            tilt=tilt,
            kind=kind,
            max_tilt=_MAX_ROOF_TILT,
            field="tilt_deg",
        )
    given_azimuth = values.get("azimuth_deg")
    azimuth = 180.0 if tilt == 0 or given_azimuth is None else float(given_azimuth)
    height = float(values.get("height_m") or 0.0)
    if kind == SurfaceKind.roof:
        plan = gross_area_m2(polygon)
    else:
        plan = canopy(polygon, height_m=height, surface_tilt=tilt, surface_azimuth=azimuth).plan_area_m2
    if plan <= 0:
        raise InvalidInput("{field}: the polygon has no area.", field="geometry")
    slope = 1.0 / math.cos(math.radians(tilt))
    usable_plan = usable_area_m2(polygon, setback_m=DEFAULT_SETBACK_M[kind.value])
    return SurfaceShape(
        tilt_deg=tilt,
        azimuth_deg=azimuth,
        gross_area_m2=plan * slope,
        usable_area_m2=usable_plan * slope,
        height_m=height,
        geometry=dict(values["geometry"]),
    )


def surface_distance_m(geometry: Mapping[str, Any], lon: float, lat: float) -> float:
    """Metres from a site's location to the nearest part of a drawn surface (GeoJSON, lon/lat)."""
    return distance_to_point_m(shape(geometry), lon, lat)


def check_near_site(geometry: Mapping[str, Any] | None, lon: float, lat: float) -> None:
    """Refuse a drawn surface farther than :data:`SURFACE_REACH_M` from its site's location."""
    if geometry is None:
        return
    distance = surface_distance_m(geometry, lon, lat)
    if distance > SURFACE_REACH_M:
        raise InvalidInput(
            "{field}: the surface lies {distance:,.0f} m from its site's location (at most {reach:,.0f} m): "
            "check the coordinates, or register it with the site it belongs to.",
            distance=distance,
            reach=SURFACE_REACH_M,
            field="geometry",
        )
