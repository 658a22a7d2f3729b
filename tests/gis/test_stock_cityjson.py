"""CityJSON city models become the building stock: real samples (Delft LoD1, Zürich LoD2, Rotterdam,
Den Haag) and small hand-made documents."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from gis.cityjson import select_geometry, surfaces, transformed_vertices
from gis.crs import local_projection
from gis.plane import plane_of
from gis.stock import Stock, StockError
from gis.stock_cityjson import read_cityjson_stock

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "cityjson"
needs_data = pytest.mark.skipif(not DATA.is_dir(), reason=f"the shared CityJSON samples are not at {DATA}")


def load(name: str) -> dict[str, Any]:
    return dict(json.loads((DATA / name).read_text()))


@pytest.fixture(scope="module")
def delft() -> tuple[dict[str, Any], Stock]:
    """Delft's document and its stock, read once for the module (a few seconds on a busy machine)."""
    doc = load("delft.json")
    return doc, read_cityjson_stock(doc)


def surface_areas(doc: dict[str, Any], object_id: str) -> list[tuple[str | None, float]]:
    """Each surface's semantic type and true area, straight from the file (independent of the reader)."""
    vertices = transformed_vertices(doc)
    geometry = select_geometry(doc["CityObjects"][object_id]["geometry"])
    assert geometry is not None
    meta = (geometry.get("semantics") or {}).get("surfaces") or []
    out = []
    for rings, value in surfaces(geometry):
        semantic = meta[value]["type"] if isinstance(value, int) else None
        points = [vertices[np.asarray(r)] for r in rings]
        try:
            area = plane_of(points[0], points[1:]).area_m2
        except ValueError:
            area = 0.0
        out.append((semantic, area))
    return out


# --- real samples ------------------------------------------------------------------------------------


@needs_data
def test_delft_lod1_gives_160_buildings_with_roofs_and_walls_and_skips_the_rest(
    delft: tuple[dict[str, Any], Stock],
) -> None:
    _, stock = delft
    assert not stock.problems
    assert len(stock.buildings) == 160
    for building in stock.buildings:
        kinds = {face.kind for face in building.faces}
        assert {"roof", "wall"} <= kinds, building.id
        assert building.lod == "1"
        assert building.footprint is not None and building.footprint.area > 0
    reasons = Counter(s.reason for s in stock.skipped if not s.source.faces)
    assert reasons == {
        "Road: not a building": 143,
        "PlantCover: not a building": 126,
        "LandUse: not a building": 81,
        "GenericCityObject: not a building": 54,
        "WaterBody: not a building": 3,
        "bridge: not a candidate": 3,
    }
    assert stock.frame.source_epsg == 7415 and stock.frame.epsg == 28992  # RD New under NAP heights
    lon, lat = (float(v[0]) for v in stock.frame.to_wgs84(np.array([85000.0]), np.array([447000.0])))
    assert 4.3 < lon < 4.4 and 51.9 < lat < 52.1  # Delft


@needs_data
def test_delft_faces_keep_the_file_coordinates_and_heights_come_from_measured_height(
    delft: tuple[dict[str, Any], Stock],
) -> None:
    doc, stock = delft
    vertices = transformed_vertices(doc)
    known = {tuple(np.round(v, 3)) for v in vertices}
    building = stock.buildings[0]
    for face in building.faces[:5]:
        if len(face.indices) == 1:
            assert all(tuple(np.round(p, 3)) in known for p in face.rings[0])
    measured = doc["CityObjects"][building.id]["attributes"]["measuredHeight"]
    assert building.height_m == pytest.approx(measured)
    lowest = min(float(r[:, 2].min()) for f in building.faces for r in f.rings)
    assert building.base_m == pytest.approx(lowest)


@needs_data
def test_delft_merged_faces_cover_every_surface_once_with_its_area(
    delft: tuple[dict[str, Any], Stock],
) -> None:
    doc, stock = delft
    for building in stock.buildings[:20]:
        areas = surface_areas(doc, building.id)
        merged = [i for f in building.faces for i in f.indices]
        degenerate = [i for i, (_, a) in enumerate(areas) if a < 1e-6]
        assert sorted(merged + degenerate) == list(range(len(areas)))
        for face in building.faces:
            area = plane_of(face.rings[0], face.rings[1:]).area_m2
            assert area == pytest.approx(sum(areas[i][1] for i in face.indices), rel=1e-3, abs=1e-3)


