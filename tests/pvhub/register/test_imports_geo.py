"""Bulk import of the register from GeoJSON drawings and CityJSON LoD2 city models."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from pyproj import Geod
from sqlmodel import Session, func, select

from gis.chinese_crs import wgs84_to_gcj02
from pvhub.accounts.models import User
from pvhub.core.enums import Role
from pvhub.register.imports.service import import_file
from pvhub.register.models import Site, Surface
from tests.conftest import SHARED_DATA

CITYJSON = SHARED_DATA / "cityjson"
needs_cityjson = pytest.mark.skipif(not CITYJSON.is_dir(), reason=f"{CITYJSON} is absent")
GEOD = Geod(ellps="WGS84")


@pytest.fixture
def owner(make_user: Any) -> User:
    return make_user("owner@example.com", Role.owner, "Huangpu Estates")


def run(
    session: Session, owner: User, doc: Any, *, filename: str = "survey.geojson", **options: Any
) -> dict[str, Any]:
    assert owner.organisation_id is not None
    content = doc if isinstance(doc, bytes) else json.dumps(doc, ensure_ascii=False).encode()
    options.setdefault("dry_run", False)
    report = import_file(
        session=session,
        actor=owner,
        organisation_id=owner.organisation_id,
        filename=filename,
        content=content,
        **options,
    )
    return report.as_dict()


def square(lon: float, lat: float, size_deg: float = 0.0003) -> dict[str, Any]:
    ring = [
        [lon, lat],
        [lon + size_deg, lat],
        [lon + size_deg, lat + size_deg],
        [lon, lat + size_deg],
        [lon, lat],
    ]
    return {"type": "Polygon", "coordinates": [ring]}


def feature(geometry: dict[str, Any], **properties: Any) -> dict[str, Any]:
    return {"type": "Feature", "geometry": geometry, "properties": {"site_name": "Bund 18", **properties}}


def collection(*features: dict[str, Any]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features)}


def count(session: Session, model: type) -> int:
    return int(session.exec(select(func.count()).select_from(model)).one())


def test_a_drawn_roof_wall_corridor_and_walkway_become_one_site_with_measured_areas(
    session: Session, owner: User
) -> None:
    wall_line = {"type": "LineString", "coordinates": [[121.4900, 31.2300], [121.4905, 31.2300]]}
    doc = collection(
        feature(square(121.49, 31.23), kind="roof", tilt_deg=0),
        feature(wall_line, kind="curtain_wall", height_from_m=10, height_to_m=30, storey=3),
        feature(square(121.4904, 31.2304, 0.0001), kind="corridor", height_m=12),
        feature(square(121.4906, 31.2306, 0.0001), 类型="步道", 倾角=10, 方位角=180),
    )
    report = run(session, owner, doc)
    assert report["ok"], report["errors"]
    assert report["created"] == {
        "sites": 1,
        "surfaces": {"roof": 1, "curtain_wall": 1, "corridor": 1, "walkway": 1},
    }
    site = session.exec(select(Site)).one()
    # no lon/lat given: the site sits at the mean centroid of its surfaces
    assert 121.49 < site.lon < 121.4907 and 31.23 < site.lat < 31.2307
    surfaces = {s.kind.value: s for s in session.exec(select(Surface)).all()}
    roof = surfaces["roof"]
    # a 0.0003° square at 31.23° N: about 28.5 m × 33.3 m
    assert roof.gross_area_m2 == pytest.approx(28.55 * 33.27, rel=0.01)
    assert roof.usable_area_m2 == pytest.approx((28.55 - 1) * (33.27 - 1), rel=0.01)  # 0.5 m roof setback
    assert roof.geometry is not None and roof.geometry["type"] == "Polygon"
    wall = surfaces["curtain_wall"]
    # walking east along the base line, the wall faces right: south
    assert (wall.tilt_deg, round(wall.azimuth_deg), wall.height_m, wall.storey) == (90, 180, 10, 3)
    assert wall.gross_area_m2 == pytest.approx(47.6 * 20, rel=0.01)
    walkway = surfaces["walkway"]
    plan = surfaces["corridor"].gross_area_m2
    assert walkway.gross_area_m2 == pytest.approx(plan / math.cos(math.radians(10)), rel=0.01)


def test_one_bad_feature_among_many_imports_nothing_and_is_named(session: Session, owner: User) -> None:
    features = [feature(square(121.47 + i * 0.0005, 31.22), site_name=f"B{i // 4}") for i in range(40)]
    features[27]["geometry"] = {
        "type": "Polygon",
        "coordinates": [[[121.47, 31.22], [121.48, 31.23], [121.48, 31.22], [121.47, 31.23]]],
    }
    report = run(session, owner, collection(*features))
    assert not report["ok"]
    assert [(e["index"], e["field"]) for e in report["errors"]] == [(27, "geometry")]
    assert "self_intersection" in report["errors"][0]["message"]
    assert count(session, Site) == count(session, Surface) == 0


@pytest.mark.parametrize(
    ("geometry", "properties", "field", "words"),
    [
        (None, {}, "geometry", "not no geometry"),
        ({"type": "Point", "coordinates": [121.49, 31.23]}, {}, "geometry", "not Point"),
        (
            {
                "type": "Polygon",
                "coordinates": [[[31.23, 121.49], [31.24, 121.49], [31.24, 121.5], [31.23, 121.49]]],
            },
            {},
            "geometry",
            "lonlat_swapped",
        ),
        (
            {"type": "LineString", "coordinates": [[121.49, 31.23], [121.491, 31.23]]},
            {},
            "height_to_m",
            "required",
        ),
        (
            {"type": "LineString", "coordinates": [[121.49, 31.23], [121.491, 31.23], [121.492, 31.24]]},
            {"height_to_m": 10},
            "geometry",
            "exactly 2 distinct positions",
        ),
        (
            {"type": "LineString", "coordinates": [[121.49, 31.23], [121.491, 31.23]]},
            {"height_from_m": 20, "height_to_m": 10},
            "height_to_m",
            "must be above",
        ),
        (
            {"type": "LineString", "coordinates": [[121.49, 31.23], [121.491, 31.23]]},
            {"kind": "roof", "height_to_m": 10},
            "kind",
            "LineString is a curtain wall",
        ),
        (square(121.49, 31.23), {"kind": "curtain_wall"}, "geometry", "base line"),
        (square(121.49, 31.23), {"kind": "tower"}, "kind", "unknown kind"),
        (square(121.49, 31.23), {"tilt_deg": 120}, "tilt_deg", "between 0 and 90"),
        (square(121.49, 31.23), {"tilt_deg": 80, "azimuth_deg": 180}, "tilt_deg", "too steep"),
        (square(121.49, 31.23), {"usable_area_m2": 99999}, "usable_area_m2", "exceeds gross"),
        (square(121.49, 31.23), {"site_name": None}, "site_name", "required"),
    ],
)
def test_each_bad_feature_is_reported_by_index_and_field(
    session: Session, owner: User, geometry: Any, properties: dict[str, Any], field: str, words: str
) -> None:
    bad = feature(square(121.49, 31.23), **properties)
    bad["geometry"] = geometry
    report = run(session, owner, collection(feature(square(121.48, 31.22)), bad), dry_run=True)
    assert not report["ok"]
    matches = [e for e in report["errors"] if e["field"] == field and e["index"] == 1]
    assert matches and words in matches[0]["message"], report["errors"]


def test_a_feature_outside_the_programme_boundary_is_an_error(session: Session, owner: User) -> None:
    boundary = {
        "type": "Polygon",
        "coordinates": [
            [[121.46, 31.20], [121.50, 31.20], [121.50, 31.25], [121.46, 31.25], [121.46, 31.20]]
        ],
    }
    doc = collection(feature(square(121.48, 31.22)), feature(square(121.55, 31.22)))
    report = run(session, owner, doc, boundary=boundary)
    assert [(e["index"], e["field"]) for e in report["errors"]] == [(1, "geometry")]
    assert "outside_boundary" in report["errors"][0]["message"]


def test_gcj02_coordinates_are_moved_hundreds_of_metres_to_wgs84(session: Session, owner: User) -> None:
    lon, lat = 121.4800, 31.2200
    glon, glat = (float(v) for v in wgs84_to_gcj02(lon, lat))
    shifted = square(glon, glat)
    report = run(session, owner, collection(feature(shifted, lon=glon, lat=glat)), datum="gcj02")
    assert report["ok"], report["errors"]
    site = session.exec(select(Site)).one()
    _, _, moved = GEOD.inv(glon, glat, site.lon, site.lat)
    _, _, error = GEOD.inv(lon, lat, site.lon, site.lat)
    assert 300 < moved < 800 and error < 2
    roof = session.exec(select(Surface)).one()
    assert roof.geometry is not None
    corner = roof.geometry["coordinates"][0][0]
    assert GEOD.inv(lon, lat, corner[0], corner[1])[2] < 2


def test_json_that_is_neither_geojson_nor_cityjson_is_rejected(session: Session, owner: User) -> None:
    report = run(session, owner, {"type": "Topology"}, filename="x.json")
    assert report["errors"] == [{"index": None, "field": "file", "message": report["errors"][0]["message"]}]
    assert "unrecognised" in report["errors"][0]["message"]
    assert not run(session, owner, b"{not json", filename="x.geojson")["ok"]


def test_cityjson_building_parts_roof_and_wall_become_one_site(session: Session, owner: User) -> None:
    # a 10 m × 10 m box, 6 m tall, as one BuildingPart of a Building, in UTM 51N (Shanghai)
    x, y = 354000.0, 3455000.0
    vertices = [
        [x, y, 0],
        [x + 10, y, 0],
        [x + 10, y + 10, 0],
        [x, y + 10, 0],
        [x, y, 6],
        [x + 10, y, 6],
        [x + 10, y + 10, 6],
        [x, y + 10, 6],
    ]
    solid = [[[[0, 3, 2, 1]], [[4, 5, 6, 7]], [[0, 1, 5, 4]], [[1, 2, 6, 5]], [[2, 3, 7, 6]], [[3, 0, 4, 7]]]]
    doc = {
        "type": "CityJSON",
        "version": "2.0",
        "metadata": {"referenceSystem": "https://www.opengis.net/def/crs/EPSG/0/32651"},
        "vertices": vertices,
        "CityObjects": {
            "b1": {"type": "Building", "children": ["b1-p1"], "attributes": {"name": "Box"}},
            "b1-p1": {
                "type": "BuildingPart",
                "parents": ["b1"],
                "geometry": [
                    {
                        "type": "Solid",
                        "lod": "2.2",
                        "boundaries": solid,
                        "semantics": {
                            "surfaces": [
                                {"type": "GroundSurface"},
                                {"type": "RoofSurface"},
                                {"type": "WallSurface"},
                            ],
                            "values": [[0, 1, 2, 2, 2, 2]],
                        },
                    }
                ],
            },
        },
    }
    report = run(session, owner, doc, filename="box.city.json", skip_north_walls=True)
    assert report["ok"], report["errors"]
    assert report["created"] == {
        "sites": 1,
        "surfaces": {"roof": 1, "curtain_wall": 3, "corridor": 0, "walkway": 0},
    }
    assert {"index": "b1-p1", "reason": "1 face: north-facing wall"} in report["skipped"]
    site = session.exec(select(Site)).one()
    assert (site.name, site.external_ref, site.height_m) == ("Box", "b1", 6)
    roof = session.exec(select(Surface).where(Surface.kind == "roof")).one()
    assert (roof.tilt_deg, roof.height_m) == (0, 6)
    assert roof.gross_area_m2 == pytest.approx(100)
    assert roof.usable_area_m2 == pytest.approx(81, rel=0.01)
    walls = session.exec(select(Surface).where(Surface.kind == "curtain_wall")).all()
    assert all(w.geometry is not None and w.geometry["type"] == "LineString" for w in walls)
    assert all(w.gross_area_m2 == pytest.approx(60) and w.height_m == 3 for w in walls)


@needs_cityjson
def test_zurich_lod2_imports_its_roofs_and_walls(session: Session, owner: User) -> None:
    content = (CITYJSON / "zurich_subset_lod2.json").read_bytes()
    report = run(session, owner, content, filename="zurich_subset_lod2.json")
    assert report["ok"], report["errors"][:5]
    created = report["created"]
    assert created["sites"] == 49
    assert created["surfaces"]["roof"] > 300 and created["surfaces"]["curtain_wall"] > 1000
    assert any("GroundSurface" in s["reason"] for s in report["skipped"])
    assert count(session, Surface) == created["surfaces"]["roof"] + created["surfaces"]["curtain_wall"]
    site = session.exec(select(Site)).first()
    assert site is not None and abs(site.lon - 8.5) < 0.2 and abs(site.lat - 47.4) < 0.1


@needs_cityjson
def test_den_haag_without_a_crs_fails_with_the_option_to_give(session: Session, owner: User) -> None:
    content = (CITYJSON / "DH_01_subs.city.json").read_bytes()
    report = run(session, owner, content, filename="DH_01_subs.city.json")
    assert not report["ok"]
    assert report["errors"][0]["index"] is None and report["errors"][0]["field"] == "crs"
    assert "--crs EPSG:" in report["errors"][0]["message"]
    report = run(session, owner, content, filename="DH_01_subs.city.json", crs="EPSG:7415", dry_run=True)
    assert report["ok"], report["errors"]
    assert report["created"]["sites"] == 4 and report["created"]["surfaces"]["roof"] > 0
    assert count(session, Site) == 0


@needs_cityjson
def test_an_unknown_crs_is_a_clear_error(session: Session, owner: User) -> None:
    content = (CITYJSON / "DH_01_subs.city.json").read_bytes()
    for crs in ("EPSG:99999", "not-a-crs"):
        report = run(session, owner, content, filename="DH_01_subs.city.json", crs=crs, dry_run=True)
        assert [(e["index"], e["field"]) for e in report["errors"]] == [(None, "crs")]
        assert "EPSG:NNNN" in report["errors"][0]["message"]


def test_a_site_with_only_one_coordinate_or_a_foreign_crs_is_reported(session: Session, owner: User) -> None:
    report = run(session, owner, collection(feature(square(121.49, 31.23), lon=121.49)), dry_run=True)
    assert [(e["index"], e["field"], e["message"]) for e in report["errors"]] == [
        (0, "lat", "give both lon and lat, or neither")
    ]
    doc = {
        **collection(feature(square(121.49, 31.23))),
        "crs": {"type": "name", "properties": {"name": "EPSG:3857"}},
    }
    report = run(session, owner, doc, dry_run=True)
    assert [(e["index"], e["field"]) for e in report["errors"]] == [(None, "crs")]


def test_a_drawn_surface_far_from_its_site_is_named_and_nothing_is_written(
    session: Session, owner: User
) -> None:
    # two buildings under one name 3 km apart: the site would sit between them, 1.5 km from each
    doc = collection(
        feature(square(121.4900, 31.2300), kind="roof"),
        feature(square(121.4900, 31.2570), kind="roof"),
        feature(square(121.4700, 31.2200), kind="roof", site_name="Xintiandi"),
    )
    report = run(session, owner, doc)
    assert not report["ok"]
    far = [e for e in report["errors"] if e["field"] == "geometry"]
    assert [e["index"] for e in far] == [0, 1], report["errors"]
    assert "from site 'Bund 18'" in far[0]["message"] and "at most 1,000 m" in far[0]["message"]
    assert count(session, Site) == count(session, Surface) == 0
    # a site located by lon/lat a few hundred metres off its roof is still one building or place
    near = collection(feature(square(121.4900, 31.2300), kind="roof", lon=121.4930, lat=31.2310))
    assert run(session, owner, near)["ok"]
