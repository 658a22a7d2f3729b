"""Building shade geometry (gis.shading) against independent calculations (issue #19's "Done when").

Test geometry is built here from boxes and prisms as face rings, counter-clockwise seen from outside,
in a local metric frame (x east, y north, z up); the sun for the shadow-hours test comes from the
textbook formulas (Duffie & Beckman, Solar Engineering of Thermal Processes, 4th ed., §1.6), not pvlib.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pytest
from shapely import Polygon, contains_xy

from gis.shading import (
    AZIMUTH_STEP_DEG,
    LIFT_M,
    SamplePoints,
    Scene,
    azimuth_bins,
    horizons,
    plane_horizon,
    sample_polygons,
    sample_wall_bands,
    sky_view_factor,
)
from tests.gis import prisms

Ring = np.ndarray


def prism(footprint: Sequence[tuple[float, float]], z0: float, z1: float) -> list[Ring]:
    """Faces of a prism over a counter-clockwise footprint: top, bottom, then a wall per edge."""
    top = np.array([(x, y, z1) for x, y in footprint], float)
    bottom = np.array([(x, y, z0) for x, y in reversed(footprint)], float)
    walls = []
    for (ax, ay), (bx, by) in zip(footprint, [*footprint[1:], footprint[0]], strict=True):
        walls.append(np.array([(ax, ay, z0), (bx, by, z0), (bx, by, z1), (ax, ay, z1)], float))
    return [top, bottom, *walls]


def box(x0: float, y0: float, x1: float, y1: float, z0: float, z1: float) -> list[Ring]:
    return prism([(x0, y0), (x1, y0), (x1, y1), (x0, y1)], z0, z1)


def point(xyz: Sequence[float], normal: Sequence[float]) -> SamplePoints:
    """One sample point, lifted off its surface as the samplers lift them."""
    n = np.asarray(normal, float) / np.linalg.norm(normal)
    return SamplePoints(np.asarray(xyz, float)[None, :] + n * LIFT_M, n[None, :], np.zeros(1, dtype=np.int64))


def bin_of(azimuth: float) -> int:
    return round(azimuth / AZIMUTH_STEP_DEG) % round(360 / AZIMUTH_STEP_DEG)


# --- the ray engine ---------------------------------------------------------------------------------


def test_ray_length_limits_occlusion() -> None:
    """Embree's ray length really bounds the query: a box 100 m away is missed by a 50 m ray."""
    scene = Scene.from_rings(box(100, -5, 110, 5, -5, 5))
    origins = np.zeros((3, 3))
    east = np.array([[1.0, 0.0, 0.0]] * 3)
    hit = scene.occluded(origins, east, 50.0)
    assert not hit.any()
    assert scene.occluded(origins, east, 150.0).all()
    assert not scene.occluded(origins, -east, 150.0).any()


def test_scene_keeps_precision_in_projected_coordinates() -> None:
    """Faces at UTM northings (~3.46e6 m, float32 step 0.25 m) still stop a ray 5 cm off them."""
    x0, y0 = prisms.X0, prisms.Y0
    scene = Scene.from_rings(box(x0, y0, x0 + 10, y0 + 10, 0, 10))
    up = np.array([[0.0, 0.0, 1.0]])
    assert scene.occluded(np.array([[x0 + 5, y0 + 5, 9.95]]), up, 1.0).all()
    assert not scene.occluded(np.array([[x0 + 5, y0 + 5, 10.05]]), up, 100.0).any()
    assert not scene.occluded(np.array([[x0 - 0.05, y0 + 5, 5.0]]), up, 100.0).any()


