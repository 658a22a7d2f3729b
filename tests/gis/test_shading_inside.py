"""Sample points that fell inside a building: found, lifted onto the roof above, pushed out of walls."""

from __future__ import annotations

import numpy as np
import pytest

from gis.shading import LIFT_M, SamplePoints
from gis.shading_inside import buildings_at, push_out_of_footprints, roof_above
from tests.gis.prisms import X0, Y0, prism, stock

# a 20 × 20 m block, 12 m high, and a 30 m tower 100 m east of it
BLOCK = prism("block", [(0, 0), (20, 0), (20, 20), (0, 20)], 12.0)
TOWER = prism("tower", [(100, 0), (110, 0), (110, 10), (100, 10)], 30.0)


def at(*offsets: tuple[float, float, float]) -> np.ndarray:
    return np.array([(X0 + dx, Y0 + dy, z) for dx, dy, z in offsets], dtype=float)


def test_only_the_buildings_under_the_points_are_found() -> None:
    found = buildings_at(stock(BLOCK, TOWER), at((5, 5, 3))[:, :2])
    assert [b.id for b in found] == ["block"]
    assert buildings_at(stock(BLOCK, TOWER), at((50, 50, 3))[:, :2]) == []


def test_a_roof_point_typed_low_is_lifted_to_its_roof_and_one_above_stays() -> None:
    xyz = at((5, 5, 11.0), (5, 5, 12.5), (50, 50, 3.0))
    target = roof_above(xyz, np.ones(3, dtype=bool), [BLOCK, TOWER])
    assert target[0] == pytest.approx(12.0)
    assert np.isinf(target[1]) and np.isinf(target[2])  # above the roof; outside any building
    assert np.isinf(roof_above(xyz, np.zeros(3, dtype=bool), [BLOCK])[0])  # not asked for


def test_a_wall_point_inside_the_footprint_is_pushed_out_along_its_normal() -> None:
    # drawn 1 m inside the block's south wall, facing south; another 15 m deep is too far to move
    xyz = at((10, 1, 6), (10, 15, 6))
    points = SamplePoints(xyz.copy(), np.array([[0.0, -1.0, 0.0]] * 2), np.array([0, 1]))
    push_out_of_footprints(points, np.ones(2, dtype=bool), [BLOCK], max_push_m=10.0)
    assert points.xyz[0, 1] - Y0 == pytest.approx(-LIFT_M, abs=0.26)  # just outside, to the push step
    assert points.xyz[0, 1] < Y0
    assert points.xyz[1].tolist() == xyz[1].tolist()
