"""The demo's tender round: opened in the past, awarded, most lots confirmed, one bundle kept free,
and every bid still matching its receipt."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Session, select

from pvhub.bundling.enums import BundleStatus
from pvhub.bundling.models import Bundle
from pvhub.demo.loader import load_demo
from pvhub.demo.tender import run_demo_tender
from pvhub.tendering.bids import content_hash
from pvhub.tendering.enums import AwardStatus, TenderStatus
from pvhub.tendering.models import Award, Bid, Objection, Tender, TenderLot


def test_the_demo_round_is_opened_awarded_and_mostly_confirmed(session: Session) -> None:
    load_demo(session=session)
    tender = session.exec(select(Tender)).one()
    assert tender.status == TenderStatus.opened and tender.deadline is not None
    assert tender.deadline < datetime.now(UTC) and tender.opened_at == tender.deadline
    statuses = [a.status for a in session.exec(select(Award)).all()]
    assert statuses.count(AwardStatus.publicised) == 1 and statuses.count(AwardStatus.confirmed) >= 1
    assert len(session.exec(select(Objection)).all()) == 1
    bids = session.exec(select(Bid)).all()
    assert any(b.version == 2 for b in bids) and any(b.status.value == "withdrawn" for b in bids)
    assert all(content_hash(b.content) == b.content_sha256 for b in bids)
    assert all(b.received_at < tender.deadline for b in bids)
    offered = set(session.exec(select(TenderLot.bundle_id)).all())
    published = {b.id for b in session.exec(select(Bundle).where(Bundle.status == BundleStatus.published))}
    assert len(published - offered) == 1  # one bundle kept for the next round
    rounds = len(session.exec(select(Tender)).all())
    run_demo_tender(session)  # a second round, over the bundle kept free
    assert len(session.exec(select(Tender)).all()) > rounds
