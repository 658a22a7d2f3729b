"""Building shade geometry (gis.shading) against independent calculations (issue #19's "Done when").

Test geometry is built here from boxes and prisms as face rings, counter-clockwise seen from outside,
in a local metric frame (x east, y north, z up); the sun for the shadow-hours test comes from the
textbook formulas (Duffie & Beckman, Solar Engineering of Thermal Processes, 4th ed., §1.6), not pvlib.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from shapely import Polygon, contains_xy

import gis.shading as shading
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
from gis.stock import Face
from gis.stock_files import read_stock_file
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


# --- 1. a single wall facing a single tower ------------------------------------------------------------

LATITUDE = 31.2  # Shanghai


def sun_position(day: int, minutes: np.ndarray, latitude: float = LATITUDE) -> tuple[np.ndarray, np.ndarray]:
    """True azimuth and elevation (degrees) of the sun at solar time ``minutes`` after midnight.

    Cooper's declination δ = 23.45° sin(360° (284 + n) / 365), hour angle ω = 15° per hour from
    solar noon; sin h = sin φ sin δ + cos φ cos δ cos ω; the azimuth from the sun's east and north
    components, −cos δ sin ω and sin δ cos φ − cos δ sin φ cos ω (Duffie & Beckman §1.6).
    """
    d = math.radians(23.45 * math.sin(math.radians(360.0 * (284 + day) / 365.0)))
    w = np.radians(15.0 * (minutes / 60.0 - 12.0))
    f = math.radians(latitude)
    el = np.degrees(np.arcsin(math.sin(f) * math.sin(d) + math.cos(f) * math.cos(d) * np.cos(w)))
    east = -math.cos(d) * np.sin(w)
    north = math.sin(d) * math.cos(f) - math.cos(d) * math.sin(f) * np.cos(w)
    return np.degrees(np.arctan2(east, north)) % 360.0, el


def read_profile(profile: np.ndarray, azimuth: np.ndarray) -> np.ndarray:
    """The horizon between bin centres, read linearly (periodic in azimuth)."""
    centres = azimuth_bins()
    return np.interp(azimuth, np.r_[centres, 360.0], np.r_[profile, profile[0]])


@pytest.mark.parametrize(
    ("day", "height", "half_span_deg"),
    [
        # equinox: the sun's path and the tower's top edge are both great circles through the east and
        # west points, so the sun is behind a tall tower exactly while it is within the tower's width;
        # the width is chosen so the span's edges (180 ± 63°) fall on bin boundaries
        (80, 300.0, 63.0),
        # winter solstice: the sun climbs over a lower tower and back under it (elevation crossings)
        (355, 60.0, 63.43494882292201),
    ],
)
def test_wall_facing_a_tower_shadow_hours(day: int, height: float, half_span_deg: float) -> None:
    """A south wall, a box tower due south at D: the skyline's top is atan(H_rel / D) at 180°, the
    plane horizon (0) outside the tower's width, and the sun's minutes behind the tower computed in
    closed form agree with those the skyline gives to 2 minutes at each start and end."""
    d, z = 100.0, 10.0
    half_width = d * math.tan(math.radians(half_span_deg))
    scene = Scene.from_rings(box(-half_width, -d - 30.0, half_width, -d, 0.0, height))
    pts = point((0.0, 0.0, z), (0.0, -1.0, 0.0))
    h = horizons(scene, pts)[0]
    h_rel = height - z - LIFT_M
    dist = d - LIFT_M
    assert h[bin_of(180)] == pytest.approx(math.degrees(math.atan(h_rel / dist)), abs=0.5)
    az = azimuth_bins()
    inside = np.abs(az - 180.0) < half_span_deg - AZIMUTH_STEP_DEG / 2
    x = np.radians(az - 180.0)
    top = np.degrees(np.arctan(h_rel * np.cos(x) / dist))
    assert np.abs(h[inside] - top[inside]).max() <= 0.5
    in_front_outside = (az > 90) & (az < 270) & (np.abs(az - 180.0) > half_span_deg + AZIMUTH_STEP_DEG / 2)
    assert in_front_outside.sum() > 10 and (h[in_front_outside] == 0.0).all()
    assert (h[(az < 90) | (az > 270)] == 90.0).all()

    minutes = np.arange(0.0, 24 * 60)
    sun_az, sun_el = sun_position(day, minutes)
    off = np.radians(sun_az - 180.0)
    behind = (
        (sun_el > 0)
        & (np.cos(off) > 0)
        & (dist * np.abs(np.tan(off)) <= half_width)
        & (np.tan(np.radians(sun_el)) < h_rel * np.cos(off) / dist)
    )
    from_profile = (sun_el > 0) & (sun_el < read_profile(h, sun_az))
    changes = np.nonzero(np.diff(behind.astype(int)))[0] + 0.5
    assert len(changes) >= 2 and behind.sum() > 120
    wrong = np.nonzero(behind != from_profile)[0]
    assert all(np.abs(changes - m).min() <= 2.0 for m in wrong), (changes, wrong)


def test_horizon_azimuths_follow_the_meridian_convergence() -> None:
    """A narrow tower due grid south, at 3° convergence, stands at true azimuth 183."""
    scene = Scene.from_rings(box(-2.0, -60.0, 2.0, -50.0, 0.0, 50.0))
    pts = point((0.0, 0.0, 0.0), (0.0, 0.0, 1.0))
    plain = horizons(scene, pts)[0]
    turned = horizons(scene, pts, convergence_deg=np.array([3.0]))[0]
    # the tower spans grid azimuths 180 ± 2.29° (2 m at 50 m): bin centres 178–182, true 181–185
    assert np.nonzero(plain)[0].tolist() == [bin_of(178), bin_of(180), bin_of(182)]
    assert np.nonzero(turned)[0].tolist() == [bin_of(182), bin_of(184)]
    assert turned[bin_of(184)] == pytest.approx(plain[bin_of(180)], abs=0.5)


# --- 2. a south roof with a parapet ----------------------------------------------------------------


def test_flat_roof_with_parapet() -> None:
    """A 20 × 20 m roof at 10 m inside a 1.1 m parapet (the walls run up to 11.1 m): 0.5 m from the
    south parapet the skyline south is atan(1.05 / 0.5) (the point sits LIFT_M = 5 cm above the roof;
    atan(1.1 / 0.5) = 65.6° at the roof itself), in the middle atan(1.05 / 10)."""
    faces = box(0.0, 0.0, 20.0, 20.0, 0.0, 11.1)
    roof = np.array([(0, 0, 10), (20, 0, 10), (20, 20, 10), (0, 20, 10)], float)
    scene = Scene.from_rings([roof, *faces[2:]])  # the walls, and the roof 1.1 m below their top
    pts = SamplePoints.concat([point((10.0, 0.5, 10.0), (0, 0, 1)), point((10.0, 10.0, 10.0), (0, 0, 1))])
    h = horizons(scene, pts, resolution_deg=0.5)
    rise = 1.1 - LIFT_M
    assert h[0, bin_of(180)] == pytest.approx(math.degrees(math.atan(rise / 0.5)), abs=0.25)
    assert h[0, bin_of(180)] == pytest.approx(65.6, abs=1.5)
    assert h[0, bin_of(0)] == pytest.approx(math.degrees(math.atan(rise / 19.5)), abs=0.25)
    assert h[1, bin_of(180)] == pytest.approx(math.degrees(math.atan(rise / 10.0)), abs=0.25)
    assert h[1, bin_of(45)] == pytest.approx(math.degrees(math.atan(rise / (10.0 * math.sqrt(2)))), abs=0.25)
    assert h[1, bin_of(180)] == pytest.approx(6.3, abs=0.5)


# --- 4. the floor of a square courtyard ------------------------------------------------------------


def parallel_rectangle_view_factor(a: float, b: float, c: float) -> float:
    """View factor from a differential planar element to a parallel a × b rectangle at height c with
    a corner above the element (Howell's catalogue, case B-3): X = a/c, Y = b/c,
    F = 1/(2π) [X/√(1+X²) atan(Y/√(1+X²)) + Y/√(1+Y²) atan(X/√(1+Y²))]."""
    x, y = a / c, b / c
    return (
        x / math.sqrt(1 + x * x) * math.atan(y / math.sqrt(1 + x * x))
        + y / math.sqrt(1 + y * y) * math.atan(x / math.sqrt(1 + y * y))
    ) / (2 * math.pi)


@pytest.mark.parametrize(("side", "height"), [(20.0, 10.0), (12.0, 30.0), (60.0, 9.0)])
def test_courtyard_floor_sky_view(side: float, height: float) -> None:
    """The sky seen from the centre of a square courtyard's floor is its opening: four corner
    rectangles (side/2)² at the walls' height above the (lifted) point; agreement within 1 %."""
    s = side / 2
    ring = box(-s - 10, -s - 10, s + 10, s + 10, 0.0, height)  # an outer block, around the hole
    court = box(-s, -s, s, s, 0.0, height)
    inner_walls = [w[::-1] for w in court[2:]]  # facing into the courtyard
    scene = Scene.from_rings([*ring[2:], *inner_walls])
    pts = point((0.0, 0.0, 0.0), (0.0, 0.0, 1.0))
    svf = sky_view_factor(horizons(scene, pts), 0.0, 0.0)[0]
    expected = 4 * parallel_rectangle_view_factor(s, s, height - LIFT_M)
    assert svf == pytest.approx(expected, rel=0.01)
    assert svf < 0.99 * (1 + math.cos(0)) / 2


# --- 5. a building's own wing shades its wall -------------------------------------------------------


L_FOOTPRINT = [(0.0, 0.0), (30.0, 0.0), (30.0, 10.0), (10.0, 10.0), (10.0, 30.0), (0.0, 30.0)]


def test_own_wing_shades_inner_wall() -> None:
    """An L-shaped building, 20 m high: the east-facing inner wall of its north arm (x = 10, y 10–30)
    sees the east arm to the south-east; the same wall of the north arm alone sees open sky."""
    faces = prism(L_FOOTPRINT, 0.0, 20.0)
    inner = faces[2 + 3]  # the wall of footprint edge (10, 10) → (10, 30): faces east
    pts = sample_polygons([inner], max_points=8, min_spacing_m=2.0)
    assert np.allclose(pts.normal, [1.0, 0.0, 0.0])
    with_wing = horizons(Scene.from_rings(faces), pts)
    alone = horizons(Scene.from_rings(box(0.0, 0.0, 10.0, 30.0, 0.0, 20.0)), pts)
    plane = plane_horizon(pts.normal).astype(np.float32)
    assert np.array_equal(alone, plane)
    k = bin_of(136)
    a = math.radians(136)
    for (x, y, z), row in zip(pts.xyz, with_wing, strict=True):
        reach = (y - 10.0) / -math.cos(a)  # horizontal distance to the wing's north wall (y = 10)
        if x + reach * math.sin(a) < 30.0:
            assert row[k] == pytest.approx(math.degrees(math.atan((20.0 - z) / reach)), abs=0.5)
    assert (with_wing[:, k] > plane[:, k] + 10).all()
    svf_wing = sky_view_factor(with_wing, 90.0, 90.0)
    svf_alone = sky_view_factor(alone, 90.0, 90.0)
    assert np.allclose(svf_alone, 0.5, atol=2e-3) and (svf_wing < svf_alone - 0.02).all()


# --- 7. the search radius ----------------------------------------------------------------------------


def test_tower_beyond_the_radius_does_not_count() -> None:
    scene = Scene.from_rings(box(-20.0, -230.0, 20.0, -200.0, 0.0, 150.0))
    pts = point((0.0, 0.0, 0.0), (0.0, 0.0, 1.0))
    near = horizons(scene, pts, radius_m=400.0)[0]
    far = horizons(scene, pts, radius_m=150.0)[0]
    assert near[bin_of(180)] == pytest.approx(math.degrees(math.atan(150.0 / 200.0)), abs=0.5)
    assert (far == 0.0).all()


def test_self_crossing_face_is_repaired_not_dropped() -> None:
    """A roof whose ring crosses itself (the last vertex pulled across the first edge) is repaired by
    GEOS and still blocks rays; a bow-tie with equal lobes has no plane (zero area) and is skipped."""
    crossing = np.array([(0, 0, 10), (10, 0, 10), (10, 10, 10), (0, 10, 10), (5, -2, 10)], float)
    bowtie = np.array([(0, 0, 10), (10, 10, 10), (10, 0, 10), (0, 10, 10)], float)
    scene = Scene.from_rings([crossing, bowtie])
    assert scene.skipped == [1] and scene.triangles >= 3
    up = np.array([[0.0, 0.0, 1.0]] * 3)
    hit = scene.occluded(np.array([[5.0, 5.0, 0.0], [2.0, 8.0, 0.0], [20.0, 5.0, 0.0]]), up, 100.0)
    assert hit.tolist() == [True, True, False]


def test_threads_give_the_same_horizons_as_one() -> None:
    """Blocks of points run in threads; the result does not depend on how many."""
    faces = [f for i in range(6) for f in box(30.0 * i, 40.0, 30.0 * i + 12.0, 55.0, 0.0, 20.0 + 15.0 * i)]
    band = sample_wall_bands(
        np.array([(0.0, 0.0)] * 8),
        np.array([(160.0, 0.0)] * 8),
        np.arange(8, dtype=np.float64) * 3.0,
        np.arange(1, 9, dtype=np.float64) * 3.0,
        np.array([(0.0, 1.0)] * 8),
    )
    # the block size is a module constant: made small to get many blocks
    saved = shading.CHUNK_RAYS
    try:
        shading.CHUNK_RAYS = 500
        told: list[float] = []
        one = horizons(Scene.from_rings(faces), band, workers=1)
        two = horizons(Scene.from_rings(faces), band, workers=2, progress=told.append)
    finally:
        shading.CHUNK_RAYS = saved
    assert np.array_equal(one, two)
    assert len(told) > 1 and told == sorted(told) and told[-1] == 1.0  # told after each block, in order
    assert (one > plane_horizon(band.normal) + 5).any()


def test_step_must_divide_the_circle() -> None:
    with pytest.raises(ValueError, match="step_deg: 7"):
        plane_horizon(np.array([[0.0, 0.0, 1.0]]), step_deg=7.0)
    assert len(azimuth_bins(1.0)) == 360


def test_ground_faces_are_not_in_the_scene_and_no_points_is_no_work() -> None:
    """A stock's ground faces hide nothing (a point just above one sees the whole sky); an empty
    sampling gives an empty (0, A) horizon."""
    building = prisms.prism("a", [(0, 0), (10, 0), (10, 10), (0, 10)], 10.0)
    corners = [(-50, -50), (50, -50), (50, 50), (-50, 50)]
    ground = np.array([(prisms.X0 + dx, prisms.Y0 + dy, 0.0) for dx, dy in corners])
    building.faces.append(Face(None, (9,), "ground", None, (ground,)))
    scene = Scene.from_stock(prisms.stock(building))
    assert scene.triangles == 5 * 2
    down = np.array([[0.0, 0.0, -1.0]])
    assert not scene.occluded(np.array([[prisms.X0 + 30.0, prisms.Y0, 1.0]]), down, 10.0).any()
    empty = horizons(scene, SamplePoints.concat([]))
    assert empty.shape == (0, round(360 / AZIMUTH_STEP_DEG)) and empty.dtype == np.float32


def test_sky_view_in_blocks_and_shape_checked() -> None:
    """Many points (more than one block of rows) get the same factor as one; a horizon of the wrong
    width is refused by name."""
    many = np.zeros((20_005, 180), dtype=np.float32)  # two blocks of rows
    many[:, :90] = 30.0  # hidden up to 30° at azimuths 0–178°
    svf = sky_view_factor(many, 20.0, 180.0)
    assert svf.shape == (20_005,) and np.all(svf == svf[0])
    assert svf[0] == pytest.approx(sky_view_factor(many[:1], 20.0, 180.0)[0])
    with pytest.raises(ValueError, match="horizon: shape"):
        sky_view_factor(np.zeros((3, 90)), 0.0, 180.0)


def test_sample_polygons_keeps_points_out_of_holes() -> None:
    """A 20 × 20 m roof with a 10 × 10 m hole in the middle (a dormer's, a skylight's): its points
    are all on the roof around the hole, their spacing from the roof's net area (300 m²)."""
    outer = square(20.0, 10.0)
    hole = np.array([(5, 5, 10), (5, 15, 10), (15, 15, 10), (15, 5, 10)], float)
    pts = sample_polygons([(outer, hole), outer], max_points=16)
    with_hole = pts.xyz[pts.surface == 0]
    inside_hole = (np.abs(with_hole[:, 0] - 10) < 5) & (np.abs(with_hole[:, 1] - 10) < 5)
    assert len(with_hole) >= 8 and not inside_hole.any()
    whole = pts.xyz[pts.surface == 1]
    assert ((np.abs(whole[:, 0] - 10) < 5) & (np.abs(whole[:, 1] - 10) < 5)).any()


# --- real LoD2 data ----------------------------------------------------------------------------------

ZURICH = Path("/work/shared/data/cityjson/zurich_subset_lod2.json")


@pytest.mark.skipif(not ZURICH.exists(), reason="the shared CityJSON samples (/work/shared/data) are absent")
def test_real_lod2_horizons_match_a_dense_scan() -> None:
    """Zurich LoD2 (dormers, eaves, gables; Swiss LV95, coordinates ~2.7e6 m): every face goes into
    the scene, and for random roof and wall points the bisected horizon is the top of the lowest
    hidden band that a scan every 0.25° of elevation finds, within 0.5°, for ≥ 99 % of the pairs."""
    stock = read_stock_file(ZURICH, name=ZURICH.name)
    scene = Scene.from_stock(stock)
    assert scene.skipped == [] and scene.triangles > 4000
    roofs = [f.rings for b in stock.buildings for f in b.faces if f.kind == "roof"]
    walls = [f.rings for b in stock.buildings for f in b.faces if f.kind == "wall"]
    rng = np.random.default_rng(7)
    for pts in (sample_polygons(roofs), sample_polygons(walls, max_points=8, min_spacing_m=2.0)):
        pick = np.sort(rng.choice(pts.count, 80, replace=False))
        pts = SamplePoints(pts.xyz[pick], pts.normal[pick], pts.surface[pick])
        h = horizons(scene, pts, radius_m=300.0)
        base = plane_horizon(pts.normal)
        assert (h >= base.astype(np.float32)).all()
        g = np.radians(azimuth_bins())
        lowest, seen_sky = base.copy(), base >= 89.5
        for e in np.arange(0.125, 90.0, 0.25):
            r = math.radians(e)
            d = np.column_stack([np.cos(r) * np.sin(g), np.cos(r) * np.cos(g), np.full(len(g), np.sin(r))])
            origins = np.repeat(pts.xyz, len(g), axis=0)
            hit = scene.occluded(origins, np.tile(d, (pts.count, 1)), 300.0).reshape(pts.count, len(g))
            above = e > base
            lowest = np.where(above & hit & ~seen_sky, e + 0.125, lowest)
            seen_sky |= above & ~hit
        assert np.mean(np.abs(h - lowest) <= 0.5) >= 0.99
        tilt = np.degrees(np.arccos(np.clip(pts.normal[:, 2], -1, 1)))
        azimuth = np.degrees(np.arctan2(pts.normal[:, 0], pts.normal[:, 1])) % 360
        svf = sky_view_factor(h, tilt, azimuth)
        assert (svf <= (1 + np.cos(np.radians(tilt))) / 2 + 1e-9).all() and (svf >= 0).all()


def test_horizons_refuse_points_embree_would_mishandle() -> None:
    scene = Scene.from_rings(box(10, 10, 20, 20, 0, 10))
    pts = SamplePoints.concat([point((0.0, 0.0, 0.0), (0, 0, 1)), point((1.0, 0.0, 0.0), (0, 0, 1))])
    broken = SamplePoints(pts.xyz.copy(), pts.normal, pts.surface)
    broken.xyz[1, 2] = np.nan
    with pytest.raises(ValueError, match="point 1: its position, normal or convergence is not finite"):
        horizons(scene, broken)
    with pytest.raises(ValueError, match="convergence_deg: 3 values for 2 points"):
        horizons(scene, pts, convergence_deg=np.zeros(3))
    with pytest.raises(ValueError, match="convergence_deg: nan"):
        horizons(scene, pts, convergence_deg=float("nan"))
