"""Tender pages in the lot's business model (issue #20): the office picks a model per bundle on the
new-tender page; a supplier bids an EMC lot's tariff discount by form and gets its receipt; a bid with
another model's field is refused naming the model; after opening the bidders hear the terms."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from pvhub.register.enums import BusinessModel
from pvhub.tendering import tenders
from pvhub.tendering.models import Bid, Tender, TenderCreate, TenderLot
from tests.pvhub.tendering.test_tenders_api import pass_deadline
from tests.pvhub.tenderworld import SECRET_NOTE, World, build_world
from tests.web.test_pages import csrf_of, login


@pytest.fixture
def world(session: Session, make_user):  # type: ignore[no-untyped-def]
    return build_world(session, make_user)


def emc_round(session: Session, world: World) -> tuple[Tender, list[int]]:
    """Published ten days ago, deadline eleven days ahead; lot 1 EPC, lot 2 EMC, lot 3 lease."""
    now = datetime.now(UTC)
    data = TenderCreate.model_validate(
        {
            "title": "屋顶光伏第二批",
            "deadline": now + timedelta(days=11),
            "bundle_ids": [b.id for b in world.bundles],
            "business_models": {str(world.bundles[1].id): "emc", str(world.bundles[2].id): "lease"},
        }
    )
    tender = tenders.create_tender(
        session=session, actor=world.office, data=data, now=now - timedelta(days=10)
    )
    tenders.publish_tender(
        session=session, actor=world.office, tender_id=tender.id or 0, now=now - timedelta(days=10)
    )
    session.commit()
    lots = session.exec(
        select(TenderLot).where(TenderLot.tender_id == tender.id).order_by(col(TenderLot.number))
    )
    return tender, [lot.id for lot in lots if lot.id is not None]


def lot_section(html: str, lot_id: int) -> str:
    start = html.index(f'id="lot-{lot_id}"')
    end = html.find('<section class="panel" id="lot-', start + 1)
    return html[start : end if end > 0 else len(html)]


def emc_bid(client: TestClient, tender: Tender, lot_id: int, discount: str, **extra: str) -> str:
    page = client.get(f"/tenders/{tender.id}")
    response = client.post(
        f"/tenders/{tender.id}/bids",
        data={
            "csrf_token": csrf_of(page.text),
            "lot_id": str(lot_id),
            "discount_pct": discount,
            "term_years": "20",
            "schedule_days": "120",
            "module_tier": "tier1",
            "inverter_tier": "tier2",
            "warranty_years": "10",
            **extra,
        },
        follow_redirects=True,
    )
    assert response.status_code == 200, response.text
    return response.text


def test_the_office_picks_a_business_model_per_bundle_on_the_new_tender_page(
    client: TestClient,
    session: Session,
    world,  # type: ignore[no-untyped-def]
) -> None:
    login(client, "office@t.cn")
    form = client.get("/tenders/new")
    select_name = f"business_model_{world.bundles[1].id}"
    assert f'name="{select_name}"' in form.text and "合同能源管理（电价折扣）" in form.text
    local = (datetime.now(ZoneInfo("Asia/Shanghai")) + timedelta(days=25)).replace(second=0, microsecond=0)
    created = client.post(
        "/tenders/new",
        data={
            "csrf_token": csrf_of(form.text),
            "title": "第二批",
            "deadline": local.strftime("%Y-%m-%dT%H:%M"),
            "bundle_ids": [str(world.bundles[0].id), str(world.bundles[1].id)],
            select_name: "emc",
            f"business_model_{world.bundles[2].id}": "lease",  # not a chosen bundle: ignored
            "action": "draft",
        },
        follow_redirects=False,
    )
    assert created.status_code == 303
    lots = session.exec(select(TenderLot).order_by(col(TenderLot.number))).all()
    assert [lot.business_model for lot in lots] == [BusinessModel.epc, BusinessModel.emc]


def test_a_supplier_bids_a_tariff_discount_on_an_emc_lot_and_the_bidders_hear_it_at_the_opening(
    client: TestClient,
    session: Session,
    world,  # type: ignore[no-untyped-def]
) -> None:
    tender, (epc, emc, lease) = emc_round(session, world)
    login(client, "s1@t.cn")
    page = client.get(f"/tenders/{tender.id}").text
    emc_form = lot_section(page, emc)
    assert 'name="discount_pct"' in emc_form and 'name="total_price_cny"' not in emc_form
    assert "合同能源管理（电价折扣）" in emc_form and "按项目默认条件测算的经济性" in emc_form
    assert 'name="rent_cny_per_m2_year"' in lot_section(page, lease)
    assert 'name="total_price_cny"' in lot_section(page, epc)

    refused = emc_bid(client, tender, emc, "12.5", total_price_cny="900000")
    assert "标段 2 的商业模式为合同能源管理（电价折扣）：不接受总价（元）" in refused
    assert session.exec(select(Bid)).first() is None

    receipt = emc_bid(client, tender, emc, "12.5", notes=SECRET_NOTE)
    assert "SHA-256" in receipt and "给业主的电价折扣 (%)" in receipt and "12.5" in receipt
    client.cookies.clear()
    login(client, "s2@t.cn")
    emc_bid(client, tender, emc, "9")
    # sealed: before the deadline nobody else reads the discount or the notes, on any page
    for email in ("s2@t.cn", "s3@t.cn", "office@t.cn", "owner@t.cn"):
        client.cookies.clear()
        login(client, email)
        for path in (
            f"/tenders/{tender.id}",
            f"/tenders/{tender.id}/bids",
            f"/tenders/{tender.id}/ocds.json",
        ):
            body = client.get(path).text
            # the discount as a figure of its own, not digits of a time such as 10:12.5… (seconds)
            leaked = re.search(r"(?<![\d:.])12\.5(?!\d)", body)
            assert SECRET_NOTE not in body and not leaked, f"{email} read sealed content at {path}"

    pass_deadline(session, tender)
    client.cookies.clear()
    login(client, "s2@t.cn")
    opening = client.get(f"/tenders/{tender.id}", headers={"Accept-Language": "en"}).text
    heard = opening[opening.index('id="opening"') :]
    assert re.search(r"12\.5% off the tariff", heard) and re.search(r"9(\.0)?% off the tariff", heard)
    bids = session.exec(select(Bid).order_by(col(Bid.id))).all()
    assert [b.price_score for b in bids] == [100.0, 72.0]  # 100 × 9 / 12.5


def test_the_office_changes_a_lots_model_and_its_bidders_are_asked_to_bid_again(
    client: TestClient,
    session: Session,
    world,  # type: ignore[no-untyped-def]
) -> None:
    tender, (_epc, emc, _lease) = emc_round(session, world)
    login(client, "s1@t.cn")
    emc_bid(client, tender, emc, "11")
    client.cookies.clear()
    login(client, "office@t.cn")
    page = client.get(f"/tenders/{tender.id}")
    select_name = f"business_model_{world.bundles[1].id}"
    assert f'name="{select_name}"' in page.text
    saved = client.post(
        f"/tenders/{tender.id}/edit",
        data={
            "csrf_token": csrf_of(page.text),
            select_name: "lease",
            f"business_model_{world.bundles[0].id}": "epc",
        },
        follow_redirects=True,
    )
    assert saved.status_code == 200 and "屋顶租赁" in lot_section(saved.text, emc)
    session.expire_all()
    lot = session.get(TenderLot, emc)
    bid = session.exec(select(Bid)).one()
    assert lot is not None and lot.business_model == BusinessModel.lease
    assert bid.status.value == "needs_confirmation"
    stored = session.get(Tender, tender.id)
    assert stored is not None and stored.conditions_version == 2
