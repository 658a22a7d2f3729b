"""Prism buildings as the footprint readers build them (roof face 0, walls 1… by footprint edge), in
Shanghai's UTM zone (EPSG:32651), for tests of the candidates and the survey."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from pyproj import Transformer
from shapely.geometry import Polygon

from gis.stock import Face, MetricFrame, SourceRef, Stock, StockBuilding

_TO_WGS84 = Transformer.from_crs(32651, 4326, always_xy=True)
_TO_UTM = Transformer.from_crs(4326, 32651, always_xy=True)
# A point in Huangpu, in UTM 51N metres: the buildings below are drawn around it.
X0, Y0 = _TO_UTM.transform(121.49, 31.23)


def frame(convergence: float = 0.0) -> MetricFrame:
    """UTM 51N with a constant meridian convergence (degrees) to see it applied."""

    def to_wgs84(x: Any, y: Any) -> tuple[Any, Any]:
        return _TO_WGS84.transform(np.asarray(x, float), np.asarray(y, float))

    def to_file(x: Any, y: Any, z: Any) -> tuple[Any, Any, Any]:
        lon, lat = to_wgs84(x, y)
        return lon, lat, np.asarray(z, float)

    return MetricFrame(32651, 4326, to_wgs84, to_file, lambda x, y: np.full(np.shape(x), convergence))


def prism(
    bid: str,
    ring: Sequence[tuple[float, float]],
    height: float,
    *,
    feature: int = 0,
    base: float = 0.0,
    **attrs: Any,
) -> StockBuilding:
    """A prism from a counter-clockwise ring of offsets (m) from (X0, Y0)."""
    pts = [(X0 + dx, Y0 + dy) for dx, dy in ring]
    top = np.array([(x, y, base + height) for x, y in pts])
    faces = [Face(None, (0,), "roof", None, (top,))]
    for i, (a, b) in enumerate(zip(pts, pts[1:] + pts[:1], strict=True)):
        quad = np.array(
            [(a[0], a[1], base), (b[0], b[1], base), (b[0], b[1], base + height), (a[0], a[1], base + height)]
        )
        faces.append(Face(None, (i + 1,), "wall", None, (quad,)))
    lon, lat = _TO_WGS84.transform([p[0] for p in pts], [p[1] for p in pts])
    return StockBuilding(
        bid, SourceRef(feature=feature), Polygon(zip(lon, lat, strict=True)), base_m=base, height_m=height,
        attributes=attrs, faces=faces,
    )  # fmt: skip


def stock(*buildings: StockBuilding, convergence: float = 0.0) -> Stock:
    return Stock(list(buildings), [], [], frame(convergence))
