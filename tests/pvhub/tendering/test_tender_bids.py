"""Sealed bids in the service layer: versions and receipts, the deadline, who reads what and when,
and what the audit log and notifications hold while bids are sealed."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

import pytest
from sqlmodel import Session, col, select

from pvhub.core.audit_events import AuditEvent
from pvhub.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from pvhub.jobs.models import Job
from pvhub.notifications.models import Notification
from pvhub.tendering import bids as tenders_bids
from pvhub.tendering import tenders
from pvhub.tendering.enums import BidStatus
from pvhub.tendering.models import Bid, BidCreate, TenderUpdate
from tests.pvhub.tenderworld import (
    DEADLINE,
    SECRET_NOTE,
    SECRET_TOTAL,
    T0,
    bid,
    build_world,
    lot_ids,
    publish_round,
    set_capacity,
)


@pytest.fixture
def world(session: Session, make_user):  # type: ignore[no-untyped-def]
    return build_world(session, make_user)


@pytest.fixture
def round_(session: Session, world):  # type: ignore[no-untyped-def]
    return publish_round(session, world)


def _everything_logged(session: Session) -> str:
    """The audit log, notifications and jobs as one text, to search for leaked bid content."""
    rows = [
        *(e.model_dump() for e in session.exec(select(AuditEvent)).all()),
        *(n.model_dump() for n in session.exec(select(Notification)).all()),
        *(j.model_dump() for j in session.exec(select(Job)).all()),
    ]
    return json.dumps(rows, default=str, ensure_ascii=False)


def test_every_version_is_kept_with_its_own_receipt(session: Session, world, round_) -> None:  # type: ignore[no-untyped-def]
    lot = lot_ids(session, round_)[0]
    supplier = world.suppliers[0]
    first = bid(session, supplier, round_, lot, 1_000_000, at=T0 + timedelta(days=1))
    second = bid(session, supplier, round_, lot, 990_000, at=T0 + timedelta(days=2))
    assert (first.version, second.version) == (1, 2)
    assert second.received_at == T0 + timedelta(days=2)
    withdrawn = tenders_bids.withdraw_bid(
        session=session, actor=supplier, bid_id=second.bid_id, now=T0 + timedelta(days=3)
    )
    third = bid(session, supplier, round_, lot, 980_000, at=T0 + timedelta(days=4))
    assert withdrawn.status == BidStatus.withdrawn and third.version == 3
    rows = session.exec(select(Bid).order_by(col(Bid.version))).all()
    assert [(b.version, b.current, b.status) for b in rows] == [
        (1, False, BidStatus.submitted),
        (2, False, BidStatus.withdrawn),
        (3, True, BidStatus.submitted),
    ]
    # a receipt's hash is SHA-256 of the canonical content, which the supplier can recompute
    for row, receipt in zip(rows[::2], (first, third), strict=True):
        canonical = json.dumps(row.content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert hashlib.sha256(canonical.encode()).hexdigest() == receipt.content_sha256
    own = tenders_bids.receipts(session=session, actor=supplier, tender_id=round_.id)
    assert [r.version for r in own] == [1, 2, 3]


def test_the_price_per_w_is_derived_from_the_total(session: Session, world, round_) -> None:  # type: ignore[no-untyped-def]
    lot = lot_ids(session, round_)[0]  # 400 kWp
    receipt = bid(session, world.suppliers[0], round_, lot, 1_200_000)
    stored = session.get(Bid, receipt.bid_id)
    assert stored is not None and stored.content["price_cny_per_w"] == 3.0
    assert set(stored.content) == set(tenders_bids.CONTENT_KEYS)
    data = BidCreate(
        lot_id=lot,
        total_price_cny=1_200_000,
        price_cny_per_w=3.2,
        schedule_days=90,
        module_tier="tier1",
        inverter_tier="tier2",
        warranty_years=12,
    )
    with pytest.raises(InvalidInput, match=r"must equal .* = 3.0 CNY/W") as error:
        tenders_bids.submit_bid(
            session=session, actor=world.suppliers[1], tender_id=round_.id, data=data, now=T0
        )
    assert error.value.field == "price_cny_per_w"


def test_a_bid_above_the_ceiling_or_without_a_declared_capacity_is_refused(
    session: Session,
    world,
    round_,  # type: ignore[no-untyped-def]
) -> None:
    lot = lot_ids(session, round_)[0]
    with pytest.raises(InvalidInput, match=r"above the ceiling price of 4\.0"):
        bid(session, world.suppliers[0], round_, lot, 1_700_000)  # 4.25 CNY/W
    session.rollback()
    set_capacity(session, world.suppliers[1], None)
    with pytest.raises(InvalidInput, match="annual installation capacity"):
        bid(session, world.suppliers[1], round_, lot, 1_000_000)


def test_bids_after_the_deadline_are_refused(session: Session, world, round_) -> None:  # type: ignore[no-untyped-def]
    lot = lot_ids(session, round_)[0]
    receipt = bid(session, world.suppliers[0], round_, lot, 1_000_000, at=DEADLINE - timedelta(seconds=1))
    with pytest.raises(Conflict, match="has passed; bids are no longer accepted"):
        bid(session, world.suppliers[1], round_, lot, 900_000, at=DEADLINE)
    session.rollback()
    with pytest.raises(Conflict, match="has passed"):
        tenders_bids.withdraw_bid(
            session=session, actor=world.suppliers[0], bid_id=receipt.bid_id, now=DEADLINE
        )


def test_only_suppliers_bid_and_only_on_the_tenders_own_lots(session: Session, world, round_) -> None:  # type: ignore[no-untyped-def]
    lot = lot_ids(session, round_)[0]
    with pytest.raises(PermissionDenied):
        bid(session, world.office, round_, lot, 1_000_000)
    with pytest.raises(InvalidInput, match="is not a lot of tender"):
        bid(session, world.suppliers[0], round_, 99_999, 1_000_000)
    session.rollback()
    receipt = bid(session, world.suppliers[0], round_, lot, 1_000_000)
    with pytest.raises(NotFound):  # another supplier's bid does not exist for you
        tenders_bids.withdraw_bid(session=session, actor=world.suppliers[1], bid_id=receipt.bid_id, now=T0)


def test_before_the_deadline_nobody_but_the_bidder_reads_a_bid(session: Session, world, round_) -> None:  # type: ignore[no-untyped-def]
    lot = lot_ids(session, round_)[0]
    bid(session, world.suppliers[0], round_, lot, SECRET_TOTAL, notes=SECRET_NOTE)
    bid(session, world.suppliers[1], round_, lot, 1_300_000)
    before = DEADLINE - timedelta(minutes=1)
    with pytest.raises(Conflict, match=r"sealed until .*; 2 received"):
        tenders_bids.list_bids(session=session, user=world.office, tender_id=round_.id, now=before)
    own = tenders_bids.list_bids(session=session, user=world.suppliers[0], tender_id=round_.id, now=before)
    assert [v.content["notes"] for v in own if v.content] == [SECRET_NOTE]
    other = tenders_bids.list_bids(session=session, user=world.suppliers[1], tender_id=round_.id, now=before)
    assert all(v.bid.supplier_id == world.suppliers[1].organisation_id for v in other)
    with pytest.raises(PermissionDenied):
        tenders_bids.list_bids(session=session, user=world.owner, tender_id=round_.id, now=before)
    # the public number: bids per lot, nothing else
    view = tenders.get_tender(session=session, user=world.suppliers[2], tender_id=round_.id, now=before)
    assert view.bid_count == 2 and view.lots[0].bid_count == 2
    # nothing written while sealed holds the content: only receipts (time + SHA-256)
    logged = _everything_logged(session)
    assert SECRET_NOTE not in logged and "1234567" not in logged and "3.0864" not in logged
    submits = session.exec(select(AuditEvent).where(AuditEvent.action == "submit")).all()
    assert submits and all(
        set(e.after or {})
        == {"bid_id", "lot_id", "supplier_id", "version", "status", "received_at", "content_sha256"}
        for e in submits
    )


def test_a_condition_change_leaks_nothing_either(session: Session, world, round_) -> None:  # type: ignore[no-untyped-def]
    lot = lot_ids(session, round_)[0]
    bid(session, world.suppliers[0], round_, lot, SECRET_TOTAL, notes=SECRET_NOTE)
    tenders.update_tender(
        session=session,
        actor=world.office,
        tender_id=round_.id,
        changes=TenderUpdate(description="changed"),
        now=DEADLINE - timedelta(hours=2),
    )
    session.commit()
    assert SECRET_NOTE not in _everything_logged(session)


def test_after_the_deadline_the_office_reads_every_version(session: Session, world, round_) -> None:  # type: ignore[no-untyped-def]
    lot = lot_ids(session, round_)[0]
    bid(session, world.suppliers[0], round_, lot, 1_000_000)
    bid(session, world.suppliers[0], round_, lot, SECRET_TOTAL, notes=SECRET_NOTE)
    views = tenders_bids.list_bids(session=session, user=world.office, tender_id=round_.id, now=DEADLINE)
    assert [v.bid.version for v in views] == [1, 2]
    assert views[1].content is not None and views[1].content["notes"] == SECRET_NOTE
    current = tenders_bids.list_bids(
        session=session, user=world.office, tender_id=round_.id, current_only=True, now=DEADLINE
    )
    assert [v.bid.version for v in current] == [2]
    # another supplier still sees only its own bids after the deadline
    assert (
        tenders_bids.list_bids(session=session, user=world.suppliers[1], tender_id=round_.id, now=DEADLINE)
        == []
    )


def test_technical_scores_wait_for_the_opening(session: Session, world, round_) -> None:  # type: ignore[no-untyped-def]
    lot = lot_ids(session, round_)[0]
    receipt = bid(session, world.suppliers[0], round_, lot, 1_000_000)
    with pytest.raises(Conflict, match="sealed"):
        tenders_bids.set_technical_score(
            session=session, actor=world.office, bid_id=receipt.bid_id, technical_score=80, now=T0
        )
    scored = tenders_bids.set_technical_score(
        session=session, actor=world.office, bid_id=receipt.bid_id, technical_score=80, now=DEADLINE
    )
    # alone in its lot: price score 100; total = 0.6 × 100 + 0.4 × 80
    assert scored.price_score == 100 and scored.total_score == pytest.approx(92.0)


def test_at_the_opening_each_bidder_reads_every_bidders_name_and_total_and_no_more(
    session: Session, world, round_
) -> None:  # type: ignore[no-untyped-def]
    """DESIGN, "Tenders": as at a public bid opening (唱标) the suppliers who bid hear each bidder's
    name and total; the rest of a bid stays with the office; owners and suppliers that did not bid
    hear nothing (they see the winners when the award is published)."""
    first, second = lot_ids(session, round_)[:2]
    s1, s2, s3 = world.suppliers
    bid(session, s1, round_, first, SECRET_TOTAL, notes=SECRET_NOTE, schedule_days=77)
    bid(session, s2, round_, second, 1_000_000)
    withdrawn = bid(session, s3, round_, first, 1_100_000)
    tenders_bids.withdraw_bid(session=session, actor=s3, bid_id=withdrawn.bid_id, now=T0 + timedelta(days=2))
    session.commit()
    # before the opening a bidder reads only its own bid
    early = tenders_bids.list_bids(
        session=session, user=s2, tender_id=round_.id, now=DEADLINE - timedelta(seconds=1)
    )
    assert {v.bid.supplier_id for v in early} == {s2.organisation_id}

    heard = tenders_bids.list_bids(
        session=session, user=s2, tender_id=round_.id, current_only=True, now=DEADLINE
    )
    by_supplier = {v.supplier_name: v for v in heard}
    assert set(by_supplier) == {"Supplier 1", "Supplier 2"}  # the withdrawn bid is not read out
    other = by_supplier["Supplier 1"]
    assert other.content == {
        "business_model": "epc",
        "total_price_cny": SECRET_TOTAL,
        "price_cny_per_w": 3.0864,
    }
    assert not other.own and not other.full
    assert other.scores == {"technical_score": None, "price_score": None, "total_score": None}
    own = by_supplier["Supplier 2"]
    assert own.own and own.full and own.content is not None and own.content["schedule_days"] == 120
    assert own.scores["price_score"] == 100  # its own bid, whole, as before
    record = tenders_bids.opening_record(session=session, user=s1, tender_id=round_.id, now=DEADLINE)
    assert [(v.lot_number, v.supplier_name, v.content["total_price_cny"]) for v in record] == [  # type: ignore[index]
        (1, "Supplier 1", SECRET_TOTAL),
        (2, "Supplier 2", 1_000_000),
    ]

    # a supplier whose only bid was withdrawn before the deadline did not bid: its own bid only
    outsider = tenders_bids.list_bids(session=session, user=s3, tender_id=round_.id, now=DEADLINE)
    assert {v.bid.supplier_id for v in outsider} == {s3.organisation_id}
    assert tenders_bids.opening_record(session=session, user=s3, tender_id=round_.id, now=DEADLINE) == []
    # an owner reads no bid
    with pytest.raises(PermissionDenied):
        tenders_bids.list_bids(session=session, user=world.owner, tender_id=round_.id, now=DEADLINE)
    assert (
        tenders_bids.opening_record(session=session, user=world.owner, tender_id=round_.id, now=DEADLINE)
        == []
    )
    # the office reads every bid whole
    office = tenders_bids.opening_record(
        session=session, user=world.office, tender_id=round_.id, now=DEADLINE
    )
    assert [v.content["notes"] for v in office if v.supplier_name == "Supplier 1"] == [SECRET_NOTE]  # type: ignore[index]
    assert all(v.full for v in office)


def test_a_cancelled_tenders_bids_are_sealed_because_it_was_cancelled(
    session: Session, world, round_
) -> None:  # type: ignore[no-untyped-def]
    """Not "sealed until <deadline>": a tender cancelled before its deadline never opens."""
    from pvhub.tendering.models import TenderCancel

    lot = lot_ids(session, round_)[0]
    bid(session, world.suppliers[0], round_, lot, 1_000_000)
    tenders.cancel_tender(
        session=session,
        actor=world.office,
        tender_id=round_.id,
        data=TenderCancel(reason="The survey failed."),
        now=T0 + timedelta(days=3),
    )
    session.commit()
    for when in (T0 + timedelta(days=4), DEADLINE + timedelta(days=30)):
        with pytest.raises(Conflict) as refused:
            tenders_bids.list_bids(session=session, user=world.office, tender_id=round_.id, now=when)
        assert refused.value.message == (
            f"Tender {round_.code} was cancelled before its deadline: its bids stay sealed for good; "
            "1 had been received."
        )
    assert tenders_bids.opening_record(session=session, user=world.suppliers[0], tender_id=round_.id) == []
