"""The office's Bundle page: run with the form, see bundles and reasons, lock, move, publish."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from pvhub.bundling.enums import BundleStatus
from pvhub.bundling.models import Bundle, BundlingRun
from pvhub.core.enums import Role
from pvhub.programme.models import DemonstrationPoint
from tests.conftest import add_site, api_token
from tests.pvhub.bundling.test_bundling import _district
from tests.pvhub.bundling.test_bundling_api import finished
from tests.web.test_pages import csrf_of, login

FORM = {
    "min_capacity_kwp": "500",
    "max_capacity_kwp": "1200",
    "max_sites": "4",
    "max_distance_m": "1500",
    "bundle_count": "",
    "bundle_cost_m": "3000",
    "time_limit_s": "3",
}


def test_the_office_runs_bundling_from_the_page_and_publishes(
    client: TestClient, session: Session, make_user
) -> None:  # type: ignore[no-untyped-def]
    _district(session, make_user, n=8)
    login(client, "office@x.cn")
    page = client.get("/bundles")
    assert page.status_code == 200 and ("No bundles yet" in page.text or "尚无打包项目" in page.text)
    token = csrf_of(page.text)
    started = client.post("/bundles/runs", data={**FORM, "csrf_token": token}, follow_redirects=False)
    assert started.status_code == 303
    run_id = session.exec(select(BundlingRun.id)).one()
    run = finished(client, run_id, api_token(client, "office@x.cn"))
    assert run["status"] == "succeeded", run
    client.get("/lang/en?next=/bundles")
    page = client.get("/bundles")
    codes = [b.code for b in session.exec(select(Bundle)).all()]
    assert codes and all(code in page.text for code in codes)
    assert "Proven lower bound" in page.text and "bundle-map" in page.text
    first = session.exec(select(Bundle).order_by(Bundle.code)).first()  # type: ignore[arg-type]
    assert first is not None
    client.post(f"/bundles/{first.id}/publish", data={"csrf_token": token})
    session.expire_all()
    assert session.get(Bundle, first.id).status == BundleStatus.published  # type: ignore[union-attr]
    again = client.post(f"/bundles/{first.id}/lock", data={"csrf_token": token})
    assert again.status_code == 200 and "published and can no longer change" in again.text


def test_a_run_without_bundles_says_why_in_the_readers_language(
    client: TestClient, session: Session, make_user
) -> None:  # type: ignore[no-untyped-def]
    _district(session, make_user, n=8)
    login(client, "office@x.cn")
    token = csrf_of(client.get("/lang/zh_CN?next=/bundles").text)
    limits = {"min_capacity_kwp": "20000", "max_capacity_kwp": "30000", "require_all": "on"}
    client.post("/bundles/runs", data={**FORM, **limits, "csrf_token": token}, follow_redirects=False)
    run_id = session.exec(select(BundlingRun.id)).one()
    assert finished(client, run_id, api_token(client, "office@x.cn"))["status"] == "failed"
    zh = client.get("/bundles").text
    assert "优化器已证明没有满足这些限制的打包方案：" in zh
    assert "在所有站点都必须打包的前提下，没有方案能满足全部限制" in zh and "The optimiser" not in zh
    client.get("/lang/en?next=/bundles")
    en = client.get("/bundles").text
    assert "The optimiser proved that no bundling meets these limits: no bundling meets every limit" in en
    assert session.exec(select(Bundle)).all() == []


def test_bad_parameters_come_back_with_the_field_named(
    client: TestClient, session: Session, make_user
) -> None:  # type: ignore[no-untyped-def]
    make_user("office@x.cn", Role.office, "Office")
    login(client, "office@x.cn")
    client.get("/lang/en?next=/bundles")
    token = csrf_of(client.get("/bundles").text)
    page = client.post("/bundles/runs", data={**FORM, "max_sites": "-3", "csrf_token": token})
    assert page.status_code == 200 and "Sites per bundle, at most" in page.text
    assert session.exec(select(Bundle)).all() == []


def test_owners_and_suppliers_may_not_open_the_page(client: TestClient, session: Session, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("s@x.cn", Role.supplier, "Supplier")
    login(client, "s@x.cn")
    assert client.get("/bundles").status_code == 403


def test_the_office_designates_a_proposed_demonstration_point(
    client: TestClient, session: Session, make_user
) -> None:  # type: ignore[no-untyped-def]
    owner = make_user("w@x.cn", Role.owner, "Owner")
    make_user("office@x.cn", Role.office, "Office")
    layered = [
        {
            "kind": "roof",
            "tilt_deg": 10,
            "azimuth_deg": 180,
            "gross_area_m2": 900,
            "usable_area_m2": 700,
            "height_m": 60,
        },
        {
            "kind": "curtain_wall",
            "tilt_deg": 90,
            "azimuth_deg": 180,
            "gross_area_m2": 400,
            "usable_area_m2": 300,
            "height_m": 30,
        },
        {
            "kind": "walkway",
            "tilt_deg": 3,
            "azimuth_deg": 180,
            "gross_area_m2": 200,
            "usable_area_m2": 150,
            "height_m": 0,
        },
    ]
    site, _ = add_site(session, owner.organisation_id, "三层示范楼", *layered)
    login(client, "office@x.cn")
    client.get("/lang/en?next=/bundles")
    page = client.get("/bundles")
    assert "Proposed candidates" in page.text and "三层示范楼" in page.text
    token = csrf_of(page.text)
    nameless = client.post(
        "/bundles/points", data={"site_ids": str(site.id), "name": " ", "csrf_token": token}
    )
    assert "Give the point a name" in nameless.text
    assert session.exec(select(DemonstrationPoint)).all() == []
    done = client.post(
        "/bundles/points", data={"site_ids": str(site.id), "name": "外滩三层示范点", "csrf_token": token}
    )
    assert done.status_code == 200 and "外滩三层示范点" in done.text
    (point,) = session.exec(select(DemonstrationPoint)).all()
    assert point.name == "外滩三层示范点"
