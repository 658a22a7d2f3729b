"""Tenders: published bundles become lots, a 20-day bid period, condition changes invalidate bids and
extend a close deadline, and the bids open by themselves at the deadline."""

from __future__ import annotations

from datetime import UTC, timedelta
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError
from sqlmodel import Session, col, select

from pvhub.bundling.enums import BundleStatus
from pvhub.core.audit_events import AuditEvent
from pvhub.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from pvhub.notifications.models import Notification
from pvhub.tendering import bids as tenders_bids
from pvhub.tendering import tenders
from pvhub.tendering.enums import BidStatus, TenderStatus
from pvhub.tendering.models import Bid, Tender, TenderCancel, TenderCreate, TenderUpdate
from tests.pvhub.tenderworld import DEADLINE, T0, bid, build_world, lot_ids, publish_round

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def world(session: Session, make_user):  # type: ignore[no-untyped-def]
    return build_world(session, make_user)


def test_only_published_bundles_not_yet_offered_become_lots(session: Session, world) -> None:  # type: ignore[no-untyped-def]
    world.bundles[2].status = BundleStatus.draft
    session.add(world.bundles[2])
    session.commit()
    data = TenderCreate(title="t", deadline=DEADLINE, bundle_ids=[world.bundles[0].id, world.bundles[2].id])
    with pytest.raises(InvalidInput, match=r"bundle_ids\[1\]: bundle B-003 is draft"):
        tenders.create_tender(session=session, actor=world.office, data=data, now=T0)
    first = tenders.create_tender(
        session=session,
        actor=world.office,
        data=TenderCreate(title="t", deadline=DEADLINE, bundle_ids=[world.bundles[0].id]),
        now=T0,
    )
    assert first.code.startswith("PV2026-")
    with pytest.raises(InvalidInput, match=f"already a lot of tender {first.code}"):
        tenders.create_tender(
            session=session,
            actor=world.office,
            data=TenderCreate(title="u", deadline=DEADLINE, bundle_ids=[world.bundles[0].id]),
            now=T0,
        )


def test_a_supplier_cannot_create_a_tender(session: Session, world) -> None:  # type: ignore[no-untyped-def]
    data = TenderCreate(title="t", deadline=DEADLINE, bundle_ids=[world.bundles[0].id])
    with pytest.raises(PermissionDenied):
        tenders.create_tender(session=session, actor=world.suppliers[0], data=data, now=T0)


def test_the_bid_period_is_at_least_twenty_days(session: Session, world) -> None:  # type: ignore[no-untyped-def]
    short = T0 + timedelta(days=19, hours=23)
    tender = tenders.create_tender(
        session=session,
        actor=world.office,
        data=TenderCreate(title="t", deadline=short, bundle_ids=[world.bundles[0].id]),
        now=T0,
    )
    with pytest.raises(InvalidInput, match="at least 20 days") as error:
        tenders.publish_tender(session=session, actor=world.office, tender_id=tender.id, now=T0)
    assert error.value.field == "deadline"
    relaxed = tenders.TenderRules(min_bid_days=5)
    tenders.publish_tender(session=session, actor=world.office, tender_id=tender.id, rules=relaxed, now=T0)
    assert tender.status == TenderStatus.published


def test_deadlines_need_a_time_zone_and_are_stored_in_utc(session: Session, world) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError, match="timezone"):
        TenderCreate(title="t", deadline="2026-03-30T17:00:00", bundle_ids=[1])  # type: ignore[arg-type]
    local = TenderCreate(title="t", deadline="2026-03-30T17:00:00+08:00", bundle_ids=[world.bundles[0].id])  # type: ignore[arg-type]
    tender = tenders.create_tender(session=session, actor=world.office, data=local, now=T0)
    session.commit()
    session.expire_all()
    stored = session.get(Tender, tender.id)
    assert stored is not None and stored.deadline is not None
    assert stored.deadline.tzinfo is not None and stored.deadline.utcoffset() == timedelta(0)
    assert stored.deadline.hour == 9  # 17:00 in Shanghai is 09:00 UTC
    assert stored.deadline.astimezone(SHANGHAI).hour == 17


def test_drafts_are_the_offices_alone(session: Session, world) -> None:  # type: ignore[no-untyped-def]
    draft = tenders.create_tender(
        session=session,
        actor=world.office,
        data=TenderCreate(title="t", deadline=DEADLINE, bundle_ids=[world.bundles[0].id]),
        now=T0,
    )
    session.commit()
    assert [v.tender.id for v in tenders.list_tenders(session=session, user=world.office, now=T0)] == [
        draft.id
    ]
    assert tenders.list_tenders(session=session, user=world.suppliers[0], now=T0) == []
    with pytest.raises(NotFound):
        tenders.get_tender(session=session, user=world.suppliers[0], tender_id=draft.id, now=T0)


