"""A surface's estimate over the API: the figures, and that they came from the embedded synthetic year."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session

from pvhub.core.enums import Role
from pvhub.estimates import service as estimates
from pvhub.register.enums import SurfaceStatus
from tests.conftest import ROOF_22_SOUTH, add_site, api_token
from tests.pvhub.jobs.test_jobs import wait_for


def test_an_owner_reads_its_surface_estimate_labelled_synthetic(
    client: TestClient, session: Session, make_user
) -> None:  # type: ignore[no-untyped-def]
    owner = make_user("w@x.cn", Role.owner, "Owner")
    make_user("t@x.cn", Role.owner, "Other")
    _site, (roof, pending) = add_site(
        session,
        owner.organisation_id,
        "Tower",
        ROOF_22_SOUTH,
        {
            "kind": "walkway",
            "tilt_deg": 3,
            "azimuth_deg": 180,
            "gross_area_m2": 50,
            "usable_area_m2": 40,
            "status": SurfaceStatus.submitted,
        },
    )
    assert roof.id is not None
    estimates.estimate_surfaces(session=session, actor=None, surface_ids=[roof.id])
    session.commit()
    headers = api_token(client, "w@x.cn")
    body = client.get(f"/api/v1/surfaces/{roof.id}/estimate", headers=headers).json()
    assert body["capacity_kwp"] == 54.0 and len(body["monthly_kwh"]) == 12
    assert body["synthetic_weather"] is True and body["stale"] is False
    assert 1000 <= body["specific_yield_kwh_per_kwp"] <= 1100
    missing = client.get(f"/api/v1/surfaces/{pending.id}/estimate", headers=headers)
    assert missing.status_code == 404 and "no estimate yet" in missing.json()["detail"]
    other = client.get(f"/api/v1/surfaces/{roof.id}/estimate", headers=api_token(client, "t@x.cn"))
    assert other.status_code == 404


def test_a_site_horizon_shades_its_surfaces_and_outdates_their_estimates(
    client: TestClient, session: Session, make_user
) -> None:  # type: ignore[no-untyped-def]
    from sqlmodel import select

    from pvhub.estimates.models import Estimate

    owner = make_user("w@x.cn", Role.owner, "Owner")
    site, (roof,) = add_site(session, owner.organisation_id, "Tower", ROOF_22_SOUTH)
    assert roof.id is not None
    estimates.estimate_surfaces(session=session, actor=None, surface_ids=[roof.id])
    session.commit()
    open_sky = session.exec(select(Estimate)).one().annual_kwh
    headers = api_token(client, "w@x.cn")
    # a tall neighbour to the south: 35° skyline from south-east to south-west
    skyline = {"azimuth_deg": [0, 120, 135, 225, 240, 360], "elevation_deg": [0, 0, 35, 35, 0, 0]}
    bad = client.patch(
        f"/api/v1/sites/{site.id}",
        json={"horizon": {"azimuth_deg": [0, 90, 90], "elevation_deg": [0, 5, 5]}},
        headers=headers,
    )
    assert bad.status_code == 422 and "increase strictly" in bad.text
    saved = client.patch(f"/api/v1/sites/{site.id}", json={"horizon": skyline}, headers=headers)
    assert saved.status_code == 200 and saved.json()["horizon"] == skyline
    session.expire_all()
    assert session.exec(select(Estimate)).one().stale is True
    estimates.estimate_surfaces(session=session, actor=None, surface_ids=[roof.id])
    session.commit()
    shaded = session.exec(select(Estimate)).one().annual_kwh
    # the winter sun (below 35° at noon from November to January) loses its beam: a clear loss,
    # but diffuse light still arrives
    assert 0.6 * open_sky < shaded < 0.95 * open_sky


def _jobs(session: Session) -> int:
    from sqlmodel import func, select

    from pvhub.jobs.models import Job

    session.expire_all()
    return int(session.exec(select(func.count()).select_from(Job)).one())


def test_an_estimate_run_over_ids_beyond_the_database_is_refused_before_any_job(
    client: TestClient, session: Session, make_user
) -> None:  # type: ignore[no-untyped-def]
    """2**70 once made a job that failed inside with an internal error."""
    make_user("pm@x.cn", Role.office, "Office")
    headers = api_token(client, "pm@x.cn")
    for ids in ([2**70], [2**31], [0], [-1], ["1"]):
        response = client.post("/api/v1/estimates/runs", json={"surface_ids": ids}, headers=headers)
        assert response.status_code == 422, (ids, response.text)
        assert response.json()["detail"][0]["loc"][:2] == ["body", "surface_ids"]
    assert _jobs(session) == 0


def test_an_estimate_run_over_surfaces_that_do_not_exist_names_them_and_queues_nothing(
    client: TestClient, session: Session, make_user
) -> None:  # type: ignore[no-untyped-def]
    """Once a job that estimated nothing and said so nowhere."""
    office = make_user("pm@x.cn", Role.office, "Office")
    _site, (roof,) = add_site(session, office.organisation_id, "Tower", ROOF_22_SOUTH)
    headers = api_token(client, "pm@x.cn")
    body = {"surface_ids": [roof.id, 2_000_000_000, 999_999, 999_999]}
    response = client.post("/api/v1/estimates/runs", json=body, headers=headers)
    assert response.status_code == 404, response.text
    answer = response.json()
    assert answer["field"] == "surface_ids"
    assert answer["detail"] == "No surface has id 999999, 2000000000 (2 in all); nothing was queued."
    assert _jobs(session) == 0
    many = client.post(
        "/api/v1/estimates/runs", json={"surface_ids": list(range(10**6, 10**6 + 25))}, headers=headers
    )
    assert many.status_code == 404 and "1000019, … (25 in all)" in many.json()["detail"]
    ok = client.post("/api/v1/estimates/runs", json={"surface_ids": [roof.id]}, headers=headers)
    assert ok.status_code == 202 and _jobs(session) == 1
    assert wait_for(client, ok.json()["id"], headers)["status"] == "succeeded"


def test_an_owner_cannot_probe_surface_ids_with_an_estimate_run(
    client: TestClient, session: Session, make_user
) -> None:  # type: ignore[no-untyped-def]
    make_user("w@x.cn", Role.owner, "Owner")
    response = client.post(
        "/api/v1/estimates/runs", json={"surface_ids": [999_999]}, headers=api_token(client, "w@x.cn")
    )
    assert response.status_code == 403 and _jobs(session) == 0