def test_scene_triangulates_holes_and_skips_degenerate_faces() -> None:
    """A roof with a courtyard hole lets a vertical ray through the hole; a zero-area face is skipped."""
    outer = np.array([(0, 0, 10), (30, 0, 10), (30, 30, 10), (0, 30, 10)], float)
    hole = np.array([(10, 10, 10), (10, 20, 10), (20, 20, 10), (20, 10, 10)], float)
    line = np.array([(0, 0, 0), (1, 0, 0), (2, 0, 0)], float)
    scene = Scene.from_rings([(outer, hole), line])
    assert scene.skipped == [1]
    up = np.array([[0.0, 0.0, 1.0]] * 2)
    hit = scene.occluded(np.array([[15.0, 15.0, 0.0], [5.0, 5.0, 0.0]]), up, 100.0)
    assert hit.tolist() == [False, True]


def test_scene_from_stock_holds_every_building_face() -> None:
    """The survey's test prisms: two boxes of 5 faces (roof, 4 walls), 2 triangles each."""
    stock = prisms.stock(
        prisms.prism("a", [(0, 0), (10, 0), (10, 10), (0, 10)], 10.0),
        prisms.prism("b", [(40, 0), (50, 0), (50, 10), (40, 10)], 30.0),
    )
    scene = Scene.from_stock(stock)
    assert scene.triangles == 2 * 5 * 2
    # from the middle of a's east wall, looking east: b is there
    origin = np.array([[prisms.X0 + 10.05, prisms.Y0 + 5.0, 5.0]])
    assert scene.occluded(origin, np.array([[1.0, 0.0, 0.0]]), 100.0).all()
    # a's own west wall stops a ray going west through a; from outside its west wall, nothing
    assert scene.occluded(origin, np.array([[-1.0, 0.0, 0.0]]), 100.0).all()
    west = np.array([[prisms.X0 - 0.05, prisms.Y0 + 5.0, 5.0]])
    assert not scene.occluded(west, np.array([[-1.0, 0.0, 0.0]]), 100.0).any()


# --- 3. sky view of an unobstructed tilted plane ---------------------------------------------------


@pytest.mark.parametrize("tilt", [0.0, 30.0, 60.0, 90.0])
@pytest.mark.parametrize("azimuth", [180.0, 97.0])
@pytest.mark.parametrize("with_scene", [False, True])
def test_sky_view_of_unobstructed_plane(tilt: float, azimuth: float, with_scene: bool) -> None:
    """(1 + cos β)/2 to 2e-3, from the plane alone (empty scene) or with the horizons computed."""
    b, g = math.radians(tilt), math.radians(azimuth)
    normal = [math.sin(b) * math.sin(g), math.sin(b) * math.cos(g), math.cos(b)]
    pts = point((0.0, 0.0, 20.0), normal)
    scene = Scene.from_rings(box(500, 500, 520, 520, 0, 10) if with_scene else [])
    h = horizons(scene, pts, radius_m=100.0)
    svf = sky_view_factor(h, tilt, azimuth)
    assert svf.shape == (1,)
    assert svf[0] == pytest.approx((1 + math.cos(b)) / 2, abs=2e-3)
    assert np.array_equal(h, plane_horizon(pts.normal).astype(np.float32))


def test_plane_horizon_of_a_wall_and_a_tilted_roof() -> None:
    """A south wall hides the north half (90) and nothing in front; a 30° south roof hides 30° north."""
    wall = plane_horizon(np.array([[0.0, -1.0, 0.0]]))[0]
    assert wall[bin_of(180)] == 0.0 and wall[bin_of(0)] == 90.0
    assert wall[bin_of(90)] == 0.0 and wall[bin_of(270)] == 0.0  # along the wall
    assert (wall[(azimuth_bins() > 90) & (azimuth_bins() < 270)] == 0.0).all()
    b = math.radians(30)
    roof = plane_horizon(np.array([[0.0, -math.sin(b), math.cos(b)]]))[0]
    assert roof[bin_of(0)] == pytest.approx(30.0) and roof[bin_of(180)] == 0.0
    # convergence: grid azimuth = true - convergence; a wall facing grid south faces true 180 + 3
    turned = plane_horizon(np.array([[0.0, -1.0, 0.0]]), convergence_deg=3.0)[0]
    assert turned[bin_of(92)] == 90.0 and turned[bin_of(94)] == 0.0


