"""Maps on GCJ-02 tiles: stored WGS84 is shifted for display and drawn shapes come back unshifted."""

from __future__ import annotations

import json

from shapely.geometry import shape

from web.mapdata import OVERVIEW_SHAPES_UP_TO, from_display, markers_for_display, overview, to_display

SQUARE = {
    "type": "Polygon",
    "coordinates": [
        [[121.48, 31.23], [121.481, 31.23], [121.481, 31.231], [121.48, 31.231], [121.48, 31.23]]
    ],
}


def test_gcj02_tiles_shift_shapes_by_hundreds_of_metres_and_back_within_a_metre() -> None:
    shown = to_display(SQUARE, "gcj02")
    assert shown is not None
    shift_deg = shape(shown).centroid.distance(shape(SQUARE).centroid)
    assert 0.002 < shift_deg < 0.01  # roughly 200–1,000 m in Shanghai
    back = from_display(shown, "gcj02")
    assert back is not None
    assert shape(back).centroid.distance(shape(SQUARE).centroid) < 1e-5  # about a metre


def test_wgs84_tiles_leave_everything_as_stored() -> None:
    markers = [{"lon": 121.48, "lat": 31.23, "footprint": SQUARE}]
    assert markers_for_display(markers, "wgs84") is markers
    moved = markers_for_display(markers, "gcj02")[0]
    assert moved["lon"] != 121.48 and moved["footprint"] != SQUARE


def _sites(n: int) -> list[dict[str, object]]:
    return [
        {"id": i, "name": f"Site {i}", "lon": 121.480000123 + i * 1e-4, "lat": 31.23, "footprint": SQUARE}
        for i in range(n)
    ]


def test_an_overview_of_few_sites_keeps_their_footprints() -> None:
    shown = overview(_sites(OVERVIEW_SHAPES_UP_TO))
    assert all(m["footprint"] == SQUARE for m in shown)
    assert shown[0]["lon"] == 121.48 and shown[0]["name"] == "Site 0"


def test_an_overview_of_thousands_of_sites_draws_dots_and_is_far_smaller() -> None:
    sites = _sites(4000)
    shown = overview(sites)
    assert len(shown) == 4000 and not any("footprint" in m for m in shown)
    assert {m["id"] for m in shown} == set(range(4000))
    assert len(json.dumps(shown)) < len(json.dumps(sites)) / 3