def test_publishing_freezes_the_lots_and_notifies_every_supplier(session: Session, world) -> None:  # type: ignore[no-untyped-def]
    tender = publish_round(session, world)
    view = tenders.get_tender(session=session, user=world.suppliers[0], tender_id=tender.id, now=T0)
    assert [lot.lot.number for lot in view.lots] == [1, 2, 3]
    assert view.capacity_kwp == pytest.approx(900)
    snapshot = view.lots[0].lot.snapshot
    assert snapshot is not None and snapshot["sites"][0]["name"] == "Site 0"
    assert snapshot["sites"][0]["business_model"] == "epc"
    assert snapshot["sites"][0]["surfaces"][0]["kind"] == "roof"
    notes = session.exec(select(Notification).where(Notification.kind == "tender_published")).all()
    assert {n.organisation_id for n in notes} == {s.organisation_id for s in world.suppliers}
    with pytest.raises(Conflict, match="cannot change"):
        tenders.update_tender(
            session=session,
            actor=world.office,
            tender_id=tender.id,
            changes=TenderUpdate(bundle_ids=[world.bundles[0].id]),
            now=T0,
        )


def test_a_condition_change_invalidates_bids_notifies_bidders_and_extends_a_close_deadline(
    session: Session,
    world,  # type: ignore[no-untyped-def]
) -> None:
    tender = publish_round(session, world)
    lots = lot_ids(session, tender)
    first = bid(session, world.suppliers[0], tender, lots[0], 1_000_000)
    bid(session, world.suppliers[1], tender, lots[0], 1_100_000)
    change_at = DEADLINE - timedelta(days=1)
    tenders.update_tender(
        session=session,
        actor=world.office,
        tender_id=tender.id,
        changes=TenderUpdate(ceiling_price_cny_per_w=3.5),
        now=change_at,
    )
    session.commit()
    assert tender.conditions_version == 2
    assert tender.deadline == change_at + timedelta(days=3)  # moved: the change came within 3 days
    bids = session.exec(select(Bid).where(col(Bid.current).is_(True))).all()
    assert {b.status for b in bids} == {BidStatus.needs_confirmation}
    told = session.exec(select(Notification).where(Notification.kind == "bid_needs_confirmation")).all()
    assert {n.organisation_id for n in told} == {
        world.suppliers[0].organisation_id,
        world.suppliers[1].organisation_id,
    }
    assert all("price" not in str(n.params) for n in told)
    # the bidder re-confirms: a new version under the new conditions, with its own receipt
    receipt = tenders_bids.confirm_bid(
        session=session, actor=world.suppliers[0], bid_id=first.bid_id, now=change_at
    )
    session.commit()
    assert receipt.version == 2 and receipt.status == BidStatus.submitted
    assert receipt.content_sha256 != first.content_sha256  # new nonce


def test_a_change_far_from_the_deadline_keeps_it(session: Session, world) -> None:  # type: ignore[no-untyped-def]
    tender = publish_round(session, world)
    tenders.update_tender(
        session=session,
        actor=world.office,
        tender_id=tender.id,
        changes=TenderUpdate(description="new clause"),
        now=T0 + timedelta(days=2),
    )
    assert tender.deadline == DEADLINE and tender.conditions_version == 2


def test_after_publication_the_deadline_can_only_move_later_and_bids_stay_valid(
    session: Session,
    world,  # type: ignore[no-untyped-def]
) -> None:
    tender = publish_round(session, world)
    lots = lot_ids(session, tender)
    bid(session, world.suppliers[0], tender, lots[0], 1_000_000)
    with pytest.raises(InvalidInput, match="only be extended"):
        tenders.update_tender(
            session=session,
            actor=world.office,
            tender_id=tender.id,
            changes=TenderUpdate(deadline=DEADLINE - timedelta(days=1)),
            now=T0,
        )
    tenders.update_tender(
        session=session,
        actor=world.office,
        tender_id=tender.id,
        changes=TenderUpdate(deadline=DEADLINE + timedelta(days=7)),
        now=T0,
    )
    session.commit()
    assert tender.conditions_version == 1
    assert session.exec(select(Bid)).one().status == BidStatus.submitted


def test_bids_open_by_themselves_at_the_deadline_once(session: Session, world) -> None:  # type: ignore[no-untyped-def]
    tender = publish_round(session, world)
    lots = lot_ids(session, tender)
    bid(session, world.suppliers[0], tender, lots[0], 1_000_000)
    bid(session, world.suppliers[1], tender, lots[0], 1_250_000)
    just_before = DEADLINE - timedelta(seconds=1)
    assert tenders.open_due(session=session, now=just_before) == []
    views = tenders.list_tenders(session=session, user=world.suppliers[2], now=DEADLINE + timedelta(hours=5))
    session.commit()
    assert views[0].tender.status == TenderStatus.opened
    assert tender.opened_at == DEADLINE  # opened at the deadline, whenever it was noticed
    assert tenders.open_due(session=session, now=DEADLINE + timedelta(days=1)) == []
    events = session.exec(select(AuditEvent).where(AuditEvent.action == "open")).all()
    assert len(events) == 1 and events[0].after is not None and events[0].after["bids"] == 2
    scores = sorted(b.price_score for b in session.exec(select(Bid)).all() if b.price_score is not None)
    assert scores == [pytest.approx(80.0), pytest.approx(100.0)]  # 100 × 1.0M / 1.25M
    told = session.exec(select(Notification).where(Notification.kind == "bids_opened")).all()
    assert {n.organisation_id for n in told} == {
        world.suppliers[0].organisation_id,
        world.suppliers[1].organisation_id,
    }


