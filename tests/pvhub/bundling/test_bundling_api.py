"""Bundling over the API: start a run, read its result, lock, move and publish; who may do what."""

from __future__ import annotations

import time
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session

from pvhub.core.enums import Role
from tests.conftest import api_token
from tests.pvhub.bundling.test_bundling import _district


def finished(client: TestClient, run_id: int, headers: dict[str, str]) -> dict[str, Any]:
    """Poll the run until it has finished (the job runs in a thread of the app)."""
    for _ in range(300):
        run: dict[str, Any] = client.get(f"/api/v1/bundling-runs/{run_id}", headers=headers).json()
        if run["status"] not in ("queued", "running"):
            return run
        time.sleep(0.05)
    raise AssertionError("bundling run did not finish in 15 s")


RUN = {
    "min_capacity_kwp": 500,
    "max_capacity_kwp": 1200,
    "max_sites": 4,
    "max_distance_m": 1500,
    "time_limit_s": 3,
}


def test_the_office_runs_bundling_and_publishes_a_bundle(
    client: TestClient, session: Session, make_user
) -> None:  # type: ignore[no-untyped-def]
    _office, site_ids = _district(session, make_user)
    make_user("s@x.cn", Role.supplier, "Supplier")
    office = api_token(client, "office@x.cn")
    started = client.post("/api/v1/bundling-runs", json=RUN, headers=office)
    assert started.status_code == 202, started.text
    run = finished(client, started.json()["id"], office)
    assert run["status"] == "succeeded", run
    assert run["result"]["status"] in ("optimal", "feasible") and run["series"]
    listed = client.get("/api/v1/bundles", headers=office).json()
    assert sum(len(b["site_ids"]) for b in listed) == len(site_ids)
    first, second = listed[0], listed[1]
    locked = client.post(f"/api/v1/bundles/{first['id']}/lock", headers=office)
    assert locked.status_code == 200 and locked.json()["status"] == "locked"
    moved = client.put(
        f"/api/v1/sites/{second['site_ids'][0]}/bundle", json={"bundle_id": first["id"]}, headers=office
    )
    assert moved.status_code == 204
    published = client.post(f"/api/v1/bundles/{first['id']}/publish", headers=office).json()
    assert published["status"] == "published" and second["site_ids"][0] in published["site_ids"]
    again = client.post(f"/api/v1/bundles/{first['id']}/lock", headers=office)
    assert again.status_code == 409 and "published" in again.json()["detail"]
    supplier = api_token(client, "s@x.cn")
    assert [b["code"] for b in client.get("/api/v1/bundles", headers=supplier).json()] == [first["code"]]
    assert client.get(f"/api/v1/bundles/{second['id']}", headers=supplier).status_code == 404
    assert client.post("/api/v1/bundling-runs", json=RUN, headers=supplier).status_code == 403


def test_bad_parameters_name_the_field(client: TestClient, session: Session, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("office@x.cn", Role.office, "Office")
    office = api_token(client, "office@x.cn")
    bad = client.post("/api/v1/bundling-runs", json={**RUN, "min_capacity_kwp": 5000}, headers=office)
    assert bad.status_code == 422 and "minimum bundle capacity is above the maximum" in bad.text
    negative = client.post("/api/v1/bundling-runs", json={**RUN, "max_sites": -1}, headers=office)
    assert negative.status_code == 422 and "max_sites" in negative.text


def test_a_run_with_nothing_to_bundle_fails_with_the_reason(
    client: TestClient, session: Session, make_user
) -> None:  # type: ignore[no-untyped-def]
    make_user("office@x.cn", Role.office, "Office")
    office = api_token(client, "office@x.cn")
    started = client.post("/api/v1/bundling-runs", json=RUN, headers=office).json()
    run = finished(client, started["id"], office)
    assert run["status"] == "failed" and "approve and estimate" in run["error"]
    assert client.get("/api/v1/bundles", headers=office).json() == []
