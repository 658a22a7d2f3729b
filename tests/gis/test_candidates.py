"""Candidate surfaces from prism buildings built here as the footprint readers build them (roof face 0,
walls 1… by footprint edge), in Shanghai's UTM zone (EPSG:32651)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from shapely.geometry import box

from gis.candidates import Candidate, CandidateRules, SkippedPart, derive_candidates, structure_kind
from gis.plane import plane_of
from gis.stock import Face, SourceRef, StockBuilding
from tests.gis.prisms import X0, Y0, prism, stock

SQUARE_20 = [(0.0, 0.0), (20.0, 0.0), (20.0, 20.0), (0.0, 20.0)]  # walls: south, east, north, west


def by_face(cands: list[Candidate], face: int) -> list[Candidate]:
    return sorted((c for c in cands if c.source.faces == (face,)), key=lambda c: c.storey or 0)


def test_one_band_per_storey_and_the_bands_add_up_to_the_wall() -> None:
    result = derive_candidates(stock(prism("b1", SQUARE_20, 10.0)))
    south = by_face(result.candidates, 1)
    # 10 m at 3 m storeys: 3, 3, 3 and a 1 m band on top (20 m² × 0.3 = 6 m² usable: skipped)
    assert [c.storey for c in south] == [0, 1, 2]
    assert [c.band_m for c in south] == [(0.0, 3.0), (3.0, 6.0), (6.0, 9.0)]
    assert all(c.kind == "curtain_wall" and c.tilt == 90.0 for c in south)
    assert south[0].azimuth == pytest.approx(180.0, abs=1e-6)
    assert south[1].z_m == pytest.approx(4.5)
    assert south[0].usable_area_m2 == pytest.approx(60.0 * 0.3)
    top = [s for s in result.skipped if s.source.faces == (1,)]
    assert (
        len(top) == 1 and "band 3 (9.0–10.0 m)" in top[0].reason and "under the minimum 10" in top[0].reason
    )
    assert isinstance(top[0], SkippedPart)
    assert sum(c.area_m2 for c in south) + top[0].area_m2 == pytest.approx(200.0)
    assert south[0].id == "b1/-/1/b0"
    east, west = by_face(result.candidates, 2), by_face(result.candidates, 4)
    assert east[0].azimuth == pytest.approx(90.0, abs=1e-6) and west[0].azimuth == pytest.approx(
        270.0, abs=1e-6
    )


def test_band_height_setting_cuts_other_bands() -> None:
    result = derive_candidates(stock(prism("b1", SQUARE_20, 10.0)), CandidateRules(band_height_m=5.0))
    south = by_face(result.candidates, 1)
    assert [c.band_m for c in south] == [(0.0, 5.0), (5.0, 10.0)]
    assert [c.area_m2 for c in south] == pytest.approx([100.0, 100.0])


def test_bands_follow_the_buildings_own_storeys_when_the_source_gives_them() -> None:
    tower = prism("t", SQUARE_20, 248.0)
    tower.storeys = 62  # 4 m storeys, not the default 3 m
    south = by_face(derive_candidates(stock(tower)).candidates, 1)
    assert len(south) == 62 and south[-1].band_m == pytest.approx((244.0, 248.0))
    odd = prism("o", SQUARE_20, 60.0)
    odd.storeys = 2  # 30 m "storeys": not a storey height, so the default applies
    assert len(by_face(derive_candidates(stock(odd)).candidates, 1)) == 20
    fixed = derive_candidates(stock(tower), CandidateRules(band_height_m=8.0))
    assert len(by_face(fixed.candidates, 1)) == 31  # the rule, when set, wins


def test_north_wall_is_skipped_with_its_direction_and_area() -> None:
    result = derive_candidates(stock(prism("b1", SQUARE_20, 10.0)))
    assert by_face(result.candidates, 3) == []
    north = [s for s in result.skipped if s.source.faces == (3,)]
    assert [s.reason for s in north] == ["faces north (0°): outside 90–270°"]
    assert isinstance(north[0], SkippedPart) and north[0].area_m2 == pytest.approx(200.0)


def test_a_rotated_north_west_wall_names_its_azimuth() -> None:
    c, s = math.cos(math.radians(45)), math.sin(math.radians(45))
    ring = [(x * c - y * s, x * s + y * c) for x, y in SQUARE_20]  # turned 45° anticlockwise
    result = derive_candidates(stock(prism("b1", ring, 6.0)))
    reasons = {s.source.faces: s.reason for s in result.skipped}
    assert reasons[(3,)] == "faces north-west (315°): outside 90–270°"
    assert by_face(result.candidates, 1)[0].azimuth == pytest.approx(135.0)


def test_convergence_turns_grid_azimuths_into_true_ones() -> None:
    result = derive_candidates(stock(prism("b1", SQUARE_20, 6.0), convergence=-2.5))
    assert by_face(result.candidates, 1)[0].azimuth == pytest.approx(177.5)
    roof = by_face(result.candidates, 0)[0]
    assert roof.tilt == 0.0 and roof.azimuth == 180.0  # a flat roof faces no way


def test_roof_usable_area_after_the_setback() -> None:
    rules = CandidateRules(roof_setback_m=1.0, roof_usable_ratio=1.0)
    result = derive_candidates(stock(prism("b1", SQUARE_20, 6.0)), rules)
    roof = by_face(result.candidates, 0)[0]
    assert roof.kind == "roof" and roof.area_m2 == pytest.approx(400.0)
    assert roof.usable_area_m2 == pytest.approx(18.0 * 18.0)
    assert roof.z_m == pytest.approx(6.0) and roof.storey is None
    assert roof.centroid[0] == pytest.approx(X0 + 10.0) and roof.centroid[1] == pytest.approx(Y0 + 10.0)
    assert roof.outline[0] == roof.outline[-1] and len(roof.outline) == 5
    assert roof.lon == pytest.approx(121.49, abs=3e-4) and roof.lat == pytest.approx(31.23, abs=3e-4)


def test_a_roof_keeps_at_most_the_plant_share_of_its_area() -> None:
    # 18 x 18 m = 324 m² inside a 1 m setback, but plant and access take their share: 0.7 x 400 m²
    result = derive_candidates(stock(prism("b1", SQUARE_20, 6.0)), CandidateRules(roof_setback_m=1.0))
    assert by_face(result.candidates, 0)[0].usable_area_m2 == pytest.approx(280.0)
    narrow = derive_candidates(stock(prism("b1", SQUARE_20, 6.0)), CandidateRules(roof_setback_m=4.0))
    assert by_face(narrow.candidates, 0)[0].usable_area_m2 == pytest.approx(12.0 * 12.0)  # setback binds


def test_a_small_roof_under_the_minimum_is_skipped_with_the_reason() -> None:
    tiny = [(0.0, 0.0), (4.0, 0.0), (4.0, 4.0), (0.0, 4.0)]  # 16 m², 9 m² after 0.5 m setback
    result = derive_candidates(stock(prism("hut", tiny, 3.0)))
    assert result.candidates == []
    roof = [s for s in result.skipped if s.source.faces == (0,)]
    assert (
        "usable area 9.0 m² after the 0.5 m setback, at most 70% of the roof: under the minimum 10 m²"
        in roof[0].reason
    )


def test_l_shaped_building_walls_each_banded() -> None:
    ring = [(0.0, 0.0), (30.0, 0.0), (30.0, 10.0), (10.0, 10.0), (10.0, 25.0), (0.0, 25.0)]
    result = derive_candidates(stock(prism("L", ring, 9.0)), CandidateRules(min_area_m2=5.0))
    walls = [c for c in result.candidates if c.kind == "curtain_wall"]
    # faces 1 (south, 30 m), 2 (east, 10 m), 4 (east, 15 m), 3 and 5 face north, 6 west (25 m)
    assert sorted({c.source.faces[0] for c in walls}) == [1, 2, 4, 6]
    total = {f: sum(c.area_m2 for c in walls if c.source.faces == (f,)) for f in (1, 2, 4, 6)}
    assert total == pytest.approx({1: 270.0, 2: 90.0, 4: 135.0, 6: 225.0})
    roof = by_face(result.candidates, 0)[0]
    assert roof.area_m2 == pytest.approx(30 * 10 + 10 * 15)


def test_gabled_wall_is_clipped_in_its_plane() -> None:
    """A south gable: 10 m wide, eaves at 6 m, ridge at 9 m; the bands above the eaves are triangles."""
    x, y = X0, Y0
    gable = np.array([(x, y, 0), (x + 10, y, 0), (x + 10, y, 6), (x + 5, y, 9), (x, y, 6)], dtype=float)
    b = StockBuilding(
        "g", SourceRef(object="G"), None, faces=[Face("G", (7,), "wall", "WallSurface", (gable,))]
    )
    result = derive_candidates(stock(b), CandidateRules(min_area_m2=0.0))
    bands = result.candidates
    assert [c.band_m for c in bands] == [(0.0, 3.0), (3.0, 6.0), (6.0, 9.0)]
    assert [c.area_m2 for c in bands] == pytest.approx([30.0, 30.0, 15.0])
    assert sum(c.area_m2 for c in bands) == pytest.approx(plane_of(gable).area_m2)
    assert bands[2].z_m == pytest.approx(7.0)  # the triangle's centroid: a third of the way up
    assert bands[0].id == "g/G/7/b0" and bands[0].source == SourceRef(object="G", faces=(7,))


def test_pitched_roof_planes_use_their_true_area_and_north_rule() -> None:
    x, y = X0, Y0
    south = np.array([(x, y, 3), (x + 10, y, 3), (x + 10, y + 5, 6), (x, y + 5, 6)], dtype=float)
    north = np.array([(x, y + 5, 6), (x + 10, y + 5, 6), (x + 10, y + 10, 3), (x, y + 10, 3)], dtype=float)
    faces = [
        Face("R", (0,), "roof", "RoofSurface", (south,)),
        Face("R", (1,), "roof", "RoofSurface", (north,)),
    ]
    b = StockBuilding("p", SourceRef(object="R"), None, faces=faces)
    result = derive_candidates(stock(b), CandidateRules(roof_usable_ratio=1.0))
    [roof] = result.candidates
    assert roof.tilt == pytest.approx(math.degrees(math.atan2(3, 5)))
    assert roof.azimuth == pytest.approx(180.0)
    assert roof.area_m2 == pytest.approx(10 * math.hypot(3, 5))
    assert roof.usable_area_m2 == pytest.approx(9 * (math.hypot(3, 5) - 1))
    [skip] = result.skipped
    assert skip.reason.startswith("pitched roof plane (31°) faces north (0°)")


def test_buildings_outside_the_boundary_are_neighbours() -> None:
    near = prism("in", SQUARE_20, 6.0, feature=0)
    far_ring = [(x + 2000.0, y) for x, y in SQUARE_20]
    far = prism("out", far_ring, 6.0, feature=1)
    boundary = box(121.48, 31.22, 121.50, 31.24)
    result = derive_candidates(stock(near, far), boundary=boundary)
    assert {c.building for c in result.candidates} == {"in"}
    out = [s for s in result.skipped if s.source.feature == 1]
    assert [s.reason for s in out] == ["outside the district boundary: kept as a neighbour"]


def test_building_without_faces_is_skipped_with_its_note() -> None:
    b = StockBuilding("x", SourceRef(feature=4), None, note="neither height nor building:levels")
    result = derive_candidates(stock(b))
    assert [(s.source.feature, s.reason) for s in result.skipped] == [
        (4, "neither height nor building:levels")
    ]


def test_covered_ways_give_their_roof_and_bridges_nothing() -> None:
    strip = [(0.0, 0.0), (40.0, 0.0), (40.0, 4.0), (0.0, 4.0)]
    walkway = prism("w", strip, 3.0, feature=0, building="roof")
    sky = prism("s", strip, 4.0, feature=1, base=0.0, covered="yes")
    sky.min_height_m = 12.0
    bridge = prism("br", strip, 3.0, feature=2, bridge="yes", building="yes")
    result = derive_candidates(stock(walkway, sky, bridge))
    kinds = {(c.building, c.kind) for c in result.candidates}
    assert kinds == {("w", "walkway"), ("s", "corridor")}
    assert structure_kind(bridge) == "bridge"
    assert [s.reason for s in result.skipped if s.source.feature == 2] == [
        "a bridge: bridges over roads and water are not candidates"
    ]


def test_ids_are_stable_across_runs() -> None:
    s = stock(prism("b1", SQUARE_20, 31.0))
    first = [c.id for c in derive_candidates(s).candidates]
    assert first == [c.id for c in derive_candidates(s).candidates]
    assert len(set(first)) == len(first)


def test_a_roof_with_a_courtyard_loses_the_courtyard_and_a_setback_round_it() -> None:
    outer = np.array(
        [(X0, Y0, 12), (X0 + 30, Y0, 12), (X0 + 30, Y0 + 30, 12), (X0, Y0 + 30, 12)], dtype=float
    )
    hole = np.array(
        [(X0 + 10, Y0 + 10, 12), (X0 + 10, Y0 + 20, 12), (X0 + 20, Y0 + 20, 12), (X0 + 20, Y0 + 10, 12)]
    )
    b = StockBuilding(
        "c", SourceRef(object="C"), None, faces=[Face("C", (0,), "roof", "RoofSurface", (outer, hole))]
    )
    [roof] = derive_candidates(stock(b), CandidateRules(roof_setback_m=1.0, roof_usable_ratio=1.0)).candidates
    assert roof.area_m2 == pytest.approx(900.0 - 100.0)
    assert roof.usable_area_m2 == pytest.approx(28.0 * 28.0 - 12.0 * 12.0)
    assert roof.centroid[0] == pytest.approx(X0 + 15.0) and roof.centroid[2] == pytest.approx(12.0)
