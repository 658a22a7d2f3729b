"""CityJSON LoD2 import: roofs and walls with tilt, azimuth and true area, on synthetic and real data."""

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from gis.cityjson import CityJSONError, ParseReport, is_north_facing, parse_cityjson, select_geometry

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "cityjson"

# A 10 × 10 × 6 m box in Zürich (LV95, EPSG:2056), vertices in millimetres (transform scale 0.001).
CORNERS = [(0, 0, 0), (10, 0, 0), (10, 10, 0), (0, 10, 0), (0, 0, 6), (10, 0, 6), (10, 10, 6), (0, 10, 6)]
FACES = [[0, 3, 2, 1], [4, 5, 6, 7], [0, 1, 5, 4], [1, 2, 6, 5], [2, 3, 7, 6], [3, 0, 4, 7]]
SEMANTICS = [0, 1, 2, 2, 2, 2]  # ground, roof, south, east, north, west walls


def box_geometry(
    kind: str = "Solid", faces: list[list[int]] | None = None, lod: str = "2.2"
) -> dict[str, Any]:
    rings = [[face] for face in (faces or FACES)]
    boundaries: Any = {
        "MultiSurface": rings,
        "CompositeSurface": rings,
        "Solid": [rings],
        "MultiSolid": [[rings]],
    }
    values: Any = {
        "MultiSurface": SEMANTICS,
        "CompositeSurface": SEMANTICS,
        "Solid": [SEMANTICS],
        "MultiSolid": [[SEMANTICS]],
    }
    return {
        "type": kind,
        "lod": lod,
        "boundaries": boundaries[kind],
        "semantics": {
            "surfaces": [{"type": "GroundSurface"}, {"type": "RoofSurface"}, {"type": "WallSurface"}],
            "values": values[kind],
        },
    }


def document(geometry: dict[str, Any], *, version: str = "2.0", crs: bool = True) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "type": "CityJSON",
        "version": version,
        "transform": {"scale": [0.001, 0.001, 0.001], "translate": [2683000.0, 1248000.0, 400.0]},
        "CityObjects": {
            "house": {"type": "Building", "attributes": {"name": "Haus"}, "geometry": [geometry]}
        },
        "vertices": [[x * 1000, y * 1000, z * 1000] for x, y, z in CORNERS],
    }
    if crs:
        doc["metadata"] = {"referenceSystem": "https://www.opengis.net/def/crs/EPSG/0/2056"}
    return doc


@pytest.mark.parametrize("kind", ["MultiSurface", "CompositeSurface", "Solid", "MultiSolid"])
def test_a_box_house_gives_one_flat_roof_and_four_walls(kind: str) -> None:
    report = parse_cityjson(document(box_geometry(kind)))
    assert report.errors == [] and report.epsg == 2056
    (house,) = report.buildings
    assert house.id == "house" and house.attributes == {"name": "Haus"}
    assert house.centroid == pytest.approx((8.54, 47.37), abs=0.01)
    roofs = [s for s in house.surfaces if s.kind == "roof"]
    walls = [s for s in house.surfaces if s.kind == "curtain_wall"]
    assert len(roofs) == 1 and len(walls) == 4
    assert (roofs[0].surface_tilt, roofs[0].surface_azimuth) == (0.0, 180.0)
    assert roofs[0].area_m2 == pytest.approx(100.0)
    assert roofs[0].height_m == pytest.approx(406.0)
    assert len(roofs[0].outline) == 4
    # LV95 grid north is about 0.8° east of true north in Zürich
    assert [w.surface_azimuth for w in walls] == pytest.approx([180, 90, 0, 270], abs=1.5)
    assert all(w.surface_tilt == pytest.approx(90.0) and w.area_m2 == pytest.approx(60.0) for w in walls)
    assert [(s.reason, s.count) for s in report.skipped] == [("not a roof or wall (GroundSurface)", 1)]


def test_small_faces_and_north_walls_are_skipped_and_counted() -> None:
    report = parse_cityjson(document(box_geometry()), min_area_m2=70.0)
    assert [s.kind for s in report.buildings[0].surfaces] == ["roof"]
    assert ("house", "area below 70 m²", 4) in [(s.object_id, s.reason, s.count) for s in report.skipped]
    north = parse_cityjson(document(box_geometry()), skip_north_walls=True)
    assert len(north.buildings[0].surfaces) == 4
    assert ("north-facing wall", 1) in [(s.reason, s.count) for s in north.skipped]
    assert is_north_facing(350.0) and is_north_facing(30.0) and not is_north_facing(90.0)


def test_without_a_reference_system_the_crs_must_be_given() -> None:
    with pytest.raises(CityJSONError, match="--crs EPSG:"):
        parse_cityjson(document(box_geometry(), crs=False))
    report = parse_cityjson(document(box_geometry(), crs=False), crs="EPSG:2056")
    assert report.epsg == 2056
    overridden = parse_cityjson(document(box_geometry()), crs="urn:ogc:def:crs:EPSG::2056")
    assert overridden.buildings[0].centroid == report.buildings[0].centroid


def test_whole_file_problems_raise_clear_errors() -> None:
    with pytest.raises(CityJSONError, match="not a CityJSON"):
        parse_cityjson({"type": "FeatureCollection"})
    with pytest.raises(CityJSONError, match="version"):
        parse_cityjson(document(box_geometry(), version="0.9"))
    empty = document(box_geometry())
    empty["vertices"] = []
    with pytest.raises(CityJSONError, match="no vertices"):
        parse_cityjson(empty)
    with pytest.raises(CityJSONError, match="unknown referenceSystem"):
        bad = document(box_geometry())
        bad["metadata"]["referenceSystem"] = "LV95"
        parse_cityjson(bad)


