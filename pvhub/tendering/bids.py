"""Sealed bids: submit, revise, withdraw, re-confirm; receipts; reading after the deadline; the office's
technical scores (which bids compete and the price and total scores are :mod:`pvhub.tendering.scores`).

The sealing rule lives here and only here: :func:`readable_content` decides what of a bid version a
viewer may read (DESIGN, "Tenders") —

- its own supplier: all of it, always;
- before the bids open (:func:`~pvhub.tendering.tenders.is_open`; a tender cancelled before its
  deadline never opens): nobody else anything, the office included;
- after opening, the office: all of it, to score and award;
- after opening, each supplier that bid (had a live bid at the deadline): each live bid's bidder and
  total or terms (:data:`OPENING_KEYS`), as read out at a public bid opening (唱标) — not the schedule,
  tiers, notes or scores, which stay with the office;
- anyone else (owners, suppliers that did not bid): nothing; they see the winners as the award's
  publication (公示) shows them (:func:`pvhub.tendering.awards.overview`).

Every path that shows bids (API, pages, OCDS) goes through :func:`readable_bids` (or
:func:`list_bids` and :func:`opening_record`, built on it), which lists only the bid versions the
viewer may read something of. The audit log and notifications get only the receipt: time and
SHA-256 of the canonical content. The content includes a random ``nonce`` so that hash cannot be
reversed by trying plausible prices; the nonce stays with the bidder and the office, who can check
the receipt.

Bid content keys (other parts of pvhub rely on them): ``business_model`` (the lot's when the bid was
placed; absent on bids placed before issue #20, which are EPC), the terms of that model
(:data:`MODEL_TERMS`: EPC ``total_price_cny`` and ``price_cny_per_w`` (= total / (lot kWp × 1000),
the total binds); EMC ``discount_pct`` (% off the owners' tariff) and ``term_years``; lease
``rent_cny_per_m2_year`` and ``term_years``), then ``schedule_days`` (award to grid connection),
``module_tier``, ``inverter_tier``, ``warranty_years``, ``notes``, ``nonce``.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from pvhub.accounts.models import Organisation, User
from pvhub.core import audit, policy
from pvhub.core.enums import Role
from pvhub.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from pvhub.register.enums import BusinessModel
from pvhub.tendering.enums import BidStatus, TenderStatus
from pvhub.tendering.models import Bid, BidCreate, Tender, TenderLot
from pvhub.tendering.scores import is_valid, total_score
from pvhub.tendering.tenders import (
    check_not_cancelled,
    get_lot,
    get_tender,
    is_open,
    lock_tender,
    open_due,
    publicity_started,
    utc_now,
)

# The terms each business model bids (DESIGN, "Tenders"); the rest of a bid is common to all models.
MODEL_TERMS: dict[str, tuple[str, ...]] = {
    BusinessModel.epc.value: ("total_price_cny", "price_cny_per_w"),
    BusinessModel.emc.value: ("discount_pct", "term_years"),
    BusinessModel.lease.value: ("rent_cny_per_m2_year", "term_years"),
}
COMMON_KEYS = ("schedule_days", "module_tier", "inverter_tier", "warranty_years", "notes", "nonce")
# The keys of an EPC bid's content (bids placed before issue #20 lack ``business_model``: EPC).
CONTENT_KEYS = ("business_model", *MODEL_TERMS["epc"], *COMMON_KEYS)
# A given per-W price may differ from the derived one by rounding only.
PER_W_TOLERANCE = 0.0005


def content_keys(model: str) -> tuple[str, ...]:
    """The keys of the content of a bid in ``model``."""
    return ("business_model", *MODEL_TERMS[model], *COMMON_KEYS)


def canonical(content: dict[str, Any]) -> bytes:
    """The canonical form hashed for receipts: UTF-8 JSON, keys sorted, no spaces."""
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def content_hash(content: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(content)).hexdigest()


@dataclass(frozen=True)
class BidReceipt:
    """What the supplier keeps for each version: proof of what was received when."""

    bid_id: int
    tender_id: int
    tender_code: str
    lot_id: int
    lot_number: int
    supplier_id: int
    version: int
    status: BidStatus
    received_at: datetime
    content_sha256: str

    def as_audit(self) -> dict[str, Any]:
        return {
            "bid_id": self.bid_id,
            "lot_id": self.lot_id,
            "supplier_id": self.supplier_id,
            "version": self.version,
            "status": self.status.value,
            "received_at": self.received_at.isoformat(),
            "content_sha256": self.content_sha256,
        }


# What a public bid opening (唱标) reads out of each bid besides the bidder's name: the model and what
# is bid in it — an EPC bid's total (and the per-W price derived from it and the lot's public kWp), an
# EMC bid's tariff discount and term, a lease bid's rent and term.
OPENING_KEYS = (
    "business_model",
    "total_price_cny",
    "price_cny_per_w",
    "discount_pct",
    "rent_cny_per_m2_year",
    "term_years",
)


@dataclass
class BidView:
    """A bid version as a viewer may see it: ``content`` is what of it they may read (None while
    sealed); ``full`` is False where that is only the opening's name and total, and the office's
    scores are then withheld too."""

    bid: Bid
    lot_number: int
    supplier_name: str
    supplier_name_en: str | None
    content: dict[str, Any] | None
    own: bool = False
    full: bool = True

    @property
    def sealed(self) -> bool:
        return self.content is None

    @property
    def scores(self) -> dict[str, float | None]:
        """The office's technical, price and total score, for those who may read the whole bid."""
        b = self.bid
        if not self.full:
            return {"technical_score": None, "price_score": None, "total_score": None}
        return {
            "technical_score": b.technical_score,
            "price_score": b.price_score,
            "total_score": b.total_score,
        }


