"""Economics through the service and the API: figures from the stored estimates under the site's
business model and the assumptions in force, the cash flows reproducing their NPV and IRR, access
as the register's, and the office's edits of the assumptions (range-checked, versioned, audited)."""

from __future__ import annotations

import numpy_financial as npf
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from pvhub.core.audit_events import AuditEvent
from pvhub.core.enums import Role
from pvhub.core.errors import InvalidInput
from pvhub.economics import service
from pvhub.economics.models import EconomicSettings
from pvhub.estimates import service as estimates
from pvhub.estimates.models import Estimate
from pvhub.register.enums import BusinessModel, SurfaceStatus
from tests.conftest import ROOF_22_SOUTH, add_site, api_token

WALL = {
    "kind": "curtain_wall",
    "tilt_deg": 90,
    "azimuth_deg": 180,
    "gross_area_m2": 300,
    "usable_area_m2": 200,
}


@pytest.fixture
def world(session: Session, make_user):  # type: ignore[no-untyped-def]
    owner = make_user("a@owner.cn", Role.owner, "Owner A")
    make_user("b@owner.cn", Role.owner, "Owner B")
    make_user("o@office.cn", Role.office, "Office")
    site, surfaces = add_site(session, owner.organisation_id, "Tower A", ROOF_22_SOUTH, WALL)
    site.business_model = BusinessModel.emc
    site.use = "school"
    session.add(site)
    estimates.estimate_surfaces(session=session, actor=None, surface_ids=[s.id for s in surfaces if s.id])
    session.commit()
    return site, surfaces


def _check_party(party: dict, rate: float) -> None:  # type: ignore[type-arg]
    nets = [row["net_cny"] for row in party["cash_flows"]]
    assert party["npv_cny"] == pytest.approx(float(npf.npv(rate, nets)), rel=1e-9)
    if party["irr"] is not None:
        assert float(npf.npv(party["irr"], nets)) == pytest.approx(0, abs=1e-6 * abs(nets[0]))


def test_the_api_gives_the_sites_model_and_its_cash_flows_reproduce_npv_and_irr(
    client: TestClient, session: Session, world
) -> None:  # type: ignore[no-untyped-def]
    site, (roof, wall) = world
    owner = api_token(client, "a@owner.cn")
    body = client.get(f"/api/v1/sites/{site.id}/economics", headers=owner).json()
    assert body["business_model"] == "emc" and set(body["parties"]) == {"owner", "investor"}
    rate = body["assumptions"]["discount_rate"]
    assert rate == 0.06
    for party in body["parties"].values():
        _check_party(party, rate)
        assert [row["year"] for row in party["cash_flows"]] == list(range(26))
    # a school pays the public tariff and uses 75 % of the energy itself
    assert body["inputs"]["tariff_cny_per_kwh"] == 0.78 and body["inputs"]["self_use_share"] == 0.75
    kwh = sum(e.annual_kwh for e in session.exec(select(Estimate)).all())
    assert body["annual_kwh"] == pytest.approx(kwh)
    # roof at 3,500 CNY/kWp and the BIPV wall at 9,000
    est = {e.surface_id: e for e in session.exec(select(Estimate)).all()}
    assert body["investment_cny"] == pytest.approx(
        3500 * est[roof.id].capacity_kwp + 9000 * est[wall.id].capacity_kwp
    )
    epc = client.get(f"/api/v1/sites/{site.id}/economics?model=epc", headers=owner).json()
    assert set(epc["parties"]) == {"owner"}
    _check_party(epc["parties"]["owner"], rate)
    wall_only = client.get(f"/api/v1/surfaces/{wall.id}/economics?model=lease", headers=owner).json()
    assert wall_only["capacity_kwp"] == pytest.approx(est[wall.id].capacity_kwp)
    assert wall_only["parties"]["owner"]["cash_flows"][1]["rent_cny"] == pytest.approx(8.0 * 200)


def test_access_and_bad_requests_get_clear_answers(client: TestClient, session: Session, world) -> None:  # type: ignore[no-untyped-def]
    site, (roof, _wall) = world
    other = api_token(client, "b@owner.cn")
    assert client.get(f"/api/v1/sites/{site.id}/economics", headers=other).status_code == 404
    assert client.get(f"/api/v1/surfaces/{roof.id}/economics", headers=other).status_code == 404
    owner = api_token(client, "a@owner.cn")
    bad = client.get(f"/api/v1/sites/{site.id}/economics?model=ppa", headers=owner)
    assert bad.status_code == 422
    fresh, _ = add_site(session, site.organisation_id, "Not estimated", ROOF_22_SOUTH)
    missing = client.get(f"/api/v1/sites/{fresh.id}/economics", headers=owner)
    assert missing.status_code == 422 and "no estimated surface" in missing.text


