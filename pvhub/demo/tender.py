"""Demo step: one tender round over the demo's published bundles, replayed in the past.

The round is built through the services exactly as it would have happened, with the clock set
back: published :data:`PUBLISHED_DAYS_AGO` days ago with the minimum 21-day bid period, bids from
the demo suppliers (one revised, one withdrawn), opened at its deadline, scored, awarded by the
optimiser, publicised (公示) with one objection answered, and confirmed — except the last lot,
whose publicity is over but which still waits for the office, so the award page has work to show.
The last published bundle (when there are two or more) is kept out of the round for the office's
next tender. Prices and scores come from a seeded generator, so every load is the same.

Each lot takes the business model of its sites with the most kWp (the tenders' default rule), and
bids in it: an EPC lot a total price, an EMC lot a tariff discount and term, a lease lot a rent per
m² and term. The demo's figures are drawn at random in plausible ranges, not market data.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
from sqlmodel import Session, col, select

from pvhub.accounts.models import Organisation, User
from pvhub.core.enums import Role
from pvhub.register.enums import BusinessModel
from pvhub.tendering import awards, tenders
from pvhub.tendering import bids as tenders_bids
from pvhub.tendering import scores as tender_scores
from pvhub.tendering.enums import AwardStatus
from pvhub.tendering.models import Award, Bid, BidCreate, TenderCreate, TenderLot

PUBLISHED_DAYS_AGO = 75
BID_DAYS = 21
TIERS = ("tier1", "tier1", "tier2")


def _office(session: Session) -> User:
    office = session.exec(select(User).where(User.role == Role.office).order_by(col(User.id))).first()
    if office is None:
        raise RuntimeError("the demo needs a programme office user")
    return office


def _suppliers(session: Session) -> list[User]:
    """One user per supplier organisation (the first of each), in organisation order."""
    users = session.exec(
        select(User)
        .join(Organisation, col(Organisation.id) == col(User.organisation_id))
        .where(User.role == Role.supplier, col(Organisation.annual_capacity_kw).is_not(None))
        .order_by(col(Organisation.id), col(User.id))
    ).all()
    seen: dict[int, User] = {}
    for user in users:
        seen.setdefault(user.organisation_id, user)
    return list(seen.values())


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def run_demo_tender(session: Session) -> None:
    """Replay one tender round over the published bundles (nothing happens when there are none)."""
    # in the order they were published, as the office would list them in the round
    bundles = sorted(tenders.free_bundles(session), key=lambda b: (b.published_at or EPOCH, b.id or 0))
    suppliers = _suppliers(session)
    if not bundles or len(suppliers) < 2:
        return
    if len(bundles) >= 2:
        bundles = bundles[:-1]  # kept for the office's next round
    office = _office(session)
    rng = np.random.default_rng(2026)
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(days=PUBLISHED_DAYS_AGO)
    deadline = (t0 + timedelta(days=BID_DAYS)).replace(hour=9, minute=0, second=0)  # 17:00 in Shanghai
    tender = tenders.create_tender(
        session=session,
        actor=office,
        data=TenderCreate(
            title="黄浦区分布式光伏项目第一批招标",
            title_en="Huangpu distributed PV, tender round 1",
            description=(
                "以项目包为标段，每标段一个中标人。报价含设计、设备、安装、并网手续及 5 年运维。\n"
                "Lots are the published bundles, one winner each. Prices include design, equipment, "
                "installation, grid connection and 5 years of O&M."
            ),
            deadline=deadline,
            ceiling_price_cny_per_w=4.2,
            bundle_ids=[b.id for b in bundles if b.id is not None],
        ),
        now=t0 - timedelta(days=2),
    )
    assert tender.id is not None
    tenders.publish_tender(session=session, actor=office, tender_id=tender.id, now=t0)
    lots = list(
        session.exec(
            select(TenderLot).where(TenderLot.tender_id == tender.id).order_by(col(TenderLot.number))
        ).all()
    )
    _bid(session, tender.id, lots, suppliers, rng, t0)
    tenders.remind_due(session=session, now=deadline - timedelta(days=2, hours=8))  # 09:00, three days ahead
    opened_at = deadline + timedelta(hours=1)
    tenders.open_due(session=session, now=opened_at)
    lot_ids = [lot.id for lot in lots]
    for bid in session.exec(select(Bid).where(col(Bid.lot_id).in_(lot_ids)).order_by(col(Bid.id))).all():
        if bid.current and tender_scores.is_valid(bid, tender):
            tenders_bids.set_technical_score(
                session=session,
                actor=office,
                bid_id=bid.id or 0,
                technical_score=float(np.round(rng.uniform(70, 95), 1)),
                now=deadline + timedelta(days=2),
            )
    _award(session, office, tender.id, suppliers, deadline)


def _bid(
    session: Session,
    tender_id: int,
    lots: list[TenderLot],
    suppliers: list[User],
    rng: np.random.Generator,
    t0: datetime,
) -> None:
    """Each supplier bids on about two thirds of the lots; one revises its price, one withdraws."""
    base = {s.organisation_id: rng.uniform(3.0, 3.7) for s in suppliers}
    placed: list[tuple[User, int]] = []
    for k, supplier in enumerate(suppliers):
        for lot in lots:
            if rng.random() > 0.65 and len([p for p in placed if p[1] == lot.id]) >= 2:
                continue
            per_w = base[supplier.organisation_id] * rng.uniform(0.95, 1.08)
            when = t0 + timedelta(days=float(rng.uniform(3, 19)), minutes=17 * k)
            tenders_bids.submit_bid(
                session=session,
                actor=supplier,
                tender_id=tender_id,
                data=_content(lot, per_w, rng),
                now=when,
            )
            placed.append((supplier, lot.id or 0))
    reviser, lot_id = placed[0]
    lot = next(x for x in lots if x.id == lot_id)
    tenders_bids.submit_bid(
        session=session,
        actor=reviser,
        tender_id=tender_id,
        data=_content(lot, base[reviser.organisation_id] * 0.97, rng, notes="修订报价 / revised bid"),
        now=t0 + timedelta(days=20),
    )
    quitter, quit_lot = placed[-1]
    current = session.exec(
        select(Bid).where(
            Bid.lot_id == quit_lot, Bid.supplier_id == quitter.organisation_id, col(Bid.current)
        )
    ).one()
    tenders_bids.withdraw_bid(
        session=session, actor=quitter, bid_id=current.id or 0, now=t0 + timedelta(days=20, hours=3)
    )


def _content(lot: TenderLot, per_w: float, rng: np.random.Generator, notes: str = "") -> BidCreate:
    """A bid in the lot's business model; ``per_w`` (about 3–3.7 CNY/W) sets how keen the bidder is."""
    keen = (3.7 - per_w) / 0.7  # 0 (dear) to about 1 (keen)
    terms: dict[str, float | int] = {}
    if lot.business_model == BusinessModel.emc:
        terms = {"discount_pct": round(8 + 12 * keen, 1), "term_years": int(rng.choice([15, 20, 25]))}
    elif lot.business_model == BusinessModel.lease:
        terms = {"rent_cny_per_m2_year": round(4 + 6 * keen, 1), "term_years": int(rng.choice([15, 20, 25]))}
    else:
        terms = {"total_price_cny": round(per_w * lot.capacity_kwp * 1000, -2)}
    return BidCreate.model_validate(
        {
            "lot_id": lot.id or 0,
            **terms,
            "schedule_days": int(rng.integers(90, 200)),
            "module_tier": TIERS[int(rng.integers(0, len(TIERS)))],
            "inverter_tier": TIERS[int(rng.integers(0, len(TIERS)))],
            "warranty_years": int(rng.choice([5, 8, 10, 12])),
            "notes": notes,
        }
    )


