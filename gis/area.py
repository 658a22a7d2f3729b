"""Gross and usable areas of lon/lat polygons, in m².

Areas are measured in the local UTM projection (see :mod:`gis.crs`). Usable area is the gross
polygon shrunk inward by a setback (edge clearance, e.g. fire-access margin on a roof) minus the
obstacle polygons (plant rooms, skylights, equipment), and is never negative.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from shapely.geometry.base import BaseGeometry
from shapely.ops import unary_union

from gis.crs import LocalProjection, projection_for

#: Default inward setback per surface kind, m. Configuration overrides them.
DEFAULT_SETBACK_M: Mapping[str, float] = {"roof": 0.5, "curtain_wall": 0.0, "corridor": 0.3, "walkway": 0.3}


def gross_area_m2(polygon: BaseGeometry, projection: LocalProjection | None = None) -> float:
    """Return the plan area of a lon/lat polygon, m².

    Parameters
    ----------
    polygon : shapely Polygon or MultiPolygon
        Lon/lat in WGS84 degrees.
    projection : LocalProjection, optional
        Metric projection to use; defaults to the UTM zone of the polygon.
    """
    projection = projection or projection_for(polygon)
    return float(projection.forward(polygon).area)


def usable_geometry_m(
    polygon: BaseGeometry,
    *,
    setback_m: float = 0.0,
    obstacles: Iterable[BaseGeometry] = (),
    projection: LocalProjection | None = None,
) -> BaseGeometry:
    """Return the usable part of a lon/lat polygon, in metric coordinates of ``projection`` (m)."""
    if setback_m < 0:
        raise ValueError(f"setback_m must be >= 0, got {setback_m}")
    projection = projection or projection_for(polygon)
    usable = projection.forward(polygon)
    if setback_m > 0:
        # mitre joins keep rectangular roofs rectangular after the inward buffer
        usable = usable.buffer(-setback_m, join_style="mitre")
    blocked = [projection.forward(o) for o in obstacles]
    if blocked and not usable.is_empty:
        usable = usable.difference(unary_union(blocked))
    return usable


def usable_area_m2(
    polygon: BaseGeometry,
    *,
    setback_m: float = 0.0,
    obstacles: Iterable[BaseGeometry] = (),
    projection: LocalProjection | None = None,
) -> float:
    """Return the usable area of a lon/lat polygon, m² (never negative).

    Parameters
    ----------
    polygon : shapely Polygon or MultiPolygon
        Outline in WGS84 lon/lat degrees.
    setback_m : float
        Inward clearance from every edge, m (pick per kind, e.g. ``DEFAULT_SETBACK_M["roof"]``).
    obstacles : iterable of shapely geometries
        Lon/lat polygons that cannot hold modules; overlaps between them count once.
    projection : LocalProjection, optional
        Metric projection; defaults to the UTM zone of the polygon.
    """
    usable = usable_geometry_m(polygon, setback_m=setback_m, obstacles=obstacles, projection=projection)
    return max(0.0, float(usable.area))