@needs_data
def test_delft_roof_triangles_merge_into_one_plane_per_flat_roof(delft: tuple[dict[str, Any], Stock]) -> None:
    _, stock = delft
    roofs = [f for b in stock.buildings for f in b.faces if f.kind == "roof"]
    triangles = sum(len(f.indices) for f in roofs)
    assert triangles > 1000
    assert len(roofs) == 160  # LoD1: one flat roof per building


@needs_data
def test_zurich_merged_planes_have_the_area_of_the_faces_they_merge() -> None:
    # Zürich's LoD2 roofs are mostly planar polygons already (491 quads, 59 triangles); its walls are
    # split at storeys and T-junctions, so merging shows there
    doc = load("zurich_subset_lod2.json")
    stock = read_cityjson_stock(doc)
    assert not stock.problems
    assert len(stock.buildings) == 49
    assert sum(len(b.parts) for b in stock.buildings) == 161
    faces = [f for b in stock.buildings for f in b.faces]
    surfaces_read = sum(len(f.indices) for f in faces)
    assert len(faces) < 0.9 * surfaces_read
    areas_by_object: dict[str, list[tuple[str | None, float]]] = {}
    merged = 0
    for face in faces:
        assert face.object_id is not None
        areas = areas_by_object.setdefault(face.object_id, surface_areas(doc, face.object_id))
        assert {areas[i][0] for i in face.indices} == {face.semantic}
        if len(face.indices) > 1:
            area = plane_of(face.rings[0], face.rings[1:]).area_m2
            assert area == pytest.approx(sum(areas[i][1] for i in face.indices), rel=1e-3)
            merged += 1
    assert merged > 100
    roofs = [f for f in faces if f.kind == "roof"]
    assert len(roofs) <= sum(len(f.indices) for f in roofs)


@needs_data
def test_zurich_semantics_give_the_kinds() -> None:
    stock = read_cityjson_stock(load("zurich_subset_lod2.json"))
    semantic_kinds = {(f.semantic, f.kind) for b in stock.buildings for f in b.faces}
    assert semantic_kinds == {("RoofSurface", "roof"), ("WallSurface", "wall"), ("GroundSurface", "ground")}
    assert stock.frame.epsg == 2056


@needs_data
@pytest.mark.parametrize(("name", "count"), [("rotterdam_subset.json", 16), ("DH_01_subs.city.json", 4)])
def test_rotterdam_and_den_haag_need_and_take_epsg_7415(name: str, count: int) -> None:
    doc = load(name)
    with pytest.raises(StockError, match="crs"):
        read_cityjson_stock(doc)
    stock = read_cityjson_stock(doc, crs="EPSG:7415")
    assert len(stock.buildings) == count
    assert not stock.problems
    assert all(any(f.kind == "roof" for f in b.faces) for b in stock.buildings)
    centre = stock.buildings[0].footprint
    assert centre is not None and 4.0 < centre.centroid.x < 4.6 and 51.8 < centre.centroid.y < 52.2


# --- hand-made documents -----------------------------------------------------------------------------

BOX = [[0, 0, 0], [10, 0, 0], [10, 8, 0], [0, 8, 0], [0, 0, 6], [10, 0, 6], [10, 8, 6], [0, 8, 6]]
# counter-clockwise seen from outside: ground, roof, then the four walls
BOX_SHELL = [
    [[0, 3, 2, 1]],
    [[4, 5, 6, 7]],
    [[0, 1, 5, 4]],
    [[1, 2, 6, 5]],
    [[2, 3, 7, 6]],
    [[3, 0, 4, 7]],
]


