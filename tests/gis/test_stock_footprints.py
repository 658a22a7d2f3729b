"""Footprints with OpenStreetMap-style properties (GeoJSON, CSV) become the building stock."""

from __future__ import annotations

import csv
import io
from typing import Any

import numpy as np
import pytest
import shapely
from pyproj import Geod
from shapely.geometry import Polygon, shape

from gis.chinese_crs import wgs84_to_gcj02
from gis.crs import local_projection
from gis.plane import plane_of, polygon_centroid
from gis.stock import DEFAULT_STOREY_HEIGHT_M, Stock, StockError
from gis.stock_footprints import read_csv_stock, read_geojson_stock
from gis.stock_frames import utm_frame

GEOD = Geod(ellps="WGS84")


def square(lon: float, lat: float, size: float = 0.0003) -> list[list[float]]:
    """A closed lon/lat square ring, counter-clockwise (about 28 m × 33 m in Shanghai)."""
    return [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]


def feature(props: dict[str, Any], ring: list[list[Any]] | None = None, **extra: Any) -> dict[str, Any]:
    geometry = {"type": "Polygon", "coordinates": [ring or square(121.48, 31.23)]}
    return {"type": "Feature", "properties": props, "geometry": geometry, **extra}


def collection(*features: dict[str, Any]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features)}


def by_id(stock: Stock) -> dict[str, Any]:
    return {b.id: b for b in stock.buildings}


# --- properties ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "metres"), [("45 m", 45.0), ("45", 45.0), ("45.5m", 45.5), (45, 45.0)])
def test_height_is_read_in_metres_from_numbers_and_text(value: Any, metres: float) -> None:
    stock = read_geojson_stock(collection(feature({"building": "office", "height": value}, id="t")))
    assert not stock.problems
    (building,) = stock.buildings
    assert building.height_m == metres
    assert building.attributes["height_source"] == "height"
    assert building.use == "office"


def test_levels_give_the_height_with_the_documented_storey_height_and_say_so() -> None:
    stock = read_geojson_stock(
        collection(
            feature({"building": "residential", "building:levels": "12"}, id="a"),
            feature({"building": "yes", "building:levels": 4, "roof:height": "2.5"}, id="b"),
        )
    )
    a, b = by_id(stock)["a"], by_id(stock)["b"]
    assert a.height_m == pytest.approx(12 * DEFAULT_STOREY_HEIGHT_M)
    assert a.storeys == 12
    assert a.attributes["height_source"] == "levels"
    assert b.height_m == pytest.approx(4 * DEFAULT_STOREY_HEIGHT_M + 2.5)
    assert b.use is None  # building=yes says nothing about the use
    assert b.roof_height_m == 2.5


def test_min_height_and_min_level_lift_the_walls() -> None:
    stock = read_geojson_stock(
        collection(
            feature({"building": "yes", "height": 20, "min_height": "5 m"}, id="a"),
            feature({"building": "yes", "height": 20, "building:min_level": 2}, id="b"),
        )
    )
    a, b = by_id(stock)["a"], by_id(stock)["b"]
    assert a.min_height_m == 5.0
    assert b.min_height_m == 2 * DEFAULT_STOREY_HEIGHT_M
    wall = a.faces[1].rings[0]
    assert sorted(set(wall[:, 2])) == [5.0, 20.0]


def test_name_address_subdistrict_and_roof_shape_are_kept() -> None:
    props = {
        "building": "commercial",
        "height": 30,
        "name": "外滩中心",
        "addr:city": "上海市",
        "addr:district": "黄浦区",
        "addr:street": "南京东路",
        "addr:housenumber": "100号",
        "subdistrict": "外滩街道",
        "roof:shape": "flat",
    }
    (building,) = read_geojson_stock(collection(feature(props, id="c"))).buildings
    assert building.name == "外滩中心"
    assert building.address == "上海市 黄浦区 南京东路 100号"
    assert building.attributes["subdistrict"] == "外滩街道"
    assert building.roof_shape == "flat"
    full = read_geojson_stock(
        collection(feature({**props, "addr:full": "上海市黄浦区南京东路100号"}, id="d"))
    )
    assert full.buildings[0].address == "上海市黄浦区南京东路100号"


