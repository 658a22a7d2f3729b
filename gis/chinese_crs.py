"""GCJ-02 and BD-09: the obfuscated datums of Chinese web maps, to and from WGS84.

Maps served in mainland China (Amap/Gaode, Tencent, Google's China tiles) use GCJ-02, a WGS84
position shifted by a deliberately non-linear offset of a few hundred metres; Baidu adds its own
BD-09 shift on top of GCJ-02. Coordinates clicked on those maps must be converted before storage.

The forward GCJ-02 transform below is the published (leaked) algorithm used by every open
implementation; the inverse has no closed form, so it is solved by fixed-point iteration until the
residual is below 1e-9 degrees (about 0.1 mm). BD-09 ↔ GCJ-02 is Baidu's published rotation and
scaling; its usual closed-form inverse is approximate, so it is refined by iteration too.

Why written here: most GCJ-02 packages in this machine's PyPI index are small unmaintained
one-file projects (eviltransform 2018, prcoords 2019, pygcj 2020, coordinatesconverter 2022). Two
recent ones exist (prcoords-typed 2.1.0, 2026-08; geocoordinates-rs 0.14.2, 2026-10, a Rust
extension) but are young and single-maintainer; the formulas are 40 lines, match the published
reference values (see tests), and owning them keeps them vectorised with numpy and dependency-free.

All functions take and return longitude first, in degrees, as floats or numpy arrays. Points
outside mainland China's rough bounding box are returned unchanged, as the maps themselves do.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray
from shapely.geometry.base import BaseGeometry

Datum = Literal["wgs84", "cgcs2000", "gcj02", "bd09"]
FloatArray = NDArray[np.float64]
_Pair = tuple[FloatArray, FloatArray]

_A = 6378245.0  # semi-major axis of the Krasovsky 1940 ellipsoid used by GCJ-02, m
_EE = 0.00669342162296594323  # its first eccentricity squared
_X_PI = np.pi * 3000.0 / 180.0
_TOLERANCE_DEG = 1e-9
_MAX_ITERATIONS = 30


def _in_china(lon: FloatArray, lat: FloatArray) -> NDArray[np.bool_]:
    return (lon > 72.004) & (lon < 137.8347) & (lat > 0.8293) & (lat < 55.8271)


def _delta(lon: FloatArray, lat: FloatArray) -> _Pair:
    x = lon - 105.0
    y = lat - 35.0
    common = (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x)) + common
    dlat += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    dlat += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x)) + common
    dlon += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    dlon += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    radlat = lat / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrtmagic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * np.cos(radlat) * np.pi)
    return dlon, dlat


def _arrays(lon: ArrayLike, lat: ArrayLike) -> _Pair:
    return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> _Pair:
    """Convert WGS84 lon/lat (degrees) to GCJ-02 lon/lat (degrees)."""
    lon_a, lat_a = _arrays(lon, lat)
    dlon, dlat = _delta(lon_a, lat_a)
    inside = _in_china(lon_a, lat_a)
    return np.where(inside, lon_a + dlon, lon_a), np.where(inside, lat_a + dlat, lat_a)


def _invert(forward: Callable[[FloatArray, FloatArray], _Pair], lon: FloatArray, lat: FloatArray) -> _Pair:
    # Fixed-point iteration: the shifts vary slowly, so each step removes most of the error.
    guess_lon, guess_lat = lon.copy(), lat.copy()
    for _ in range(_MAX_ITERATIONS):
        f_lon, f_lat = forward(guess_lon, guess_lat)
        err_lon, err_lat = f_lon - lon, f_lat - lat
        guess_lon = guess_lon - err_lon
        guess_lat = guess_lat - err_lat
        if np.all(np.abs(err_lon) < _TOLERANCE_DEG) and np.all(np.abs(err_lat) < _TOLERANCE_DEG):
            break
    return guess_lon, guess_lat


def gcj02_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> _Pair:
    """Convert GCJ-02 lon/lat to WGS84 (degrees), iterated to better than 1e-9° (~0.1 mm)."""
    lon_a, lat_a = _arrays(lon, lat)
    return _invert(wgs84_to_gcj02, lon_a, lat_a)


def gcj02_to_bd09(lon: ArrayLike, lat: ArrayLike) -> _Pair:
    """Convert GCJ-02 lon/lat to Baidu BD-09 lon/lat (degrees)."""
    x, y = _arrays(lon, lat)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def bd09_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> _Pair:
    """Convert Baidu BD-09 lon/lat to GCJ-02 lon/lat (degrees), iterated to better than 1e-9°."""
    lon_a, lat_a = _arrays(lon, lat)
    return _invert(gcj02_to_bd09, lon_a, lat_a)


def wgs84_to_bd09(lon: ArrayLike, lat: ArrayLike) -> _Pair:
    """Convert WGS84 lon/lat to BD-09 lon/lat (degrees)."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> _Pair:
    """Convert BD-09 lon/lat to WGS84 lon/lat (degrees)."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


def to_wgs84(lon: ArrayLike, lat: ArrayLike, datum: Datum) -> _Pair:
    """Convert lon/lat given in ``datum`` to WGS84; ``cgcs2000`` is taken as WGS84 (see gis.crs)."""
    if datum in ("wgs84", "cgcs2000"):
        return _arrays(lon, lat)
    if datum == "gcj02":
        return gcj02_to_wgs84(lon, lat)
    if datum == "bd09":
        return bd09_to_wgs84(lon, lat)
    raise ValueError(f"unknown datum {datum!r}; expected one of wgs84, cgcs2000, gcj02, bd09")


def from_wgs84(lon: ArrayLike, lat: ArrayLike, datum: Datum) -> _Pair:
    """Convert WGS84 lon/lat to ``datum`` (e.g. to draw on GCJ-02 map tiles)."""
    if datum in ("wgs84", "cgcs2000"):
        return _arrays(lon, lat)
    if datum == "gcj02":
        return wgs84_to_gcj02(lon, lat)
    if datum == "bd09":
        return wgs84_to_bd09(lon, lat)
    raise ValueError(f"unknown datum {datum!r}; expected one of wgs84, cgcs2000, gcj02, bd09")


def geometry_to_wgs84(geom: BaseGeometry, datum: Datum) -> BaseGeometry:
    """Return a lon/lat shapely geometry given in ``datum`` converted to WGS84 (2D)."""
    return shapely.transform(shapely.force_2d(geom), lambda x, y: to_wgs84(x, y, datum), interleaved=False)


def geometry_from_wgs84(geom: BaseGeometry, datum: Datum) -> BaseGeometry:
    """Return a WGS84 lon/lat shapely geometry converted to ``datum`` (2D), e.g. for GCJ-02 tiles."""
    return shapely.transform(shapely.force_2d(geom), lambda x, y: from_wgs84(x, y, datum), interleaved=False)
