"""Gross and usable areas in m²."""

import pytest
from shapely.geometry import Polygon, box

from gis.area import DEFAULT_SETBACK_M, gross_area_m2, usable_area_m2, usable_geometry_m
from gis.crs import local_projection

PROJECTION = local_projection(121.47, 31.23)


def metric_box(x0: float, y0: float, width: float, depth: float) -> Polygon:
    """A lon/lat polygon that is exactly width × depth metres in UTM 51N."""
    return PROJECTION.inverse(box(x0, y0, x0 + width, y0 + depth))


ROOF = metric_box(351_000, 3_456_000, 20.0, 10.0)


def test_gross_area_of_a_20_by_10_m_roof() -> None:
    assert gross_area_m2(ROOF) == pytest.approx(200.0, rel=1e-6)


def test_setback_shrinks_every_edge() -> None:
    assert usable_area_m2(ROOF, setback_m=1.0) == pytest.approx(18 * 8, rel=1e-6)


def test_obstacles_are_subtracted_once_even_when_they_overlap() -> None:
    plant_room = metric_box(351_002, 3_456_002, 4.0, 4.0)
    overlapping = metric_box(351_004, 3_456_002, 4.0, 4.0)
    area = usable_area_m2(ROOF, setback_m=1.0, obstacles=[plant_room, overlapping])
    assert area == pytest.approx(144 - 16 - 8, rel=1e-5)


def test_usable_area_is_never_negative() -> None:
    assert usable_area_m2(ROOF, setback_m=6.0) == 0.0
    assert usable_area_m2(ROOF, obstacles=[metric_box(350_990, 3_455_990, 50.0, 50.0)]) == 0.0


def test_a_negative_setback_is_refused() -> None:
    with pytest.raises(ValueError, match="setback_m"):
        usable_geometry_m(ROOF, setback_m=-1.0)


def test_default_setbacks_cover_every_kind() -> None:
    assert set(DEFAULT_SETBACK_M) == {"roof", "curtain_wall", "corridor", "walkway"}
    assert all(v >= 0 for v in DEFAULT_SETBACK_M.values())
