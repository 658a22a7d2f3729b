"""Which bids compete, and their price and total scores (DESIGN, "Tenders").

What is scored follows the lot's business model, read from each bid's content (``business_model``;
absent on bids placed before issue #20, which are EPC — :func:`bid_model`):

* EPC: price score = 100 × (lowest valid total in the lot / this total) ** exponent;
* EMC: 100 × (this tariff discount / highest valid discount in the lot) ** exponent;
* lease: 100 × (this rent per m² / highest valid rent in the lot) ** exponent.

The exponent is the tender's ``price_score_exponent`` (``PVHUB_TENDER_PRICE_SCORE_EXPONENT``, default
1); the ceiling price applies to EPC bids only. The term an EMC or lease bid offers is read out and
shown but not scored (the discount or rent is what the owners get each year of it).

This sits below both :mod:`pvhub.tendering.tenders` (whose opening, :func:`~pvhub.tendering.tenders.open_due`,
computes the price scores) and :mod:`pvhub.tendering.bids` (which takes the office's technical
scores), so that neither imports the other inside a function: it needs nothing but the rows.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from pvhub.tendering.enums import BidStatus
from pvhub.tendering.models import Bid, Tender, TenderLot

# The figure each model scores, and whether lower is better.
SCORED_TERM = {
    "epc": ("total_price_cny", True),
    "emc": ("discount_pct", False),
    "lease": ("rent_cny_per_m2_year", False),
}


def bid_model(content: dict[str, Any]) -> str:
    """The business model of a bid's content (bids placed before issue #20 carry none: EPC)."""
    return str(content.get("business_model", "epc"))


def is_valid(bid: Bid, tender: Tender) -> bool:
    """A bid that competes: current, submitted (not withdrawn or awaiting confirmation), under the
    tender's current conditions and, for an EPC bid, at or below the ceiling price."""
    if (
        not bid.current
        or bid.status != BidStatus.submitted
        or bid.conditions_version != tender.conditions_version
    ):
        return False
    ceiling = tender.ceiling_price_cny_per_w
    if ceiling is None or bid_model(bid.content) != "epc":
        return True
    return float(bid.content["price_cny_per_w"]) <= ceiling + 1e-9


def scored_value(bid: Bid) -> float:
    """The figure a bid is scored on: EPC total price, EMC discount (%), lease rent (CNY/m²/yr)."""
    key, _lower = SCORED_TERM[bid_model(bid.content)]
    return float(bid.content[key])


def price_score(value: float, best: float, model: str, exponent: float) -> float:
    """The formula of the module docstring for one bid, given the lot's best valid figure."""
    _key, lower_is_better = SCORED_TERM[model]
    ratio = best / value if lower_is_better else value / best
    return round(100 * ratio**exponent, 4)


def compute_price_scores(*, session: Session, tender: Tender) -> int:
    """Price score of every valid bid (module docstring), by its lot's business model.

    Called at opening; returns the number of current bids seen. Invalid bids get no score. Bids of
    one lot share its model; should a lot hold bids of another model (its model changed and a bid was
    not re-placed), such bids are not valid (their conditions version is old) and get no score.
    """
    rows = session.exec(
        select(Bid)
        .join(TenderLot, col(TenderLot.id) == col(Bid.lot_id))
        .where(TenderLot.tender_id == tender.id, col(Bid.current).is_(True))
    ).all()
    best: dict[tuple[int, str], float] = {}
    for bid in rows:
        if is_valid(bid, tender):
            model, value = bid_model(bid.content), scored_value(bid)
            _key, lower = SCORED_TERM[model]
            known = best.get((bid.lot_id, model), value)
            best[(bid.lot_id, model)] = min(known, value) if lower else max(known, value)
    for bid in rows:
        if is_valid(bid, tender):
            model = bid_model(bid.content)
            bid.price_score = price_score(
                scored_value(bid), best[(bid.lot_id, model)], model, tender.price_score_exponent
            )
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
