"""The building stock's import: all or nothing, neighbours, subdistricts, site links, re-imports."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlmodel import Session, func, select

from pvhub.accounts.models import User
from pvhub.core.audit_events import AuditEvent
from pvhub.core.enums import Role
from pvhub.core.errors import PermissionDenied
from pvhub.programme.models import Programme
from pvhub.register.models import Site
from pvhub.survey.models import Building, SiteBuilding, StockImport
from pvhub.survey.stock import buildings_near, import_stock, link_sites
from tests.conftest import SHARED_DATA

DELFT = SHARED_DATA / "cityjson" / "delft.json"


def box(lon: float, lat: float, d: float = 0.0002) -> dict[str, Any]:
    """A square footprint (about 38 m × 44 m at Shanghai's latitude) centred on lon, lat."""
    ring = [
        [lon - d, lat - d],
        [lon + d, lat - d],
        [lon + d, lat + d],
        [lon - d, lat + d],
        [lon - d, lat - d],
    ]
    return {"type": "Polygon", "coordinates": [ring]}


def feature(ident: str, lon: float, lat: float, **props: Any) -> dict[str, Any]:
    return {
        "type": "Feature",
        "id": ident,
        "properties": {"building": "yes", **props},
        "geometry": box(lon, lat),
    }


def collection(*features: dict[str, Any]) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": list(features)}).encode()


GOOD = collection(
    feature("tower", 121.4900, 31.2300, height="180 m", name="外滩中心", subdistrict="外滩街道"),
    feature("lane", 121.4910, 31.2300, **{"building:levels": 2}),
    feature("shed", 121.4920, 31.2300),  # neither height nor levels: kept without a 3D shape
    {
        "type": "Feature",
        "properties": {"highway": "primary"},
        "geometry": {"type": "LineString", "coordinates": [[121.49, 31.23], [121.5, 31.24]]},
    },
)


@pytest.fixture
def office(make_user: Any) -> User:
    return make_user("office@example.com", Role.office, "Programme office")


def run(session: Session, office: User | None, content: bytes, name: str = "stock.geojson", **kw: Any) -> Any:
    return import_stock(session=session, actor=office, filename=name, content=content, **kw)


def test_import_of_a_small_geojson(session: Session, office: User) -> None:
    report = run(session, office, GOOD)
    session.commit()
    assert report.ok and report.buildings == 3 and report.created == 3
    assert report.skipped == {"highway=primary: not a building": 1}
    assert sum(report.without_shape.values()) == 1
    rows = {b.source_id: b for b in session.exec(select(Building)).all()}
    tower = rows["tower"]
    assert tower.height_m == 180 and tower.name == "外滩中心" and tower.subdistrict == "外滩街道"
    assert tower.frame_epsg == 32651 and len(tower.faces) == 5 and tower.faces[0]["kind"] == "roof"
    assert tower.lon == pytest.approx(121.49, abs=1e-6) and tower.inside_district
    assert rows["lane"].height_m == pytest.approx(6.0)  # 2 levels × 3 m
    assert rows["shed"].faces == [] and rows["shed"].note
    assert session.exec(select(func.count()).select_from(StockImport)).one() == 1
    event = session.exec(select(AuditEvent).where(AuditEvent.entity == "stock_import")).one()
    assert event.after is not None and event.after["buildings"] == 3 and event.actor_id == office.id


def test_a_bad_feature_writes_nothing_and_names_it(session: Session, office: User) -> None:
    bad = collection(feature("ok", 121.49, 31.23, height=20), feature("neg", 121.491, 31.23, height=-5))
    report = run(session, office, bad)
    assert not report.ok
    assert [(p.where, p.field) for p in report.problems] == [("feature 1", "height")]
    assert session.exec(select(func.count()).select_from(Building)).one() == 0
    assert session.exec(select(func.count()).select_from(StockImport)).one() == 0


def test_an_unreadable_file_is_one_problem(session: Session, office: User) -> None:
    report = run(session, office, b"{not json", name="x.geojson")
    assert not report.ok and report.problems[0].where == "file"
    assert session.exec(select(func.count()).select_from(Building)).one() == 0


def test_only_the_office_imports(session: Session, make_user: Any) -> None:
    owner = make_user("owner@example.com", Role.owner, "Owner")
    with pytest.raises(PermissionDenied):
        run(session, owner, GOOD)


def test_a_preview_writes_nothing(session: Session, office: User) -> None:
    report = run(session, office, GOOD, dry_run=True)
    assert (
        report.ok
        and report.buildings == 3
        and [r["id"] for r in report.first_rows] == ["tower", "lane", "shed"]
    )
    assert session.exec(select(func.count()).select_from(Building)).one() == 0


def _site(session: Session, org_id: int, name: str, lon: float, lat: float, footprint: Any, sub: str) -> Site:
    site = Site(name=name, subdistrict=sub, lon=lon, lat=lat, footprint=footprint, organisation_id=org_id)
    session.add(site)
    session.flush()
    return site


def test_sites_link_and_lend_their_subdistrict(session: Session, office: User, make_user: Any) -> None:
    owner = make_user("owner@example.com", Role.owner, "Owner")
    org = owner.organisation_id
    # a site whose footprint covers 'lane' (subdistrict from the containing site)
    covering = _site(
        session, org, "Lane site", 121.4910, 31.2300, box(121.4910, 31.2300, 0.00025), "豫园街道"
    )
    # a site with no footprint at the shed's point (linked by its point; the nearest site lends its name)
    point = _site(session, org, "Shed site", 121.4920, 31.2300, None, "小东门街道")
    # a site only touching the tower's corner: under 10 % of the smaller footprint, not linked
    touching = _site(session, org, "Touching", 121.4904, 31.2304, box(121.4904, 31.2304, 0.00021), "外滩街道")
    session.commit()
    report = run(session, office, GOOD)
    session.commit()
    rows = {b.source_id: b for b in session.exec(select(Building)).all()}
    assert rows["tower"].subdistrict == "外滩街道"  # the file's own
    assert rows["lane"].subdistrict == "豫园街道"  # the site whose footprint contains it
    assert rows["shed"].subdistrict == "小东门街道"  # the nearest site within 500 m
    links = set(session.exec(select(SiteBuilding.site_id, SiteBuilding.building_id)).all())
    assert (covering.id, rows["lane"].id) in links
    assert (point.id, rows["shed"].id) in links
    assert not any(site == touching.id for site, _b in links)
    assert report.linked == len(links)
    assert link_sites(session) == 0  # again: nothing new


def test_neighbours_outside_the_boundary_are_kept(session: Session, office: User) -> None:
    session.add(Programme(boundary=box(121.4905, 31.2300, 0.0009)))  # holds tower and lane, not the shed
    session.commit()
    report = run(session, office, GOOD)
    session.commit()
    assert report.neighbours == 1
    inside = dict(session.exec(select(Building.source_id, Building.inside_district)).all())
    assert inside == {"tower": True, "lane": True, "shed": False}
    near = buildings_near(session, (121.4895, 31.2295, 121.4915, 31.2305), limit=10, public=True)
    assert [f["properties"]["id"] for f in near["features"]] == sorted(
        f["properties"]["id"] for f in near["features"]
    )
    assert len(near["features"]) == 2 and "name" not in near["features"][0]["properties"]


def test_the_same_file_again_updates_its_buildings_in_place(session: Session, office: User) -> None:
    run(session, office, GOOD)
    session.commit()
    first = dict(session.exec(select(Building.source_id, Building.id)).all())
    again = collection(
        feature("tower", 121.4900, 31.2300, height=200), feature("new", 121.4930, 31.2300, height=9)
    )
    report = run(session, office, again)
    session.commit()
    assert (report.created, report.updated) == (1, 1)
    rows = {b.source_id: b for b in session.exec(select(Building)).all()}
    assert rows["tower"].id == first["tower"] and rows["tower"].height_m == 200  # same row, new values
    assert set(rows) == {"tower", "lane", "shed", "new"}  # the earlier file's others are kept
    other = run(session, office, again, name="other.geojson")  # another file's name only adds
    assert (other.created, other.updated) == (2, 0)


@pytest.mark.skipif(not DELFT.exists(), reason="the shared CityJSON samples are not on this machine")
def test_delft_cityjson_in_rd_new(session: Session, office: User) -> None:
    report = run(session, None, DELFT.read_bytes(), name="delft.json")
    session.commit()
    assert report.ok and report.source_format == "cityjson" and report.crs.endswith("7415")
    assert report.buildings > 100 and sum(report.skipped.values()) > 0  # roads and vegetation
    # JSON has no equality operator on PostgreSQL, so the faces are compared in Python
    building = next(b for b in session.exec(select(Building)).all() if b.faces)
    assert building.frame_epsg == 28992  # RD New, the horizontal part of 7415
    assert 4.3 < building.lon < 4.4 and 51.9 < building.lat < 52.1  # Delft
    assert building.lod.startswith("1")
