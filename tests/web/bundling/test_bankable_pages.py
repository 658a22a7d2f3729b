"""Bankable bundling on the office's Bundle page (issue #20): the floor and the group option with their
explanation and defaults, a run from the form that carries them, each bundle's economics (model,
investment, LCOE, investor IRR, owners' first-year saving) in zh and en, a bad floor named."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from pvhub.bundling import bundles
from pvhub.bundling.models import BundlingRun
from pvhub.economics.service import sites_economics
from pvhub.register.enums import BusinessModel
from pvhub.register.models import Site
from tests.conftest import api_token
from tests.pvhub.bundling.test_bundling import _district
from tests.pvhub.bundling.test_bundling_api import finished
from tests.web.bundling.test_bundle_pages import FORM
from tests.web.test_pages import csrf_of, login

ZH = {"Accept-Language": "zh-CN"}
EN = {"Accept-Language": "en"}


def _row(html: str, bundle_id: int) -> str:
    start = html.index(f'id="bundle-{bundle_id}"')
    return html[start : html.index("</tr>", start)]


def test_the_page_offers_the_floor_and_groups_and_shows_each_bundles_economics(
    client: TestClient, session: Session, make_user: Any
) -> None:
    office, site_ids = _district(session, make_user, n=8)
    for site_id in site_ids[::2]:  # half the sites in EMC: kept apart from the EPC ones below
        site = session.get(Site, site_id)
        assert site is not None
        site.business_model = BusinessModel.emc
        session.add(site)
    session.commit()
    login(client, "office@x.cn")
    zh = client.get("/bundles", headers=ZH).text
    assert "可融资项目包" in zh and "可融资下限" in zh and 'name="min_value_cny" value=""' in zh
    assert re.search(r'<option value="none" selected>不限</option>', zh) and "商业模式" in zh
    en = client.get("/bundles", headers=EN).text
    assert "IRR ≥ hurdle" in en and "Keep each bundle to one" in en
    token = csrf_of(zh)
    form = {**FORM, "csrf_token": token, "min_value_cny": "0", "same_group": "business_model"}
    assert client.post("/bundles/runs", data=form, follow_redirects=False).status_code == 303
    run_id = session.exec(select(BundlingRun.id)).one()
    assert run_id is not None
    run = finished(client, run_id, api_token(client, "office@x.cn"))
    assert run["status"] == "succeeded", run
    assert run["parameters"]["min_value_cny"] == 0 and run["parameters"]["same_group"] == "business_model"
    views = bundles.list_bundles(session=session, user=office)
    assert views
    zh = client.get("/bundles", headers=ZH).text
    # the form shows the last run's choices again
    assert 'name="min_value_cny" value="0"' in zh and '<option value="business_model" selected>' in zh
    assert "投资方 IRR" in zh and "平准化度电成本" in zh and "业主首年节省或收入" in zh
    en = client.get("/bundles", headers=EN).text
    for view in views:
        models = {session.get(Site, s).business_model for s in view.site_ids}  # type: ignore[union-attr]
        assert len(models) == 1  # one business model per bundle
        economics = sites_economics(session=session, site_ids=view.site_ids)
        assert economics is not None and economics.business_model == next(iter(models)).value
        row_zh, row_en = _row(zh, view.id), _row(en, view.id)
        assert ("合同能源管理" if economics.business_model == "emc" else "EPC") in row_zh
        assert f"CNY {economics.investment_cny:,.0f}" in row_en
        assert f"{economics.investment_cny / 10_000:,.1f} 万元" in row_zh
        investing = economics.parties.get("investor") or economics.parties["owner"]
        assert investing.irr is not None and f"{investing.irr * 100:,.1f} %" in row_en
        assert f"CNY {economics.parties['owner'].first_year_net_cny:,.0f}" in row_en


def test_a_floor_that_is_not_a_number_is_named(client: TestClient, session: Session, make_user: Any) -> None:
    _district(session, make_user, n=4)
    login(client, "office@x.cn")
    token = csrf_of(client.get("/bundles", headers=EN).text)
    form = {**FORM, "csrf_token": token, "min_value_cny": "lots", "same_group": "subdistrict"}
    refused = client.post("/bundles/runs", data=form, headers=EN)
    assert "Bankability floor" in refused.text and session.exec(select(BundlingRun)).first() is None
    # what was typed comes back
    assert 'name="min_value_cny" value="lots"' in refused.text
    assert '<option value="subdistrict" selected>' in refused.text