def test_a_dangling_vertex_index_is_an_error_naming_the_object() -> None:
    faces = [list(f) for f in FACES]
    faces[2] = [0, 1, 99, 4]
    report = parse_cityjson(document(box_geometry(faces=faces)))
    assert [(e.object_id, e.field) for e in report.errors] == [("house", "geometry")]
    assert "vertex that does not exist" in report.errors[0].message
    assert len(report.buildings[0].surfaces) == 4


def test_unsupported_geometry_is_an_error_for_that_object() -> None:
    geometry = box_geometry()
    geometry["type"] = "MultiLineString"
    report = parse_cityjson(document(geometry))
    assert report.errors[0].object_id == "house" and "MultiLineString" in report.errors[0].message


def test_building_parts_add_their_surfaces_to_the_parent_site() -> None:
    doc = document(box_geometry())
    doc["CityObjects"] = {
        "site": {"type": "Building", "attributes": {}, "children": ["wing"]},
        "wing": {"type": "BuildingPart", "parents": ["site"], "geometry": [box_geometry()]},
    }
    report = parse_cityjson(doc)
    (site,) = report.buildings
    assert site.id == "site" and site.parts == ["wing"]
    assert {s.object_id for s in site.surfaces} == {"wing"} and len(site.surfaces) == 5


def test_the_highest_lod2_geometry_is_used() -> None:
    geometries = [{"type": "MultiSurface", "lod": lod} for lod in ("1", "2", "2.2", "3")]
    assert select_geometry(geometries) == geometries[2]  # type: ignore[arg-type]
    assert select_geometry([geometries[0], geometries[3]]) == geometries[3]
    assert select_geometry([{"type": "GeometryInstance"}]) is None


def load(name: str, crs: str | None = None) -> ParseReport:
    path = DATA / name
    if not path.exists():
        pytest.skip(f"sample data {path} is not available")
    return parse_cityjson(json.loads(path.read_text(encoding="utf-8")), crs=crs)


def surfaces_of(report: ParseReport, kind: str) -> list[Any]:
    return [s for b in report.buildings for s in b.surfaces if s.kind == kind]


def test_zurich_lod2_subset() -> None:
    report = load("zurich_subset_lod2.json")
    assert report.epsg == 2056 and report.errors == []
    assert len(report.buildings) == 49
    assert sum(len(b.parts) for b in report.buildings) == 161
    roofs, walls = surfaces_of(report, "roof"), surfaces_of(report, "curtain_wall")
    tilts = np.array([r.surface_tilt for r in roofs])
    assert len(roofs) > 300 and len(walls) > 1000
    assert tilts.min() >= 0 and tilts.max() < 90
    assert np.percentile(tilts, 90) <= 60  # Zürich has a few steep mansard faces
    assert all(89.5 < w.surface_tilt < 90.5 for w in walls)
    assert all(s.area_m2 >= 1.0 for s in roofs + walls)
    lon = np.array([b.centroid[0] for b in report.buildings])
    lat = np.array([b.centroid[1] for b in report.buildings])
    assert np.all(np.abs(lon - 8.5) < 0.2) and np.all(np.abs(lat - 47.4) < 0.1)
    skipped = {s.reason: 0 for s in report.skipped}
    for s in report.skipped:
        skipped[s.reason] += s.count
    # every semantic face is accounted for: 644 roof + 1340 wall + 55 ground
    assert len(roofs) + len(walls) + sum(skipped.values()) == 644 + 1340 + 55
    assert skipped["not a roof or wall (GroundSurface)"] == 55


def test_den_haag_solids_need_a_crs_and_give_roofs_and_walls() -> None:
    with pytest.raises(CityJSONError, match="--crs EPSG:"):
        load("DH_01_subs.city.json")
    report = load("DH_01_subs.city.json", crs="EPSG:7415")
    assert report.errors == [] and len(report.buildings) == 4
    assert sum(len(b.parts) for b in report.buildings) == 8
    roofs, walls = surfaces_of(report, "roof"), surfaces_of(report, "curtain_wall")
    assert roofs and walls
    assert all(0 <= r.surface_tilt < 60 for r in roofs)
    assert all(abs(w.surface_tilt - 90) < 0.5 for w in walls)
    for b in report.buildings:
        assert b.centroid == pytest.approx((4.27, 52.10), abs=0.05)


def test_rotterdam_cityjson_2() -> None:
    report = load("rotterdam_subset.json", crs="EPSG:7415")
    assert report.errors == [] and len(report.buildings) == 16
    roofs = surfaces_of(report, "roof")
    assert len(roofs) >= 16
    assert all(0 <= r.surface_tilt < 60 and r.area_m2 > 0 for r in roofs)
    assert all(b.centroid == pytest.approx((4.46, 51.91), abs=0.05) for b in report.buildings)


def test_a_negative_vertex_index_is_an_error_too() -> None:
    faces = [list(f) for f in FACES]
    faces[1] = [4, 5, -1, 7]
    report = parse_cityjson(document(box_geometry(faces=faces)))
    assert [(e.object_id, e.field) for e in report.errors] == [("house", "geometry")]
    assert [s.kind for s in report.buildings[0].surfaces] == ["curtain_wall"] * 4
