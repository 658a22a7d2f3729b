"""The potential map, a building's drill-down and the offers on the pages, in 简体中文 and English."""

from __future__ import annotations

import re
import time

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from pvhub.core.enums import Role
from pvhub.register.models import Site, Surface
from pvhub.survey import service as survey
from pvhub.survey.models import BuildingOffer
from tests.pvhub.survey.survey_world import seed_stock
from tests.web.test_pages import csrf_of, login

ZH = {"Accept-Language": "zh-CN"}
EN = {"Accept-Language": "en"}


def _world(session: Session, make_user):
    make_user("office@pages.test", Role.office)
    owner = make_user("owner@pages.test", Role.owner, "外滩物业")
    buildings = seed_stock(session, n=4, neighbours=1)
    survey.run_survey(session=session)
    session.commit()
    return owner, buildings


def test_the_office_reads_the_potential_and_offers_buildings(
    client: TestClient, session: Session, make_user
) -> None:
    owner, buildings = _world(session, make_user)
    login(client, "office@pages.test")
    client.cookies.set("lang", "zh_CN")
    page = client.get("/survey", headers=ZH)
    assert page.status_code == 200
    assert "全区可安装" in page.text and "屋顶" in page.text and "立面" in page.text
    assert 'href="/survey"' in page.text  # the menu offers the survey
    assert page.text.count('name="building_ids"') == 3 and "测试大楼0" in page.text
    assert 'data-potential-map="potential-map-data"' in page.text and "pc-" in page.text
    client.cookies.set("lang", "en")
    english = client.get("/survey", headers=EN)
    assert "The district could host" in english.text and "MWp" in english.text
    assert "Offer to owner" in english.text
    filtered = client.get("/survey?kind=roof&orientation=up", headers=EN)
    assert filtered.status_code == 200 and "orientation" in filtered.text  # the refusal names the field

    ids = [str(b.id) for b in buildings[:2]]
    token = csrf_of(english.text)
    done = client.post(
        "/survey/offer",
        data={"csrf_token": token, "building_ids": ids, "organisation_id": str(owner.organisation_id)},
        headers=EN,
    )
    assert done.status_code == 200 and "2 buildings offered." in done.text
    assert len(session.exec(select(BuildingOffer)).all()) == 2
    again = client.post(
        "/survey/offer",
        data={"csrf_token": token, "building_ids": ids[:1], "organisation_id": str(owner.organisation_id)},
        headers=EN,
    )
    assert f"Building {ids[0]} is already offered" in again.text

    detail = client.get(f"/survey/buildings/{buildings[0].id}", headers=EN)
    assert detail.status_code == 200 and "<svg" in detail.text and "Candidate surfaces" in detail.text
    assert "Offered" in detail.text and "测试大楼0" in detail.text
    geo = client.get("/survey/export.geojson")
    assert geo.status_code == 200 and len(geo.json()["features"]) == 3


def test_the_public_page_shows_no_names_addresses_or_owners(
    client: TestClient, session: Session, make_user
) -> None:
    _world(session, make_user)
    for headers, sentence in ((ZH, "全区可安装"), (EN, "The district could host")):
        client.cookies.set("lang", "zh_CN" if headers is ZH else "en")
        page = client.get("/potential", headers=headers)
        assert page.status_code == 200 and sentence in page.text
        assert "测试大楼" not in page.text and "中山东一路" not in page.text
        assert 'name="owner_status"' not in page.text and 'name="building_ids"' not in page.text
    detail = client.get("/survey/buildings/1", headers=EN)
    assert "测试大楼" not in detail.text and "Owner status" not in detail.text
    assert "测试大楼" not in client.get("/potential/export.geojson").text
    assert client.get("/survey", follow_redirects=False).status_code == 303  # the office page needs a login


def test_the_owner_confirms_one_and_declines_one(client: TestClient, session: Session, make_user) -> None:
    owner, buildings = _world(session, make_user)
    login(client, "office@pages.test")
    token = csrf_of(client.get("/survey", headers=EN).text)
    ids = [str(b.id) for b in buildings[:2]]
    client.post(
        "/survey/offer",
        data={"csrf_token": token, "building_ids": ids, "organisation_id": str(owner.organisation_id)},
    )
    client.post("/logout", data={"csrf_token": token})
    login(client, "owner@pages.test")
    client.cookies.set("lang", "zh_CN")
    home = client.get("/", headers=ZH)
    assert 'href="/survey/offers"' in home.text  # the owner's menu shows its offers
    page = client.get("/survey/offers", headers=ZH)
    assert "确认：登记为我的项目点" in page.text and "测试大楼0" in page.text
    assert client.get("/survey", headers=ZH).status_code == 403
    offers = session.exec(select(BuildingOffer).order_by(BuildingOffer.id)).all()  # type: ignore[arg-type]
    token = csrf_of(page.text)
    refused = client.post(
        f"/survey/offers/{offers[1].id}/decline", data={"csrf_token": token, "reason": " "}, headers=ZH
    )
    assert "拒绝该建筑的原因" in refused.text
    declined = client.post(
        f"/survey/offers/{offers[1].id}/decline", data={"csrf_token": token, "reason": "另有安排"}, headers=ZH
    )
    assert "已拒绝该推荐。" in declined.text
    confirmed = client.post(f"/survey/offers/{offers[0].id}/confirm", data={"csrf_token": token}, headers=ZH)
    assert confirmed.status_code == 200 and "草稿" in confirmed.text
    site = session.exec(select(Site).where(Site.name == "测试大楼0")).one()
    assert re.search(rf"/sites/{site.id}\b", str(confirmed.url))
    assert session.exec(select(Surface).where(Surface.site_id == site.id)).all()
    client.cookies.set("lang", "en")
    english = client.get("/survey/offers", headers=EN)
    assert "Confirmed" in english.text and "Declined" in english.text and "另有安排" in english.text


def test_the_office_runs_the_survey_and_follows_it_on_the_job_page(
    client: TestClient, session: Session, make_user
) -> None:
    make_user("office@pages.test", Role.office)
    seed_stock(session, n=3, neighbours=0)
    login(client, "office@pages.test")
    client.cookies.set("lang", "en")
    token = csrf_of(client.get("/survey", headers=EN).text)
    started = client.post("/survey/run", data={"csrf_token": token}, headers=EN, follow_redirects=False)
    assert started.status_code == 303 and started.headers["location"].startswith("/jobs/")
    for _ in range(300):
        page = client.get(started.headers["location"], headers=EN)
        if 'id="survey-result"' in page.text:
            break
        time.sleep(0.1)
    assert "candidate surfaces on 3 buildings" in page.text and 'href="/survey"' in page.text
    client.cookies.set("lang", "zh_CN")
    assert "个候选表面" in client.get(started.headers["location"], headers=ZH).text
