"""Tilt, azimuth and true area of 3D faces; curtain walls and canopies drawn on the map."""

import math

import numpy as np
import pytest
from shapely.geometry import box

from gis.crs import local_projection
from gis.plane import (
    canopy,
    curtain_wall,
    is_planar,
    newell_vector,
    orientation,
    planarity_deviation_m,
    plane_of,
    polygon_centroid,
)


def roof_facing(azimuth_deg: float, tilt_deg: float, width: float = 10.0, run: float = 5.0) -> np.ndarray:
    """A width × (run / cos tilt) m rectangle tilted towards ``azimuth_deg``, counter-clockwise from above."""
    rise = run * math.tan(math.radians(tilt_deg))
    # ridge along y = 0, eaves at y = -run: the face falls towards the south
    base = np.array([[0, 0, rise], [0, -run, 0], [width, -run, 0], [width, 0, rise]], dtype=float)
    turn = math.radians(180.0 - azimuth_deg)  # rotate clockwise from south to the wanted azimuth
    c, s = math.cos(turn), math.sin(turn)
    rotation = np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])
    return base @ rotation.T


@pytest.mark.parametrize("azimuth", [0.0, 90.0, 135.0, 180.0, 270.0])
def test_a_pitched_roof_gets_pvlib_tilt_azimuth_and_sloped_area(azimuth: float) -> None:
    plane = plane_of(roof_facing(azimuth, 30.0))
    assert plane.surface_tilt == pytest.approx(30.0)
    assert plane.surface_azimuth % 360 == pytest.approx(azimuth, abs=1e-9)
    assert plane.area_m2 == pytest.approx(10 * 5 / math.cos(math.radians(30)))
    assert math.isclose(float(np.linalg.norm(plane.normal)), 1.0)


def test_a_flat_roof_faces_south_by_convention() -> None:
    flat = [[0, 0, 5], [10, 0, 5], [10, 8, 5], [0, 8, 5]]
    plane = plane_of(flat)
    assert (plane.surface_tilt, plane.surface_azimuth, plane.area_m2) == (0.0, 180.0, 80.0)
    assert plane_of([*flat, flat[0]]).area_m2 == 80.0


def test_a_south_wall_is_vertical_and_faces_180() -> None:
    wall = [[0, 0, 0], [10, 0, 0], [10, 0, 3], [0, 0, 3]]  # counter-clockwise seen from the south
    plane = plane_of(wall)
    assert plane.surface_tilt == pytest.approx(90.0)
    assert plane.surface_azimuth == pytest.approx(180.0)
    assert plane.area_m2 == pytest.approx(30.0)


def test_holes_are_subtracted_whatever_their_winding() -> None:
    outer = [[0, 0, 0], [10, 0, 0], [10, 10, 0], [0, 10, 0]]
    hole = [[2, 2, 0], [4, 2, 0], [4, 4, 0], [2, 4, 0]]
    assert plane_of(outer, [hole]).area_m2 == pytest.approx(96.0)
    assert plane_of(outer, [hole[::-1]]).area_m2 == pytest.approx(96.0)


def test_large_projected_coordinates_keep_their_precision() -> None:
    shift = np.array([2_683_000.0, 1_248_000.0, 450.0])
    plane = plane_of(roof_facing(200.0, 25.0) + shift)
    assert plane.surface_tilt == pytest.approx(25.0, abs=1e-6)
    assert plane.surface_azimuth == pytest.approx(200.0, abs=1e-6)


def test_degenerate_faces_are_refused() -> None:
    with pytest.raises(ValueError, match="no area"):
        plane_of([[0, 0, 0], [1, 1, 1], [2, 2, 2]])
    with pytest.raises(ValueError, match=r"\(n, 3\)"):
        newell_vector([[0, 0], [1, 1], [2, 0]])
    with pytest.raises(ValueError, match="zero normal"):
        orientation([0, 0, 0])


def test_planarity_check() -> None:
    square = [[0, 0, 0], [10, 0, 0], [10, 10, 0], [0, 10, 0]]
    assert is_planar(square)
    warped = [[0.0, 0.0, 0.0], [10.0, 0.0, 0.5], [10.0, 10.0, 0.0], [0.0, 10.0, 0.5]]
    assert planarity_deviation_m(warped) == pytest.approx(0.25)
    assert not is_planar(warped, tolerance_m=0.05)
    assert is_planar(warped, tolerance_m=0.3)


def test_polygon_centroid_is_area_weighted() -> None:
    l_shape = [[0, 0, 0], [4, 0, 0], [4, 1, 0], [1, 1, 0], [1, 4, 0], [0, 4, 0]]
    # two rectangles 4×1 (centre 2, 0.5) and 1×3 (centre 0.5, 2.5)
    expected = [(4 * 2 + 3 * 0.5) / 7, (4 * 0.5 + 3 * 2.5) / 7, 0.0]
    assert polygon_centroid(l_shape) == pytest.approx(expected)
    assert polygon_centroid([*l_shape, l_shape[0]]) == pytest.approx(expected)


def test_a_curtain_wall_drawn_west_to_east_faces_south_by_the_right_hand_rule() -> None:
    projection = local_projection(121.47, 31.23)
    lon, lat = projection.to_wgs84.transform([351_000.0, 351_030.0], [3_456_000.0, 3_456_000.0])
    wall = curtain_wall((lon[0], lat[0]), (lon[1], lat[1]), bottom_m=10.0, top_m=40.0)
    assert wall.width_m == pytest.approx(30.0, rel=0.001)
    assert wall.gross_area_m2 == pytest.approx(900.0, rel=0.001)
    assert wall.surface_tilt == 90.0
    # UTM grid north differs from true north by ~0.8° this far east of the central meridian
    assert wall.surface_azimuth == pytest.approx(180.0, abs=1.5)
    left = curtain_wall((lon[0], lat[0]), (lon[1], lat[1]), bottom_m=10.0, top_m=40.0, facing="left")
    assert left.surface_azimuth == pytest.approx(0.0, abs=1.5) or left.surface_azimuth > 358.5


def test_a_curtain_wall_needs_height_and_length() -> None:
    with pytest.raises(ValueError, match="above bottom_m"):
        curtain_wall((121.47, 31.23), (121.48, 31.23), bottom_m=10.0, top_m=10.0)
    with pytest.raises(ValueError, match="zero length"):
        curtain_wall((121.47, 31.23), (121.47, 31.23), bottom_m=0.0, top_m=10.0)


def test_corridor_and_walkway_canopies() -> None:
    projection = local_projection(121.47, 31.23)
    footprint = projection.inverse(box(351_000, 3_456_000, 351_040, 3_456_003))
    flat = canopy(footprint, height_m=24.0)
    assert flat.plan_area_m2 == pytest.approx(120.0, rel=1e-6)
    assert (flat.surface_tilt, flat.surface_azimuth, flat.height_m) == (0.0, 180.0, 24.0)
    sloped = canopy(footprint, height_m=3.0, surface_tilt=10.0, surface_azimuth=200.0)
    assert sloped.gross_area_m2 == pytest.approx(120.0 / math.cos(math.radians(10)), rel=1e-6)
    assert sloped.surface_azimuth == 200.0
    with pytest.raises(ValueError, match="height_m must be >= 0"):
        canopy(footprint, height_m=-1.0)
    with pytest.raises(ValueError, match=r"tilt must be in \[0, 90\)"):
        canopy(footprint, height_m=3.0, surface_tilt=90.0)
