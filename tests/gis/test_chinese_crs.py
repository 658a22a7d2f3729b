"""GCJ-02 and BD-09, the datums of Chinese web maps."""

import numpy as np
import pytest
from pyproj import Geod
from shapely.geometry import Polygon

from gis.chinese_crs import (
    bd09_to_gcj02,
    bd09_to_wgs84,
    from_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    geometry_from_wgs84,
    geometry_to_wgs84,
    to_wgs84,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)

GEOD = Geod(ellps="WGS84")
PEOPLES_SQUARE = (121.4737, 31.2304)


def metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    return float(GEOD.inv(float(a[0]), float(a[1]), float(b[0]), float(b[1]))[2])


def test_gcj02_matches_a_published_shanghai_reference_point() -> None:
    # Reference pair from the eviltransform test suite (WGS84 → GCJ-02).
    lon, lat = wgs84_to_gcj02(121.5272106, 31.1774276)
    assert float(lon) == pytest.approx(121.531541859215, abs=1e-9)
    assert float(lat) == pytest.approx(31.17530398364597, abs=1e-9)


def test_gcj02_shifts_shanghai_by_several_hundred_metres() -> None:
    shifted = wgs84_to_gcj02(*PEOPLES_SQUARE)
    assert 300 < metres(PEOPLES_SQUARE, (float(shifted[0]), float(shifted[1]))) < 800


def test_gcj02_round_trip_is_far_better_than_2_m() -> None:
    lon = np.linspace(121.0, 122.0, 50)
    lat = np.linspace(30.7, 31.9, 50)
    back_lon, back_lat = gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat))
    _, _, dist = GEOD.inv(lon, lat, back_lon, back_lat)
    assert np.max(dist) < 0.01


def test_bd09_round_trips_and_is_further_shifted() -> None:
    bd = wgs84_to_bd09(*PEOPLES_SQUARE)
    back = bd09_to_wgs84(*bd)
    assert metres(PEOPLES_SQUARE, (float(back[0]), float(back[1]))) < 0.01
    assert metres(PEOPLES_SQUARE, (float(bd[0]), float(bd[1]))) > 800
    gcj = bd09_to_gcj02(*gcj02_to_bd09(121.48, 31.24))
    assert float(gcj[0]) == pytest.approx(121.48, abs=1e-8)
    assert float(gcj[1]) == pytest.approx(31.24, abs=1e-8)


def test_points_outside_china_are_not_shifted() -> None:
    lon, lat = wgs84_to_gcj02(8.54, 47.37)
    assert (float(lon), float(lat)) == (8.54, 47.37)


@pytest.mark.parametrize("datum", ["wgs84", "cgcs2000", "gcj02", "bd09"])
def test_to_and_from_wgs84_by_datum_name(datum: str) -> None:
    lon, lat = from_wgs84(*PEOPLES_SQUARE, datum)  # type: ignore[arg-type]
    back = to_wgs84(lon, lat, datum)  # type: ignore[arg-type]
    assert metres(PEOPLES_SQUARE, (float(back[0]), float(back[1]))) < 0.01


def test_an_unknown_datum_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown datum"):
        to_wgs84(121.0, 31.0, "baidu")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown datum"):
        from_wgs84(121.0, 31.0, "mars")  # type: ignore[arg-type]


def test_a_polygon_drawn_on_gcj02_tiles_is_stored_in_wgs84() -> None:
    roof = Polygon([(121.4700, 31.2300), (121.4703, 31.2300), (121.4703, 31.2302)])
    on_map = geometry_from_wgs84(roof, "gcj02")
    assert on_map.distance(roof) > 0.003  # degrees: a few hundred metres
    assert geometry_to_wgs84(on_map, "gcj02").equals_exact(roof, tolerance=1e-9)
