"""An owner who types or draws a bad outline is told what is wrong and where."""

import pytest
from shapely.geometry import Polygon, box

from gis.validate import close_ring, ring_to_polygon, validate_polygon, validate_ring

ROOF = [(121.4700, 31.2300), (121.4703, 31.2300), (121.4703, 31.2302), (121.4700, 31.2302)]
HUANGPU = box(121.45, 31.19, 121.51, 31.25)


def codes(ring: object, **kwargs: object) -> list[str]:
    return [issue.code for issue in validate_ring(ring, **kwargs)]  # type: ignore[arg-type]


def test_a_good_roof_has_no_issues() -> None:
    assert validate_ring(ROOF) == []
    assert validate_ring([*ROOF, ROOF[0]], strict=True, boundary=HUANGPU) == []


def test_an_unclosed_ring_is_closed_silently_unless_strict() -> None:
    assert codes(ROOF) == []
    issues = validate_ring(ROOF, strict=True)
    assert [i.code for i in issues] == ["unclosed_ring"]
    assert "repeat the first position" in issues[0].message
    assert close_ring(ROOF)[-1] == ROOF[0]
    assert ring_to_polygon(ROOF).is_valid


def test_a_self_intersection_is_located() -> None:
    bow_tie = [(121.4700, 31.2300), (121.4704, 31.2304), (121.4704, 31.2300), (121.4700, 31.2304)]
    issues = validate_ring(bow_tie)
    assert [i.code for i in issues] == ["self_intersection"]
    assert issues[0].location == pytest.approx((121.4702, 31.2302), abs=1e-9)
    assert "121.470200" in issues[0].message


def test_too_few_points() -> None:
    issues = validate_ring([(121.47, 31.23), (121.48, 31.23), (121.47, 31.23)])
    assert [i.code for i in issues] == ["too_few_points"]
    assert "at least 3" in issues[0].message


def test_zero_area_when_all_corners_are_on_one_line() -> None:
    assert codes([(121.47, 31.23), (121.48, 31.24), (121.49, 31.25)]) == ["zero_area"]


def test_lat_lon_swapped_is_detected_and_the_fix_given() -> None:
    swapped = [(lat, lon) for lon, lat in ROOF]
    issues = validate_ring(swapped)
    assert [i.code for i in issues] == ["lonlat_swapped"]
    assert "[121.47, 31.23]" in issues[0].message
    assert issues[0].location == (121.47, 31.23)


def test_outside_the_district_boundary_is_reported_only_when_a_boundary_is_given() -> None:
    pudong = [(121.60, 31.22), (121.601, 31.22), (121.601, 31.221), (121.60, 31.221)]
    assert codes(pudong) == []
    issues = validate_ring(pudong, boundary=HUANGPU, boundary_name="Huangpu")
    assert [i.code for i in issues] == ["outside_boundary"]
    assert "outside Huangpu" in issues[0].message
    assert issues[0].location is not None


def test_out_of_range_and_non_numeric_positions() -> None:
    assert codes([(190.0, 31.0), (121.0, 31.0), (121.0, 32.0)]) == ["out_of_range"]
    assert codes([(121.0, "31"), (121.0, 31.0), (121.1, 32.0)]) == ["non_numeric"]
    assert codes([(121.0, float("nan")), (121.0, 31.0), (121.1, 32.0)]) == ["non_numeric"]
    assert codes("121 31") == ["not_a_ring"]


def test_validate_polygon_checks_the_exterior() -> None:
    assert validate_polygon(Polygon(ROOF)) == []
    assert [i.code for i in validate_polygon(box(0, 0, 1, 1).exterior)] == ["not_a_ring"]
