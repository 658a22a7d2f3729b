"""Maps on GCJ-02 tiles: stored WGS84 is shifted for display and drawn shapes come back unshifted."""

from __future__ import annotations

from shapely.geometry import shape

from web.mapdata import from_display, markers_for_display, to_display

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