def readable_content(
    tender: Tender, viewer: User, bid: Bid, now: datetime, *, viewer_bid: bool
) -> dict[str, Any] | None:
    """The sealing rule (module docstring): what of ``bid``'s content ``viewer`` may read, or None.

    ``viewer_bid`` says whether the viewer's organisation had a live bid in the tender when the
    bids opened (:func:`opening_bidders`); only such suppliers hear the opening read out.
    """
    if viewer.role == Role.supplier and viewer.organisation_id == bid.supplier_id:
        return dict(bid.content)
    if not is_open(tender, now):
        return None
    if policy.can(viewer, "tender:manage"):
        return dict(bid.content)
    if viewer.role == Role.supplier and viewer_bid and _live(bid):
        return {key: bid.content[key] for key in OPENING_KEYS if key in bid.content}
    return None


def _live(bid: Bid) -> bool:
    """A bid that takes part in the opening: the supplier's current version, not withdrawn (a
    withdrawn bid is not opened, as a bid taken back before the deadline is not read out)."""
    return bid.current and bid.status != BidStatus.withdrawn


def opening_bidders(session: Session, tender_id: int) -> set[int]:
    """Suppliers with a live bid in the tender: after the deadline, those present at its opening."""
    rows = session.exec(
        select(Bid.supplier_id)
        .join(TenderLot, col(TenderLot.id) == col(Bid.lot_id))
        .where(
            TenderLot.tender_id == tender_id, col(Bid.current).is_(True), Bid.status != BidStatus.withdrawn
        )
        .distinct()
    ).all()
    return set(rows)


def _receipt(bid: Bid, tender: Tender, lot: TenderLot) -> BidReceipt:
    assert bid.id is not None and tender.id is not None and lot.id is not None
    return BidReceipt(
        bid_id=bid.id,
        tender_id=tender.id,
        tender_code=tender.code,
        lot_id=lot.id,
        lot_number=lot.number,
        supplier_id=bid.supplier_id,
        version=bid.version,
        status=bid.status,
        received_at=bid.received_at,
        content_sha256=bid.content_sha256,
    )