def city(objects: dict[str, Any], vertices: list[list[float]], **metadata: Any) -> dict[str, Any]:
    return {
        "type": "CityJSON",
        "version": "2.0",
        "transform": {"scale": [1.0, 1.0, 1.0], "translate": [0.0, 0.0, 0.0]},
        "metadata": metadata,
        "CityObjects": objects,
        "vertices": vertices,
    }


def box(x0: float, y0: float) -> list[list[float]]:
    return [[x0 + x, y0 + y, z] for x, y, z in BOX]


def test_lod1_faces_without_semantics_are_classified_by_their_normal() -> None:
    doc = city(
        {"b": {"type": "Building", "geometry": [{"type": "Solid", "lod": "1", "boundaries": [BOX_SHELL]}]}},
        box(600000.0, 3450000.0),
        referenceSystem="https://www.opengis.net/def/crs/EPSG/0/32651",
    )
    stock = read_cityjson_stock(doc)
    (building,) = stock.buildings
    assert [(f.indices, f.kind) for f in building.faces] == [
        ((0,), "ground"),
        ((1,), "roof"),
        ((2,), "wall"),
        ((3,), "wall"),
        ((4,), "wall"),
        ((5,), "wall"),
    ]
    assert building.height_m == 6 and building.base_m == 0
    assert building.footprint is not None
    assert local_projection(121.47, 31.2).forward(building.footprint).area == pytest.approx(80.0, rel=1e-6)


def test_parts_join_their_building_and_other_objects_are_skipped_one_entry_each() -> None:
    vertices = box(600000.0, 3450000.0) + box(600020.0, 3450000.0)
    second = [[[i + 8 for i in ring] for ring in surface] for surface in BOX_SHELL]
    doc = city(
        {
            "b": {
                "type": "Building",
                "children": ["p"],
                "attributes": {"storeysAboveGround": 2, "function": "1000"},
            },
            "p": {
                "type": "BuildingPart",
                "parents": ["b"],
                "geometry": [{"type": "Solid", "lod": "1", "boundaries": [second]}],
            },
            "r": {"type": "Road", "geometry": []},
            "bridge": {"type": "Bridge", "geometry": []},
            "tree": {"type": "SolitaryVegetationObject"},
        },
        vertices,
        referenceSystem="EPSG:32651",
    )
    stock = read_cityjson_stock(doc)
    (building,) = stock.buildings
    assert building.parts == ["p"]
    assert {f.object_id for f in building.faces} == {"p"}
    assert building.storeys == 2 and building.use == "1000"
    assert sorted((s.source.object, s.reason) for s in stock.skipped) == [
        ("bridge", "bridge: not a candidate"),
        ("r", "Road: not a building"),
        ("tree", "SolitaryVegetationObject: not a building"),
    ]


def test_coplanar_triangles_merge_and_a_bent_pair_does_not() -> None:
    # a flat 10 x 8 roof in two triangles, and a roof bent by 5° along its diagonal
    flat = [[0, 0, 5], [10, 0, 5], [10, 8, 5], [0, 8, 5]]
    bent = [[20, 0, 5], [30, 0, 5], [30, 8, 5], [20, 8, 5 + 10 * np.tan(np.radians(5))]]
    semantics = {"surfaces": [{"type": "RoofSurface"}], "values": [0, 0]}
    doc = city(
        {
            "flat": {
                "type": "Building",
                "geometry": [
                    {
                        "type": "MultiSurface",
                        "lod": "2",
                        "boundaries": [[[0, 1, 2]], [[0, 2, 3]]],
                        "semantics": semantics,
                    }
                ],
            },
            "bent": {
                "type": "Building",
                "geometry": [
                    {
                        "type": "MultiSurface",
                        "lod": "2",
                        "boundaries": [[[4, 5, 6]], [[4, 6, 7]]],
                        "semantics": semantics,
                    }
                ],
            },
        },
        [[x + 600000.0, y + 3450000.0, z] for x, y, z in flat + bent],
        referenceSystem="EPSG:32651",
    )
    stock = read_cityjson_stock(doc)
    flat_b, bent_b = stock.buildings
    (merged,) = flat_b.faces
    assert merged.indices == (0, 1)
    plane = plane_of(merged.rings[0], merged.rings[1:])
    assert plane.area_m2 == pytest.approx(80.0)
    assert plane.surface_tilt == pytest.approx(0.0)  # still faces up
    assert len(merged.rings[0]) == 4
    assert [f.indices for f in bent_b.faces] == [(0,), (1,)]


