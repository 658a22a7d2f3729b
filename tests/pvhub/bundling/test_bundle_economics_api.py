"""A bundle's economics over the API (issue #20): the figures of its sites as one system, under the
model asked for, else the lot's it was offered as, else its sites' of most kWp; read as the bundle is
(office: every bundle; suppliers: published ones; owners: none)."""

from __future__ import annotations

from typing import Any

import numpy_financial as npf
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from pvhub.bundling import bundles
from pvhub.bundling import runs as bundling
from pvhub.core.enums import Role
from pvhub.economics.service import sites_economics
from pvhub.register.enums import BusinessModel
from pvhub.register.models import Site
from pvhub.tendering.models import Tender, TenderLot
from tests.conftest import api_token
from tests.pvhub.bundling.test_bundling import PARAMS, _district


def _bundle(session: Session, make_user: Any) -> tuple[int, list[int]]:
    office, _ = _district(session, make_user, n=4)
    bundling.run_now(session=session, actor=office, params=PARAMS)
    session.commit()
    first = bundles.list_bundles(session=session, user=office)[0]
    return first.id, first.site_ids


def test_the_office_reads_a_bundles_economics_under_each_model(
    client: TestClient, session: Session, make_user: Any
) -> None:
    bundle_id, site_ids = _bundle(session, make_user)
    site = session.get(Site, site_ids[0])
    assert site is not None
    site.business_model = BusinessModel.emc  # one EMC site among EPC ones: EPC holds the most kWp
    session.add(site)
    session.commit()
    office = api_token(client, "office@x.cn")
    got = client.get(f"/api/v1/bundles/{bundle_id}/economics", headers=office)
    assert got.status_code == 200, got.text
    body = got.json()
    expected = sites_economics(session=session, site_ids=site_ids)
    assert expected is not None and body["business_model"] == "epc" == expected.business_model
    assert set(body["parties"]) == {"owner"}
    owner = body["parties"]["owner"]
    assert body["investment_cny"] == pytest.approx(expected.investment_cny, abs=0.01) and owner["npv_cny"] > 0
    assert len(owner["cash_flows"]) == body["assumptions"]["lifetime_years"] + 1
    # the cash flows are the figures: NPV and IRR follow from them
    nets = [row["net_cny"] for row in owner["cash_flows"]]
    assert npf.npv(body["assumptions"]["discount_rate"], nets) == pytest.approx(owner["npv_cny"], abs=1)
    assert npf.irr(nets) == pytest.approx(owner["irr"], abs=1e-6)
    lease = client.get(f"/api/v1/bundles/{bundle_id}/economics?model=lease", headers=office).json()
    assert lease["business_model"] == "lease" and set(lease["parties"]) == {"owner", "investor"}
    assert lease["parties"]["owner"]["investment_cny"] == 0 < lease["parties"]["investor"]["investment_cny"]
    bad = client.get(f"/api/v1/bundles/{bundle_id}/economics?model=ppa", headers=office)
    assert bad.status_code == 422


def test_a_bundle_offered_as_a_lot_follows_the_lots_model(
    client: TestClient, session: Session, make_user: Any
) -> None:
    bundle_id, _ = _bundle(session, make_user)
    tender = Tender(code="T-1", title="Lot test")
    session.add(tender)
    session.flush()
    assert tender.id is not None
    session.add(TenderLot(tender_id=tender.id, bundle_id=bundle_id, business_model=BusinessModel.emc))
    session.commit()
    office = api_token(client, "office@x.cn")
    body = client.get(f"/api/v1/bundles/{bundle_id}/economics", headers=office).json()
    assert body["business_model"] == "emc" and "investor" in body["parties"]
    asked = client.get(f"/api/v1/bundles/{bundle_id}/economics?model=epc", headers=office).json()
    assert asked["business_model"] == "epc"


def test_suppliers_read_published_bundles_only_and_owners_none(
    client: TestClient, session: Session, make_user: Any
) -> None:
    bundle_id, _ = _bundle(session, make_user)
    make_user("s@x.cn", Role.supplier, "Supplier")
    supplier = api_token(client, "s@x.cn")
    owner = api_token(client, "owner@x.cn")
    assert client.get(f"/api/v1/bundles/{bundle_id}/economics", headers=supplier).status_code == 404
    office = api_token(client, "office@x.cn")
    assert client.post(f"/api/v1/bundles/{bundle_id}/publish", headers=office).status_code == 200
    assert client.get(f"/api/v1/bundles/{bundle_id}/economics", headers=supplier).status_code == 200
    assert client.get(f"/api/v1/bundles/{bundle_id}/economics", headers=owner).status_code == 403
    assert client.get("/api/v1/bundles/987654/economics", headers=office).status_code == 404


def test_the_openapi_schema_documents_the_bundle_economics(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    operation = schema["paths"]["/api/v1/bundles/{bundle_id}/economics"]["get"]
    ok = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok["$ref"].endswith("/EconomicsPublic")
    assert [p["name"] for p in operation["parameters"]] == ["bundle_id", "model"]
