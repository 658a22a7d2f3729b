"""Exports of the register: what the user may read, as RFC 7946 GeoJSON and spreadsheet-safe CSV."""

from __future__ import annotations

import csv
import io

from fastapi.testclient import TestClient
from shapely.geometry import shape
from sqlmodel import Session

from pvhub.core.enums import Role
from pvhub.register.enums import SurfaceKind
from pvhub.register.models import Site, Surface
from tests.conftest import api_token

ROOF = {
    "type": "Polygon",
    "coordinates": [
        [[121.48, 31.23], [121.4801, 31.23], [121.4801, 31.2301], [121.48, 31.2301], [121.48, 31.23]]
    ],
}


def test_an_owner_exports_only_its_own_surfaces_with_formulas_neutralised(
    client: TestClient,
    session: Session,
    make_user,  # type: ignore[no-untyped-def]
) -> None:
    mine = make_user("w@x.cn", Role.owner, "Mine")
    theirs = make_user("t@x.cn", Role.owner, "Theirs")
    make_user("o@x.cn", Role.office, "Office")
    evil = Site(name="=cmd|' /C calc'!A0", organisation_id=mine.organisation_id, lon=121.48, lat=31.23)
    other = Site(name="Other tower", organisation_id=theirs.organisation_id, lon=121.47, lat=31.22)
    session.add_all([evil, other])
    session.flush()
    assert evil.id is not None and other.id is not None
    session.add_all(
        [
            Surface(
                site_id=evil.id,
                kind=SurfaceKind.roof,
                tilt_deg=0,
                azimuth_deg=180,
                gross_area_m2=120,
                usable_area_m2=80,
                geometry=ROOF,
            ),
            Surface(
                site_id=other.id,
                kind=SurfaceKind.walkway,
                tilt_deg=3,
                azimuth_deg=180,
                gross_area_m2=40,
                usable_area_m2=30,
            ),
        ]
    )
    session.commit()
    owner = api_token(client, "w@x.cn")

    geojson = client.get("/api/v1/register/export.geojson", headers=owner)
    assert geojson.status_code == 200 and geojson.headers["content-type"].startswith("application/geo+json")
    collection = geojson.json()
    assert collection["type"] == "FeatureCollection" and len(collection["features"]) == 1
    feature = collection["features"][0]
    polygon = shape(feature["geometry"])
    assert polygon.is_valid and polygon.exterior.is_ccw  # RFC 7946 right-hand rule
    assert 121 < polygon.centroid.x < 122 and 31 < polygon.centroid.y < 32  # lon, lat order

    text = client.get("/api/v1/register/export.csv", headers=owner).text
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert len(rows) == 1 and rows[0]["site_name"].startswith("'=")
    assert rows[0]["kind"] == "roof" and float(rows[0]["usable_area_m2"]) == 80

    office = api_token(client, "o@x.cn")
    assert len(client.get("/api/v1/register/export.geojson", headers=office).json()["features"]) == 2
    assert client.get("/api/v1/register/export.csv").status_code == 401
