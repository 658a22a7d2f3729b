"""The audit page (/audit): office only, in zh and en, the filters, the changed fields, paging links,
the CSV download of the same filters, the History link of a site and a surface page, sealed bids."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from pvhub.accounts.models import User
from pvhub.register import service as register
from pvhub.register.models import SiteCreate, SiteUpdate, SurfaceCreate
from tests.conftest import ROOF_22_SOUTH
from tests.pvhub.tenderworld import SECRET_NOTE, SECRET_TOTAL, World, bid, build_world, lot_ids, publish_round
from tests.web.test_pages import login

ZH = {"Accept-Language": "zh-CN"}
EN = {"Accept-Language": "en"}


@pytest.fixture
def world(session: Session, make_user: Callable[..., User]) -> World:
    return build_world(session, make_user)


def _site_with_history(session: Session, world: World) -> tuple[int, int]:
    site = register.create_site(
        session=session, actor=world.owner, data=SiteCreate(name="外滩大楼", lon=121.48, lat=31.23)
    )
    session.commit()
    assert site.id is not None
    register.update_site(
        session=session, actor=world.owner, site_id=site.id, changes=SiteUpdate(name="外滩新楼")
    )
    surface = register.create_surface(
        session=session,
        actor=world.owner,
        data=SurfaceCreate.model_validate({**ROOF_22_SOUTH, "site_id": site.id}),
    )
    session.commit()
    assert surface.id is not None
    return site.id, surface.id


def test_only_the_office_opens_the_audit_page(client: TestClient, world: World) -> None:
    login(client, world.owner.email)
    assert client.get("/audit", headers=EN).status_code == 403
    assert client.get("/audit.csv", headers=EN).status_code == 403
    assert 'href="/audit"' not in client.get("/", headers=EN).text
    client.cookies.clear()
    login(client, world.office.email)
    home = client.get("/", headers=ZH).text
    assert 'href="/audit">审计日志</a>' in home
    assert 'href="/audit">Audit log</a>' in client.get("/", headers=EN).text


def test_a_site_history_in_both_languages_with_the_changed_fields(
    client: TestClient, session: Session, world: World
) -> None:
    site_id, surface_id = _site_with_history(session, world)
    login(client, world.owner.email)
    assert "/audit?" not in client.get(f"/sites/{site_id}", headers=ZH).text  # the owner has no history link
    client.cookies.clear()
    login(client, world.office.email)
    site_page = client.get(f"/sites/{site_id}", headers=ZH).text
    link = f'/audit?entity=site&amp;entity_id={site_id}">历史记录</a>'
    assert link in site_page
    assert (
        f'/audit?entity=surface&amp;entity_id={surface_id}">History</a>'
        in client.get(f"/surfaces/{surface_id}", headers=EN).text
    )

    zh = client.get(f"/audit?entity=site&entity_id={site_id}", headers=ZH)
    assert zh.status_code == 200
    assert "<h1>审计日志</h1>" in zh.text and "变更前" in zh.text and "记录：2 条" in zh.text
    assert (
        "<td>外滩大楼</td><td>外滩新楼</td>" in zh.text
    )  # the name before and after, nothing else of the update
    en = client.get(f"/audit?entity=site&entity_id={site_id}&action=update", headers=EN).text
    assert "<h1>Audit log</h1>" in en and "Events: 1" in en
    assert en.count('<tr class="audit-event"') == 1
    assert "<code>height_m</code>" not in en  # unchanged fields are left out
    assert f'href="/audit.csv?entity=site&amp;entity_id={site_id}&amp;action=update"' in en

    by_user = client.get(f"/audit?user_id={world.owner.id}", headers=EN).text
    assert by_user.count('<tr class="audit-event"') == 3  # the site's create and update, the surface's create
    assert (
        client.get(f"/audit?user_id={world.office.id}", headers=EN).text.count('<tr class="audit-event"') == 0
    )

    response = client.get(f"/audit.csv?entity=site&entity_id={site_id}", headers=EN)
    assert response.status_code == 200 and response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [r["action"] for r in rows] == ["update", "create"]


def test_the_date_range_and_a_bad_range(client: TestClient, session: Session, world: World) -> None:
    _site_with_history(session, world)
    login(client, world.office.email)
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()  # the programme's zone (settings)
    tomorrow = today + timedelta(days=2)
    assert "Events: 3" in client.get(f"/audit?since={today - timedelta(days=1)}", headers=EN).text
    assert "No events match these filters." in client.get(f"/audit?since={tomorrow}", headers=EN).text
    bad = client.get(f"/audit?since={tomorrow}&until={today}", headers=ZH)
    assert bad.status_code == 422 and "时间范围的结束必须晚于开始" in bad.text


def test_a_tender_shows_a_receipt_only_before_its_deadline(
    client: TestClient, session: Session, world: World
) -> None:
    tender = publish_round(session, world, deadline=datetime.now(UTC) + timedelta(days=30))
    receipt = bid(
        session, world.suppliers[0], tender, lot_ids(session, tender)[0], SECRET_TOTAL, notes=SECRET_NOTE
    )
    login(client, world.office.email)
    html = client.get(f"/audit?tender_id={tender.id}", headers=ZH).text
    assert 'data-entity="bid" data-sealed="true"' in html
    assert receipt.content_sha256 in html and "开标前密封" in html
    assert SECRET_NOTE not in html and "1234567" not in html and "投标内容（已开标）" not in html
    csv_text = client.get(f"/audit.csv?tender_id={tender.id}").text
    assert receipt.content_sha256 in csv_text and SECRET_NOTE not in csv_text