def test_a_building_with_neither_height_nor_levels_is_kept_without_faces_and_with_a_note() -> None:
    stock = read_geojson_stock(collection(feature({"building": "yes", "name": "老厂房"}, id="x")))
    (building,) = stock.buildings
    assert building.footprint is not None and building.footprint.area > 0
    assert building.faces == []
    assert building.height_m is None
    assert building.note is not None and "height" in building.note
    assert not stock.problems


def test_features_that_are_not_buildings_are_skipped_with_a_reason() -> None:
    line = {"type": "LineString", "coordinates": [[121.48, 31.23], [121.49, 31.23]]}
    doc = collection(
        feature({"highway": "primary"}),
        feature({"building": "no"}),
        feature({"bridge": "yes", "layer": 1}),
        feature({"man_made": "bridge", "building": "yes"}),
        feature({"landuse": "grass"}),
        {"type": "Feature", "properties": {"building": "yes", "height": 9}, "geometry": line},
        {
            "type": "Feature",
            "properties": {"building": "yes"},
            "geometry": {"type": "Point", "coordinates": [121, 31]},
        },
        feature({"building": "yes", "height": 9}, id="kept"),
    )
    stock = read_geojson_stock(doc)
    assert [b.id for b in stock.buildings] == ["kept"]
    reasons = {int(s.source.feature or 0): s.reason for s in stock.skipped}
    assert sorted(reasons) == [0, 1, 2, 3, 4, 5, 6]
    assert "highway=primary" in reasons[0]
    assert "building=no" in reasons[1]
    assert "bridge" in reasons[2] and "bridge" in reasons[3]
    assert "not a building" in reasons[4]
    assert "LineString" in reasons[5] and "Point" in reasons[6]
    assert not stock.problems


@pytest.mark.parametrize(
    ("props", "field", "words"),
    [
        ({"building": "yes", "height": -3}, "height", "negative"),
        ({"building": "yes", "height": "tall"}, "height", "not a height"),
        ({"building": "yes", "height": "150'"}, "height", "feet"),
        ({"building": "yes", "building:levels": "many"}, "building:levels", "not a number"),
        ({"building": "yes", "height": 10, "min_height": 12}, "min_height", "not below its top"),
    ],
)
def test_bad_values_are_problems_naming_the_feature_and_the_property(
    props: dict[str, Any], field: str, words: str
) -> None:
    doc = collection(
        feature({"building": "yes", "height": 5}, id="ok"), feature(props, square(121.49, 31.23))
    )
    stock = read_geojson_stock(doc)
    assert [(p.where, p.field) for p in stock.problems] == [("feature 1", field)]
    assert words in stock.problems[0].message
    assert [b.id for b in stock.buildings] == ["ok"]  # a row with a problem makes no building


def test_bad_geometry_and_duplicate_ids_are_problems() -> None:
    bow_tie = [[121.48, 31.23], [121.481, 31.231], [121.481, 31.23], [121.48, 31.231], [121.48, 31.23]]
    out_of_range = [[200.0, 31.23], [200.001, 31.23], [200.001, 31.231], [200.0, 31.23]]
    doc = collection(
        feature({"building": "yes", "height": 5}, bow_tie),
        feature({"building": "yes", "height": 5}, out_of_range),
        feature({"building": "yes", "height": 5}, id="same"),
        feature({"building": "yes", "height": 5}, square(121.49, 31.23), id="same"),
    )
    problems = {p.where: p for p in read_geojson_stock(doc).problems}
    assert set(problems) == {"feature 0", "feature 1", "feature 3"}
    assert problems["feature 0"].field == "geometry" and "crosses itself" in problems["feature 0"].message
    assert "200" in problems["feature 1"].message and "longitude/latitude" in problems["feature 1"].message
    assert problems["feature 3"].field == "id" and "feature 2" in problems["feature 3"].message


def test_ids_come_from_the_feature_or_its_properties_else_the_index() -> None:
    doc = collection(
        feature({"building": "yes"}, id="w1"),
        feature({"building": "yes", "@id": "way/2"}, square(121.49, 31.23)),
        feature({"building": "yes"}, square(121.50, 31.23)),
    )
    assert [b.id for b in read_geojson_stock(doc).buildings] == ["w1", "way/2", "2"]


