"""The estimating assumptions through the API: anyone signed in reads them, the office edits them,
and an edit outdates the estimates it affects until they are re-estimated."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session

from pvhub.core.enums import Role
from pvhub.estimates import service as estimates
from pvhub.register.enums import SurfaceKind, SurfaceStatus
from pvhub.register.models import Site, Surface
from tests.conftest import api_token


def _estimated_roof_and_wall(session: Session, make_user) -> None:  # type: ignore[no-untyped-def]
    owner = make_user("a@owner.cn", Role.owner, "Owner A")
    make_user("o@office.cn", Role.office, "Office")
    site = Site(name="A tower", organisation_id=owner.organisation_id, lon=121.48, lat=31.23)
    session.add(site)
    session.flush()
    assert site.id is not None
    surfaces = [
        Surface(
            site_id=site.id,
            kind=SurfaceKind.roof,
            tilt_deg=10,
            azimuth_deg=180,
            gross_area_m2=500,
            usable_area_m2=350,
            status=SurfaceStatus.approved,
        ),
        Surface(
            site_id=site.id,
            kind=SurfaceKind.curtain_wall,
            tilt_deg=90,
            azimuth_deg=180,
            gross_area_m2=300,
            usable_area_m2=200,
            status=SurfaceStatus.approved,
        ),
    ]
    session.add_all(surfaces)
    session.flush()
    estimates.estimate_surfaces(session=session, actor=None, surface_ids=[s.id for s in surfaces if s.id])
    session.commit()


def test_the_office_edits_an_assumption_and_the_api_counts_what_it_outdated(
    client: TestClient, session: Session, make_user
) -> None:  # type: ignore[no-untyped-def]
    _estimated_roof_and_wall(session, make_user)
    owner, office = api_token(client, "a@owner.cn"), api_token(client, "o@office.cn")
    read = client.get("/api/v1/programme/assumptions", headers=owner).json()
    assert read["default"] is True and read["kinds"]["roof"]["losses_pct"] == 14.08
    assert read["kinds"]["curtain_wall"]["mounting"] == "close_mount_glass_glass"
    assert client.get("/api/v1/estimates/status", headers=office).json()["out_of_date"] == 0

    edit = {"kinds": {"curtain_wall": {"power_density_w_m2": 100, "mounting": "open_rack_glass_glass"}}}
    assert client.patch("/api/v1/programme/assumptions", json=edit, headers=owner).status_code == 403
    changed = client.patch("/api/v1/programme/assumptions", json=edit, headers=office)
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert body["default"] is False and body["kinds"]["curtain_wall"]["power_density_w_m2"] == 100
    assert body["kinds"]["roof"]["losses_pct"] == 14.08  # untouched
    status = client.get("/api/v1/estimates/status", headers=office).json()
    assert status["out_of_date"] == 1  # the wall's; the roof's still holds


def test_a_bad_assumption_is_refused_naming_the_field(
    client: TestClient, session: Session, make_user
) -> None:  # type: ignore[no-untyped-def]
    make_user("o@office.cn", Role.office, "Office")
    office = api_token(client, "o@office.cn")
    bad = client.patch(
        "/api/v1/programme/assumptions", json={"kinds": {"roof": {"dc_ac_ratio": 9}}}, headers=office
    )
    assert bad.status_code == 422
    assert "kinds.roof.dc_ac_ratio" in bad.text and "2.5" in bad.text
    assert client.get("/api/v1/programme/assumptions", headers=office).json()["default"] is True
