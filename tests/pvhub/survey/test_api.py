"""The survey's API through the whole app: run as a job, potential (office and public), exports, offers."""

from __future__ import annotations

import csv
import io
import time
from typing import get_args

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from pvhub.core.enums import Role
from pvhub.register.models import Surface
from pvhub.survey import api as survey_api
from pvhub.survey import potential
from tests.conftest import api_token
from tests.pvhub.survey.survey_world import seed_stock


def _wait(client: TestClient, headers: dict[str, str], job_id: int) -> dict[str, object]:
    for _ in range(600):
        job = client.get(f"/api/v1/jobs/{job_id}", headers=headers).json()
        if job["status"] not in ("queued", "running"):
            return dict(job)
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not finish")


def test_survey_potential_offers_through_the_api(client: TestClient, session: Session, make_user) -> None:
    make_user("office@api.test", Role.office)
    owner = make_user("owner@api.test", Role.owner, "业主甲")
    make_user("other@api.test", Role.owner, "业主乙")
    buildings = seed_stock(session, n=4, neighbours=1)
    office_h = api_token(client, "office@api.test")
    owner_h = api_token(client, "owner@api.test")
    other_h = api_token(client, "other@api.test")

    assert client.post("/api/v1/survey/runs", headers=owner_h).status_code == 403
    assert client.post("/api/v1/survey/runs").status_code == 401
    started = client.post("/api/v1/survey/runs", headers=office_h)
    assert started.status_code == 202, started.text
    job = _wait(client, office_h, started.json()["id"])
    assert job["status"] == "succeeded", job

    office_view = client.get("/api/v1/survey/potential", headers=office_h, params={"page_size": 2}).json()
    assert office_view["total"] == 3 and office_view["pages"] == 2
    assert office_view["items"][0]["name"] and office_view["items"][0]["owner_status"] == "unclaimed"
    public = client.get("/api/v1/survey/potential").json()
    assert public["total"] == 3 and all(
        i["name"] is None and i["owner_status"] is None for i in public["items"]
    )
    assert client.get("/api/v1/survey/potential", params={"orientation": "up"}).status_code == 422

    first = office_view["items"][0]["building_id"]
    detail = client.get(f"/api/v1/survey/buildings/{first}/candidates", headers=office_h).json()
    assert detail["candidates"] and detail["candidates"][0]["status"] == "unclaimed"
    assert client.get("/api/v1/survey/buildings/999999/candidates").status_code == 404

    geo = client.get("/api/v1/survey/export.geojson")
    assert geo.status_code == 200 and len(geo.json()["features"]) == 3
    assert "测试大楼" not in geo.text
    rows = list(csv.reader(io.StringIO(client.get("/api/v1/survey/export.csv", headers=office_h).text)))
    assert rows[0][0] == "building_id" and "status" in rows[0] and len(rows) > 3

    ids = [b.id for b in buildings[:3]]
    refused = client.post(
        "/api/v1/survey/offers",
        headers=office_h,
        json={"building_ids": [buildings[3].id], "organisation_id": owner.organisation_id},
    )
    assert refused.status_code == 409 and "outside the district" in refused.json()["detail"]
    made = client.post(
        "/api/v1/survey/offers",
        headers=office_h,
        json={"building_ids": ids, "organisation_id": owner.organisation_id},
    )
    assert made.status_code == 201, made.text
    offers = made.json()
    assert [o["status"] for o in offers] == ["offered"] * 3 and offers[0]["kwp"] > 0
    assert len(client.get("/api/v1/survey/offers", headers=owner_h).json()) == 3
    assert client.get("/api/v1/survey/offers", headers=other_h).json() == []

    assert client.post(f"/api/v1/survey/offers/{offers[0]['id']}/confirm", headers=other_h).status_code == 404
    confirmed = client.post(f"/api/v1/survey/offers/{offers[0]['id']}/confirm", headers=owner_h)
    assert confirmed.status_code == 200, confirmed.text
    site_id = confirmed.json()["site_id"]
    surfaces = session.exec(select(Surface).where(Surface.site_id == site_id)).all()
    assert len(surfaces) == offers[0]["candidates"]
    assert client.get(f"/api/v1/sites/{site_id}", headers=owner_h).status_code == 200

    empty = client.post(
        f"/api/v1/survey/offers/{offers[1]['id']}/decline", headers=owner_h, json={"reason": ""}
    )
    assert empty.status_code == 422
    declined = client.post(
        f"/api/v1/survey/offers/{offers[1]['id']}/decline", headers=owner_h, json={"reason": "不打算装光伏"}
    )
    assert declined.status_code == 200 and declined.json()["reason"] == "不打算装光伏"
    withdrawn = client.post(f"/api/v1/survey/offers/{offers[2]['id']}/withdraw", headers=office_h)
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
    states = {o["id"]: o["status"] for o in client.get("/api/v1/survey/offers", headers=office_h).json()}
    assert states == {offers[0]["id"]: "confirmed", offers[1]["id"]: "declined", offers[2]["id"]: "withdrawn"}


def test_query_choices_follow_the_potential_filters() -> None:
    assert get_args(survey_api.KindQ) == potential.KINDS
    assert get_args(survey_api.SectorQ) == (*potential.SECTORS, "flat")
    assert get_args(survey_api.OwnerQ) == potential.OWNER_STATES
    assert get_args(survey_api.SortQ) == potential.SORTS