def test_not_a_feature_collection_is_a_stock_error() -> None:
    with pytest.raises(StockError, match="FeatureCollection"):
        read_geojson_stock({"type": "Feature"})
    with pytest.raises(StockError, match="datum"):
        read_geojson_stock(collection(), datum="wgs72")


# --- building parts -----------------------------------------------------------------------------------


def test_a_part_naming_its_building_joins_it_and_gives_the_3d_shape() -> None:
    outline = square(121.48, 31.23, 0.0006)
    doc = collection(
        feature({"building": "office", "name": "Tower"}, outline, id="b1"),
        feature({"building:part": "yes", "building": "b1", "height": 80}, square(121.4801, 31.2301), id="p1"),
        feature(
            {"building:part": "yes", "building_id": "b1", "height": 20}, square(121.4804, 31.2301), id="p2"
        ),
        feature({"building:part": "yes", "height": 12}, square(121.50, 31.23), id="p3"),
    )
    stock = read_geojson_stock(doc)
    b1, p3 = by_id(stock)["b1"], by_id(stock)["p3"]
    assert set(by_id(stock)) == {"b1", "p3"}
    assert b1.parts == ["p1", "p2"]
    assert {f.object_id for f in b1.faces} == {"p1", "p2"}  # the outline is not extruded
    assert b1.height_m == 80 and b1.attributes["height_source"] == "parts"
    assert b1.part_sources["p2"].feature == 2
    assert p3.height_m == 12 and [f.object_id for f in p3.faces][:1] == ["p3"]


# --- faces ---------------------------------------------------------------------------------------------


def test_prism_faces_roof_first_then_outward_walls_by_edge() -> None:
    ring = square(121.48, 31.23)
    hole = [
        [121.4801, 31.2301],
        [121.4801, 31.2302],
        [121.4802, 31.2302],
        [121.4802, 31.2301],
        [121.4801, 31.2301],
    ]
    doc = collection(
        {
            "type": "Feature",
            "id": "h",
            "properties": {"building": "yes", "height": 24, "min_height": 4},
            "geometry": {"type": "Polygon", "coordinates": [list(reversed(ring)), hole]},
        }
    )
    stock = read_geojson_stock(doc)
    (building,) = stock.buildings
    roof, walls = building.faces[0], building.faces[1:]
    assert roof.kind == "roof" and roof.indices == (0,)
    assert len(walls) == 8 and [w.indices for w in walls] == [(k,) for k in range(1, 9)]
    assert all(w.kind == "wall" for w in walls)
    assert len(roof.rings) == 2 and np.all(roof.rings[0][:, 2] == 24)
    projection = local_projection(121.48, 31.23)
    metric = projection.forward(building.footprint)
    roof_plane = plane_of(roof.rings[0], roof.rings[1:])
    assert roof_plane.surface_tilt == pytest.approx(0.0)  # faces up although the ring was clockwise
    assert roof_plane.area_m2 == pytest.approx(metric.area, rel=1e-9)
    centre = np.array([metric.centroid.x, metric.centroid.y])
    hole_centre = np.mean(roof.rings[1][:, :2], axis=0)
    for k, wall in enumerate(walls):
        plane = plane_of(wall.rings[0])
        assert plane.surface_tilt == pytest.approx(90.0)
        middle = polygon_centroid(wall.rings[0])[:2]
        normal = np.array(plane.normal[:2])
        # exterior walls face away from the building's centre; the hole's walls face into the hole
        away = middle - centre if k < 4 else hole_centre - middle
        assert np.dot(normal, away) > 0
    wall_area = sum(plane_of(w.rings[0]).area_m2 for w in walls)
    assert wall_area == pytest.approx(metric.length * 20.0, rel=1e-9)


def test_a_multipolygon_has_a_roof_per_polygon_then_the_walls() -> None:
    geometry = {"type": "MultiPolygon", "coordinates": [[square(121.48, 31.23)], [square(121.481, 31.23)]]}
    doc = collection(
        {"type": "Feature", "id": "m", "properties": {"building": "yes", "height": 6}, "geometry": geometry}
    )
    (building,) = read_geojson_stock(doc).buildings
    assert [f.kind for f in building.faces] == ["roof", "roof"] + ["wall"] * 8
    assert building.footprint is not None and building.footprint.geom_type == "MultiPolygon"


