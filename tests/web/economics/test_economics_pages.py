"""The economics on the surface and site pages (issue #20): the figures the service computes, the three
business models side by side, the chart's bars equal to the cash flows, the model switch, the table,
and a plain sentence while nothing is estimated."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from pvhub.accounts.models import User
from pvhub.core.enums import Role
from pvhub.economics import service as economics
from pvhub.economics.assumptions import TAX_NOTE
from pvhub.economics.cashflow import Economics
from pvhub.estimates import service as estimates
from pvhub.register.enums import BusinessModel, SurfaceStatus
from pvhub.register.models import Site
from tests.conftest import ROOF_22_SOUTH, add_site
from tests.web.test_pages import login

EN = {"Accept-Language": "en"}
ZH = {"Accept-Language": "zh-CN"}

WALL = {
    "kind": "curtain_wall",
    "name": "South wall",
    "tilt_deg": 90.0,
    "azimuth_deg": 180.0,
    "gross_area_m2": 400.0,
    "usable_area_m2": 200.0,
    "height_m": 20.0,
}


@pytest.fixture
def emc_site(session: Session, make_user):  # type: ignore[no-untyped-def]
    """An owner's EMC office site with an estimated roof and curtain wall, and an unestimated walkway."""
    owner = make_user("w@x.cn", Role.owner, "Bund Property")
    make_user("o@x.cn", Role.office, "Programme office")
    walkway = {**ROOF_22_SOUTH, "kind": "walkway", "name": "Walkway", "status": SurfaceStatus.draft}
    site, surfaces = add_site(
        session, owner.organisation_id, "外滩大楼", {**ROOF_22_SOUTH, "name": "South roof"}, WALL, walkway
    )
    site.business_model = BusinessModel.emc
    site.use = "office"
    session.add(site)
    session.commit()
    estimates.estimate_surfaces(
        session=session, actor=None, surface_ids=[s.id for s in surfaces[:2] if s.id is not None]
    )
    session.commit()
    return site, surfaces


def cny_en(value: float) -> str:
    sign = "−" if value < 0 else ""
    return f"{sign}CNY {abs(value):,.0f}"


def bars(html: str) -> dict[tuple[str, int], float]:
    found = re.findall(r'data-party="(\w+)" data-year="(\d+)" data-value="(-?[\d.]+)"', html)
    return {(party, int(year)): float(value) for party, year, value in found}


def owner_of(session: Session, site: Site) -> User:
    """The site's owner user, read back for the service's access check."""
    return session.exec(select(User).where(User.organisation_id == site.organisation_id)).one()


def test_the_site_page_shows_the_service_figures_the_three_models_and_the_cash_flow(
    client: TestClient, session: Session, emc_site
) -> None:  # type: ignore[no-untyped-def]
    site, _surfaces = emc_site
    owner = owner_of(session, site)
    expected: Economics = economics.site_economics(session=session, user=owner, site_id=site.id)
    assert expected.business_model == "emc"
    login(client, "w@x.cn")
    page = client.get(f"/sites/{site.id}", headers=EN)
    assert page.status_code == 200
    text = page.text
    section = text[text.index('id="economics"') :]
    assert f'id="econ-investment">{cny_en(expected.investment_cny)}<' in section
    for key, party in expected.parties.items():
        block = section[section.index(f'data-party="{key}"') :]
        assert f'data-figure="npv">{cny_en(party.npv_cny)}<' in block, key
    investor = expected.parties["investor"]
    assert investor.irr is not None
    assert f'data-figure="irr">{investor.irr * 100:,.1f} %<' in section
    owner_first = expected.parties["owner"].first_year_net_cny
    assert f'data-figure="first-year">{cny_en(owner_first)}<' in section
    # the comparison names the three models, with each model's investor figures
    table = section[section.index('id="economics-comparison"') : section.index("</table>")]
    for name in ("Owner-financed (EPC)", "Roof lease (rent per m²)", 'data-model="emc"'):
        assert name in table, name
    assert table.count("<tr data-model=") == 3
    # the chart's bars are the cash flows, party by party, year by year
    drawn = bars(section)
    want = {
        (key, int(row["year"])): round(row["net_cny"], 2)
        for key, party in expected.parties.items()
        for row in party.cash_flows
    }
    assert drawn == pytest.approx(want, abs=0.006)
    assert len(drawn) == 2 * (expected.assumptions["lifetime_years"] + 1)
    # the table lists the non-zero lines only: an EMC owner buys PV energy, pays no rent
    assert (
        "PV energy bought" in section
        and "Rent" not in section.split("cashflow-table")[1].split("</details>")[0]
    )
    assert TAX_NOTE in section and 'href="/programme/settings#economics"' in section