def test_the_office_edits_the_assumptions_and_every_figure_follows(
    client: TestClient, session: Session, world
) -> None:  # type: ignore[no-untyped-def]
    site, _ = world
    owner, office = api_token(client, "a@owner.cn"), api_token(client, "o@office.cn")
    read = client.get("/api/v1/programme/economics", headers=owner).json()
    assert read["default"] is True and read["values"]["export_price_cny_per_kwh"] == 0.4155
    assert "0.4155" in read["sources"]["export_price_cny_per_kwh"]
    before = client.get(f"/api/v1/sites/{site.id}/economics", headers=owner).json()
    edit = {"tariff_cny_per_kwh": {"public": 1.0}, "discount_rate": 0.08}
    assert client.patch("/api/v1/programme/economics", json=edit, headers=owner).status_code == 403
    saved = client.patch("/api/v1/programme/economics", json=edit, headers=office)
    assert saved.status_code == 200 and saved.json()["values"]["tariff_cny_per_kwh"]["public"] == 1.0
    assert saved.json()["values"]["tariff_cny_per_kwh"]["office"] == 0.85  # the other classes kept
    after = client.get(f"/api/v1/sites/{site.id}/economics", headers=owner).json()
    assert after["assumptions"]["discount_rate"] == 0.08 and after["inputs"]["tariff_cny_per_kwh"] == 1.0
    assert after["parties"]["owner"]["npv_cny"] != before["parties"]["owner"]["npv_cny"]
    # the same edit again stores nothing; a value out of range names its field and stores nothing
    assert (
        client.patch("/api/v1/programme/economics", json=edit, headers=office).json()["version_id"]
        == saved.json()["version_id"]
    )
    refused = client.patch(
        "/api/v1/programme/economics", json={"self_use_share": {"office": 1.5}}, headers=office
    )
    assert refused.status_code == 422 and "self_use_share.office" in refused.text
    unknown = client.patch(
        "/api/v1/programme/economics", json={"tariff_cny_per_kwh": {"farm": 0.5}}, headers=office
    )
    assert unknown.status_code == 422 and "farm" in unknown.text
    session.expire_all()
    assert len(session.exec(select(EconomicSettings)).all()) == 1
    events = session.exec(select(AuditEvent).where(AuditEvent.entity == "economics")).all()
    assert len(events) == 1 and events[0].after["discount_rate"] == 0.08


def test_site_values_and_several_sites_as_one(session: Session, world, make_user) -> None:  # type: ignore[no-untyped-def]
    site, _ = world
    other, surfaces = add_site(session, site.organisation_id, "Tower B", ROOF_22_SOUTH)
    estimates.estimate_surfaces(session=session, actor=None, surface_ids=[s.id for s in surfaces if s.id])
    session.commit()
    values = service.site_values(session=session, site_ids=[site.id, other.id])
    assert set(values) == {site.id, other.id}
    assert values[other.id] > 0  # a south roof pays for itself (EPC, the owner's NPV)
    both = service.sites_economics(session=session, site_ids=[site.id, other.id], model="emc")
    assert both is not None and both.business_model == "emc" and both.inputs is None
    one = service.sites_economics(session=session, site_ids=[site.id], model="emc")
    alone = service.sites_economics(session=session, site_ids=[other.id], model="emc")
    assert one is not None and alone is not None
    assert both.investment_cny == pytest.approx(one.investment_cny + alone.investment_cny)
    # the model of the most kWp: Tower A (EMC, roof and wall) outweighs Tower B (EPC, one roof)
    assert service.sites_economics(session=session, site_ids=[site.id, other.id]).business_model == "emc"  # type: ignore[union-attr]
    # only approved surfaces count for bundles
    surfaces[0].status = SurfaceStatus.submitted
    session.add(surfaces[0])
    session.commit()
    assert other.id not in service.site_values(session=session, site_ids=[other.id])
    totals = service.programme_economics(session=session)
    assert totals["investment_cny"] == pytest.approx(one.investment_cny)
    own = service.sites_economics(session=session, site_ids=[site.id], model="emc")
    assert own is not None  # Tower A is an EMC site: its owner saves the discount
    assert totals["owner_saving_cny_per_year"] == pytest.approx(own.parties["owner"].first_year_net_cny)
    assert service.programme_economics(session=session, site_ids=[other.id])["investment_cny"] == 0
    with pytest.raises(InvalidInput):
        service.checked_model("ppa")


def test_many_groups_at_once_equal_each_group_alone(session: Session, world) -> None:  # type: ignore[no-untyped-def]
    site, _ = world
    other, surfaces = add_site(session, site.organisation_id, "Tower B", ROOF_22_SOUTH)
    estimates.estimate_surfaces(session=session, actor=None, surface_ids=[s.id for s in surfaces if s.id])
    session.commit()
    groups = {"both": [site.id, other.id], "b": [other.id], "none": [10_000]}
    found = service.groups_economics(session=session, groups=groups, models={"b": "lease"})
    assert set(found) == {"both", "b"}
    for key, model in (("both", None), ("b", "lease")):
        alone = service.sites_economics(session=session, site_ids=groups[key], model=model)
        assert alone is not None and found[key].business_model == alone.business_model
        assert found[key].to_dict() == alone.to_dict()