# --- frame ---------------------------------------------------------------------------------------------


def test_the_frame_is_the_local_utm_zone_and_to_file_gives_lon_lat_z() -> None:
    stock = read_geojson_stock(collection(feature({"building": "yes", "height": 10}, id="a")))
    assert stock.frame.epsg == 32651  # Shanghai lies in UTM zone 51N
    roof = stock.buildings[0].faces[0].rings[0]
    lon, lat, z = stock.frame.to_file(roof[:, 0], roof[:, 1], roof[:, 2])
    corners = np.array(square(121.48, 31.23)[:4])
    assert np.allclose(np.column_stack([lon, lat]), corners, atol=1e-9)
    assert np.all(z == 10)


@pytest.mark.parametrize("lon", [121.5, 124.5])  # west and east of zone 51's central meridian (123°E)
def test_convergence_turns_a_grid_azimuth_into_a_true_one(lon: float) -> None:
    frame = utm_frame(lon, 31.2)
    projection = local_projection(lon, 31.2)
    x, y = projection.to_metric.transform(lon, 31.2)
    # the true bearing of a step towards grid north is grid azimuth 0 plus the convergence
    lon2, lat2 = projection.to_wgs84.transform(x, y + 100.0)
    bearing, _, _ = GEOD.inv(lon, 31.2, lon2, lat2)
    convergence = float(frame.convergence_deg(np.array([x]), np.array([y]))[0])
    assert convergence == pytest.approx(bearing, abs=1e-4)
    assert (convergence > 0) == (lon > 123.0)


# --- datums --------------------------------------------------------------------------------------------


def test_gcj02_footprints_land_within_a_metre_of_their_wgs84_position() -> None:
    ring = np.array(square(121.4737, 31.2304))
    gcj_lon, gcj_lat = wgs84_to_gcj02(ring[:, 0], ring[:, 1])
    shifted = np.column_stack([gcj_lon, gcj_lat]).tolist()
    wgs = read_geojson_stock(collection(feature({"building": "yes", "height": 10}, ring.tolist(), id="a")))
    gcj = read_geojson_stock(
        collection(feature({"building": "yes", "height": 10}, shifted, id="a")), datum="gcj02"
    )
    raw = read_geojson_stock(collection(feature({"building": "yes", "height": 10}, shifted, id="a")))
    a = shapely.get_coordinates(wgs.buildings[0].footprint)
    b = shapely.get_coordinates(gcj.buildings[0].footprint)
    c = shapely.get_coordinates(raw.buildings[0].footprint)
    _, _, metres = GEOD.inv(a[:, 0], a[:, 1], b[:, 0], b[:, 1])
    assert np.max(metres) < 1.0
    _, _, unconverted = GEOD.inv(a[:, 0], a[:, 1], c[:, 0], c[:, 1])
    assert np.min(unconverted) > 100.0  # GCJ-02 shifts Shanghai by hundreds of metres


# --- CSV -----------------------------------------------------------------------------------------------

OSM = collection(
    feature(
        {"building": "residential", "building:levels": "6", "name": "一号楼"}, square(121.48, 31.23), id="1"
    ),
    feature(
        {
            "building": "office",
            "height": "45 m",
            "min_height": "3",
            "roof:shape": "flat",
            "addr:street": "中山东一路",
        },
        square(121.481, 31.23),
        id="2",
    ),
    feature({"building": "yes"}, square(121.482, 31.23), id="3"),
    feature({"highway": "service"}, square(121.483, 31.23), id="4"),
    {
        "type": "Feature",
        "id": "5",
        "properties": {"building": "school", "building:levels": 3, "roof:levels": 1},
        "geometry": {
            "type": "MultiPolygon",
            "coordinates": [[square(121.484, 31.23)], [square(121.485, 31.23)]],
        },
    },
)
COLUMNS = ["id", "building", "building:levels", "roof:levels", "height", "min_height", "roof:shape", "name",
           "addr:street", "highway", "wkt"]  # fmt: skip


