"""A surface's estimate over the API: the figures, and that they came from the embedded synthetic year."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session

from pvhub.models import Role, SurfaceStatus
from pvhub.services import estimates
from tests.conftest import ROOF_22_SOUTH, add_site, api_token


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

    from pvhub.models import Estimate

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
