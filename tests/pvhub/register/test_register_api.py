"""The register over REST: owners register and submit, the office reviews, everyone sees only their own."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from pvhub.core.audit_events import AuditEvent
from pvhub.core.enums import Role
from tests.conftest import api_token

LON, LAT = 121.4800, 31.2300
DLON, DLAT = 1 / 95_180, 1 / 110_900  # degrees per metre near Huangpu
Users = dict[str, dict[str, str]]
ELIGIBLE = {"structural_load_ok": True, "fire_rating_ok": True, "glare_risk_ok": True}


def rectangle(width_m: float, depth_m: float) -> dict[str, Any]:
    e, n = LON + width_m * DLON, LAT + depth_m * DLAT
    return {"type": "Polygon", "coordinates": [[[LON, LAT], [e, LAT], [e, n], [LON, n], [LON, LAT]]]}


@pytest.fixture
def users(client: TestClient, make_user: Any) -> Users:
    make_user("a@owner.cn", Role.owner, "Owner A")
    make_user("b@owner.cn", Role.owner, "Owner B")
    make_user("o@office.cn", Role.office, "Office")
    make_user("s@supplier.cn", Role.supplier, "Supplier S")
    return {
        "owner": api_token(client, "a@owner.cn"),
        "other": api_token(client, "b@owner.cn"),
        "office": api_token(client, "o@office.cn"),
        "supplier": api_token(client, "s@supplier.cn"),
    }


def add_site(client: TestClient, headers: dict[str, str], **fields: object) -> dict[str, Any]:
    body = {"name": "Bund tower", "subdistrict": "外滩街道", "height_m": 40, "footprint": rectangle(40, 30)}
    response = client.post("/api/v1/sites", json=body | fields, headers=headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


def add_roof(
    client: TestClient, headers: dict[str, str], site_id: object, **fields: object
) -> dict[str, Any]:
    body = {"site_id": site_id, "kind": "roof", "geometry": rectangle(20, 10)}
    response = client.post("/api/v1/surfaces", json=body | fields, headers=headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_an_owner_registers_a_site_and_its_roof_and_sees_the_computed_values(
    client: TestClient, users
) -> None:
    site = add_site(client, users["owner"])
    assert site["lon"] == pytest.approx(LON + 20 * DLON, abs=1e-6)
    roof = add_roof(client, users["owner"], site["id"], tilt_deg=20, azimuth_deg=180)
    assert roof["status"] == "draft" and roof["tilt_deg"] == 20 and roof["azimuth_deg"] == 180
    assert roof["gross_area_m2"] == pytest.approx(200 / 0.9397, rel=0.01)
    assert 0 < roof["usable_area_m2"] < roof["gross_area_m2"]
    assert client.get(f"/api/v1/surfaces/{roof['id']}", headers=users["owner"]).json() == roof


def test_a_curtain_wall_is_drawn_as_a_base_line(client: TestClient, users: Users) -> None:
    site = add_site(client, users["owner"])
    base = {"type": "LineString", "coordinates": [[LON, LAT], [LON + 30 * DLON, LAT]]}  # walking east
    body = {
        "site_id": site["id"],
        "kind": "curtain_wall",
        "geometry": base,
        "height_from_m": 5,
        "height_to_m": 25,
    }
    wall = client.post("/api/v1/surfaces", json=body, headers=users["owner"]).json()
    assert wall["tilt_deg"] == 90 and wall["azimuth_deg"] == pytest.approx(180, abs=0.5)  # faces south
    assert wall["gross_area_m2"] == pytest.approx(600, rel=0.01)
    missing = client.post("/api/v1/surfaces", json=body | {"height_to_m": None}, headers=users["owner"])
    assert missing.status_code == 422 and missing.json()["field"] == "height_to_m"


@pytest.mark.parametrize(
    ("ring", "message"),
    [
        ([[LON, LAT], [LON + 0.001, LAT + 0.001], [LON + 0.001, LAT], [LON, LAT + 0.001]], "crosses itself"),
        ([[LON, LAT], [LON + 0.001, LAT]], "at least 3 distinct corners"),
        ([[LAT, LON], [LAT + 0.001, LON], [LAT + 0.001, LON + 0.001]], "give longitude first"),
        ([[LON, LAT], [LON + 0.001, LAT + 0.001], [LON + 0.002, LAT + 0.002]], "no area"),
    ],
)
def test_a_bad_outline_is_refused_with_a_message_naming_the_problem(
    client: TestClient, users: Users, ring: list[list[float]], message: str
) -> None:
    footprint = {"type": "Polygon", "coordinates": [ring]}
    response = client.post(
        "/api/v1/sites", json={"name": "Bad", "footprint": footprint}, headers=users["owner"]
    )
    assert response.status_code == 422
    assert message in response.json()["detail"] and response.json()["field"] == "footprint"


def test_strict_fields_refuse_a_boolean_for_a_number(client: TestClient, users: Users) -> None:
    site = add_site(client, users["owner"])
    body = {"site_id": site["id"], "kind": "roof", "tilt_deg": False, "azimuth_deg": 180, "gross_area_m2": 50}
    response = client.post("/api/v1/surfaces", json=body, headers=users["owner"])
    assert response.status_code == 422 and "tilt_deg" in response.text


def test_usable_area_above_gross_names_the_field(client: TestClient, users: Users) -> None:
    site = add_site(client, users["owner"])
    body = {"site_id": site["id"], "kind": "roof", "geometry": rectangle(10, 10), "usable_area_m2": 150}
    response = client.post("/api/v1/surfaces", json=body, headers=users["owner"])
    assert response.status_code == 422 and response.json()["field"] == "usable_area_m2"


def test_an_owner_cannot_edit_another_owners_surface(client: TestClient, users: Users) -> None:
    roof = add_roof(client, users["owner"], add_site(client, users["owner"])["id"])
    url = f"/api/v1/surfaces/{roof['id']}"
    assert client.patch(url, json={"name": "mine"}, headers=users["other"]).status_code == 404
    assert client.post(f"{url}/submit", headers=users["other"]).status_code == 404
    assert client.post(f"{url}/withdraw", headers=users["other"]).status_code == 404
    assert client.get(url, headers=users["owner"]).json()["name"] == ""


def test_an_owner_cannot_add_a_surface_to_another_owners_site(client: TestClient, users: Users) -> None:
    site = add_site(client, users["owner"])
    body = {"site_id": site["id"], "kind": "roof", "geometry": rectangle(10, 10)}
    assert client.post("/api/v1/surfaces", json=body, headers=users["other"]).status_code == 404


def test_a_supplier_can_neither_register_nor_see_surfaces(client: TestClient, users: Users) -> None:
    roof = add_roof(client, users["owner"], add_site(client, users["owner"])["id"])
    site_body = {"name": "S", "footprint": rectangle(10, 10)}
    assert client.post("/api/v1/sites", json=site_body, headers=users["supplier"]).status_code == 403
    assert client.get("/api/v1/surfaces", headers=users["supplier"]).json()["total"] == 0
    assert (
        client.patch(f"/api/v1/sites/{roof['site_id']}", json={}, headers=users["supplier"]).status_code
        == 404
    )
    assert (
        client.post(
            f"/api/v1/surfaces/{roof['id']}/approve", json=ELIGIBLE, headers=users["supplier"]
        ).status_code
        == 403
    )


def test_the_office_rejects_with_a_reason_and_the_owner_sees_it(client: TestClient, users: Users) -> None:
    roof = add_roof(client, users["owner"], add_site(client, users["owner"])["id"])
    url = f"/api/v1/surfaces/{roof['id']}"
    assert client.post(f"{url}/submit", headers=users["owner"]).json()["status"] == "submitted"
    assert client.post(f"{url}/reject", json={"reason": ""}, headers=users["office"]).status_code == 422
    assert client.post(f"{url}/reject", json={"reason": "no"}, headers=users["owner"]).status_code == 403
    rejected = client.post(f"{url}/reject", json={"reason": "Load report missing"}, headers=users["office"])
    assert rejected.status_code == 200
    seen = client.get(url, headers=users["owner"]).json()
    assert seen["status"] == "rejected" and seen["rejection_reason"] == "Load report missing"
    assert client.post(f"{url}/submit", headers=users["owner"]).json()["rejection_reason"] is None


def test_an_approved_surface_edited_goes_back_to_review(client: TestClient, users: Users) -> None:
    roof = add_roof(client, users["owner"], add_site(client, users["owner"])["id"])
    url = f"/api/v1/surfaces/{roof['id']}"
    client.post(f"{url}/submit", headers=users["owner"])
    approved = client.post(f"{url}/approve", json=ELIGIBLE, headers=users["office"]).json()
    assert approved["status"] == "approved" and approved["fire_rating_ok"] is True
    edited = client.patch(url, json={"tilt_deg": 10, "azimuth_deg": 135}, headers=users["owner"]).json()
    assert edited["status"] == "submitted" and edited["azimuth_deg"] == 135
    assert edited["gross_area_m2"] > roof["gross_area_m2"]  # sloped now


def test_approve_refuses_an_ineligible_surface(client: TestClient, users: Users) -> None:
    site = add_site(client, users["owner"], heritage_protected=True)
    roof = add_roof(client, users["owner"], site["id"])
    url = f"/api/v1/surfaces/{roof['id']}"
    client.post(f"{url}/submit", headers=users["owner"])
    refused = client.post(
        f"{url}/approve", json=ELIGIBLE | {"fire_rating_ok": False}, headers=users["office"]
    )
    assert refused.status_code == 422
    assert "ineligible surface cannot be approved" in refused.json()["detail"]
    assert "fire_rating_ok" in refused.json()["detail"] and "heritage_ok" in refused.json()["detail"]
    assert client.get(url, headers=users["owner"]).json()["status"] == "submitted"
    ok = client.post(f"{url}/approve", json=ELIGIBLE | {"heritage_ok": True}, headers=users["office"])
    assert ok.status_code == 200 and ok.json()["heritage_ok"] is True


def test_surfaces_are_filtered_and_paginated(client: TestClient, users: Users) -> None:
    bund = add_site(client, users["owner"])
    nanjing = add_site(client, users["owner"], subdistrict="南京东路街道")
    ids = [add_roof(client, users["owner"], bund["id"])["id"] for _ in range(3)]
    add_roof(client, users["owner"], nanjing["id"])
    add_roof(client, users["other"], add_site(client, users["other"])["id"])
    client.post(f"/api/v1/surfaces/{ids[0]}/submit", headers=users["owner"])

    def listing(headers: dict[str, str], **params: object) -> dict[str, Any]:
        response = client.get("/api/v1/surfaces", params=params, headers=headers)
        assert response.status_code == 200, response.text
        return dict(response.json())

    page = listing(users["owner"], limit=2, offset=2)
    assert page["total"] == 4 and [s["id"] for s in page["items"]] == [ids[2], ids[2] + 1]
    assert listing(users["owner"], subdistrict="南京东路街道")["total"] == 1
    assert listing(users["owner"], site=bund["id"], status="submitted")["total"] == 1
    assert listing(users["office"], kind="roof")["total"] == 5
    assert listing(users["office"], kind="walkway")["total"] == 0
    assert (
        client.get("/api/v1/surfaces", params={"kind": "chimney"}, headers=users["office"]).status_code == 422
    )


def test_the_office_registers_for_an_owner_and_the_owner_edits_it(
    client: TestClient, users: Users, session: Session
) -> None:
    owner_site = add_site(client, users["owner"])
    org_id = owner_site["organisation_id"]
    site = add_site(client, users["office"], organisation_id=org_id, lon=121.49, lat=31.24)
    assert (site["lon"], site["lat"], site["organisation_id"]) == (121.49, 31.24, org_id)
    changed = client.patch(f"/api/v1/sites/{site['id']}", json={"name": "Renamed"}, headers=users["owner"])
    assert changed.status_code == 200 and changed.json()["name"] == "Renamed"
    event = session.exec(
        select(AuditEvent).where(AuditEvent.entity == "site", AuditEvent.action == "update")
    ).one()
    assert event.before is not None and event.after is not None
    assert (event.before["name"], event.after["name"], event.actor_label) == (
        "Bund tower",
        "Renamed",
        "a@owner.cn",
    )


def test_a_site_with_a_surface_in_review_cannot_be_deleted(client: TestClient, users: Users) -> None:
    site = add_site(client, users["owner"])
    roof = add_roof(client, users["owner"], site["id"])
    client.post(f"/api/v1/surfaces/{roof['id']}/submit", headers=users["owner"])
    url = f"/api/v1/sites/{site['id']}"
    assert client.delete(url, headers=users["other"]).status_code == 404
    assert client.delete(url, headers=users["owner"]).status_code == 409
    client.post(f"/api/v1/surfaces/{roof['id']}/withdraw", headers=users["owner"])
    assert client.delete(url, headers=users["owner"]).status_code == 204
    assert client.get(url, headers=users["owner"]).status_code == 404
