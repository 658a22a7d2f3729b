"""GET /api/v1/audit and its CSV over the whole app: office only, the filters, sealed bids sealed."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from pvhub.accounts.models import User
from tests.conftest import api_token
from tests.pvhub.tenderworld import SECRET_NOTE, SECRET_TOTAL, World, bid, build_world, lot_ids, publish_round


@pytest.fixture
def world(session: Session, make_user: Callable[..., User]) -> World:
    return build_world(session, make_user)


def test_only_the_office_reads_the_audit_api(client: TestClient, world: World) -> None:
    assert client.get("/api/v1/audit").status_code == 401
    for email in (world.owner.email, world.suppliers[0].email):
        headers = api_token(client, email)
        assert client.get("/api/v1/audit", headers=headers).status_code == 403
        assert client.get("/api/v1/audit.csv", headers=headers).status_code == 403
        assert client.get("/api/v1/audit?format=csv", headers=headers).status_code == 403
    office = api_token(client, world.office.email)
    assert client.get("/api/v1/audit", headers=office).status_code == 200


def test_a_site_history_over_the_api_and_as_csv(client: TestClient, world: World) -> None:
    owner = api_token(client, world.owner.email)
    created = client.post("/api/v1/sites", json={"name": "老楼", "lon": 121.48, "lat": 31.23}, headers=owner)
    assert created.status_code == 201, created.text
    site_id = created.json()["id"]
    assert client.patch(f"/api/v1/sites/{site_id}", json={"name": "新楼"}, headers=owner).status_code == 200

    office = api_token(client, world.office.email)
    query = {"entity": "site", "entity_id": str(site_id)}
    page = client.get("/api/v1/audit", params={**query, "limit": 1}, headers=office).json()
    assert page["total"] == 2 and page["limit"] == 1
    newest = page["items"][0]
    assert newest["action"] == "update" and newest["actor_label"] == world.owner.email
    assert {"field": "name", "before": "老楼", "after": "新楼"} in newest["changes"]
    assert newest["sealed"] is False

    for url, params in (("/api/v1/audit.csv", query), ("/api/v1/audit", {**query, "format": "csv"})):
        response = client.get(url, params=params, headers=office)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/csv")
        assert response.content.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM
        rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
        assert [r["action"] for r in rows] == ["update", "create"]
        assert "name: 老楼 → 新楼" in rows[0]["changes"]

    bad = client.get("/api/v1/audit", params={"since": "2026-01-02", "until": "2026-01-01"}, headers=office)
    assert bad.status_code == 422 and "until" in bad.text


def test_the_audit_api_keeps_bids_sealed_until_the_deadline(
    client: TestClient, session: Session, world: World
) -> None:
    tender = publish_round(session, world, deadline=datetime.now(UTC) + timedelta(days=30))
    receipt = bid(
        session, world.suppliers[0], tender, lot_ids(session, tender)[0], SECRET_TOTAL, notes=SECRET_NOTE
    )
    office = api_token(client, world.office.email)
    params = {"tender_id": tender.id, "entity": "bid"}
    response = client.get("/api/v1/audit", params=params, headers=office)
    assert response.status_code == 200
    items = response.json()["items"]
    assert [i["entity_id"] for i in items] == [str(receipt.bid_id)]
    assert items[0]["sealed"] is True and items[0]["bid_content"] is None
    assert {"field": "content_sha256", "before": None, "after": receipt.content_sha256} in items[0]["changes"]
    csv_text = client.get("/api/v1/audit.csv", params=params, headers=office).text
    for text in (response.text, csv_text):
        assert SECRET_NOTE not in text and "1234567" not in text


def test_the_audit_api_is_documented(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    operation = schema["paths"]["/api/v1/audit"]["get"]
    ok = operation["responses"]["200"]["content"]
    assert ok["application/json"]["schema"]["$ref"].endswith("/AuditPagePublic")
    assert "text/csv" in ok
    assert {p["name"] for p in operation["parameters"]} >= {
        "entity",
        "entity_id",
        "user_id",
        "organisation_id",
        "action",
        "tender_id",
        "since",
        "until",
        "offset",
        "limit",
        "format",
    }
    assert "/api/v1/audit.csv" in schema["paths"]
