"""3D planes: tilt, azimuth and true area of PV surfaces.

Coordinates are metric, x east, y north, z up (m). Angles follow pvlib: ``surface_tilt`` 0 is
horizontal, 90 vertical (above 90 the surface faces down); ``surface_azimuth`` is the compass
direction the surface faces, 0 = north, 90 = east, 180 = south, 270 = west; a flat surface gets 180.
The polygon's vertex order sets which side it faces: counter-clockwise seen from outside, as in
CityJSON and CityGML, so the normal points outward.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from pyproj import Geod
from shapely.geometry.base import BaseGeometry

from gis.area import gross_area_m2

_GEOD = Geod(ellps="WGS84")
FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class PlaneGeometry:
    """Orientation and size of a planar polygon.

    Attributes
    ----------
    normal : tuple of float
        Unit normal (x east, y north, z up).
    surface_tilt : float
        Degrees from horizontal, 0–180.
    surface_azimuth : float
        Degrees clockwise from north, 0–360 (180 when flat).
    area_m2 : float
        True (sloped) area, m².
    """

    normal: tuple[float, float, float]
    surface_tilt: float
    surface_azimuth: float
    area_m2: float


def newell_vector(points: ArrayLike) -> FloatArray:
    """Return Newell's vector of a 3D ring: normal direction, length = 2 × area (m²).

    Parameters
    ----------
    points : array_like, shape (n, 3)
        Ring vertices in metres; closing the ring (repeating the first vertex) is optional.
    """
    p = np.asarray(points, dtype=float)
    if p.ndim != 2 or p.shape[1] != 3:
        raise ValueError(f"expected (n, 3) coordinates, got shape {p.shape}")
    # Shifting to the first vertex keeps precision with large projected coordinates.
    p = p - p[0]
    q = np.roll(p, -1, axis=0)
    return np.array(
        [
            np.sum((p[:, 1] - q[:, 1]) * (p[:, 2] + q[:, 2])),
            np.sum((p[:, 2] - q[:, 2]) * (p[:, 0] + q[:, 0])),
            np.sum((p[:, 0] - q[:, 0]) * (p[:, 1] + q[:, 1])),
        ]
    )


def orientation(normal: ArrayLike) -> tuple[float, float]:
    """Return ``(surface_tilt, surface_azimuth)`` in degrees for a normal vector (any length)."""
    n = np.asarray(normal, dtype=float)
    length = float(np.linalg.norm(n))
    if length == 0.0:
        raise ValueError("zero normal: the polygon is degenerate")
    nx, ny, nz = n / length
    tilt = math.degrees(math.acos(max(-1.0, min(1.0, nz))))
    if math.hypot(nx, ny) < 1e-12:
        return tilt, 180.0
    azimuth = math.degrees(math.atan2(nx, ny)) % 360.0
    return tilt, azimuth


def plane_of(points: ArrayLike, holes: Sequence[ArrayLike] = ()) -> PlaneGeometry:
    """Return tilt, azimuth and true area of a planar 3D polygon (Newell's method).

    Parameters
    ----------
    points : array_like, shape (n, 3)
        Exterior ring, metres, counter-clockwise seen from the side the surface faces.
    holes : sequence of array_like
        Interior rings, metres; their areas are subtracted whatever their orientation.

    Raises
    ------
    ValueError
        If the polygon has no area.
    """
    vector = newell_vector(points)
    length = float(np.linalg.norm(vector))
    if length < 1e-12:
        raise ValueError("the polygon has no area")
    unit = vector / length
    area = length / 2.0 - sum(abs(float(np.dot(newell_vector(h), unit))) / 2.0 for h in holes)
    tilt, azimuth = orientation(unit)
    return PlaneGeometry((float(unit[0]), float(unit[1]), float(unit[2])), tilt, azimuth, max(area, 0.0))


def planarity_deviation_m(points: ArrayLike) -> float:
    """Return the largest distance of a vertex from the polygon's Newell plane through its centroid, m."""
    p = np.asarray(points, dtype=float)
    vector = newell_vector(p)
    length = float(np.linalg.norm(vector))
    if length == 0.0:
        return 0.0
    centred = p - p.mean(axis=0)
    return float(np.max(np.abs(centred @ (vector / length))))


def is_planar(points: ArrayLike, tolerance_m: float = 0.05) -> bool:
    """Tell whether every vertex lies within ``tolerance_m`` metres of the polygon's plane."""
    return planarity_deviation_m(points) <= tolerance_m


def polygon_centroid(points: ArrayLike) -> FloatArray:
    """Return the area-weighted centroid of a planar 3D polygon (m); the vertex mean if degenerate."""
    p = np.asarray(points, dtype=float)
    if len(p) > 1 and np.array_equal(p[0], p[-1]):
        p = p[:-1]
    origin = p[0]
    a, b = p[1:-1] - origin, p[2:] - origin
    cross = np.cross(a, b)
    normal = newell_vector(p)
    weights = cross @ normal  # signed doubled triangle areas, scaled by |normal|
    total = float(weights.sum())
    if len(weights) == 0 or abs(total) < 1e-12:
        return np.asarray(p.mean(axis=0), dtype=float)
    centres = origin + (a + b) / 3.0
    return np.asarray((centres * weights[:, None]).sum(axis=0) / total, dtype=float)


@dataclass(frozen=True)
class CurtainWall:
    """A vertical façade from a base line and a height span.

    Attributes
    ----------
    width_m, height_m, gross_area_m2 : float
        Length of the base line (geodesic, m), ``top_m - bottom_m`` (m), their product (m²).
    surface_tilt : float
        Always 90 degrees.
    surface_azimuth : float
        Direction the façade faces (outward normal), degrees from north.
    bottom_m, top_m : float
        Heights of the lower and upper edge above ground, m.
    """

    width_m: float
    height_m: float
    gross_area_m2: float
    surface_tilt: float
    surface_azimuth: float
    bottom_m: float
    top_m: float


def curtain_wall(
    start: Sequence[float],
    end: Sequence[float],
    *,
    bottom_m: float,
    top_m: float,
    facing: Literal["right", "left"] = "right",
) -> CurtainWall:
    """Describe a curtain wall drawn as a base line on the map.

    Convention: walking along the base line from ``start`` to ``end``, the wall faces the
    ``facing`` side — by default the right-hand side, which is outward when a building outline
    is traced clockwise (as seen on a north-up map).

    Parameters
    ----------
    start, end : (lon, lat)
        Ends of the base line, WGS84 degrees.
    bottom_m, top_m : float
        Heights of the wall's lower and upper edges, m; ``top_m > bottom_m``.
    facing : {"right", "left"}
        Which side of the line the façade faces.
    """
    if top_m <= bottom_m:
        raise ValueError(f"top_m ({top_m}) must be above bottom_m ({bottom_m})")
    bearing, _, width = _GEOD.inv(start[0], start[1], end[0], end[1])
    if width <= 0.0:
        raise ValueError("the base line has zero length")
    azimuth = (bearing + (90.0 if facing == "right" else -90.0)) % 360.0
    height = top_m - bottom_m
    return CurtainWall(float(width), height, float(width) * height, 90.0, float(azimuth), bottom_m, top_m)


@dataclass(frozen=True)
class Canopy:
    """A corridor (skybridge) roof or walkway canopy.

    Attributes
    ----------
    plan_area_m2 : float
        Footprint area, m².
    gross_area_m2 : float
        Sloped area, ``plan_area_m2 / cos(tilt)``, m².
    surface_tilt, surface_azimuth : float
        Degrees (pvlib convention).
    height_m : float
        Height of the canopy above ground, m.
    """

    plan_area_m2: float
    gross_area_m2: float
    surface_tilt: float
    surface_azimuth: float
    height_m: float


def canopy(
    footprint: BaseGeometry, *, height_m: float, surface_tilt: float = 0.0, surface_azimuth: float = 180.0
) -> Canopy:
    """Describe a corridor or walkway canopy from its lon/lat footprint and height.

    Parameters
    ----------
    footprint : shapely Polygon
        Plan outline, WGS84 lon/lat degrees.
    height_m : float
        Height above ground, m (>= 0).
    surface_tilt, surface_azimuth : float
        Orientation of the canopy roof, degrees; flat by default.
    """
    if height_m < 0:
        raise ValueError(f"height_m must be >= 0, got {height_m}")
    if not 0.0 <= surface_tilt < 90.0:
        raise ValueError(f"a canopy's tilt must be in [0, 90), got {surface_tilt}")
    plan = gross_area_m2(footprint)
    azimuth = 180.0 if surface_tilt == 0.0 else surface_azimuth % 360.0
    return Canopy(plan, plan / math.cos(math.radians(surface_tilt)), surface_tilt, azimuth, height_m)