def _open_for_bids(session: Session, tender_id: int, now: datetime) -> Tender:
    """Lock the tender and check it takes bids now; bids after the deadline are refused."""
    tender = lock_tender(session, tender_id)
    if tender.status == TenderStatus.draft:
        raise NotFound("No tender with id {tender_id}.", tender_id=tender_id)
    check_takes_bids(tender, now)
    return tender


def check_takes_bids(tender: Tender, now: datetime) -> None:
    """A published tender takes bids (new ones, revisions, withdrawals, re-confirmations) until its
    deadline; after it, or once cancelled, none."""
    if tender.status != TenderStatus.published or is_open(tender, now):
        raise Conflict(
            "The deadline of tender {code} ({deadline}) has passed; bids are no longer accepted.",
            code=tender.code,
            deadline=tender.deadline.isoformat() if tender.deadline else None,
        )


def _current(session: Session, lot_id: int, supplier_id: int) -> Bid | None:
    return session.exec(
        select(Bid).where(Bid.lot_id == lot_id, Bid.supplier_id == supplier_id, col(Bid.current).is_(True))
    ).first()


def _content(data: BidCreate, lot: TenderLot, tender: Tender) -> dict[str, Any]:
    """The content stored (and hashed) for a bid: the terms of the lot's model and the common fields."""
    model = BusinessModel(lot.business_model).value
    _check_fields(data, lot, model)
    if model == BusinessModel.epc.value:
        terms = _epc_terms(data, lot, tender)
    elif model == BusinessModel.emc.value:
        terms = {"discount_pct": round(float(data.discount_pct or 0), 4), "term_years": data.term_years}
    else:
        terms = {
            "rent_cny_per_m2_year": round(float(data.rent_cny_per_m2_year or 0), 2),
            "term_years": data.term_years,
        }
    return {
        "business_model": model,
        **terms,
        "schedule_days": data.schedule_days,
        "module_tier": data.module_tier,
        "inverter_tier": data.inverter_tier,
        "warranty_years": data.warranty_years,
        "notes": data.notes,
        "nonce": secrets.token_hex(16),
    }


# The input fields each model needs; the others must be left out.
_REQUIRED = {
    BusinessModel.epc.value: ("total_price_cny",),
    BusinessModel.emc.value: ("discount_pct", "term_years"),
    BusinessModel.lease.value: ("rent_cny_per_m2_year", "term_years"),
}
_TERM_FIELDS = ("total_price_cny", "price_cny_per_w", "discount_pct", "rent_cny_per_m2_year", "term_years")


def _check_fields(data: BidCreate, lot: TenderLot, model: str) -> None:
    """Refuse a bid whose terms are not those of its lot's business model, naming the field."""
    for name in _REQUIRED[model]:
        if getattr(data, name) is None:
            raise InvalidInput(
                "Lot {lot} is let as {model}: its bids need {field}.",
                lot=lot.number,
                model=BusinessModel(model),
                field=name,
            )
    for name in _TERM_FIELDS:
        if getattr(data, name) is not None and name not in MODEL_TERMS[model]:
            raise InvalidInput(
                "Lot {lot} is let as {model}: {field} is not bid in it (it takes {wanted}).",
                lot=lot.number,
                model=BusinessModel(model),
                wanted=", ".join(_REQUIRED[model]),
                field=name,
            )


def _epc_terms(data: BidCreate, lot: TenderLot, tender: Tender) -> dict[str, Any]:
    """An EPC bid's total and the per-W price derived from it, within the ceiling."""
    if lot.capacity_kwp <= 0:
        raise Conflict("Lot {lot} has no capacity estimate; it cannot be priced per W.", lot=lot.number)
    total = float(data.total_price_cny or 0)
    per_w = round(total / (lot.capacity_kwp * 1000), 4)
    if data.price_cny_per_w is not None and abs(data.price_cny_per_w - per_w) > PER_W_TOLERANCE:
        raise InvalidInput(
            "price_cny_per_w must equal total_price_cny / (lot kWp × 1000) = {per_w} CNY/W "
            "for lot {lot} ({capacity_kwp:.1f} kWp); the total price binds.",
            per_w=per_w,
            lot=lot.number,
            capacity_kwp=lot.capacity_kwp,
            field="price_cny_per_w",
        )
    if tender.ceiling_price_cny_per_w is not None and per_w > tender.ceiling_price_cny_per_w + 1e-9:
        raise InvalidInput(
            "{per_w} CNY/W is above the ceiling price of {ceiling} CNY/W.",
            per_w=per_w,
            ceiling=tender.ceiling_price_cny_per_w,
            field="total_price_cny",
        )
    return {"total_price_cny": round(total, 2), "price_cny_per_w": per_w}