def _award(session: Session, office: User, tender_id: int, suppliers: list[User], deadline: datetime) -> None:
    """Run the optimiser, publish the winners, answer an objection, confirm all lots but the last."""
    awards.run_now(session=session, actor=office, tender_id=tender_id, now=deadline + timedelta(days=3))
    started = deadline + timedelta(days=4)
    proposed = awards.start_publicity(session=session, actor=office, tender_id=tender_id, now=started)
    proposed.sort(key=lambda a: a.lot_id)
    if not proposed:
        return
    winners = {session.get(Bid, a.bid_id).supplier_id for a in proposed}  # type: ignore[union-attr]
    bidders = set(tenders.bidder_ids(session, tender_id))
    losers = [s for s in suppliers if s.organisation_id in bidders - winners]
    if losers:
        objection = awards.lodge_objection(
            session=session,
            actor=losers[0],
            award_id=proposed[0].id or 0,
            text="我司报价更低，请说明评分依据。/ Our price was lower; please explain the scores.",
            now=started + timedelta(days=1),
        )
        awards.answer_objection(
            session=session,
            actor=office,
            objection_id=objection.id or 0,
            response="技术分依据已公布的评分细则。/ Technical scores follow the published criteria.",
            now=started + timedelta(days=2),
        )
    for award in proposed[:-1] if len(proposed) > 1 else proposed:
        awards.confirm(session=session, actor=office, award_id=award.id or 0, now=started + timedelta(days=4))
    session.flush()
    assert all(
        a.status in (AwardStatus.confirmed, AwardStatus.publicised)
        for a in session.exec(select(Award).where(col(Award.id).in_([p.id for p in proposed]))).all()
    )