def test_every_supplier_is_reminded_once_when_the_deadline_is_near(session: Session, world) -> None:  # type: ignore[no-untyped-def]
    tender = publish_round(session, world)

    def reminders() -> list[Notification]:
        return list(session.exec(select(Notification).where(Notification.kind == "deadline_near")).all())

    tenders.list_tenders(session=session, user=world.suppliers[0], now=DEADLINE - timedelta(days=4))
    assert reminders() == []
    near = DEADLINE - tenders.REMINDER_BEFORE + timedelta(minutes=1)
    tenders.list_tenders(session=session, user=world.suppliers[0], now=near)
    later = near + timedelta(hours=2)
    tenders.get_tender(session=session, user=world.suppliers[1], tender_id=tender.id, now=later)
    assert tenders.remind_due(session=session, now=DEADLINE - timedelta(hours=1)) == []
    session.commit()
    notes = reminders()
    assert sorted(n.organisation_id for n in notes) == sorted(s.organisation_id for s in world.suppliers)
    assert notes[0].params["code"] == tender.code and notes[0].params["deadline"] == DEADLINE.isoformat()
    assert tender.reminded_at == near


def test_opened_conditions_are_final(session: Session, world) -> None:  # type: ignore[no-untyped-def]
    tender = publish_round(session, world)
    with pytest.raises(Conflict, match="final"):
        tenders.update_tender(
            session=session,
            actor=world.office,
            tender_id=tender.id,
            changes=TenderUpdate(description="late"),
            now=DEADLINE,
        )


def test_is_open_compares_aware_times_across_zones(session: Session, world) -> None:  # type: ignore[no-untyped-def]
    tender = publish_round(session, world)
    assert tender.deadline is not None
    local_deadline = tender.deadline.astimezone(SHANGHAI)
    assert not tenders.is_open(tender, local_deadline - timedelta(microseconds=1))
    assert tenders.is_open(tender, local_deadline)
    with pytest.raises(ValueError, match="naive"):
        tenders.is_open(tender, DEADLINE.replace(tzinfo=None))
    assert tenders.utc_now(local_deadline).tzinfo == UTC


def test_a_tender_cancelled_before_its_deadline_keeps_its_bids_sealed_for_good(
    session: Session, world
) -> None:  # type: ignore[no-untyped-def]
    tender = publish_round(session, world)
    lots = lot_ids(session, tender)
    bid(session, world.suppliers[0], tender, lots[0], 1_000_000)
    with pytest.raises(PermissionDenied):
        tenders.cancel_tender(
            session=session,
            actor=world.suppliers[0],
            tender_id=tender.id,
            data=TenderCancel(reason="not mine"),
        )
    with pytest.raises(ValidationError):
        TenderCancel(reason="no")  # a reason bidders can act on, not a shrug
    called_off = T0 + timedelta(days=5)
    tenders.cancel_tender(
        session=session,
        actor=world.office,
        tender_id=tender.id,
        data=TenderCancel(reason="  The roofs of lot 2 failed the structural survey.  "),
        now=called_off,
    )
    session.commit()
    assert tender.cancel_reason == "The roofs of lot 2 failed the structural survey."
    told = session.exec(select(Notification).where(Notification.kind == "tender_cancelled")).all()
    assert {n.organisation_id for n in told} == {s.organisation_id for s in world.suppliers}
    assert told[0].params["reason"] == tender.cancel_reason

    after = DEADLINE + timedelta(days=1)
    assert not tenders.is_open(tender, after)
    assert tenders.open_due(session=session, now=after) == []
    with pytest.raises(Conflict, match="sealed"):
        tenders_bids.list_bids(session=session, user=world.office, tender_id=tender.id, now=after)
    with pytest.raises(Conflict):
        bid(session, world.suppliers[1], tender, lots[1], 900_000, at=T0 + timedelta(days=6))
    with pytest.raises(Conflict, match="cannot be cancelled"):
        tenders.cancel_tender(
            session=session, actor=world.office, tender_id=tender.id, data=TenderCancel(reason="once more")
        )
    # its bundles may be offered again
    assert {b.id for b in world.bundles} <= {b.id for b in tenders.free_bundles(session)}
    again = tenders.create_tender(
        session=session,
        actor=world.office,
        data=TenderCreate(
            title="重新招标", deadline=after + timedelta(days=30), bundle_ids=[b.id for b in world.bundles]
        ),
        now=after,
    )
    assert again.status == TenderStatus.draft
