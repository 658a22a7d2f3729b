"""A refused action tells the user why in the page's language: the service's error, its values, and the
words (statuses, milestones, fields) the rest of the page uses. The API keeps the English text."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from html import unescape
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from pvhub.construction.service import today_in
from pvhub.core.enums import Role
from pvhub.tendering import handover
from tests.conftest import api_token
from tests.pvhub.programme_state import confirmed_award, estimated_site
from tests.pvhub.tendering.test_tenders_api import open_round, pass_deadline
from tests.pvhub.tenderworld import bid, build_world, lot_ids
from tests.web.register.test_register_pages import OUTLINE
from tests.web.register.test_review_pages import HX, setup_queue
from tests.web.test_pages import csrf_of, login

LANGUAGES = ("zh_CN", "en")


def shown(html: str) -> str:
    """The page's text as the reader sees it (entities decoded, tags kept)."""
    return unescape(html)


def in_language(client: TestClient, lang: str) -> None:
    client.cookies.set("lang", lang)


def only(text: str, expected: dict[str, str], lang: str) -> None:
    """``text`` holds the message in ``lang`` and not the one in the other language."""
    other = next(x for x in LANGUAGES if x != lang)
    assert expected[lang] in text, (lang, expected[lang])
    assert expected[other] not in text, (lang, expected[other])


@pytest.mark.parametrize("lang", LANGUAGES)
def test_an_owner_reads_why_a_drawn_surface_is_refused(
    client: TestClient, session: Session, make_user: Any, lang: str
) -> None:
    make_user("w@x.cn", Role.owner, "外滩物业")
    in_language(client, lang)
    login(client, "w@x.cn")
    form = client.get("/sites/new")
    created = client.post(
        "/sites/new",
        data={"csrf_token": csrf_of(form.text), "name": "测试楼", "footprint": json.dumps(OUTLINE)},
        follow_redirects=False,
    )
    assert created.status_code == 303, created.text
    site_url = created.headers["location"]
    page = client.post(
        f"{site_url}/surfaces",
        data={
            "csrf_token": csrf_of(client.get(site_url).text),
            "kind": "roof",
            "geometry": json.dumps(OUTLINE),
            "usable_area_m2": "99999",
        },
    )
    assert page.status_code == 200 and page.url.path == site_url
    only(
        shown(page.text),
        {
            "zh_CN": "可用面积（99999 m²）超过了总面积（",
            "en": "Usable area (99999 m²) exceeds the gross area (",
        },
        lang,
    )


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_office_reads_why_a_surface_cannot_be_approved(
    client: TestClient, session: Session, make_user: Any, lang: str
) -> None:
    queue = setup_queue(session, make_user)
    in_language(client, lang)
    login(client, "o@x.cn")
    token = csrf_of(client.get("/review").text)
    checks = {
        "csrf_token": token,
        "structural_load_ok": "true",
        "fire_rating_ok": "true",
        "glare_risk_ok": "true",
    }

    heritage = client.post(f"/review/{queue['heritage_roof'].id}/approve", data=checks, headers=HX)
    only(
        shown(heritage.text),
        {
            "zh_CN": "不符合条件的表面不能通过审核：历史风貌保护许可未确认。请填写原因予以驳回。",
            "en": "An ineligible surface cannot be approved: heritage clearance not confirmed. "
            "Reject it with a reason instead.",
        },
        lang,
    )

    roof = queue["roof"].id
    assert client.post(f"/review/{roof}/approve", data=checks, headers=HX).status_code == 200
    twice = client.post(f"/review/{roof}/approve", data=checks, headers=HX)
    only(
        shown(twice.text),
        {
            "zh_CN": "只有状态为“已提交”的表面才能变更为“已通过”；该表面当前为“已通过”。",
            "en": "Only a surface that is Submitted can be Approved; this one is Approved.",
        },
        lang,
    )
    assert "status.approved" not in twice.text and "submitted can be approved" not in twice.text


