"""The generated Huangpu-like city: as many buildings as asked, none overlapping, OSM tags as found."""

from __future__ import annotations

from typing import Any

import pytest
import shapely
from shapely.geometry import box, shape

from gis.candidates import CandidateRules, derive_candidates
from gis.stock_footprints import read_geojson_stock
from pvhub.demo.city import STREET_ANGLE_DEG, generate_city


def _buildings(city: dict[str, Any]) -> list[dict[str, Any]]:
    return [f for f in city["features"] if "building" in f["properties"]]


def test_the_city_holds_the_buildings_asked_for_none_overlapping_and_is_the_same_per_seed() -> None:
    city = generate_city(2000, seed=3)
    buildings = _buildings(city)
    assert len(buildings) == 2000
    assert len({f["id"] for f in city["features"]}) == len(city["features"])
    geoms = [shape(f["geometry"]) for f in buildings]
    assert all(g.is_valid and g.area > 0 for g in geoms)
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    assert (left == right).all()  # each touches only itself
    assert generate_city(2000, seed=3) == city
    assert generate_city(2000, seed=4) != city


def test_it_keeps_off_the_avoided_footprints() -> None:
    site = box(121.480, 31.228, 121.482, 31.230)
    city = generate_city(
        1500, seed=1, avoid=[site, shape(box(121.47, 31.22, 121.471, 31.221).__geo_interface__)]
    )
    assert not any(shape(f["geometry"]).intersects(site) for f in city["features"])
    assert len(_buildings(city)) == 1500


def test_towers_stand_by_the_river_and_the_tags_vary_as_in_openstreetmap() -> None:
    city = generate_city(3000, seed=0)
    props = [f["properties"] for f in _buildings(city)]
    heights = [p["height"] for p in props if isinstance(p.get("height"), float)]
    assert max(heights) > 100.0 and max(heights) <= 250.0
    towers = [
        shape(f["geometry"]).centroid.x
        for f in _buildings(city)
        if str(f["id"]) and f["properties"].get("name")
    ]
    lanes = [
        shape(f["geometry"]).centroid.x for f in _buildings(city) if f["properties"]["building"] == "terrace"
    ]
    assert sum(towers) / len(towers) > sum(lanes) / len(lanes)  # east, by the river
    assert any("height" not in p and "building:levels" in p for p in props)  # levels only
    assert any(isinstance(p.get("height"), str) and p["height"].endswith(" m") for p in props)  # "45 m"
    assert any("height" not in p and "building:levels" not in p for p in props)  # neither
    assert any(p.get("building") == "roof" and p.get("min_height", 0) > 0 for p in props)  # skybridge
    assert any(p.get("building") == "roof" and "min_height" not in p for p in props)  # covered walkway
    parts = [f for f in city["features"] if "building:part" in f["properties"]]
    ids = {f["id"] for f in _buildings(city)}
    assert parts and all(p["properties"]["building_id"] in ids for p in parts)
    assert any(f["properties"].get("man_made") == "bridge" for f in city["features"])
    ells = [f for f in _buildings(city) if len(f["geometry"]["coordinates"][0]) == 7]
    assert ells  # L-shapes: six corners and the closing one


def test_an_area_is_filled_evenly_and_only_inside_and_an_area_too_small_is_refused() -> None:
    area = box(121.455, 31.195, 121.505, 31.245)  # about 4.8 × 5.5 km, the river on its east side
    city = generate_city(1500, seed=2, area=area)
    geoms = [shape(f["geometry"]) for f in _buildings(city)]
    assert len(geoms) == 1500 and all(area.contains(g) for g in geoms)
    # spread over the area: each quarter of it holds a share, not just the one round the centre
    xs = [g.centroid.x for g in geoms]
    ys = [g.centroid.y for g in geoms]
    quarters = {(x < 121.48, y < 31.22) for x, y in zip(xs, ys, strict=True)}
    assert quarters == {(True, True), (True, False), (False, True), (False, False)}
    assert min(xs) < 121.46 and min(ys) < 31.2
    with pytest.raises(ValueError, match="fewer than the 500 buildings"):
        generate_city(500, seed=2, area=box(121.470, 31.220, 121.475, 31.224))


def test_walls_face_the_street_grid_turned_from_true_south() -> None:
    """The survey sees the lanes' long walls at 180 − 12.5° and their west ends at 270 − 12.5°, true."""
    stock = read_geojson_stock(generate_city(300, seed=0))
    walls = [c for c in derive_candidates(stock, CandidateRules()).candidates if c.kind == "curtain_wall"]
    facing = {180.0 - STREET_ANGLE_DEG: 0, 270.0 - STREET_ANGLE_DEG: 0}
    for wall in walls:
        nearest = min(facing, key=lambda a: abs(a - wall.azimuth))
        assert abs(nearest - wall.azimuth) < 0.1, wall  # 1 cm rounding on a short wall, no more
        facing[nearest] += 1
    assert all(facing.values())  # both the long walls and the west ends are surveyed
