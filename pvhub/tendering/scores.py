"""Which bids compete, and their price and total scores (DESIGN, "Tenders").

This sits below both :mod:`pvhub.tendering.tenders` (whose opening, :func:`~pvhub.tendering.tenders.open_due`,
computes the price scores) and :mod:`pvhub.tendering.bids` (which takes the office's technical
scores), so that neither imports the other inside a function: it needs nothing but the rows.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from pvhub.tendering.enums import BidStatus
from pvhub.tendering.models import Bid, Tender, TenderLot


def is_valid(bid: Bid, tender: Tender) -> bool:
    """A bid that competes: current, submitted (not withdrawn or awaiting confirmation), under the
    tender's current conditions and at or below the ceiling price."""
    if (
        not bid.current
        or bid.status != BidStatus.submitted
        or bid.conditions_version != tender.conditions_version
    ):
        return False
    ceiling = tender.ceiling_price_cny_per_w
    return ceiling is None or float(bid.content["price_cny_per_w"]) <= ceiling + 1e-9


def compute_price_scores(*, session: Session, tender: Tender) -> int:
    """Price score per valid bid = 100 × (lowest valid total in its lot / its total) ** exponent.

    Called at opening; returns the number of current bids seen. Invalid bids get no score.
    """
    rows = session.exec(
        select(Bid)
        .join(TenderLot, col(TenderLot.id) == col(Bid.lot_id))
        .where(TenderLot.tender_id == tender.id, col(Bid.current).is_(True))
    ).all()
    lowest: dict[int, float] = {}
    for bid in rows:
        if is_valid(bid, tender):
            total = float(bid.content["total_price_cny"])
            lowest[bid.lot_id] = min(lowest.get(bid.lot_id, total), total)
    for bid in rows:
        if is_valid(bid, tender):
            ratio = lowest[bid.lot_id] / float(bid.content["total_price_cny"])
            bid.price_score = round(100 * ratio**tender.price_score_exponent, 4)
        else:
            bid.price_score = None
        bid.total_score = total_score(tender, bid)
        session.add(bid)
    return len(rows)


def total_score(tender: Tender, bid: Bid) -> float | None:
    """weight × price score + (1 − weight) × technical score, once the bid has both (0–100)."""
    if bid.price_score is None or bid.technical_score is None:
        return None
    w = tender.price_weight
    return round(w * bid.price_score + (1 - w) * bid.technical_score, 4)
