"""Dashboard, construction and public pages: numbers link to their lists, forms drive the services,
and the public page shows nothing personal and nothing about bids."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from pvhub.accounts.models import Organisation, User
from pvhub.construction import service as construction
from pvhub.construction.enums import MilestoneStatus
from pvhub.construction.models import Milestone
from pvhub.construction.service import ORDER, today_in
from pvhub.core.enums import Role
from pvhub.tendering import handover
from tests.conftest import TEST_PASSWORD
from tests.pvhub.programme_state import confirmed_award, estimated_site
from tests.web.test_pages import csrf_of

TODAY = today_in()
SECRET_PHONE = "13912345678"
SECRET_NAME = "王秘密"
PHOTO = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def login(client: TestClient, email: str) -> str:
    """Log in and return a page's CSRF token for later posts."""
    page = client.get("/login")
    client.post("/login", data={"email": email, "password": TEST_PASSWORD, "csrf_token": csrf_of(page.text)})
    return csrf_of(client.get("/").text)


@pytest.fixture
def world(session: Session, make_user: Any) -> dict[str, Any]:
    """An awarded site part-way built (roof grid-connected), a designated tower, personal data to hide."""
    people: dict[str, User] = {
        "office": make_user("o@office.cn", Role.office, "Office"),
        "owner": make_user("a@owner.cn", Role.owner, "私人业主有限公司"),
        "winner": make_user("w@supplier.cn", Role.supplier, "中标光伏工程公司"),
    }
    for user in people.values():
        user.full_name, user.phone = SECRET_NAME, SECRET_PHONE
        session.add(user)
    org = session.get(Organisation, people["winner"].organisation_id)
    assert org is not None
    org.contact_phone = SECRET_PHONE
    session.add(org)
    session.commit()
    site, surfaces = estimated_site(
        session,
        people["owner"].organisation_id,
        "秘密大厦",
        [("roof", 40, 100.0), ("curtain_wall", 20, 30.0)],
    )
    tower, _ = estimated_site(
        session,
        people["owner"].organisation_id,
        "塔楼",
        [("roof", 60, 50.0), ("curtain_wall", 30, 20.0), ("walkway", 4, 5.0)],
        lon=121.49,
    )
    award = confirmed_award(
        session,
        people["winner"].organisation_id,
        [site.id],
        schedule_days=100,
        confirmed_at=datetime.now(UTC) - timedelta(days=90),
    )
    handover.sync_construction(session)
    session.commit()
    roof = surfaces[0].id
    assert roof is not None
    for n, kind in enumerate(ORDER[:7]):
        m = construction.report_milestone(
            session,
            actor=people["winner"],
            surface_id=roof,
            kind=kind,
            actual_date=TODAY - timedelta(days=60 - 5 * n),
            today=TODAY,
        )
        assert m.id is not None
        construction.confirm_milestone(session, actor=people["office"], milestone_id=m.id)
    session.commit()
    return {"people": people, "roof": roof, "wall": surfaces[1].id, "tower": tower.id, "award": award}


def links(html: str) -> dict[str, str]:
    """Link text → href for the anchors of a page."""
    return {
        unescape(re.sub(r"<[^>]+>", "", text)).strip(): unescape(href)
        for href, text in re.findall(r'<a [^>]*href="([^"]+)"[^>]*>(.*?)</a>', html, re.S)
    }