# --- 6. sampling ------------------------------------------------------------------------------------


def square(side: float, z: float = 0.0) -> Ring:
    return np.array([(0, 0, z), (side, 0, z), (side, side, z), (0, side, z)], float)


def test_sample_polygons_adapts_to_size_within_bounds() -> None:
    rings = [square(2.0), square(4.0), square(40.0), np.array([(0, 0, 0), (30, 0, 0), (30, 0.2, 0)], float)]
    pts = sample_polygons(rings, max_points=16, min_spacing_m=1.0)
    counts = np.bincount(pts.surface, minlength=4)
    assert counts[0] == 4  # 2 × 2 m at 1 m spacing
    assert counts[1] == 16 and counts[2] <= 16 and counts[2] >= 12
    assert counts[3] >= 1  # a sliver keeps one point
    assert (counts <= 16).all()
    for i, ring in enumerate(rings):
        own = pts.xyz[pts.surface == i]
        assert contains_xy(Polygon(ring[:, :2]).buffer(1e-9), own[:, 0], own[:, 1]).all()
    assert np.allclose(pts.xyz[:, 2], LIFT_M)  # lifted along the up normal
    assert np.allclose(pts.normal, [0.0, 0.0, 1.0])


def test_sample_polygons_normals_point_up_for_roofs_and_out_for_walls() -> None:
    clockwise_roof = square(10.0, 5.0)[::-1]
    b = math.radians(30)
    tilted = np.array(
        [
            (0, 0, 0),
            (10, 0, 0),
            (10, 10 * math.cos(b), 10 * math.sin(b)),
            (0, 10 * math.cos(b), 10 * math.sin(b)),
        ]
    )
    south_wall = np.array([(0, 0, 0), (10, 0, 0), (10, 0, 3), (0, 0, 3)], float)
    pts = sample_polygons([clockwise_roof, tilted, south_wall])
    first = [pts.normal[pts.surface == i][0] for i in range(3)]
    assert first[0] == pytest.approx([0, 0, 1])
    assert first[1] == pytest.approx([0, -math.sin(b), math.cos(b)])
    assert first[2] == pytest.approx([0, -1, 0])
    wall = pts.xyz[pts.surface == 2]
    assert np.allclose(wall[:, 1], -LIFT_M)


def test_sample_polygons_names_the_bad_polygon() -> None:
    with pytest.raises(ValueError, match="polygon 1"):
        sample_polygons([square(1.0), np.array([(0, 0, 0), (1, 0, 0), (2, 0, 0)], float)])


def test_sample_wall_bands_at_mid_height_along_the_width() -> None:
    pts = sample_wall_bands(
        np.array([(0.0, 0.0), (0.0, 0.0), (0.0, 0.0)]),
        np.array([(40.0, 0.0), (5.0, 0.0), (1.0, 0.0)]),
        np.array([0.0, 3.0, 6.0]),
        np.array([3.0, 6.0, 9.0]),
        np.array([(0.0, -1.0)] * 3),
        max_points=8,
        min_spacing_m=2.0,
    )
    counts = np.bincount(pts.surface)
    assert counts.tolist() == [8, 2, 1]  # 40 m: 8 × 5 m cells; 5 m: round(2.5) = 2; 1 m: one
    assert np.allclose(pts.xyz[pts.surface == 0, 0], np.arange(8) * 5 + 2.5)
    assert np.allclose(pts.xyz[:, 2], [1.5] * 8 + [4.5] * 2 + [7.5])
    assert np.allclose(pts.xyz[:, 1], -LIFT_M)
    assert np.allclose(pts.normal, [0.0, -1.0, 0.0])


def test_concat_offsets_surfaces() -> None:
    a = sample_polygons([square(2.0), square(1.0)])
    b = sample_polygons([square(3.0)])
    both = SamplePoints.concat([a, b])
    assert both.count == a.count + b.count
    assert sorted(set(both.surface.tolist())) == [0, 1, 2]
    assert (both.surface[a.count :] == 2).all()
