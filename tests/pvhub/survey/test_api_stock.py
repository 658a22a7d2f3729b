"""The building stock over the API: the office imports (preview, 422 with problems), anyone reads."""

from __future__ import annotations

import time
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from pvhub.core.enums import Role
from pvhub.survey.models import Building
from tests.conftest import api_token
from tests.pvhub.survey.test_stock import GOOD, collection, feature


def count(session: Session) -> int:
    return int(session.exec(select(func.count()).select_from(Building)).one())


def test_the_office_previews_then_imports(client: TestClient, session: Session, make_user: Any) -> None:
    make_user("office@x.cn", Role.office, "Office")
    headers = api_token(client, "office@x.cn")
    files = {"file": ("stock.geojson", GOOD, "application/geo+json")}
    preview = client.post("/api/v1/buildings/import", files=files, data={"preview": "true"}, headers=headers)
    assert preview.status_code == 200, preview.text
    assert preview.json()["dry_run"] and preview.json()["buildings"] == 3 and count(session) == 0
    real = client.post("/api/v1/buildings/import", files=files, headers=headers)
    assert real.status_code == 200, real.text
    assert real.json()["created"] == 3 and count(session) == 3
    client.cookies.clear()  # as the public: no session
    page = client.get("/api/v1/buildings", params={"bbox": "121.4895,31.2295,121.4925,31.2305", "limit": 2})
    assert page.status_code == 200
    body = page.json()
    assert len(body["features"]) == 2 and body["truncated"] is True
    assert body["features"][0]["properties"].get("name") is None  # the public gets no names
    rest = client.get("/api/v1/buildings", params={"limit": 2, "offset": 2}, headers=headers).json()
    assert len(rest["features"]) == 1 and not rest["truncated"]
    one = client.get(f"/api/v1/buildings/{body['features'][0]['id']}", headers=headers)
    assert one.status_code == 200 and one.json()["frame_epsg"] == 32651 and one.json()["faces"]


def test_a_bad_file_is_422_with_every_problem_and_writes_nothing(
    client: TestClient, session: Session, make_user: Any
) -> None:
    make_user("office@x.cn", Role.office, "Office")
    headers = api_token(client, "office@x.cn")
    bad = collection(feature("a", 121.49, 31.23, height="tall"), feature("b", 121.491, 31.23, height=-1))
    response = client.post(
        "/api/v1/buildings/import", files={"file": ("bad.geojson", bad, "application/json")}, headers=headers
    )
    assert response.status_code == 422
    problems = response.json()["problems"]
    assert [(p["where"], p["field"]) for p in problems] == [("feature 0", "height"), ("feature 1", "height")]
    assert count(session) == 0


def test_only_the_office_imports_and_a_bbox_is_checked(
    client: TestClient, session: Session, make_user: Any
) -> None:
    make_user("owner@x.cn", Role.owner, "Owner")
    headers = api_token(client, "owner@x.cn")
    files = {"file": ("stock.geojson", GOOD, "application/json")}
    assert client.post("/api/v1/buildings/import", files=files, headers=headers).status_code == 403
    assert client.post("/api/v1/buildings/import", files=files).status_code == 401
    assert client.get("/api/v1/buildings", params={"bbox": "1,2,3"}).status_code == 422
    assert client.get("/api/v1/buildings/999999", headers=headers).status_code == 404
    assert count(session) == 0


def test_a_large_file_runs_as_a_job(client: TestClient, session: Session, make_user: Any) -> None:
    make_user("office@x.cn", Role.office, "Office")
    headers = api_token(client, "office@x.cn")
    files = {"file": ("stock.geojson", GOOD, "application/json")}
    response = client.post(
        "/api/v1/buildings/import", files=files, data={"background": "true"}, headers=headers
    )
    assert response.status_code == 202, response.text
    url = response.json()["status_url"]
    deadline = time.monotonic() + 90  # two cores shared with other test runs
    job = client.get(url, headers=headers).json()
    while job["status"] in ("queued", "running") and time.monotonic() < deadline:
        time.sleep(0.2)
        job = client.get(url, headers=headers).json()
    assert job["status"] == "succeeded", job.get("error")
    assert job["result"]["ok"] and job["result"]["created"] == 3
    assert "_upload" not in job["parameters"]