def test_a_geographic_file_is_measured_in_utm() -> None:
    corners = [[121.48, 31.23], [121.4801, 31.23], [121.4801, 31.2301], [121.48, 31.2301]]
    vertices = [[x, y, 0.0] for x, y in corners] + [[x, y, 6.0] for x, y in corners]
    doc = city(
        {"b": {"type": "Building", "geometry": [{"type": "Solid", "lod": "1", "boundaries": [BOX_SHELL]}]}},
        vertices,
        referenceSystem="EPSG:4326",
    )
    stock = read_cityjson_stock(doc)
    assert stock.frame.epsg == 32651
    roof = next(f for f in stock.buildings[0].faces if f.kind == "roof")
    assert plane_of(roof.rings[0]).area_m2 == pytest.approx(9.5 * 11.1, rel=0.02)  # ~9.5 m × 11.1 m
    lon, _lat, z = stock.frame.to_file(roof.rings[0][:, 0], roof.rings[0][:, 1], roof.rings[0][:, 2])
    assert np.allclose(sorted(lon), [121.48, 121.48, 121.4801, 121.4801], atol=1e-9)
    assert np.all(z == 6.0)


def test_a_surface_with_a_missing_vertex_is_a_problem_naming_the_object() -> None:
    shell = [*BOX_SHELL[:-1], [[3, 0, 4, 99]]]
    doc = city(
        {
            "bad": {"type": "Building", "geometry": [{"type": "Solid", "lod": "1", "boundaries": [shell]}]},
            "good": {
                "type": "Building",
                "geometry": [{"type": "Solid", "lod": "1", "boundaries": [BOX_SHELL]}],
            },
        },
        box(600000.0, 3450000.0),
        referenceSystem="EPSG:32651",
    )
    stock = read_cityjson_stock(doc)
    assert [b.id for b in stock.buildings] == ["good"]
    (problem,) = stock.problems
    assert (problem.where, problem.field) == ("bad", "geometry")
    assert "surface 5" in problem.message and "vertex" in problem.message


def test_not_cityjson_is_a_stock_error() -> None:
    with pytest.raises(StockError, match="CityJSON"):
        read_cityjson_stock({"type": "FeatureCollection"})
    with pytest.raises(StockError, match="version"):
        read_cityjson_stock({"type": "CityJSON", "version": "0.9"})


def test_a_building_without_geometry_is_skipped_not_refused() -> None:
    doc = city(
        {
            "empty": {"type": "Building", "attributes": {"name": "planned"}},
            "b": {"type": "Building", "geometry": [{"type": "Solid", "lod": "1", "boundaries": [BOX_SHELL]}]},
        },
        box(600000.0, 3450000.0),
        referenceSystem="EPSG:32651",
    )
    stock = read_cityjson_stock(doc)
    assert [b.id for b in stock.buildings] == ["b"]
    assert not stock.problems
    assert [(s.source.object, s.reason) for s in stock.skipped] == [
        ("empty", "Building without geometry: nothing to survey")
    ]


def test_composite_solid_faces_are_numbered_across_its_solids() -> None:
    second = [[[i + 8 for i in ring] for ring in surface] for surface in BOX_SHELL]
    geometry = {"type": "CompositeSolid", "lod": "1", "boundaries": [[BOX_SHELL], [second]]}
    doc = city(
        {"b": {"type": "Building", "geometry": [geometry]}},
        box(600000.0, 3450000.0) + box(600020.0, 3450000.0),
        referenceSystem="EPSG:32651",
    )
    (building,) = read_cityjson_stock(doc).buildings
    assert sorted(i for f in building.faces for i in f.indices) == list(range(12))
    roofs = [f for f in building.faces if f.kind == "roof"]
    assert [f.indices for f in roofs] == [(1,), (7,)]  # coplanar but apart: not merged
