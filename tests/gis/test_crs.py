"""Choosing a metric CRS and moving geometries between it and WGS84."""

import pytest
from shapely.geometry import Point, Polygon

from gis.crs import (
    crs_from_reference,
    horizontal_crs,
    local_projection,
    parse_epsg,
    projection_for,
    transform_geometry,
    transformer_to_wgs84,
    utm_epsg,
)


def test_shanghai_is_measured_in_utm_zone_51n() -> None:
    assert utm_epsg(121.47, 31.23) == 32651
    assert local_projection(121.47, 31.23).crs.to_epsg() == 32651


def test_southern_hemisphere_and_zone_edges() -> None:
    assert utm_epsg(151.2, -33.9) == 32756
    assert utm_epsg(180.0, 0.0) == 32660
    assert utm_epsg(-180.0, 0.0) == 32601
    with pytest.raises(ValueError, match="no UTM zone"):
        utm_epsg(10.0, 85.0)


@pytest.mark.parametrize(
    "reference",
    [
        "https://www.opengis.net/def/crs/EPSG/0/2056",
        "http://www.opengis.net/def/crs/EPSG/0/2056",
        "urn:ogc:def:crs:EPSG::2056",
        "EPSG:2056",
        "epsg:2056",
        "2056",
        2056,
    ],
)
def test_epsg_references_in_every_form(reference: str | int) -> None:
    assert parse_epsg(reference) == 2056
    assert crs_from_reference(reference).to_epsg() == 2056


def test_an_unknown_reference_says_what_is_expected() -> None:
    with pytest.raises(ValueError, match="EPSG:2056"):
        parse_epsg("Amersfoort / RD New")


def test_compound_crs_gives_its_horizontal_part() -> None:
    assert horizontal_crs(crs_from_reference("urn:ogc:def:crs:EPSG::7415")).to_epsg() == 28992
    assert horizontal_crs(crs_from_reference(2056)).to_epsg() == 2056


def test_round_trip_through_the_local_projection_is_exact() -> None:
    square = Polygon([(121.47, 31.23), (121.471, 31.23), (121.471, 31.231), (121.47, 31.231)])
    projection = projection_for(square)
    metric = projection.forward(square)
    assert 9_000 < metric.area < 11_000  # ~95 m × ~111 m
    back = projection.inverse(metric)
    assert back.equals_exact(square, tolerance=1e-9)


def test_swiss_coordinates_land_in_zurich() -> None:
    point = transform_geometry(Point(2683000, 1248000), transformer_to_wgs84(2056))
    assert point.x == pytest.approx(8.54, abs=0.01)
    assert point.y == pytest.approx(47.37, abs=0.01)
