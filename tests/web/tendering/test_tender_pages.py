"""Tender pages: a supplier bids through the form and gets a receipt; nothing shows the bid to anyone
else before the deadline (pages, exports, public page); the office creates a tender with a local
deadline, scores after opening, awards, publishes and confirms."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from pvhub.tendering import awards
from pvhub.tendering import bids as tenders_bids
from pvhub.tendering.enums import AwardStatus, TenderStatus
from pvhub.tendering.models import Award, Bid, Objection, Tender
from tests.conftest import api_token
from tests.pvhub.tendering.test_tenders_api import SECRET_MARKS, open_round, pass_deadline
from tests.pvhub.tenderworld import SECRET_NOTE, build_world
from tests.web.test_pages import csrf_of, login


@pytest.fixture
def world(session: Session, make_user):  # type: ignore[no-untyped-def]
    return build_world(session, make_user)


def _lot_ids(session: Session, tender: Tender) -> list[int]:
    from pvhub.tendering.models import TenderLot

    lots = session.exec(
        select(TenderLot).where(TenderLot.tender_id == tender.id).order_by(TenderLot.number)
    ).all()
    return [lot.id for lot in lots if lot.id is not None]


def _bid(client: TestClient, tender: Tender, lot_id: int, total: str, notes: str = "") -> str:
    page = client.get(f"/tenders/{tender.id}")
    response = client.post(
        f"/tenders/{tender.id}/bids",
        data={
            "csrf_token": csrf_of(page.text),
            "lot_id": str(lot_id),
            "total_price_cny": total,
            "schedule_days": "120",
            "module_tier": "tier1",
            "inverter_tier": "tier2",
            "warranty_years": "10",
            "notes": notes,
        },
    )
    assert response.status_code == 200, response.text
    return response.text


def test_a_supplier_bids_by_form_and_nobody_else_sees_the_bid(
    client: TestClient,
    session: Session,
    world,  # type: ignore[no-untyped-def]
) -> None:
    tender = open_round(session, world)
    lot = _lot_ids(session, tender)[0]
    login(client, "s1@t.cn")
    detail = client.get(f"/tenders/{tender.id}")
    assert detail.status_code == 200 and 'data-map="tender-map"' in detail.text and "Site 0" in detail.text
    receipt = _bid(client, tender, lot, "1,234,567.89", SECRET_NOTE)
    assert "SHA-256" in receipt and "(UTC+08:00)" in receipt and "3.0864" in receipt
    assert SECRET_NOTE in client.get(f"/tenders/{tender.id}").text  # the bidder sees its own bid
    for email in ("s2@t.cn", "office@t.cn", "owner@t.cn"):
        client.cookies.clear()
        login(client, email)
        for path in (
            "/",
            "/tenders",
            "/tenders/panel",
            f"/tenders/{tender.id}",
            f"/tenders/{tender.id}/bids",
            f"/tenders/{tender.id}/award",
            f"/tenders/{tender.id}/ocds.json",
            "/notifications",
            "/sites/export.csv",
            "/sites/export.geojson",
            "/public",
        ):
            body = client.get(path).text
            for mark in SECRET_MARKS:
                assert mark not in body, f"{email} read sealed content at {path}"
    client.cookies.clear()
    login(client, "office@t.cn")
    opening = client.get(f"/tenders/{tender.id}/bids")  # the office, before the deadline
    assert 'id="sealed"' in opening.text and "<strong>1</strong>" in opening.text
    client.cookies.clear()
    for mark in SECRET_MARKS:
        assert mark not in client.get("/public").text


def test_the_office_creates_a_tender_with_a_local_deadline(
    client: TestClient, session: Session, world
) -> None:  # type: ignore[no-untyped-def]
    login(client, "office@t.cn")
    form = client.get("/tenders/new")
    assert form.status_code == 200 and "B-001" in form.text
    shanghai = datetime.now(ZoneInfo("Asia/Shanghai"))
    data = {
        "csrf_token": csrf_of(form.text),
        "title": "第二批",
        "deadline": (shanghai + timedelta(days=5)).strftime("%Y-%m-%dT%H:%M"),
        "ceiling_price_cny_per_w": "4",
        "price_weight": "0.7",
        "bundle_ids": [str(world.bundles[0].id)],
        "action": "publish",
    }
    too_soon = client.post("/tenders/new", data=data)
    assert too_soon.status_code == 422 and "截止时间须为投标留出至少 20 天" in too_soon.text
    assert session.exec(select(Tender)).first() is None  # nothing was kept
    local = (shanghai + timedelta(days=25)).replace(second=0, microsecond=0)
    created = client.post(
        "/tenders/new", data={**data, "deadline": local.strftime("%Y-%m-%dT%H:%M")}, follow_redirects=False
    )
    assert created.status_code == 303
    tender = session.exec(select(Tender)).one()
    assert tender.status == TenderStatus.published and tender.price_weight == 0.7
    assert tender.deadline == local.astimezone(UTC)
    assert local.strftime("%Y-%m-%d %H:%M") in client.get(created.headers["location"]).text


def test_the_office_scores_awards_publishes_and_confirms(client: TestClient, session: Session, world) -> None:  # type: ignore[no-untyped-def]
    tender = open_round(session, world, publicity_days=0)
    lots = _lot_ids(session, tender)
    for email, totals in (("s1@t.cn", ("1200000", "850000")), ("s2@t.cn", ("1150000", "900000"))):
        client.cookies.clear()
        login(client, email)
        for lot, total in zip(lots, totals, strict=False):
            _bid(client, tender, lot, total)
    pass_deadline(session, tender)
    client.cookies.clear()
    login(client, "office@t.cn")
    scoring = client.get(f"/tenders/{tender.id}/bids")
    assert "1,150,000.00" in scoring.text and "technical_score" in scoring.text
    for bid_id in [int(x) for x in __import__("re").findall(r'action="/bids/(\d+)/score"', scoring.text)]:
        saved = client.post(
            f"/bids/{bid_id}/score",
            data={"csrf_token": csrf_of(scoring.text), "tender_id": str(tender.id), "technical_score": "80"},
            follow_redirects=False,
        )
        assert saved.status_code == 303
    page = client.get(f"/tenders/{tender.id}/award")
    client.post(f"/tenders/{tender.id}/award/run", data={"csrf_token": csrf_of(page.text)})
    for _ in range(100):
        page = client.get(f"/tenders/{tender.id}/award")
        if "award/publicity" in page.text:
            break
        time.sleep(0.1)
    assert "award_reason" not in page.text and (
        "highest total score" in page.text or "本标段总分最高" in page.text
    )
    client.post(f"/tenders/{tender.id}/award/publicity", data={"csrf_token": csrf_of(page.text)})
    session.expire_all()
    for award in session.exec(select(Award)).all():
        assert award.status == AwardStatus.publicised
        client.post(
            f"/awards/{award.id}/confirm",
            data={"csrf_token": csrf_of(page.text), "tender_id": str(tender.id)},
        )
    session.expire_all()
    assert {a.status for a in session.exec(select(Award)).all()} == {AwardStatus.confirmed}
    client.cookies.clear()
    login(client, "s3@t.cn")
    results = client.get(f"/tenders/{tender.id}/award")
    assert results.status_code == 200 and "Supplier" in results.text
    notes = client.get("/notifications")
    assert tender.code in notes.text


def test_a_supplier_keeps_its_profile_by_form(client: TestClient, world) -> None:  # type: ignore[no-untyped-def]
    login(client, "s1@t.cn")
    page = client.get("/profile")
    saved = client.post(
        "/profile",
        data={"csrf_token": csrf_of(page.text), "annual_capacity_kw": "7500", "certifications": "ISO 9001"},
    )
    assert saved.status_code == 200 and "7500" in saved.text


def test_a_failed_award_run_gives_its_reason_in_the_readers_language(
    client: TestClient, session: Session, world
) -> None:  # type: ignore[no-untyped-def]
    from pvhub.core.enums import RunStatus
    from pvhub.core.errors import Conflict
    from pvhub.jobs import service as jobs
    from pvhub.jobs.models import Job
    from pvhub.tendering.models import AwardRun
    from web.i18n import translations_for

    tender = open_round(session, world)
    pass_deadline(session, tender)
    sealed = "Tender {code}'s bids are sealed until its deadline; nothing to award yet."
    error = Conflict(sealed, code=tender.code)
    job = Job(kind="award", status=RunStatus.failed, error=error.message, result=jobs.failure_parts(error))
    session.add(job)
    session.commit()
    assert tender.id is not None
    session.add(AwardRun(tender_id=tender.id, job_id=job.id, status=RunStatus.queued))
    session.commit()
    login(client, "office@t.cn")

    zh = client.get(f"/tenders/{tender.id}/award", headers={"Accept-Language": "zh-CN"}).text
    chinese = translations_for("zh_CN").gettext(sealed).format(code=tender.code)
    assert chinese != error.message and chinese in zh and "sealed" not in zh
    en = client.get(f"/tenders/{tender.id}/award", headers={"Accept-Language": "en"}).text
    assert error.message.replace("'", "&#39;") in en


def test_the_office_cancels_a_tender_from_its_page_and_suppliers_read_why(
    client: TestClient, session: Session, world
) -> None:  # type: ignore[no-untyped-def]
    tender = open_round(session, world)
    zh = {"Accept-Language": "zh-CN"}
    login(client, "office@t.cn")
    page = client.get(f"/tenders/{tender.id}", headers=zh)
    assert "取消招标" in page.text and f'action="/tenders/{tender.id}/cancel"' in page.text
    refused = client.post(
        f"/tenders/{tender.id}/cancel", data={"csrf_token": csrf_of(page.text), "reason": " "}, headers=zh
    )
    assert "原因" in refused.text  # the field is named; nothing changed
    session.expire_all()
    assert session.get(Tender, tender.id).status == TenderStatus.published  # type: ignore[union-attr]
    done = client.post(
        f"/tenders/{tender.id}/cancel",
        data={"csrf_token": csrf_of(page.text), "reason": "二号标段屋面荷载复核未通过"},
        headers=zh,
    )
    assert "招标已取消。" in done.text and "二号标段屋面荷载复核未通过" in done.text
    assert "取消招标" not in done.text  # no second cancel form
    client.cookies.clear()
    login(client, "s1@t.cn")
    notes = client.get("/notifications", headers=zh).text
    assert f"招标 {tender.code} 已取消：二号标段屋面荷载复核未通过" in notes


def _opened_with_bids(session: Session, world) -> tuple[Tender, list[int]]:  # type: ignore[no-untyped-def]
    """A round whose deadline has passed, Supplier 1 and 2 having bid on lot 1 (Supplier 3 not)."""
    from tests.pvhub.tenderworld import bid

    tender = open_round(session, world)
    lots = _lot_ids(session, tender)
    now = datetime.now(UTC)
    bid(session, world.suppliers[0], tender, lots[0], 1_234_567.89, notes=SECRET_NOTE, at=now)
    bid(session, world.suppliers[1], tender, lots[0], 1_300_000, at=now)
    pass_deadline(session, tender)
    return tender, lots


def test_after_opening_the_tender_page_reads_the_bids_out_to_the_bidders_only(
    client: TestClient, session: Session, world
) -> None:  # type: ignore[no-untyped-def]
    tender, _ = _opened_with_bids(session, world)
    login(client, "s2@t.cn")
    page = client.get(f"/tenders/{tender.id}", headers={"Accept-Language": "en"})
    assert page.status_code == 200 and 'id="opening"' in page.text
    opening = page.text.split('id="opening"', 1)[1].split("</section>", 1)[0]
    assert "Supplier 1" in opening and "1,234,567.89" in opening and "3.0864" in opening
    assert "Supplier 2" in opening and "1,300,000.00" in opening
    assert SECRET_NOTE not in page.text  # the rest of the bid stays with the office
    for email in ("s3@t.cn", "owner@t.cn"):  # did not bid; owns sites in it
        client.cookies.clear()
        login(client, email)
        for path in (
            f"/tenders/{tender.id}",
            f"/tenders/{tender.id}/award",
            f"/tenders/{tender.id}/ocds.json",
        ):
            body = client.get(path).text
            assert 'id="opening"' not in body
            for mark in SECRET_MARKS:
                assert mark not in body, f"{email} read a bid at {path}"


def test_a_cancelled_tenders_opening_page_says_why_its_bids_stay_sealed(
    client: TestClient, session: Session, world
) -> None:  # type: ignore[no-untyped-def]
    from pvhub.tendering import tenders
    from pvhub.tendering.models import TenderCancel

    tender = open_round(session, world)
    tenders.cancel_tender(
        session=session,
        actor=world.office,
        tender_id=tender.id,
        data=TenderCancel(reason="The survey failed."),
    )
    session.commit()
    login(client, "office@t.cn")
    zh = client.get(f"/tenders/{tender.id}/bids", headers={"Accept-Language": "zh-CN"}).text
    assert f"招标 {tender.code} 已在截止时间前取消：其投标永久保密" in zh and "前保密，目前已收到" not in zh
    en = client.get(f"/tenders/{tender.id}/bids", headers={"Accept-Language": "en"}).text
    assert "its bids stay sealed for good" in en and "sealed until" not in en


def test_a_refused_award_action_goes_back_to_its_tenders_award_page_and_says_why(
    client: TestClient, session: Session, world
) -> None:  # type: ignore[no-untyped-def]
    """The forms' tender id is not needed: the award says which tender it belongs to."""
    from pvhub.tendering import awards

    tender, lots = _opened_with_bids(session, world)
    bids = {b.supplier_id: b.id for b in session.exec(select(Bid)).all()}
    award = awards.override(
        session=session,
        actor=world.office,
        tender_id=tender.id,
        lot_id=lots[0],
        bid_id=bids[world.suppliers[0].organisation_id],
        reason="Lowest price, checked by hand.",
    )
    session.commit()
    award_page = f"/tenders/{tender.id}/award"
    client.headers["Accept-Language"] = "en"  # the refusal is put into words when it happens
    login(client, "s2@t.cn")
    token = csrf_of(client.get(award_page).text)
    # a proposal is the office's own: to a supplier it does not exist, wherever it belongs
    hidden = client.post(f"/awards/{award.id}/object", data={"csrf_token": token, "text": "Too cheap."})
    assert hidden.status_code == 404 and "//award" not in str(hidden.url)
    awards.start_publicity(session=session, actor=world.office, tender_id=tender.id)  # 3 days of 公示
    session.commit()

    client.cookies.clear()
    login(client, "office@t.cn")
    token = csrf_of(client.get(award_page).text)
    early = client.post(f"/awards/{award.id}/confirm", data={"csrf_token": token}, follow_redirects=False)
    assert early.status_code == 303 and early.headers["location"] == award_page
    shown = client.get(award_page)
    assert "The publicity period (公示) runs until" in shown.text
    assert client.post("/awards/999999/confirm", data={"csrf_token": token}).status_code == 404

    client.cookies.clear()
    login(client, "s3@t.cn")  # did not bid: may not object
    token = csrf_of(client.get(award_page).text)
    refused = client.post(
        f"/awards/{award.id}/object", data={"csrf_token": token, "text": "I object."}, follow_redirects=False
    )
    assert refused.status_code == 303 and refused.headers["location"] == award_page
    assert "Only the tender&#39;s bidders may object" in client.get(award_page).text
    declined = client.post(
        f"/awards/{award.id}/decline",
        data={"csrf_token": token, "reason": "Not mine."},
        follow_redirects=False,
    )
    assert declined.status_code == 303 and declined.headers["location"] == award_page

    client.cookies.clear()
    login(client, "s2@t.cn")
    token = csrf_of(client.get(award_page).text)
    lodged = client.post(
        f"/awards/{award.id}/object",
        data={"csrf_token": token, "text": "Too cheap to be true."},
        follow_redirects=False,
    )
    assert lodged.status_code == 303 and lodged.headers["location"] == award_page
    objection = session.exec(select(Objection)).one()
    client.cookies.clear()
    login(client, "office@t.cn")
    token = csrf_of(client.get(award_page).text)
    short = client.post(
        f"/objections/{objection.id}/answer",
        data={"csrf_token": token, "response": "no"},
        follow_redirects=False,
    )
    assert short.status_code == 303 and short.headers["location"] == award_page
    assert "at least 5 characters" in client.get(award_page).text


