"""Money beside the kWp (issue #20): the register list's investment and payback columns, the potential
map's investment and EPC payback per building (table and popups) equal to ``epc_batch``'s, and the
office dashboard's investment mobilised and yearly saving to owners."""

from __future__ import annotations

import json
import math
import re

import numpy as np
from fastapi.testclient import TestClient
from sqlmodel import Session

from pvhub.core.enums import Role
from pvhub.economics import service as economics
from pvhub.economics.assumptions import DEFAULTS, tariff_class
from pvhub.economics.cashflow import epc_batch
from pvhub.estimates import service as estimates
from pvhub.register.enums import BusinessModel
from pvhub.survey import grouping, potential
from pvhub.survey import service as survey
from pvhub.survey.potential import PotentialFilters
from tests.conftest import ROOF_22_SOUTH, add_site
from tests.pvhub.survey.survey_world import seed_stock
from tests.web.test_pages import login

EN = {"Accept-Language": "en"}


def cny_en(value: float) -> str:
    sign = "−" if value < 0 else ""
    return f"{sign}CNY {abs(value):,.0f}"


def _estimated_sites(session: Session, make_user):  # type: ignore[no-untyped-def]
    """Two estimated sites of one owner, EPC and lease; and the office."""
    owner = make_user("w@x.cn", Role.owner, "Bund Property")
    make_user("o@x.cn", Role.office, "Programme office")
    epc, (roof_a,) = add_site(session, owner.organisation_id, "EPC楼", {**ROOF_22_SOUTH})
    lease, (roof_b,) = add_site(
        session, owner.organisation_id, "租赁楼", {**ROOF_22_SOUTH, "usable_area_m2": 500.0}
    )
    lease.business_model = BusinessModel.lease
    session.add(lease)
    session.commit()
    estimates.estimate_surfaces(
        session=session, actor=None, surface_ids=[s.id for s in (roof_a, roof_b) if s.id is not None]
    )
    session.commit()
    return epc, lease


def test_the_register_list_shows_each_sites_investment_and_payback(
    client: TestClient, session: Session, make_user
) -> None:  # type: ignore[no-untyped-def]
    epc, lease = _estimated_sites(session, make_user)
    login(client, "w@x.cn")
    text = client.get("/sites", headers=EN).text
    assert "Investment" in text and "Payback" in text
    for site, party in ((epc, "owner"), (lease, "investor")):
        found = economics.sites_economics(session=session, site_ids=[site.id])
        assert found is not None and found.business_model == site.business_model.value
        figures = found.parties[party]
        row = text[text.index(f'href="/sites/{site.id}"') :].split("</tr>")[0]
        assert f'data-col="investment">{cny_en(found.investment_cny)}<' in row
        assert figures.payback_years is not None
        assert f'data-col="payback">{figures.payback_years:,.1f} years' in row


def test_the_office_dashboard_shows_investment_and_owners_saving(
    client: TestClient, session: Session, make_user
) -> None:  # type: ignore[no-untyped-def]
    epc, lease = _estimated_sites(session, make_user)
    expected = economics.programme_economics(session=session)
    by_site = [economics.sites_economics(session=session, site_ids=[s.id]) for s in (epc, lease)]
    assert expected["investment_cny"] == sum(e.investment_cny for e in by_site if e is not None)
    assert expected["owner_saving_cny_per_year"] > 0
    login(client, "o@x.cn")
    text = client.get("/", headers=EN).text
    assert f'id="kpi-investment">{cny_en(expected["investment_cny"])}<' in text
    assert f'id="kpi-owner-saving">{cny_en(expected["owner_saving_cny_per_year"])}<' in text
    dashboard = client.get("/dashboard", headers=EN).text
    assert f'id="kpi-investment">{cny_en(expected["investment_cny"])}<' in dashboard
    assert "Yearly saving to owners" in dashboard


def test_the_potential_maps_figures_are_epc_batchs(client: TestClient, session: Session, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("office@pages.test", Role.office)
    seed_stock(session, n=4, neighbours=1)
    survey.run_survey(session=session)
    session.commit()
    items = potential.potential(session=session, filters=PotentialFilters(), page=1).items
    assert items
    prices = DEFAULTS.investment_cny_per_kwp
    kwp = np.array([b.kwp for b in items])
    roof, facade = np.array([b.roof_kwp for b in items]), np.array([b.facade_kwp for b in items])
    investment = (
        roof * prices["roof"] + facade * prices["curtain_wall"] + (kwp - roof - facade) * prices["walkway"]
    )
    tariffs = np.array([DEFAULTS.tariff_cny_per_kwh[tariff_class(b.use)] for b in items])
    shares = np.array([DEFAULTS.self_use_share[tariff_class(b.use)] for b in items])
    annual = np.array([b.annual_mwh * 1000 for b in items])
    want_inv, want_payback = epc_batch(kwp, annual, investment, tariffs, shares, DEFAULTS)
    assert np.all(want_inv > 0)

    login(client, "office@pages.test")
    client.cookies.set("lang", "en")
    text = client.get("/survey", headers=EN).text
    data = json.loads(re.search(r'id="potential-map-data">(.*?)</script>', text, re.S).group(1))  # type: ignore[union-attr]
    labels = {m["id"]: m["label"] for m in data["markers"]}
    for b, inv, pb in zip(items, want_inv, want_payback, strict=True):
        row = text[text.index(f'data-building="{b.building_id}"') :].split("</tr>")[0]
        assert f'data-col="investment">{cny_en(inv)}<' in row
        years = "never" if math.isnan(pb) else f"{pb:,.1f} years"
        assert (f'data-col="payback">{years}' in row) or (math.isnan(pb) and "—" in row)
        assert f"investment {cny_en(inv)}, payback (EPC) {years}" in labels[b.building_id]
    # a building's drill-down: each face priced by its kind, at the building's tariff class
    detail = potential.building_detail(session=session, building_id=items[0].building_id)
    faces = grouping.group_candidates(detail.candidates)
    cls = tariff_class(detail.building.use)
    face_kwp = np.array([f.kwp for f in faces])
    face_inv, face_pb = epc_batch(
        face_kwp,
        np.array([f.annual_mwh * 1000 for f in faces]),
        face_kwp * np.array([prices[f.kind] for f in faces]),
        np.full(len(faces), DEFAULTS.tariff_cny_per_kwh[cls]),
        np.full(len(faces), DEFAULTS.self_use_share[cls]),
        DEFAULTS,
    )
    drill = client.get(f"/survey/buildings/{items[0].building_id}", headers=EN).text
    found = re.findall(r'data-col="investment">([^<]+)<', drill)
    assert found == [cny_en(v) for v in face_inv]
    assert len(re.findall(r'data-col="payback">', drill)) == len(faces) and not np.all(np.isnan(face_pb))
    # the public map carries the same figures
    public = client.get("/potential", headers=EN).text
    assert f'data-col="investment">{cny_en(want_inv[0])}<' in public
