"""Coordinate reference systems: WGS84 storage, a local metric CRS for measuring.

pvhub stores every coordinate as WGS84 lon/lat (EPSG:4326, axis order lon, lat). Lengths and areas
are measured in a projected metric CRS chosen for the location: the UTM zone that contains it.
Inside one district (a few km) UTM's scale error is below 0.1 %, far under survey accuracy.

CGCS2000 (China Geodetic Coordinate System 2000, EPSG:4490) is treated as identical to WGS84: both
are ITRF-aligned geocentric frames whose realisations differ by a few centimetres, far below the
metre-level accuracy of rooftop outlines, so no transformation is applied (pyproj itself uses a
null transformation between them).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import shapely
from pyproj import CRS, Transformer
from shapely.geometry.base import BaseGeometry

WGS84 = CRS.from_epsg(4326)
CGCS2000 = CRS.from_epsg(4490)

_EPSG_PATTERNS = (
    re.compile(r"^(?:https?://www\.opengis\.net/def/crs/EPSG/[^/]+/)(\d+)$", re.IGNORECASE),
    re.compile(r"^urn:ogc:def:crs:EPSG:[^:]*:(\d+)$", re.IGNORECASE),
    re.compile(r"^EPSG:(\d+)$", re.IGNORECASE),
    re.compile(r"^(\d+)$"),
)


def parse_epsg(reference: str | int) -> int:
    """Return the EPSG code named by a reference-system string.

    Parameters
    ----------
    reference : str or int
        ``"EPSG:2056"``, ``"2056"``, ``2056``, ``"https://www.opengis.net/def/crs/EPSG/0/2056"`` or
        ``"urn:ogc:def:crs:EPSG::7415"``.

    Raises
    ------
    ValueError
        If the string names no EPSG code.
    """
    if isinstance(reference, int):
        return reference
    text = reference.strip()
    for pattern in _EPSG_PATTERNS:
        match = pattern.match(text)
        if match:
            return int(match.group(1))
    raise ValueError(f"not an EPSG reference: {reference!r} (expected e.g. EPSG:2056)")


def crs_from_reference(reference: str | int) -> CRS:
    """Return the pyproj CRS for an EPSG reference in any form accepted by :func:`parse_epsg`."""
    return CRS.from_epsg(parse_epsg(reference))


def horizontal_crs(crs: CRS) -> CRS:
    """Return the horizontal part of a compound CRS (e.g. EPSG:7415 → EPSG:28992), else ``crs``."""
    if crs.is_compound and crs.sub_crs_list:
        return crs.sub_crs_list[0]
    return crs


def utm_epsg(lon: float, lat: float) -> int:
    """Return the EPSG code of the WGS84 UTM zone containing a point (degrees).

    Norway/Svalbard zone exceptions are ignored; pvhub works in China.
    """
    if not (-180.0 <= lon <= 180.0 and -80.0 <= lat <= 84.0):
        raise ValueError(f"no UTM zone for lon={lon}, lat={lat}")
    zone = min(int((lon + 180.0) // 6.0) + 1, 60)
    return (32600 if lat >= 0 else 32700) + zone


@dataclass(frozen=True)
class LocalProjection:
    """A metric CRS for a location and transformers both ways (always lon/lat, x/y order)."""

    crs: CRS
    to_metric: Transformer
    to_wgs84: Transformer

    def forward(self, geom: BaseGeometry) -> BaseGeometry:
        """Project a lon/lat geometry (degrees) to metres."""
        return transform_geometry(geom, self.to_metric)

    def inverse(self, geom: BaseGeometry) -> BaseGeometry:
        """Project a metric geometry (m) back to lon/lat (degrees)."""
        return transform_geometry(geom, self.to_wgs84)


@lru_cache(maxsize=64)
def _projection_for_epsg(epsg: int) -> LocalProjection:
    crs = CRS.from_epsg(epsg)
    return LocalProjection(
        crs=crs,
        to_metric=Transformer.from_crs(WGS84, crs, always_xy=True),
        to_wgs84=Transformer.from_crs(crs, WGS84, always_xy=True),
    )


def local_projection(lon: float, lat: float) -> LocalProjection:
    """Return the UTM projection for a location (e.g. EPSG:32651 for Shanghai)."""
    return _projection_for_epsg(utm_epsg(lon, lat))


def projection_for(geom: BaseGeometry) -> LocalProjection:
    """Return the UTM projection for the centre of a lon/lat geometry's bounding box."""
    minx, miny, maxx, maxy = geom.bounds
    return local_projection((minx + maxx) / 2.0, (miny + maxy) / 2.0)


@lru_cache(maxsize=64)
def transformer_to_wgs84(epsg: int) -> Transformer:
    """Return a transformer from a CRS (horizontal part of it) to WGS84 lon/lat."""
    return Transformer.from_crs(horizontal_crs(CRS.from_epsg(epsg)), WGS84, always_xy=True)


def transform_geometry(geom: BaseGeometry, transformer: Transformer) -> BaseGeometry:
    """Apply a pyproj transformer to a shapely geometry (2D; z, if any, is dropped)."""
    fn: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]] = transformer.transform
    return shapely.transform(shapely.force_2d(geom), lambda x, y: fn(x, y), interleaved=False)