def _supplier(session: Session, actor: User) -> Organisation:
    policy.require(actor, "bid:submit")
    org = session.get(Organisation, actor.organisation_id)
    if org is None or org.kind != Role.supplier:
        raise PermissionDenied("Only a supplier organisation can bid.")
    if not org.annual_capacity_kw:
        raise InvalidInput(
            "State your annual installation capacity (kWp) in your company profile before bidding; "
            "the award respects it.",
            field="annual_capacity_kw",
        )
    return org


def _store_version(
    session: Session, actor: User, tender: Tender, lot: TenderLot, content: dict[str, Any], now: datetime
) -> BidReceipt:
    """Add the next version of the actor's bid on ``lot`` (caller holds the tender lock)."""
    assert lot.id is not None
    previous = _current(session, lot.id, actor.organisation_id)
    if previous is not None:
        previous.current = False
        session.add(previous)
        session.flush()
    bid = Bid(
        lot_id=lot.id,
        supplier_id=actor.organisation_id,
        version=(previous.version + 1) if previous else 1,
        status=BidStatus.submitted,
        current=True,
        conditions_version=tender.conditions_version,
        content=content,
        content_sha256=content_hash(content),
        received_at=now,
        submitted_by_id=actor.id,
    )
    session.add(bid)
    try:
        session.flush()
    except IntegrityError:  # a second request of the same supplier won the race for this version
        raise Conflict(
            "Another version of this bid arrived at the same moment; reload and try again."
        ) from None
    receipt = _receipt(bid, tender, lot)
    audit.record(
        session, actor=actor, entity="bid", entity_id=bid.id, action="submit", after=receipt.as_audit()
    )
    return receipt


def submit_bid(
    *, session: Session, actor: User, tender_id: int, data: BidCreate, now: datetime | None = None
) -> BidReceipt:
    """Submit a bid for a lot, or a new version of it; returns the receipt of this version."""
    now = utc_now(now)
    _supplier(session, actor)
    tender = _open_for_bids(session, tender_id, now)
    lot = get_lot(session=session, tender_id=tender_id, lot_id=data.lot_id)
    return _store_version(session, actor, tender, lot, _content(data, lot, tender), now)


def _own_current(session: Session, actor: User, bid_id: int) -> tuple[Bid, TenderLot]:
    bid = session.get(Bid, bid_id)
    if bid is None or bid.supplier_id != actor.organisation_id or actor.role != Role.supplier:
        raise NotFound("No bid with id {bid_id}.", bid_id=bid_id)
    lot = session.get(TenderLot, bid.lot_id)
    assert lot is not None
    return bid, lot


def withdraw_bid(*, session: Session, actor: User, bid_id: int, now: datetime | None = None) -> BidReceipt:
    """Withdraw the current version of one's bid (until the deadline); the versions stay on record."""
    now = utc_now(now)
    _supplier(session, actor)
    bid, lot = _own_current(session, actor, bid_id)
    tender = _open_for_bids(session, lot.tender_id, now)
    session.refresh(bid)
    check_withdrawable(bid)
    bid.status, bid.withdrawn_at = BidStatus.withdrawn, now
    session.add(bid)
    receipt = _receipt(bid, tender, lot)
    audit.record(
        session, actor=actor, entity="bid", entity_id=bid.id, action="withdraw", after=receipt.as_audit()
    )
    return receipt