@pytest.fixture
def building(session: Session, make_user: Any) -> int:
    """A roof whose award was confirmed a month ago; nothing reported yet. Returns the surface id."""
    make_user("o@office.cn", Role.office, "Office")
    owner = make_user("a@owner.cn", Role.owner, "业主")
    winner = make_user("w@supplier.cn", Role.supplier, "中标光伏工程公司")
    site, surfaces = estimated_site(session, owner.organisation_id, "大楼", [("roof", 40, 100.0)])
    assert site.id is not None and surfaces[0].id is not None
    confirmed_award(
        session, winner.organisation_id, [site.id], confirmed_at=datetime.now(UTC) - timedelta(days=30)
    )
    handover.sync_construction(session)
    session.commit()
    return surfaces[0].id


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_supplier_reads_which_milestone_comes_first(client: TestClient, building: int, lang: str) -> None:
    in_language(client, lang)
    login(client, "w@supplier.cn")
    page = client.get(f"/construction/surfaces/{building}")
    assert page.status_code == 200
    refused = client.post(
        f"/construction/surfaces/{building}/report",
        data={
            "csrf_token": csrf_of(page.text),
            "kind": "grid_application",
            "reached_on": (today_in() - timedelta(days=1)).isoformat(),
        },
    )
    assert refused.status_code == 200
    only(
        shown(refused.text),
        {
            "zh_CN": "请先上报“设计审定”：节点须按国家电网规定的顺序上报。",
            "en": "Report Design approved first: milestones follow the State Grid order.",
        },
        lang,
    )
    future = client.post(
        f"/construction/surfaces/{building}/report",
        data={"csrf_token": csrf_of(page.text), "kind": "design_approved", "reached_on": "2999-01-01"},
    )
    only(
        shown(future.text),
        {"zh_CN": "日期 2999-01-01 晚于今天。", "en": "The date 2999-01-01 is in the future."},
        lang,
    )


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_office_reads_which_bids_to_score_before_the_award(
    client: TestClient, session: Session, make_user: Any, lang: str
) -> None:
    world = build_world(session, make_user)
    tender = open_round(session, world)
    first, second = lot_ids(session, tender)[:2]
    now = datetime.now(UTC)
    bid(session, world.suppliers[0], tender, first, 1_200_000, at=now)
    bid(session, world.suppliers[1], tender, second, 900_000, at=now)
    pass_deadline(session, tender)
    in_language(client, lang)
    login(client, "office@t.cn")
    page = client.get(f"/tenders/{tender.id}/award")
    refused = client.post(f"/tenders/{tender.id}/award/run", data={"csrf_token": csrf_of(page.text)})
    assert refused.status_code == 200 and refused.url.path == f"/tenders/{tender.id}/award"
    text = shown(refused.text)
    only(
        text,
        {
            "zh_CN": "请先为所有有效投标评分：标段 1，Supplier 1：投标 ",
            "en": "Score every valid bid first: lot 1, Supplier 1: bid ",
        },
        lang,
    )
    clause = {
        "zh_CN": r"投标 \d+ 尚无技术分；标段 2，Supplier 2：投标 \d+ 尚无技术分。",
        "en": r"bid \d+ has no technical score; lot 2, Supplier 2: bid \d+ has no technical score\.",
    }
    assert re.search(clause[lang], text), text


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_missing_page_says_what_is_missing(client: TestClient, make_user: Any, lang: str) -> None:
    make_user("w@x.cn", Role.owner)
    in_language(client, lang)
    login(client, "w@x.cn")
    page = client.get("/sites/987654")
    assert page.status_code == 404
    only(shown(page.text), {"zh_CN": "找不到编号为 987654 的站点。", "en": "No site with id 987654."}, lang)


def test_the_api_answers_in_english_whatever_the_browser_prefers(client: TestClient, make_user: Any) -> None:
    make_user("w@x.cn", Role.owner)
    headers = {**api_token(client, "w@x.cn"), "Accept-Language": "zh-CN,zh;q=0.9"}
    client.cookies.set("lang", "zh_CN")
    response = client.get("/api/v1/sites/987654", headers=headers)
    assert response.status_code == 404
    assert response.json() == {"detail": "No site with id 987654.", "field": None}
