"""A small building file for the shade tests: a low slab facing a tall tower, and its twin in the open."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pyproj import Transformer

_TO_WGS84 = Transformer.from_crs(32651, 4326, always_xy=True)
# a point in Huangpu, UTM 51N metres; the footprints below are offsets from it
X0, Y0 = Transformer.from_crs(4326, 32651, always_xy=True).transform(121.49, 31.23)


def feature(fid: str, box: tuple[float, float, float, float], height: float, levels: int) -> dict[str, Any]:
    """A footprint feature: the rectangle (x0, y0, x1, y1) in metres from (X0, Y0), counter-clockwise."""
    x0, y0, x1, y1 = box
    ring = [(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]
    lon, lat = _TO_WGS84.transform([X0 + x for x, _ in ring], [Y0 + y for _, y in ring])
    return {
        "type": "Feature",
        "id": fid,
        "properties": {"building": "yes", "height": height, "building:levels": levels},
        "geometry": {"type": "Polygon", "coordinates": [[[a, b] for a, b in zip(lon, lat, strict=True)]]},
    }


def write_stock(path: Path) -> Path:
    """A 10-storey slab (30 m) whose south wall faces a 60 m tower 40 m to its south, and the same
    slab 3 km to the east with nothing around it (its unshaded twin). From the slab's foot the
    tower's top stands 56° high, from its top storey 38°: the winter sun (35° at noon) is hidden from
    every storey, the spring and autumn sun from the lower ones only."""
    features = [
        feature("low", (0.0, 0.0, 40.0, 15.0), 30.0, 10),
        feature("tower", (0.0, -70.0, 40.0, -40.0), 60.0, 15),
        feature("twin", (3000.0, 0.0, 3040.0, 15.0), 30.0, 10),
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    return path
