"""GeoJSON import collects every bad feature; export follows RFC 7946."""

from typing import Any

import shapely
from shapely.geometry import Point, Polygon, box, shape

from gis.geojson import feature, feature_collection, parse_feature_collection

ROOF = [
    [121.4700, 31.2300],
    [121.4703, 31.2300],
    [121.4703, 31.2302],
    [121.4700, 31.2302],
    [121.4700, 31.2300],
]


def fc(*geometries: Any) -> dict[str, Any]:
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "geometry": g, "properties": {"name": f"f{i}", "kind": "roof"}}
            for i, g in enumerate(geometries)
        ],
    }


def test_good_features_become_records_with_their_index_and_properties() -> None:
    doc = fc(
        {"type": "Polygon", "coordinates": [ROOF]},
        {"type": "MultiPolygon", "coordinates": [[ROOF]]},
        {"type": "Point", "coordinates": [121.47, 31.23]},
    )
    doc["features"][0]["id"] = "roof-1"
    doc["features"][1]["properties"] = None
    report = parse_feature_collection(doc)
    assert report.ok
    assert [r.index for r in report.features] == [0, 1, 2]
    assert report.features[0].properties == {"name": "f0", "kind": "roof"}
    assert report.features[0].id == "roof-1"
    assert report.features[1].properties == {}
    assert report.features[1].geometry.geom_type == "MultiPolygon"
    assert isinstance(report.features[2].geometry, Point)


def test_every_bad_feature_is_reported_not_just_the_first() -> None:
    swapped = [[lat, lon] for lon, lat in ROOF]
    doc = fc(
        {"type": "Polygon", "coordinates": [ROOF]},
        {"type": "Polygon", "coordinates": [swapped]},
        {"type": "LineString", "coordinates": ROOF},
        None,
        {"type": "Polygon", "coordinates": [ROOF[:2]]},
        {"type": "Point", "coordinates": [121.47]},
        {"type": "MultiPolygon", "coordinates": [[ROOF], [swapped]]},
    )
    doc["features"].append({"type": "Feature", "geometry": None, "properties": [1, 2]})
    doc["features"].append({"type": "Thing"})
    report = parse_feature_collection(doc)
    assert [r.index for r in report.features] == [0]
    by_index = {e.index: e for e in report.errors}
    assert sorted(by_index) == [1, 2, 3, 4, 5, 6, 7, 8]
    assert by_index[1].field == "geometry" and by_index[1].message.startswith("lonlat_swapped")
    assert "LineString" in by_index[2].message
    assert by_index[3].message == "the feature has no geometry"
    assert by_index[4].message.startswith("too_few_points")
    assert by_index[6].field == "geometry[1]"
    assert by_index[7].field == "properties"
    assert by_index[8].field == "type"


def test_strict_mode_and_boundary_are_applied_per_feature() -> None:
    unclosed = ROOF[:-1]
    report = parse_feature_collection(fc({"type": "Polygon", "coordinates": [unclosed]}), strict=True)
    assert report.errors[0].message.startswith("unclosed_ring")
    far = parse_feature_collection(
        fc({"type": "Polygon", "coordinates": [ROOF]}), boundary=box(121.5, 31.2, 121.6, 31.3)
    )
    assert far.errors[0].message.startswith("outside_boundary")


def test_holes_are_validated_and_kept() -> None:
    outer = [[121.470, 31.230], [121.471, 31.230], [121.471, 31.231], [121.470, 31.231]]
    hole = [[121.4702, 31.2302], [121.4704, 31.2302], [121.4704, 31.2304], [121.4702, 31.2304]]
    report = parse_feature_collection(fc({"type": "Polygon", "coordinates": [outer, hole]}))
    assert report.ok and len(report.features[0].geometry.interiors) == 1
    outside_hole = [[121.48, 31.23], [121.481, 31.23], [121.481, 31.231]]
    bad = parse_feature_collection(fc({"type": "Polygon", "coordinates": [outer, outside_hole]}))
    assert bad.errors[0].message.startswith("invalid_polygon")
    bad_hole = parse_feature_collection(fc({"type": "Polygon", "coordinates": [outer, [[121.47, 31.23]]]}))
    assert bad_hole.errors[0].field == "geometry.hole[0]"


def test_a_document_that_is_not_a_feature_collection() -> None:
    assert parse_feature_collection({"type": "Feature"}).errors[0].index == -1
    assert parse_feature_collection({"type": "FeatureCollection"}).errors[0].field == "features"
    assert parse_feature_collection([]).errors[0].field == "type"


def test_export_orients_exteriors_counter_clockwise_and_round_trips() -> None:
    clockwise = Polygon(ROOF[::-1], [[(121.4701, 31.2301), (121.4702, 31.2301), (121.4702, 31.2301001)]])
    assert not clockwise.exterior.is_ccw
    out = feature_collection([(clockwise, {"name": "A"}, 7), (Point(121.47, 31.23), {"name": "B"})])
    assert out["type"] == "FeatureCollection"
    first = out["features"][0]
    assert first["id"] == 7 and "id" not in out["features"][1]
    assert isinstance(first["geometry"]["coordinates"][0][0], list)
    written = shape(first["geometry"])
    assert written.exterior.is_ccw
    assert not written.interiors[0].is_ccw
    again = parse_feature_collection(out)
    assert again.ok
    assert shapely.equals(again.features[0].geometry, clockwise)
    assert feature(Point(121.123456789, 31.0), {})["geometry"]["coordinates"] == [121.1234568, 31.0]


def test_a_legacy_crs_member_other_than_wgs84_is_refused() -> None:
    doc = fc({"type": "Polygon", "coordinates": [ROOF]})
    doc["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}
    assert parse_feature_collection(doc).ok
    doc["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4547"}}
    report = parse_feature_collection(doc)
    assert [(e.index, e.field) for e in report.errors] == [(-1, "crs")]