def check_withdrawable(bid: Bid) -> None:
    """Only the current version of a live bid can be withdrawn."""
    if not bid.current or bid.status == BidStatus.withdrawn:
        raise Conflict(
            "Bid {bid_id} is not the current version of a live bid; nothing to withdraw.", bid_id=bid.id
        )


def check_reconfirmable(bid: Bid) -> None:
    """Only a current bid the tender's changed conditions invalidated needs (and takes) confirmation."""
    if not bid.current or bid.status != BidStatus.needs_confirmation:
        raise Conflict("Bid {bid_id} does not need confirmation.", bid_id=bid.id)


def confirm_bid(*, session: Session, actor: User, bid_id: int, now: datetime | None = None) -> BidReceipt:
    """Re-confirm a bid under the tender's changed conditions: a new version with the same terms."""
    now = utc_now(now)
    _supplier(session, actor)
    bid, lot = _own_current(session, actor, bid_id)
    tender = _open_for_bids(session, lot.tender_id, now)
    session.refresh(bid)
    check_reconfirmable(bid)
    # the same terms under the lot's (possibly changed) model: a model change refuses them, naming the field
    data = BidCreate.model_validate(
        {
            **{k: v for k, v in bid.content.items() if k not in ("nonce", "business_model")},
            "lot_id": lot.id,
        }
    )
    return _store_version(session, actor, tender, lot, _content(data, lot, tender), now)


def receipts(*, session: Session, actor: User, tender_id: int) -> list[BidReceipt]:
    """The supplier's receipts for every version it placed in the tender, oldest first."""
    policy.require(actor, "bid:submit")
    tender = session.get(Tender, tender_id)
    if tender is None or tender.status == TenderStatus.draft:
        raise NotFound("No tender with id {tender_id}.", tender_id=tender_id)
    rows = session.exec(
        select(Bid, TenderLot)
        .join(TenderLot, col(TenderLot.id) == col(Bid.lot_id))
        .where(TenderLot.tender_id == tender_id, Bid.supplier_id == actor.organisation_id)
        .order_by(col(TenderLot.number), col(Bid.version))
    ).all()
    return [_receipt(bid, tender, lot) for bid, lot in rows]


# --- reading -----


def readable_bids(
    *, session: Session, user: User, tender: Tender, now: datetime, current_only: bool = False
) -> list[BidView]:
    """The bid versions of ``tender`` that ``user`` may read something of, each with that part
    (:func:`readable_content`), by lot, supplier and version. Refuses nothing: the caller has
    checked that the user may see the tender; a viewer the rule gives nothing gets an empty list.
    """
    assert tender.id is not None
    query = (
        select(Bid, TenderLot, Organisation)
        .join(TenderLot, col(TenderLot.id) == col(Bid.lot_id))
        .join(Organisation, col(Organisation.id) == col(Bid.supplier_id))
        .where(TenderLot.tender_id == tender.id)
        .order_by(col(TenderLot.number), col(Organisation.id), col(Bid.version))
    )
    if current_only:
        query = query.where(col(Bid.current).is_(True))
    supplier = user.role == Role.supplier
    viewer_bid = (
        supplier and is_open(tender, now) and user.organisation_id in opening_bidders(session, tender.id)
    )
    views = []
    for bid, lot, org in session.exec(query).all():
        content = readable_content(tender, user, bid, now, viewer_bid=viewer_bid)
        if content is None:
            continue
        own = supplier and bid.supplier_id == user.organisation_id
        views.append(
            BidView(
                bid=bid,
                lot_number=lot.number,
                supplier_name=org.name,
                supplier_name_en=org.name_en,
                content=content,
                own=own,
                full=own or policy.can(user, "tender:manage"),
            )
        )
    return views