def test_the_pages_offer_what_the_services_accept_cancel_until_the_winners_are_published(
    client: TestClient, session: Session, world
) -> None:  # type: ignore[no-untyped-def]
    """Once the proposed winners are published (公示), the tender page offers no cancel, the award page
    no confirmation until the period is over, the scoring page no scores; what is not offered is refused."""
    tender, _ = _opened_with_bids(session, world)
    for placed in session.exec(select(Bid)).all():
        tenders_bids.set_technical_score(
            session=session, actor=world.office, bid_id=placed.id, technical_score=80
        )
    awards.run_now(session=session, actor=world.office, tender_id=tender.id)
    session.commit()
    cancel_form = f'action="/tenders/{tender.id}/cancel"'
    client.headers["Accept-Language"] = "en"
    login(client, "office@t.cn")
    assert cancel_form in client.get(f"/tenders/{tender.id}").text  # a proposal is the office's own
    awards.start_publicity(session=session, actor=world.office, tender_id=tender.id)  # 3 days
    session.commit()

    page = client.get(f"/tenders/{tender.id}")
    assert page.status_code == 200 and cancel_form not in page.text
    refused = client.post(
        f"/tenders/{tender.id}/cancel",
        data={"csrf_token": csrf_of(page.text), "reason": "The survey failed."},
    )
    assert "winners are already published" in refused.text
    session.expire_all()
    assert session.get(Tender, tender.id).status == TenderStatus.opened  # type: ignore[union-attr]
    award_page = client.get(f"/tenders/{tender.id}/award").text
    [award] = session.exec(select(Award)).all()
    assert f"/awards/{award.id}/confirm" not in award_page and "/award/override" in award_page
    scoring = client.get(f"/tenders/{tender.id}/bids").text
    assert "/score" not in scoring and "1,234,567.89" in scoring  # the scores are final, still shown

    client.cookies.clear()
    login(client, "s2@t.cn")  # a bidder: may object to Supplier 1's award; Supplier 1 may not
    assert f"/awards/{award.id}/object" in client.get(f"/tenders/{tender.id}/award").text
    client.cookies.clear()
    login(client, "s1@t.cn")
    own = client.get(f"/tenders/{tender.id}/award").text
    assert f"/awards/{award.id}/object" not in own and f"/awards/{award.id}/decline" in own


