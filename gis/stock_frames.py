"""The metric frames a building file's faces are measured in (:class:`gis.stock.MetricFrame`).

Two kinds: a file in longitude/latitude (GeoJSON, CSV, a geographic CityJSON) is measured in the
UTM zone of its centre (:func:`utm_frame`); a CityJSON file in a projected CRS keeps its own
coordinates (:func:`projected_frame`).

Meridian convergence comes from PROJ's ``Proj.get_factors(...).meridian_convergence``. Its sign was
checked against a geodesic (tests/gis/test_stock_footprints.py): it is the true azimuth of grid
north, so a true azimuth is the grid azimuth plus the convergence (positive east of a UTM zone's
central meridian in the northern hemisphere).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from pyproj import CRS, Proj, Transformer

from gis.crs import WGS84, horizontal_crs, local_projection
from gis.stock import FloatArray, MetricFrame

_WGS84_EPSG = 4326


def _convergence(proj: Proj, to_wgs84: Transformer) -> Callable[[FloatArray, FloatArray], FloatArray]:
    def convergence_deg(x: FloatArray, y: FloatArray) -> FloatArray:
        lon, lat = to_wgs84.transform(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
        factors = proj.get_factors(lon, lat)
        return np.asarray(factors.meridian_convergence, dtype=float)

    return convergence_deg


def utm_frame(lon: float, lat: float) -> MetricFrame:
    """The frame of a lon/lat file centred at (lon, lat): its UTM zone; ``to_file`` gives lon, lat, z."""
    projection = local_projection(lon, lat)
    to_wgs84 = projection.to_wgs84
    epsg = int(projection.crs.to_epsg() or 0)

    def to_lonlat(x: FloatArray, y: FloatArray) -> tuple[FloatArray, FloatArray]:
        out_lon, out_lat = to_wgs84.transform(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
        return np.asarray(out_lon, dtype=float), np.asarray(out_lat, dtype=float)

    def to_file(x: FloatArray, y: FloatArray, z: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        out_lon, out_lat = to_lonlat(x, y)
        return out_lon, out_lat, np.asarray(z, dtype=float)

    return MetricFrame(
        epsg=epsg,
        source_epsg=_WGS84_EPSG,
        to_wgs84=to_lonlat,
        to_file=to_file,
        convergence_deg=_convergence(Proj(projection.crs), to_wgs84),
    )


def projected_frame(epsg: int) -> MetricFrame:
    """The frame of a file in a projected CRS (``epsg`` may be compound, e.g. 7415 = RD New + NAP):
    faces stay in the file's coordinates; ``to_file`` is the identity."""
    horizontal = horizontal_crs(CRS.from_epsg(epsg))
    to_wgs84 = Transformer.from_crs(horizontal, WGS84, always_xy=True)

    def to_lonlat(x: FloatArray, y: FloatArray) -> tuple[FloatArray, FloatArray]:
        out_lon, out_lat = to_wgs84.transform(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
        return np.asarray(out_lon, dtype=float), np.asarray(out_lat, dtype=float)

    def to_file(x: FloatArray, y: FloatArray, z: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        return np.asarray(x, dtype=float), np.asarray(y, dtype=float), np.asarray(z, dtype=float)

    return MetricFrame(
        epsg=int(horizontal.to_epsg() or epsg),
        source_epsg=epsg,
        to_wgs84=to_lonlat,
        to_file=to_file,
        convergence_deg=_convergence(Proj(horizontal), to_wgs84),
    )
