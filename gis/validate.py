"""Validation of lon/lat polygon rings, with messages an owner can act on.

Each problem is a :class:`ValidationIssue` with a stable ``code`` (for programs and translations),
an English ``message`` and, where it helps, the lon/lat ``location`` of the problem. Validation never
raises: it collects every issue it can find.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import shapely
from shapely.geometry import Polygon
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

# Mainland China's extent; used only to recognise swapped lon/lat pairs.
_CHINA_LAT = (18.0, 54.0)
_CHINA_LON = (73.0, 135.0)
_MIN_AREA_DEG2 = 1e-14  # ~0.0001 m² at Shanghai's latitude: anything smaller is a line or a point
# A surveyed outline has tens of corners; a traced one hundreds. Far more is an export artefact (or
# a hostile file) that would bloat every page and map drawing it, so it must be simplified first.
MAX_RING_POSITIONS = 10_000

Coordinate = Sequence[float]


@dataclass(frozen=True)
class ValidationIssue:
    """One problem of a polygon.

    Attributes
    ----------
    code : str
        One of ``not_a_ring``, ``non_numeric``, ``out_of_range``, ``too_few_points``, ``too_many_points``,
        ``unclosed_ring``, ``lonlat_swapped``, ``zero_area``, ``self_intersection``,
        ``outside_boundary``.
    message : str
        What is wrong and how to fix it.
    location : tuple of float or None
        (lon, lat) in degrees where the problem is, when known.
    """

    code: str
    message: str
    location: tuple[float, float] | None = None


def _coordinates(ring: object) -> tuple[list[tuple[float, float]] | None, ValidationIssue | None]:
    if not isinstance(ring, Sequence) or isinstance(ring, str):
        return None, ValidationIssue("not_a_ring", "expected a list of [lon, lat] positions")
    if len(ring) > MAX_RING_POSITIONS:
        return None, ValidationIssue(
            "too_many_points",
            f"the outline has {len(ring)} positions; at most {MAX_RING_POSITIONS} are accepted: simplify it",
        )
    points: list[tuple[float, float]] = []
    for i, position in enumerate(ring):
        ok = isinstance(position, Sequence) and not isinstance(position, str) and len(position) >= 2
        values = list(position[:2]) if ok else []
        if not ok or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
            return None, ValidationIssue("non_numeric", f"position {i} is not a [lon, lat] pair of numbers")
        lon, lat = float(values[0]), float(values[1])
        if not (math.isfinite(lon) and math.isfinite(lat)):
            return None, ValidationIssue("non_numeric", f"position {i} is not finite")
        points.append((lon, lat))
    return points, None


def _looks_swapped(points: list[tuple[float, float]]) -> bool:
    return all(_CHINA_LAT[0] <= a <= _CHINA_LAT[1] and _CHINA_LON[0] <= b <= _CHINA_LON[1] for a, b in points)


def close_ring(points: Sequence[Coordinate]) -> list[tuple[float, float]]:
    """Return the ring's (lon, lat) positions with the first repeated at the end if it was not."""
    out = [(float(p[0]), float(p[1])) for p in points]
    if out and out[0] != out[-1]:
        out.append(out[0])
    return out


def _crossing(polygon: Polygon) -> tuple[float, float] | None:
    reason = explain_validity(polygon)
    if "[" not in reason:
        return None
    inside = reason[reason.rindex("[") + 1 : reason.rindex("]")].split()
    try:
        return float(inside[0]), float(inside[1])
    except (IndexError, ValueError):
        return None


def validate_ring(
    ring: object,
    *,
    strict: bool = False,
    boundary: BaseGeometry | None = None,
    boundary_name: str = "the programme boundary",
) -> list[ValidationIssue]:
    """Check one exterior ring of lon/lat positions (degrees).

    Parameters
    ----------
    ring : sequence of [lon, lat]
        Positions in WGS84 degrees; a third value (height) is ignored.
    strict : bool
        Report an unclosed ring (otherwise it is closed silently).
    boundary : shapely geometry, optional
        A lon/lat polygon the ring must lie within (e.g. the district outline).
    boundary_name : str
        How to name the boundary in the message.

    Returns
    -------
    list of ValidationIssue
        Empty when the ring is usable.
    """
    points, problem = _coordinates(ring)
    if problem is not None or points is None:
        return [problem] if problem else []
    issues: list[ValidationIssue] = []
    if points and _looks_swapped(points):
        lat, lon = points[0]
        issues.append(
            ValidationIssue(
                "lonlat_swapped",
                f"positions look like [lat, lon] (first is {points[0]}); "
                f"give longitude first: [{lon}, {lat}]",
                (lon, lat),
            )
        )
        return issues
    for lon, lat in points:
        if not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
            issues.append(
                ValidationIssue(
                    "out_of_range",
                    f"position ({lon}, {lat}) is not a longitude/latitude in degrees",
                    (lon, lat),
                )
            )
            return issues
    if strict and len(points) >= 2 and points[0] != points[-1]:
        issues.append(
            ValidationIssue("unclosed_ring", "the ring is not closed: repeat the first position at the end")
        )
    closed = close_ring(points)
    distinct = len(set(closed))
    if distinct < 3:
        issues.append(
            ValidationIssue(
                "too_few_points", f"a polygon needs at least 3 distinct corners, this one has {distinct}"
            )
        )
        return issues
    polygon = Polygon(closed)
    # a bow tie's signed lobes cancel in polygon.area; the repaired geometry measures them both
    area = polygon.area if polygon.is_valid else shapely.make_valid(polygon).area
    if area < _MIN_AREA_DEG2:
        issues.append(ValidationIssue("zero_area", "the polygon has no area: its corners lie on one line"))
        return issues
    if not polygon.is_valid:
        where = _crossing(polygon)
        at = f" near lon {where[0]:.6f}, lat {where[1]:.6f}" if where else ""
        issues.append(
            ValidationIssue(
                "self_intersection",
                f"the outline crosses itself{at}: reorder the corners so the edges go around once",
                where,
            )
        )
    if boundary is not None and not boundary.covers(polygon):
        outside = polygon.difference(boundary) if polygon.is_valid else polygon
        point = outside.representative_point() if not outside.is_empty else polygon.representative_point()
        issues.append(
            ValidationIssue(
                "outside_boundary",
                f"the polygon lies (partly) outside {boundary_name}, e.g. at lon {point.x:.6f}, "
                f"lat {point.y:.6f}: check the coordinates and their datum (WGS84, GCJ-02, BD-09)",
                (point.x, point.y),
            )
        )
    return issues


def ring_to_polygon(ring: Sequence[Coordinate]) -> Polygon:
    """Build a shapely lon/lat polygon from a ring, closing it if needed (validate first)."""
    return Polygon(close_ring(ring))


def validate_polygon(polygon: BaseGeometry, **kwargs: object) -> list[ValidationIssue]:
    """Check a shapely lon/lat Polygon's exterior ring (see :func:`validate_ring`)."""
    if not isinstance(polygon, Polygon):
        return [ValidationIssue("not_a_ring", f"expected a Polygon, got {polygon.geom_type}")]
    coords = [tuple(c) for c in shapely.get_coordinates(polygon.exterior)]
    return validate_ring(coords, **kwargs)  # type: ignore[arg-type]