def test_the_model_switch_shows_another_models_cash_flow(
    client: TestClient, session: Session, emc_site
) -> None:  # type: ignore[no-untyped-def]
    site, _surfaces = emc_site
    owner = owner_of(session, site)
    lease = economics.site_economics(session=session, user=owner, site_id=site.id, model="lease")
    login(client, "w@x.cn")
    page = client.get(f"/sites/{site.id}?model=lease", headers=EN).text
    assert 'data-model="lease" aria-current="true"' in page
    assert bars(page)[("owner", 1)] == pytest.approx(
        lease.parties["owner"].cash_flows[1]["net_cny"], abs=0.006
    )
    assert "The owner's yearly income (year 1)" in page
    epc = client.get(f"/sites/{site.id}?model=epc", headers=EN).text
    assert not any(party == "investor" for party, _year in bars(epc))
    # an unknown model falls back to the site's own
    assert (
        'data-model="emc" aria-current="true"' in client.get(f"/sites/{site.id}?model=ppa", headers=EN).text
    )


def test_the_surface_page_shows_the_surface_as_a_system_of_its_own(
    client: TestClient, session: Session, emc_site
) -> None:  # type: ignore[no-untyped-def]
    site, (roof, wall, walkway) = emc_site
    owner = owner_of(session, site)
    login(client, "w@x.cn")
    for surface in (roof, wall):
        expected = economics.surface_economics(session=session, user=owner, surface_id=surface.id)
        text = client.get(f"/surfaces/{surface.id}", headers=EN).text
        assert f'id="econ-investment">{cny_en(expected.investment_cny)}<' in text
        assert f"{expected.lcoe_cny_per_kwh:,.4f}".rstrip("0") + " CNY/kWh" in text
    # a curtain wall costs more per kWp than a roof: its LCOE is higher
    roof_e = economics.surface_economics(session=session, user=owner, surface_id=roof.id)
    wall_e = economics.surface_economics(session=session, user=owner, surface_id=wall.id)
    assert wall_e.lcoe_cny_per_kwh > roof_e.lcoe_cny_per_kwh  # type: ignore[operator]
    text = client.get(f"/surfaces/{walkway.id}", headers=EN).text
    assert "follow once the surface is estimated" in text and 'id="econ-investment"' not in text


def test_the_pages_read_in_chinese_with_sums_in_wan_yuan(
    client: TestClient, session: Session, emc_site
) -> None:  # type: ignore[no-untyped-def]
    site, _surfaces = emc_site
    owner = owner_of(session, site)
    expected = economics.site_economics(session=session, user=owner, site_id=site.id)
    login(client, "w@x.cn")
    text = client.get(f"/sites/{site.id}", headers=ZH).text
    assert f'id="econ-investment">{expected.investment_cny / 10_000:,.1f} 万元<' in text
    assert "合同能源管理" in text and " 年" in text


def test_a_site_without_estimates_says_the_figures_follow(
    client: TestClient, session: Session, make_user
) -> None:  # type: ignore[no-untyped-def]
    owner = make_user("w@x.cn", Role.owner, "Bund Property")
    site, _ = add_site(
        session, owner.organisation_id, "新楼", {**ROOF_22_SOUTH, "status": SurfaceStatus.draft}
    )
    login(client, "w@x.cn")
    text = client.get(f"/sites/{site.id}", headers=EN).text
    assert "follow once the site's surfaces are estimated" in text and 'id="econ-investment"' not in text