def test_the_dashboard_numbers_link_to_the_lists_behind_them(
    client: TestClient, world: dict[str, Any]
) -> None:
    login(client, "o@office.cn")
    page = client.get("/dashboard", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    html = page.text
    assert 'style="' not in html  # the CSP forbids inline styles
    connected = re.search(r'id="kpi-connected">([^<]+)<', html)
    assert connected and connected.group(1) == "100"
    stage_table = html[html.index('id="stages"') : html.index("</table>", html.index('id="stages"'))]
    hrefs = [unescape(h) for h in re.findall(r'href="(/construction\?[^"]+)"', stage_table)]
    assert len(hrefs) == 3 * 12  # surfaces, kWp and cumulative kWp of every stage
    # follow the awarded stage's link: the list holds exactly the surface counted there
    awarded = next(h for h in hrefs if h.endswith("stage=awarded"))
    listing = client.get(awarded, headers={"Accept-Language": "en"}).text
    assert re.search(r'id="list-total">1<', listing) and "秘密大厦" in listing
    beyond = client.get("/construction?stage=grid_connected&at_least=1").text
    assert re.search(r'id="list-total">1<', beyond)
    overdue = re.search(r'id="kpi-overdue">(\d+)<', html)
    assert overdue is not None
    listed = client.get("/construction?overdue=1").text
    assert re.search(rf'id="list-total">{overdue.group(1)}<', listed)


def test_the_dashboard_is_the_offices(client: TestClient, world: dict[str, Any]) -> None:
    for email in ("a@owner.cn", "w@supplier.cn"):
        login(client, email)
        assert client.get("/dashboard").status_code == 403
        assert client.get("/construction").status_code == 200  # their own surfaces
        client.cookies.clear()


def test_the_public_page_leaks_nothing_private(
    client: TestClient, session: Session, world: dict[str, Any]
) -> None:
    office = world["people"]["office"]
    from pvhub.monitoring import demonstration

    demonstration.designate_point(session, actor=office, site_ids=[world["tower"]], name="塔楼立体示范点")
    session.commit()
    for lang in ("zh-CN", "en"):
        page = client.get("/public", headers={"Accept-Language": lang})
        assert page.status_code == 200
        api = client.get("/api/v1/programme/progress").text
        for text in (page.text, api):
            for secret in (
                SECRET_PHONE,
                SECRET_NAME,
                "o@office.cn",
                "a@owner.cn",
                "w@supplier.cn",
                "私人业主有限公司",  # owner organisation
                "中标光伏工程公司",  # supplier (who won is not a progress figure)
                "秘密大厦",  # site names stay off the public map
                "price",
                "total_price_cny",
                "1000000",
                "1,000,000",
            ):
                assert secret not in text, (lang, secret)
        assert "塔楼立体示范点" in page.text  # a designated point is public by design
        assert 'style="' not in page.text


def test_a_supplier_reports_and_the_office_confirms_by_form(
    client: TestClient, session: Session, world: dict[str, Any]
) -> None:
    wall = world["wall"]
    token = login(client, "w@supplier.cn")
    page = client.get(f"/construction/surfaces/{wall}", headers={"Accept-Language": "en"})
    assert page.status_code == 200 and 'id="report-kind"' in page.text
    sent = client.post(
        f"/construction/surfaces/{wall}/report",
        data={
            "csrf_token": token,
            "kind": "design_approved",
            "reached_on": TODAY.isoformat(),
            "note": "审图通过",
        },
        files={"evidence": ("审图.png", PHOTO, "image/png")},
        follow_redirects=False,
    )
    assert sent.status_code == 303
    link = re.search(
        r'href="(/construction/documents/\d+)"', client.get(f"/construction/surfaces/{wall}").text
    )
    assert link is not None and client.get(link.group(1)).content == PHOTO
    future = client.post(
        f"/construction/surfaces/{wall}/report",
        data={"csrf_token": token, "kind": "grid_application", "reached_on": "2999-01-01"},
    )
    assert "日期 2999-01-01 晚于今天。" in future.text and "in the future" not in future.text  # zh_CN
    client.cookies.clear()
    token = login(client, "o@office.cn")
    milestone = session.exec(
        select(Milestone).where(Milestone.surface_id == wall, Milestone.kind == ORDER[0])
    ).one()
    assert milestone.status == MilestoneStatus.reported
    page = client.get(f"/construction/surfaces/{wall}")
    assert 'id="confirm-design_approved"' in page.text
    # a forged token is refused by the CSRF check while the milestone could still be confirmed
    refused = client.post(f"/construction/milestones/{milestone.id}/confirm", data={"csrf_token": "wrong"})
    assert refused.status_code == 403 and "表单已过期或并非来自 pvhub" in refused.text
    session.expire_all()
    assert session.get(Milestone, milestone.id).status == MilestoneStatus.reported  # type: ignore[union-attr]
    confirmed = client.post(
        f"/construction/milestones/{milestone.id}/confirm", data={"csrf_token": token}, follow_redirects=False
    )
    assert confirmed.status_code == 303
    session.expire_all()
    assert session.get(Milestone, milestone.id).status == MilestoneStatus.confirmed  # type: ignore[union-attr]


def test_the_office_sends_a_milestone_back_with_a_reason(
    client: TestClient, session: Session, world: dict[str, Any]
) -> None:
    wall = world["wall"]
    m = construction.report_milestone(
        session,
        actor=world["people"]["winner"],
        surface_id=wall,
        kind=ORDER[0],
        actual_date=TODAY,
        today=TODAY,
    )
    session.commit()
    token = login(client, "o@office.cn")
    client.post(
        f"/construction/milestones/{m.id}/send-back", data={"csrf_token": token, "reason": "缺少盖章"}
    )
    page = client.get(f"/construction/surfaces/{wall}")
    assert "缺少盖章" in page.text


def test_measured_energy_upload_reports_bad_lines(client: TestClient, world: dict[str, Any]) -> None:
    token = login(client, "w@supplier.cn")
    bad = client.post(
        "/construction/energy",
        data={"csrf_token": token},
        files={
            "file": (
                "m.csv",
                f"surface_id,month,energy_kwh\n{world['roof']},1999-01,5\n".encode(),
                "text/csv",
            )
        },
        headers={"Accept-Language": "en"},
    )
    assert bad.status_code == 422 and "nothing was imported" in bad.text and "month" in bad.text


def test_the_office_designates_a_proposed_point_by_form(client: TestClient, world: dict[str, Any]) -> None:
    token = login(client, "o@office.cn")
    page = client.get("/demonstration", headers={"Accept-Language": "en"})
    assert page.status_code == 200 and "塔楼" in page.text
    client.post(
        "/demonstration", data={"csrf_token": token, "site_ids": [str(world["tower"])], "name": "塔楼示范点"}
    )
    after = client.get("/demonstration").text
    assert (
        "塔楼示范点" in after
        and "Under way" in client.get("/dashboard", headers={"Accept-Language": "en"}).text
    )


def test_the_monthly_report_prints(client: TestClient, world: dict[str, Any]) -> None:
    login(client, "o@office.cn")
    month = TODAY.strftime("%Y-%m")
    page = client.get(f"/dashboard/report?month={month}", headers={"Accept-Language": "en"})
    assert page.status_code == 200 and f"Monthly progress report · {month}" in page.text
    assert 'class="actions noprint"' in page.text and 'style="' not in page.text
    css = client.get("/static/css/app.css").text
    assert "@media print" in css and "@page" in css


def test_progress_exports_from_the_dashboard(client: TestClient, world: dict[str, Any]) -> None:
    login(client, "o@office.cn")
    text = client.get("/dashboard/export.csv").text
    assert text.startswith("\ufeffsurface_id,") and "grid_connected" in text
    assert client.get("/dashboard/export.geojson").json()["type"] == "FeatureCollection"
