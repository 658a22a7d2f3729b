"""Each role sees only what it may: owners their own sites, suppliers no register data, the public totals."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from pvhub.core.enums import Role
from pvhub.register.enums import SurfaceKind
from pvhub.register.models import Site, Surface
from tests.conftest import api_token


@pytest.fixture
def two_owners(session: Session, make_user):  # type: ignore[no-untyped-def]
    a = make_user("a@owner.cn", Role.owner, "Owner A")
    b = make_user("b@owner.cn", Role.owner, "Owner B")
    make_user("s@supplier.cn", Role.supplier, "Supplier S")
    make_user("o@office.cn", Role.office, "Office")
    site_a = Site(name="A tower", organisation_id=a.organisation_id, lon=121.48, lat=31.23)
    site_b = Site(name="B mall", organisation_id=b.organisation_id, lon=121.47, lat=31.22)
    session.add_all([site_a, site_b])
    session.flush()
    assert site_b.id is not None
    surface_b = Surface(
        site_id=site_b.id,
        kind=SurfaceKind.roof,
        tilt_deg=0,
        azimuth_deg=180,
        gross_area_m2=500,
        usable_area_m2=350,
    )
    session.add(surface_b)
    session.commit()
    return site_a, site_b, surface_b


def test_an_owner_cannot_read_another_owners_site_or_surface(client: TestClient, two_owners) -> None:  # type: ignore[no-untyped-def]
    site_a, site_b, surface_b = two_owners
    headers = api_token(client, "a@owner.cn")
    assert client.get(f"/api/v1/sites/{site_a.id}", headers=headers).status_code == 200
    assert client.get(f"/api/v1/sites/{site_b.id}", headers=headers).status_code == 404
    assert client.get(f"/api/v1/surfaces/{surface_b.id}", headers=headers).status_code == 404
    listing = client.get("/api/v1/sites", headers=headers).json()
    assert [s["name"] for s in listing["items"]] == ["A tower"] and listing["total"] == 1


def test_a_supplier_sees_no_register_data(client: TestClient, two_owners) -> None:  # type: ignore[no-untyped-def]
    _, site_b, surface_b = two_owners
    headers = api_token(client, "s@supplier.cn")
    assert client.get("/api/v1/sites", headers=headers).json()["total"] == 0
    assert client.get(f"/api/v1/sites/{site_b.id}", headers=headers).status_code == 404
    assert client.get(f"/api/v1/surfaces/{surface_b.id}", headers=headers).status_code == 404


def test_the_office_sees_every_site(client: TestClient, two_owners) -> None:  # type: ignore[no-untyped-def]
    headers = api_token(client, "o@office.cn")
    assert client.get("/api/v1/sites", headers=headers).json()["total"] == 2


def test_the_public_sees_only_programme_totals(client: TestClient, two_owners) -> None:  # type: ignore[no-untyped-def]
    totals = client.get("/api/v1/programme/totals")
    assert totals.status_code == 200
    body = totals.json()
    assert body["sites"] == 2 and body["surfaces_by_kind"]["roof"] == 1 and body["target_kwp"] == 10_000
    assert "B mall" not in totals.text
    assert client.get("/api/v1/sites").status_code == 401
    assert client.get("/api/v1/programme").status_code == 401


def test_only_the_office_changes_the_targets_and_it_is_audited(
    client: TestClient, two_owners, session: Session
) -> None:  # type: ignore[no-untyped-def]
    owner = api_token(client, "a@owner.cn")
    assert client.patch("/api/v1/programme", json={"target_kwp": 1}, headers=owner).status_code == 403
    office = api_token(client, "o@office.cn")
    changed = client.patch(
        "/api/v1/programme", json={"target_kwp": 12000, "target_date": "2028-06-30"}, headers=office
    )
    assert changed.status_code == 200 and changed.json()["target_kwp"] == 12000
    bad = client.patch("/api/v1/programme", json={"target_kwp": -5}, headers=office)
    assert bad.status_code == 422
    from sqlmodel import select

    from pvhub.core.audit_events import AuditEvent

    event = session.exec(select(AuditEvent).where(AuditEvent.entity == "programme")).one()
    assert event.before is not None and event.after is not None
    assert event.before["target_kwp"] == 10000 and event.after["target_kwp"] == 12000
    assert event.actor_label == "o@office.cn"