def as_csv(doc: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for f in doc["features"]:
        values = {"id": f["id"], **f["properties"], "wkt": shape(f["geometry"]).wkt}
        writer.writerow([values.get(c, "") for c in COLUMNS])
    return out.getvalue()


def test_geojson_and_the_equivalent_csv_give_the_same_buildings() -> None:
    from_geojson = read_geojson_stock(OSM)
    from_csv = read_csv_stock(as_csv(OSM))
    assert not from_geojson.problems and not from_csv.problems
    assert from_csv.source_format == "csv"
    assert (
        [b.id for b in from_csv.buildings] == [b.id for b in from_geojson.buildings] == ["1", "2", "3", "5"]
    )
    for g, c in zip(from_geojson.buildings, from_csv.buildings, strict=True):
        assert c.source.feature == (g.source.feature or 0) + 2  # CSV lines: the header is line 1
        for name in ("height_m", "min_height_m", "storeys", "use", "name", "address", "roof_shape", "note"):
            assert getattr(c, name) == getattr(g, name), name
        assert c.footprint is not None and g.footprint is not None
        assert c.footprint.equals_exact(g.footprint, 1e-12)
        assert len(c.faces) == len(g.faces)
        for fc_, fg in zip(c.faces, g.faces, strict=True):
            assert (fc_.kind, fc_.indices) == (fg.kind, fg.indices)
            assert all(np.allclose(a, b) for a, b in zip(fc_.rings, fg.rings, strict=True))
    assert [s.source.feature for s in from_csv.skipped] == [5]
    assert from_geojson.buildings[3].height_m == pytest.approx(4 * DEFAULT_STOREY_HEIGHT_M)


def test_csv_problems_and_skips_name_the_line() -> None:
    text = (
        "id,building,height,wkt\n"
        f'a,yes,10,"{Polygon(square(121.48, 31.23)).wkt}"\n'
        'b,yes,-2,"POLYGON ((121.49 31.23, 121.491 31.23, 121.491 31.231, 121.49 31.23))"\n'
        "\n"
        "c,yes,10,POINT (121.5 31.2)\n"
        "d,yes,10,not wkt at all\n"
    )
    stock = read_csv_stock(text)
    assert [b.id for b in stock.buildings] == ["a"]
    assert stock.buildings[0].source.feature == 2
    assert [(p.where, p.field) for p in stock.problems] == [("line 3", "height"), ("line 6", "wkt")]
    assert [(s.source.feature, s.reason.split(":")[0]) for s in stock.skipped] == [(5, "Point")]


def test_csv_points_are_skipped_and_a_csv_without_geometry_columns_is_refused() -> None:
    stock = read_csv_stock("id,building,height,lon,lat\na,yes,10,121.48,31.23\n")
    assert stock.buildings == [] and "point" in stock.skipped[0].reason
    with pytest.raises(StockError, match="wkt"):
        read_csv_stock("id,building,height\na,yes,10\n")


def test_malformed_rings_are_problems_and_the_other_features_still_read() -> None:
    closed_3d = [[121.48, 31.23, 4.0], [121.4803, 31.23, 4.0], [121.4803, 31.2303, 4.0], [121.48, 31.23, 4.0]]
    unclosed = square(121.49, 31.23)[:-1]
    doc = collection(
        feature({"building": "yes", "height": 5}, closed_3d, id="z"),
        feature({"building": "yes", "height": 5}, unclosed, id="open"),
        feature({"building": "yes", "height": 5}, [[121.48, 31.23], ["121.5", 31.2], [121.49, 31.24]]),
        feature({"building": "yes", "height": 5}, [[121.48, 31.23], [121.49, 31.23], [121.48, 31.23]]),
        feature(
            {"building": "yes", "height": 5},
            [[121.48, 31.23, 1.0], [121.49, 31.23], [121.49, 31.24]],
            id="mix",
        ),
    )
    stock = read_geojson_stock(doc)
    assert [b.id for b in stock.buildings] == ["z", "open", "mix"]
    assert [(p.where, p.field) for p in stock.problems] == [
        ("feature 2", "geometry"),
        ("feature 3", "geometry"),
    ]
    assert "number pairs" in stock.problems[0].message
    assert "at least 3 corners" in stock.problems[1].message
    opened = by_id(stock)["open"]
    assert len(opened.faces) == 5  # the ring was closed: a roof and four walls
