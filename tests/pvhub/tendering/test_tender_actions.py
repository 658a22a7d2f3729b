"""What the pages offer on a tender is exactly what its services accept: in every state of a round —
draft, published with bids (one to re-confirm), opened, proposed, under publicity with an objection,
publicity over, awarded, and a tender cancelled before its deadline — each user is offered an action
if and only if trying it succeeds."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, col, select

from pvhub.accounts.models import User
from pvhub.core.errors import DomainError
from pvhub.tendering import actions as tender_actions
from pvhub.tendering import awards, tenders
from pvhub.tendering import bids as tenders_bids
from pvhub.tendering import documents as tenders_documents
from pvhub.tendering.models import (
    Award,
    Bid,
    BidCreate,
    Objection,
    Tender,
    TenderCancel,
    TenderCreate,
    TenderLot,
    TenderUpdate,
)
from pvhub.tendering.scores import is_valid
from tests.pvhub.tenderworld import DEADLINE, T0, World, bid, build_world

PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
NAVIGATION = {"scoring", "awards"}  # links to pages, not actions a service refuses
OPEN = DEADLINE + timedelta(hours=1)
PUBLICITY = OPEN + timedelta(hours=2)  # three days of 公示 from here


@pytest.fixture
def world(session: Session, make_user: Any) -> World:
    return build_world(session, make_user, kwp=(400, 300, 200, 250))


def _accepted(session: Session, act: Callable[[], object]) -> bool:
    """Whether the service does it (nothing of it is kept)."""
    try:
        act()
        session.flush()
    except DomainError:
        return False
    finally:
        session.rollback()
    return True


def _tender_attempts(
    session: Session, user: User, tender_id: int, now: datetime, tmp_path: Path
) -> dict[tuple[str, int, str], Callable[[], object]]:
    lots = session.exec(
        select(TenderLot).where(TenderLot.tender_id == tender_id).order_by(col(TenderLot.number))
    ).all()
    tender = session.get(Tender, tender_id)
    assert tender is not None
    attempts: dict[tuple[str, int, str], Callable[[], object]] = {
        ("tender", 0, "publish"): lambda: tenders.publish_tender(
            session=session, actor=user, tender_id=tender_id, now=now
        ),
        ("tender", 0, "edit"): lambda: tenders.update_tender(
            session=session, actor=user, tender_id=tender_id, changes=TenderUpdate(description="v2"), now=now
        ),
        ("tender", 0, "attach"): lambda: tenders_documents.add_document(
            session=session,
            actor=user,
            tender_id=tender_id,
            filename="drawings.pdf",
            content=PDF,
            data_dir=tmp_path,
            max_bytes=10_000,
            now=now,
        ),
        ("tender", 0, "cancel"): lambda: tenders.cancel_tender(
            session=session, actor=user, tender_id=tender_id, data=TenderCancel(reason="Called off."), now=now
        ),
        ("tender", 0, "bid"): lambda: tenders_bids.submit_bid(
            session=session,
            actor=user,
            tender_id=tender_id,
            data=BidCreate(
                lot_id=lots[-1].id or 0,
                total_price_cny=lots[-1].capacity_kwp * 3000,
                schedule_days=100,
                module_tier="tier1",
                inverter_tier="tier1",
                warranty_years=10,
            ),
            now=now,
        ),
        ("tender", 0, "run_award"): lambda: awards.start_run(
            session=session, actor=user, tender_id=tender_id, now=now
        ),
        ("tender", 0, "publish_winners"): lambda: awards.start_publicity(
            session=session, actor=user, tender_id=tender_id, now=now
        ),
    }
    bids = session.exec(
        select(Bid).where(col(Bid.lot_id).in_([lot.id for lot in lots]), col(Bid.current).is_(True))
    ).all()
    for b in bids:
        bid_id = b.id or 0
        attempts[("bid", bid_id, "withdraw")] = lambda bid_id=bid_id: tenders_bids.withdraw_bid(
            session=session, actor=user, bid_id=bid_id, now=now
        )
        attempts[("bid", bid_id, "reconfirm")] = lambda bid_id=bid_id: tenders_bids.confirm_bid(
            session=session, actor=user, bid_id=bid_id, now=now
        )
        attempts[("bid", bid_id, "score")] = lambda bid_id=bid_id: tenders_bids.set_technical_score(
            session=session, actor=user, bid_id=bid_id, technical_score=70, now=now
        )
    for lot in lots:
        valid = [b for b in bids if b.lot_id == lot.id and is_valid(b, tender)]
        if valid:  # the office's choice must be a valid bid: that is what the form lists
            attempts[("lot", lot.id or 0, "override")] = lambda lot=lot, choice=valid[-1]: awards.override(
                session=session,
                actor=user,
                tender_id=tender_id,
                lot_id=lot.id or 0,
                bid_id=choice.id or 0,
                reason="Checked by hand.",
                now=now,
            )
    for award in session.exec(select(Award).where(col(Award.lot_id).in_([lot.id for lot in lots]))).all():
        award_id = award.id or 0
        attempts[("award", award_id, "confirm")] = lambda award_id=award_id: awards.confirm(
            session=session, actor=user, award_id=award_id, now=now
        )
        attempts[("award", award_id, "object")] = lambda award_id=award_id: awards.lodge_objection(
            session=session, actor=user, award_id=award_id, text="We object to this.", now=now
        )
        attempts[("award", award_id, "decline")] = lambda award_id=award_id: awards.decline(
            session=session, actor=user, award_id=award_id, reason="No crew.", now=now
        )
    for objection in session.exec(select(Objection).where(Objection.tender_id == tender_id)).all():
        objection_id = objection.id or 0
        attempts[("objection", objection_id, "answer")] = lambda objection_id=objection_id: (
            awards.answer_objection(
                session=session, actor=user, objection_id=objection_id, response="See the report.", now=now
            )
        )
    return attempts


def _offered(session: Session, user: User, tender_id: int, now: datetime) -> set[tuple[str, int, str]]:
    tender = session.get(Tender, tender_id)
    assert tender is not None
    on_tender = tender_actions.tender_actions(session=session, user=user, tender=tender, now=now)
    offered = {("tender", 0, name) for name in on_tender.tender - NAVIGATION}
    offered |= {("bid", bid_id, name) for bid_id, names in on_tender.bids.items() for name in names}
    try:
        overview = awards.overview(session=session, user=user, tender_id=tender_id, now=now)
    except DomainError:  # a draft: no award page but the office's
        return offered
    lot_ids = list(session.exec(select(TenderLot.id).where(TenderLot.tender_id == tender_id)).all())
    on_awards = tender_actions.award_actions(
        session=session, user=user, overview=overview, lot_ids=[i for i in lot_ids if i], now=now
    )
    offered |= {("tender", 0, name) for name in on_awards.tender}
    offered |= {("lot", lot_id, name) for lot_id, names in on_awards.lots.items() for name in names}
    offered |= {
        ("award", award_id, name)
        for award_id, names in on_awards.awards.items()
        for name in names
        if name != "override"  # the award's lot's override, checked per lot
    }
    offered |= {("objection", o_id, name) for o_id, names in on_awards.objections.items() for name in names}
    return offered


def _check(
    session: Session, world: World, tender_id: int, now: datetime, tmp_path: Path, state: str
) -> dict[str, set[tuple[str, str]]]:
    """Compare, for every user, what is offered with what the services accept; returns what each
    user is offered, as (scope, action)."""
    said: dict[str, set[tuple[str, str]]] = {}
    for user in (world.office, *world.suppliers, world.owner):
        offered = _offered(session, user, tender_id, now)
        session.commit()  # what reading wrote (a tender opening at its deadline) stays
        attempts = _tender_attempts(session, user, tender_id, now, tmp_path)
        # a lot without a valid bid has no override form (no bid to choose): nothing to compare
        offered = {key for key in offered if key[0] != "lot" or key in attempts}
        accepted = {key for key, act in attempts.items() if _accepted(session, act)}
        assert offered == accepted, (state, user.email, offered - accepted, accepted - offered)
        said[user.email] = {(scope, name) for scope, _, name in offered}
    return said


def test_each_state_offers_exactly_what_the_services_accept(
    session: Session, world: World, tmp_path: Path
) -> None:
    office, (s1, s2, s3) = world.office, world.suppliers
    tender = tenders.create_tender(
        session=session,
        actor=office,
        data=TenderCreate(
            title="第一批",
            deadline=DEADLINE,
            ceiling_price_cny_per_w=4.0,
            bundle_ids=[b.id or 0 for b in world.bundles[:3]],
        ),
        now=T0 - timedelta(hours=1),
    )
    session.commit()
    tender_id = tender.id or 0
    draft = _check(session, world, tender_id, T0 - timedelta(minutes=30), tmp_path, "draft")
    assert draft["office@t.cn"] == {("tender", n) for n in ("publish", "edit", "attach", "cancel")}

    tenders.publish_tender(session=session, actor=office, tender_id=tender_id, now=T0)
    session.commit()
    lots = list(session.exec(select(TenderLot.id).where(TenderLot.tender_id == tender_id)).all())
    bid(session, s1, tender, lots[0] or 0, 1_100_000)
    bid(session, s2, tender, lots[0] or 0, 1_000_000)
    bid(session, s1, tender, lots[1] or 0, 800_000)
    tenders.update_tender(
        session=session,
        actor=office,
        tender_id=tender_id,
        changes=TenderUpdate(ceiling_price_cny_per_w=3.9),
        now=T0 + timedelta(days=2),
    )  # every bid needs confirmation now; Supplier 1 re-confirms its lot 1 bid
    own = session.exec(select(Bid).where(Bid.supplier_id == s1.organisation_id, Bid.lot_id == lots[0])).one()
    tenders_bids.confirm_bid(session=session, actor=s1, bid_id=own.id or 0, now=T0 + timedelta(days=2))
    session.commit()
    _check(session, world, tender_id, T0 + timedelta(days=3), tmp_path, "published")

    opened = _check(session, world, tender_id, OPEN, tmp_path, "opened")  # the reading opens it
    assert ("tender", "run_award") not in opened["office@t.cn"]  # not before every valid bid is scored
    for b in session.exec(select(Bid).where(col(Bid.current).is_(True))).all():
        if is_valid(b, tender):
            tenders_bids.set_technical_score(
                session=session, actor=office, bid_id=b.id or 0, technical_score=80, now=OPEN
            )
    awards.run_now(session=session, actor=office, tender_id=tender_id, now=OPEN)
    session.commit()
    _check(session, world, tender_id, OPEN + timedelta(hours=1), tmp_path, "proposed")

    [award] = awards.start_publicity(session=session, actor=office, tender_id=tender_id, now=PUBLICITY)
    awards.lodge_objection(
        session=session,
        actor=s2,
        award_id=award.id or 0,
        text="Cheaper here.",
        now=PUBLICITY + timedelta(days=1),
    )
    session.commit()
    publicity = _check(session, world, tender_id, PUBLICITY + timedelta(days=2), tmp_path, "publicity")
    assert publicity["office@t.cn"] == {("lot", "override"), ("objection", "answer")}  # no cancel, no confirm
    assert publicity["s2@t.cn"] == {("award", "object")} and publicity["s1@t.cn"] == {("award", "decline")}
    _check(
        session, world, tender_id, PUBLICITY + timedelta(days=4), tmp_path, "publicity over, objection open"
    )

    objection = session.exec(select(Objection)).one()
    awards.answer_objection(
        session=session, actor=office, objection_id=objection.id or 0, response="Checked."
    )
    session.commit()
    over = _check(session, world, tender_id, PUBLICITY + timedelta(days=4), tmp_path, "publicity over")
    assert ("award", "confirm") in over["office@t.cn"]
    awards.confirm(session=session, actor=office, award_id=award.id or 0, now=PUBLICITY + timedelta(days=4))
    session.commit()
    _check(session, world, tender_id, PUBLICITY + timedelta(days=5), tmp_path, "awarded")

    second = tenders.create_tender(
        session=session,
        actor=office,
        data=TenderCreate(title="第二批", deadline=DEADLINE, bundle_ids=[world.bundles[3].id or 0]),
        now=T0 - timedelta(hours=1),
    )
    tenders.publish_tender(session=session, actor=office, tender_id=second.id or 0, now=T0)
    bid(
        session,
        s3,
        second,
        session.exec(select(TenderLot.id).where(TenderLot.tender_id == second.id)).one() or 0,
        700_000,
    )
    tenders.cancel_tender(
        session=session,
        actor=office,
        tender_id=second.id or 0,
        data=TenderCancel(reason="Survey failed."),
        now=T0 + timedelta(days=1),
    )
    session.commit()
    _check(session, world, second.id or 0, T0 + timedelta(days=2), tmp_path, "cancelled before its deadline")
    _check(session, world, second.id or 0, OPEN, tmp_path, "cancelled, after its deadline")


def test_the_award_page_offers_to_publish_only_the_proposal_it_shows(session: Session, world: World) -> None:
    """A run that stores its proposal between the page's two reads does not make the page offer to
    publish winners it does not show (the page reloads while the run is active)."""
    office, s1 = world.office, world.suppliers[0]
    tender = tenders.create_tender(
        session=session,
        actor=office,
        data=TenderCreate(title="第一批", deadline=DEADLINE, bundle_ids=[world.bundles[0].id or 0]),
        now=T0 - timedelta(hours=1),
    )
    tenders.publish_tender(session=session, actor=office, tender_id=tender.id or 0, now=T0)
    session.commit()
    lot = session.exec(select(TenderLot.id).where(TenderLot.tender_id == tender.id)).one() or 0
    placed = bid(session, s1, tender, lot, 1_000_000)
    tenders_bids.set_technical_score(
        session=session, actor=office, bid_id=placed.bid_id, technical_score=80, now=OPEN
    )
    shown = awards.overview(session=session, user=office, tender_id=tender.id or 0, now=OPEN)  # before
    awards.run_now(session=session, actor=office, tender_id=tender.id or 0, now=OPEN)  # the run lands
    stale = tender_actions.award_actions(
        session=session, user=office, overview=shown, lot_ids=[lot], now=OPEN
    )
    assert "publish_winners" not in stale.tender
    fresh = awards.overview(session=session, user=office, tender_id=tender.id or 0, now=OPEN)
    now_shown = tender_actions.award_actions(
        session=session, user=office, overview=fresh, lot_ids=[lot], now=OPEN
    )
    assert "publish_winners" in now_shown.tender