def _sealed(session: Session, tender: Tender) -> Conflict:
    """Why the office cannot read the bids yet — or, for a tender cancelled before its deadline, ever."""
    count = len(
        session.exec(
            select(Bid.id)
            .join(TenderLot, col(TenderLot.id) == col(Bid.lot_id))
            .where(TenderLot.tender_id == tender.id, col(Bid.current).is_(True))
        ).all()
    )
    if tender.status == TenderStatus.cancelled:
        return Conflict(
            "Tender {code} was cancelled before its deadline: its bids stay sealed for good; "
            "{count} had been received.",
            code=tender.code,
            count=count,
        )
    if tender.deadline is None:
        return Conflict("Bids are sealed until the deadline; {count} received so far.", count=count)
    return Conflict(
        "Bids are sealed until {deadline}; {count} received so far.",
        deadline=tender.deadline.isoformat(),
        count=count,
    )


def list_bids(
    *,
    session: Session,
    user: User,
    tender_id: int,
    current_only: bool = False,
    now: datetime | None = None,
) -> list[BidView]:
    """Bids of a tender as ``user`` may read them (:func:`readable_bids`): a supplier its own
    (always, whole) and, once they open and if it bid, every live bid's bidder and total; the office
    every bid, whole, once they open.

    Before the opening the office is told how many bids there are and when they open, nothing more
    (409); owners may not read bids at all (403) — they see the winners on the award's publication.
    """
    now = utc_now(now)
    open_due(session=session, now=now, tender_id=tender_id)
    tender = session.get(Tender, tender_id)
    office = policy.can(user, "tender:manage")
    if tender is None or (tender.status == TenderStatus.draft and not office):
        raise NotFound("No tender with id {tender_id}.", tender_id=tender_id)
    if office and not is_open(tender, now):
        raise _sealed(session, tender)
    if not office and user.role != Role.supplier:
        raise PermissionDenied("Only the bidders and, after the deadline, the office may read bids.")
    return readable_bids(session=session, user=user, tender=tender, now=now, current_only=current_only)


def opening_record(
    *, session: Session, user: User, tender_id: int, now: datetime | None = None
) -> list[BidView]:
    """What the bid opening (唱标) read out, as ``user`` may know it: each live bid's lot, bidder and
    total, by lot. Empty before the opening and for anyone the sealing rule tells nothing (owners,
    suppliers that did not bid); the office gets the whole bids."""
    now = utc_now(now)
    view = get_tender(session=session, user=user, tender_id=tender_id, now=now)
    if not view.is_open:
        return []
    bids = readable_bids(session=session, user=user, tender=view.tender, now=now, current_only=True)
    return [v for v in bids if _live(v.bid)]


# --- scoring -----


def check_scorable(session: Session, tender: Tender, bid: Bid, now: datetime) -> None:
    """A valid bid may be scored once the bids opened, until the proposed winners are published."""
    check_not_cancelled(tender)
    if not is_open(tender, now):
        raise Conflict("Bids are sealed until the deadline; they can be scored once they open.")
    if not is_valid(bid, tender):
        raise Conflict(
            "Bid {bid_id} is not a valid current bid (withdrawn, unconfirmed or above the ceiling).",
            bid_id=bid.id,
        )
    if tender.id is not None and publicity_started(session, tender.id):
        raise Conflict("The proposed winners are published (公示); the scores are final.")


def set_technical_score(
    *, session: Session, actor: User, bid_id: int, technical_score: float, now: datetime | None = None
) -> Bid:
    """The office's technical score (0–100) of a valid bid, after opening and before 公示."""
    policy.require(actor, "tender:manage")
    now = utc_now(now)
    bid = session.get(Bid, bid_id)
    lot = session.get(TenderLot, bid.lot_id) if bid else None
    if bid is None or lot is None:
        raise NotFound("No bid with id {bid_id}.", bid_id=bid_id)
    open_due(session=session, now=now, tender_id=lot.tender_id)
    tender = session.get(Tender, lot.tender_id)
    assert tender is not None
    check_scorable(session, tender, bid, now)
    before = audit.snapshot(bid)
    bid.technical_score = technical_score
    bid.total_score = total_score(tender, bid)
    session.add(bid)
    audit.record(
        session,
        actor=actor,
        entity="bid",
        entity_id=bid.id,
        action="technical_score",
        before=before,
        after=audit.snapshot(bid),
    )
    return bid
