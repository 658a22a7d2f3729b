"""Progress, construction and demonstration points over the API, as integrators use them."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from pvhub.accounts.models import User
from pvhub.construction.service import ORDER, today_in
from pvhub.core.enums import Role
from pvhub.tendering import handover
from tests.conftest import api_token
from tests.pvhub.programme_state import confirmed_award, estimated_site

TODAY = today_in()
AWARDED = datetime.now(UTC) - timedelta(days=120)


@pytest.fixture
def world(client: TestClient, session: Session, make_user: Any) -> dict[str, Any]:
    """One site awarded to the winner 120 days ago, one tower not yet bundled; tokens for everyone."""
    people: dict[str, User] = {
        "office": make_user("o@office.cn", Role.office, "Office"),
        "owner": make_user("a@owner.cn", Role.owner, "Owner A"),
        "winner": make_user("w@supplier.cn", Role.supplier, "Winner"),
        "rival": make_user("r@supplier.cn", Role.supplier, "Rival"),
    }
    org = people["owner"].organisation_id
    site, surfaces = estimated_site(session, org, "Awarded", [("roof", 40, 100.0), ("walkway", 3, 10.0)])
    tower, _ = estimated_site(
        session,
        org,
        "Tower",
        [("roof", 60, 50.0), ("curtain_wall", 30, 20.0), ("walkway", 4, 5.0)],
        lon=121.49,
    )
    confirmed_award(
        session, people["winner"].organisation_id, [site.id], schedule_days=100, confirmed_at=AWARDED
    )
    handover.sync_construction(session)  # as confirming it through the award service does
    session.commit()
    tokens = {who: api_token(client, user.email) for who, user in people.items()}
    return {"surfaces": [s.id for s in surfaces], "tower": tower.id, "tokens": tokens}


def report(
    client: TestClient, world: dict[str, Any], surface_id: int, kind: str, days_ago: int, **extra: Any
) -> Any:
    body = {"kind": kind, "date": (TODAY - timedelta(days=days_ago)).isoformat(), **extra}
    return client.post(
        f"/api/v1/surfaces/{surface_id}/milestones", json=body, headers=world["tokens"]["winner"]
    )


def test_a_supplier_reports_the_office_confirms_and_progress_moves(
    client: TestClient, world: dict[str, Any]
) -> None:
    roof = world["surfaces"][0]
    before = client.get("/api/v1/programme/progress").json()  # public: no token
    assert before["connected_kwp"] == 0 and before["target_kwp"] == 10_000
    assert {s["stage"]: s["kwp"] for s in before["stages"]}["awarded"] == pytest.approx(110.0)
    office = world["tokens"]["office"]
    for n, kind in enumerate(ORDER[:7]):
        extra = {"installed_kwp": 98.0} if kind.value == "grid_connected" else {}
        response = report(client, world, roof, kind.value, 70 - 10 * n, note=f"step {n}", **extra)
        assert response.status_code == 200, response.text
        milestone = next(m for m in response.json()["milestones"] if m["kind"] == kind.value)
        assert milestone["status"] == "reported"
        confirmed = client.post(f"/api/v1/milestones/{milestone['id']}/confirm", headers=office)
        assert confirmed.status_code == 200, confirmed.text
    after = client.get("/api/v1/programme/progress").json()
    assert after["connected_kwp"] == pytest.approx(98.0)
    stages = {s["stage"]: s for s in after["stages"]}
    assert stages["grid_connected"]["kwp"] == pytest.approx(98.0)
    assert stages["approved"]["cumulative_kwp"] == pytest.approx(98.0 + 10.0 + 75.0)
    assert after["forecast"]["forecast_date"] is not None and after["forecast"]["rate_kwp_per_day"] > 0
    assert "linear" in after["forecast"]["method"]


def test_milestone_errors_name_the_rule(client: TestClient, world: dict[str, Any]) -> None:
    roof = world["surfaces"][0]
    out_of_order = report(client, world, roof, "installed", 5)
    assert out_of_order.status_code == 409 and "design_approved first" in out_of_order.json()["detail"]
    future = report(client, world, roof, "design_approved", -3)
    assert future.status_code == 422 and future.json()["field"] == "date"
    rival = client.post(
        f"/api/v1/surfaces/{roof}/milestones",
        json={"kind": "design_approved", "date": TODAY.isoformat()},
        headers=world["tokens"]["rival"],
    )
    assert rival.status_code == 404
    bad_kind = report(client, world, roof, "painted", 3)
    assert bad_kind.status_code == 422


def test_the_office_sends_back_with_a_reason(client: TestClient, world: dict[str, Any]) -> None:
    roof = world["surfaces"][0]
    reported = report(client, world, roof, "design_approved", 30).json()
    mid = reported["milestones"][0]["id"]
    office = world["tokens"]["office"]
    assert (
        client.post(f"/api/v1/milestones/{mid}/send-back", json={"reason": ""}, headers=office).status_code
        == 422
    )
    sent = client.post(f"/api/v1/milestones/{mid}/send-back", json={"reason": "图纸缺页"}, headers=office)
    assert sent.json()["milestones"][0]["status"] == "sent_back"
    assert sent.json()["milestones"][0]["sent_back_reason"] == "图纸缺页"
    winner_cannot_confirm = client.post(
        f"/api/v1/milestones/{mid}/confirm", headers=world["tokens"]["winner"]
    )
    assert winner_cannot_confirm.status_code == 403


def test_measured_energy_by_api_and_csv(client: TestClient, world: dict[str, Any]) -> None:
    roof = world["surfaces"][0]
    office = world["tokens"]["office"]
    for n, kind in enumerate(ORDER[:7]):
        mid = next(
            m
            for m in report(client, world, roof, kind.value, 100 - n).json()["milestones"]
            if m["kind"] == kind.value
        )["id"]
        client.post(f"/api/v1/milestones/{mid}/confirm", headers=office)
    connected = TODAY - timedelta(days=94)
    first_full = (connected.replace(day=1) + timedelta(days=32)).replace(day=1)
    month = first_full.strftime("%Y-%m")
    bad = client.post(
        "/api/v1/measured-energy",
        json={
            "rows": [
                {"surface_id": roof, "month": month, "energy_kwh": 9000},
                {"surface_id": roof, "month": "2020-01", "energy_kwh": 1},
            ]
        },
        headers=world["tokens"]["winner"],
    )
    assert bad.status_code == 422
    assert [(e["index"], e["field"]) for e in bad.json()["errors"]] == [(1, "month")]
    good = client.post(
        "/api/v1/measured-energy/import",
        files={
            "file": ("meter.csv", f"surface_id,month,energy_kwh\n{roof},{month},9000\n".encode(), "text/csv")
        },
        headers=world["tokens"]["owner"],
    )
    assert good.status_code == 200 and good.json()["stored"] == 1
    months = client.get(f"/api/v1/surfaces/{roof}/measured-energy", headers=office).json()
    assert months[0]["month"] == month and months[0]["energy_kwh"] == 9000 and months[0]["estimated_kwh"] > 0
    summary = client.get("/api/v1/progress/yield", headers=office).json()
    assert summary["surfaces"] == 1 and summary["items"][0]["surface_id"] == roof


def test_the_lists_behind_the_numbers_respect_who_reads(client: TestClient, world: dict[str, Any]) -> None:
    office = client.get("/api/v1/progress/surfaces?stage=awarded", headers=world["tokens"]["office"]).json()
    assert office["total"] == 2 and office["total_kwp"] == pytest.approx(110.0)
    assert (
        client.get("/api/v1/progress/surfaces?stage=awarded", headers=world["tokens"]["winner"]).json()[
            "total"
        ]
        == 2
    )
    assert (
        client.get("/api/v1/progress/surfaces?stage=awarded", headers=world["tokens"]["rival"]).json()[
            "total"
        ]
        == 0
    )
    every = client.get(
        "/api/v1/progress/surfaces?stage=approved&at_least=true", headers=world["tokens"]["owner"]
    )
    assert every.json()["total"] == 5
    overdue = client.get("/api/v1/progress/overdue", headers=world["tokens"]["office"]).json()
    assert overdue["total"] == 2  # design approval was due 10 days after the award, 110 days ago


def test_progress_exports(client: TestClient, world: dict[str, Any]) -> None:
    headers = world["tokens"]["office"]
    text = client.get("/api/v1/programme/progress.csv", headers=headers).text
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert len(rows) == 5 and {r["stage"] for r in rows} == {"approved", "awarded"}
    awarded = [r for r in rows if r["stage"] == "awarded"]
    assert all(r["next_milestone"] == "design_approved" and r["overdue"] == "True" for r in awarded)
    geo = client.get("/api/v1/programme/progress.geojson", headers=headers)
    assert geo.headers["content-type"].startswith("application/geo+json")
    assert len(geo.json()["features"]) == 5
    assert client.get("/api/v1/programme/progress.csv").status_code == 401


def test_demonstration_points_by_api(client: TestClient, world: dict[str, Any]) -> None:
    office = world["tokens"]["office"]
    candidates = client.get("/api/v1/demonstration-points/candidates", headers=office).json()
    assert [c["site_ids"] for c in candidates] == [[world["tower"]]]
    assert (
        client.get("/api/v1/demonstration-points/candidates", headers=world["tokens"]["owner"]).status_code
        == 403
    )
    created = client.post(
        "/api/v1/demonstration-points",
        json={"site_ids": [world["tower"]], "name": "塔楼示范点"},
        headers=office,
    )
    assert created.status_code == 201, created.text
    point = created.json()
    assert point["surfaces"] == 3 and point["complete"] is False
    refused = client.post(
        "/api/v1/demonstration-points", json={"site_ids": [world["tower"]], "name": "again"}, headers=office
    )
    assert refused.status_code == 409
    public = client.get("/api/v1/programme/progress").json()
    assert [p["name"] for p in public["demonstration_points"]] == ["塔楼示范点"]
    assert client.delete(f"/api/v1/demonstration-points/{point['id']}", headers=office).status_code == 204
    assert client.get("/api/v1/demonstration-points").json() == []