def test_a_text_the_api_refuses_as_too_long_the_award_pages_refuse_too_and_store_nothing(
    client: TestClient, session: Session, world
) -> None:  # type: ignore[no-untyped-def]
    """The award forms are read into the API's own models: a reason, objection or answer over the
    model's maximum is refused with the field's message, as the API refuses it (422)."""
    tender, lots = _opened_with_bids(session, world)
    s1, s2 = world.suppliers[0], world.suppliers[1]
    choice = session.exec(select(Bid).where(Bid.supplier_id == s1.organisation_id)).one()
    award_page = f"/tenders/{tender.id}/award"
    client.headers["Accept-Language"] = "en"

    def refused_on_page(email: str, path: str, field: str, text: str, message: str) -> None:
        client.cookies.clear()
        login(client, email)
        token = csrf_of(client.get(award_page).text)
        data = {"csrf_token": token, "lot_id": str(lots[0]), "bid_id": str(choice.id), field: text}
        answer = client.post(path, data=data, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"] == award_page
        assert message in client.get(award_page).text

    override = {"lot_id": lots[0], "bid_id": choice.id, "reason": "理" * 2001}
    api = client.post(
        f"/api/v1/tenders/{tender.id}/awards/override",
        json=override,
        headers=api_token(client, "office@t.cn"),
    )
    assert api.status_code == 422 and api.json()["detail"][0]["loc"][-1] == "reason"
    refused_on_page(
        "office@t.cn",
        f"/tenders/{tender.id}/award/override",
        "reason",
        "理" * 2001,
        "Reason: may have at most 2000 characters.",
    )
    assert session.exec(select(Award)).all() == []  # nothing stored

    award = awards.override(
        session=session,
        actor=world.office,
        tender_id=tender.id,
        lot_id=lots[0],
        bid_id=choice.id,
        reason="Lowest price, checked by hand.",
    )
    awards.start_publicity(session=session, actor=world.office, tender_id=tender.id)
    session.commit()
    long_objection = "异" * 5001
    api = client.post(
        f"/api/v1/awards/{award.id}/objections",
        json={"text": long_objection},
        headers=api_token(client, "s2@t.cn"),
    )
    assert api.status_code == 422
    refused_on_page(
        "s2@t.cn",
        f"/awards/{award.id}/object",
        "text",
        long_objection,
        "Objection: may have at most 5000 characters.",
    )
    assert session.exec(select(Objection)).all() == []
    refused_on_page(
        "s1@t.cn",
        f"/awards/{award.id}/decline",
        "reason",
        "x" * 2001,
        "Reason: may have at most 2000 characters.",
    )
    objection = awards.lodge_objection(
        session=session, actor=s2, award_id=award.id, text="Too cheap to be true."
    )
    session.commit()
    refused_on_page(
        "office@t.cn",
        f"/objections/{objection.id}/answer",
        "response",
        "答" * 5001,
        "Answer: may have at most 5000 characters.",
    )
    session.expire_all()
    stored = session.get(Award, award.id)
    assert stored is not None and stored.status == AwardStatus.publicised and stored.decline_reason is None
    assert session.get(Objection, objection.id).response is None  # type: ignore[union-attr]
