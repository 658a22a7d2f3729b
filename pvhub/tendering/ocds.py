"""A tender as an Open Contracting Data Standard (OCDS 1.1) release package.

One tender is one contracting process (``ocid`` = :data:`OCID_PREFIX` + tender code). The package
uses two extensions, named in its ``extensions``: *lots* (``tender.lots``, ``items[].relatedLot``,
``awards[].relatedLots``) and *bids* (``bids.statistics`` and ``bids.details``). Sealing holds here
too: before the deadline the package carries only the number of bids per lot (a ``bids``
statistic) — no bidder, no price. After opening it carries the current bids the reader may read
(:func:`pvhub.tendering.bids.readable_bids`, the one sealing rule): the office every one,
with its value and status; a supplier that bid each live bid's tenderer and value, as read out at
the opening (唱标), and its own; owners and suppliers that did not bid none — for them the awards
under publicity name the winners and their values. Proposed awards are the office's working
state and are left out; awards under publicity (公示) are ``pending``, confirmed ones ``active``
with a ``pending`` contract (signing happens outside pvhub), declined ones ``cancelled``. Each
surface of a lot is an item (CPV 09332000, solar installation, quantity in kWp).

Business models (issue #20). An OCDS ``value`` is an amount, so only EPC bids carry one (the total in
CNY). Two fields of pvhub's own, outside the core schema (which allows them), say the rest:

* each lot's ``pvhubBusinessModel``: ``"epc"``, ``"emc"`` (energy-management contract, the bidder
  offers the owners a tariff discount) or ``"lease"`` (roof lease, the bidder offers rent);
* an EMC or lease bid's (and award's) ``pvhubTerms`` instead of a ``value``:
  ``{"businessModel": "emc", "discountPercent": 12.0, "termYears": 20}`` or
  ``{"businessModel": "lease", "rentCnyPerM2Year": 8.0, "termYears": 20}``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session, col, select

from pvhub.accounts.models import Organisation, User
from pvhub.core.enums import Role
from pvhub.register.enums import BusinessModel
from pvhub.tendering import bids as tenders_bids
from pvhub.tendering import documents as tenders_documents
from pvhub.tendering import scores as tender_scores
from pvhub.tendering import tenders
from pvhub.tendering.enums import AwardStatus, BidStatus, TenderStatus
from pvhub.tendering.models import Award, Bid, Tender, TenderLot

OCDS_VERSION = "1.1"
# A registered prefix would come from the OCDS helpdesk; a district deploying pvhub sets its own.
OCID_PREFIX = "ocds-pvhub0-"
EXTENSIONS = [
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_lots_extension/v1.1.5/extension.json",
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_bid_extension/v1.1.5/extension.json",
]
CPV_SOLAR_INSTALLATION = {"scheme": "CPV", "id": "09332000", "description": "Solar installation"}
_TENDER_STATUS = {
    TenderStatus.draft: "planning",
    TenderStatus.published: "active",
    TenderStatus.opened: "active",
    TenderStatus.awarded: "complete",
    TenderStatus.cancelled: "cancelled",
}
_AWARD_STATUS = {
    AwardStatus.publicised: "pending",
    AwardStatus.confirmed: "active",
    AwardStatus.declined: "cancelled",
}


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value else None


def _org_id(org_id: int) -> str:
    return f"pvhub-org-{org_id}"


def _lot_id(lot: TenderLot) -> str:
    return f"lot-{lot.number}"


def release_package(
    *, session: Session, user: User, tender_id: int, uri: str, publisher: str
) -> dict[str, Any]:
    """The OCDS release package of a tender the user may read (see the module docstring)."""
    now = tenders.utc_now()
    view = tenders.get_tender(session=session, user=user, tender_id=tender_id, now=now)
    tender = view.tender
    opened = view.is_open
    lots = [lot.lot for lot in view.lots]
    parties: dict[int, dict[str, Any]] = {}
    buyer = _buyer(session, tender, parties)
    awards, contracts, winners = _awards(session, tender, lots, parties)
    release: dict[str, Any] = {
        "ocid": OCID_PREFIX + tender.code,
        "id": f"{tender.code}-{_iso(tender.updated_at)}-{len(awards)}",
        "date": _iso(max(d for d in (tender.updated_at, tender.opened_at, *winners) if d is not None)),
        "tag": (["tenderCancellation"] if tender.status == TenderStatus.cancelled else ["tender"])
        + (["award"] if awards else [])
        + (["contract"] if contracts else []),
        "initiationType": "tender",
        "language": "zh",
        "buyer": buyer,
        "tender": _tender(session, tender, view, opened),
        "bids": _bids(session, user, tender, lots, parties, opened, now),
    }
    if awards:
        release["awards"] = awards
    if contracts:
        release["contracts"] = contracts
    release["parties"] = list(parties.values())
    return {
        "uri": uri,
        "version": OCDS_VERSION,
        "extensions": EXTENSIONS,
        "publishedDate": _iso(now),
        "publisher": {"name": publisher},
        "releases": [release],
    }


def _party(parties: dict[int, dict[str, Any]], org: Organisation, role: str) -> dict[str, Any]:
    assert org.id is not None
    entry = parties.setdefault(org.id, {"id": _org_id(org.id), "name": org.name, "roles": []})
    if role not in entry["roles"]:
        entry["roles"].append(role)
    return {"id": entry["id"], "name": org.name}


def _buyer(session: Session, tender: Tender, parties: dict[int, dict[str, Any]]) -> dict[str, Any]:
    creator = session.get(User, tender.created_by_id) if tender.created_by_id else None
    org = session.get(Organisation, creator.organisation_id) if creator else None
    if org is None:
        org = session.exec(select(Organisation).where(Organisation.kind == Role.office)).first()
    if org is None:
        return {"name": "programme office"}
    _party(parties, org, "procuringEntity")
    return _party(parties, org, "buyer")


def _tender(session: Session, tender: Tender, view: tenders.TenderView, opened: bool) -> dict[str, Any]:
    weight = tender.price_weight
    lots = [lot.lot for lot in view.lots]
    ceiling = tender.ceiling_price_cny_per_w
    out: dict[str, Any] = {
        "id": tender.code,
        "title": tender.title,
        "description": tender.description or None,
        "status": _TENDER_STATUS[tender.status],
        "statusDetails": tender.cancel_reason,  # why it was cancelled; None (dropped) otherwise
        "procurementMethod": "open",
        "mainProcurementCategory": "works",
        "awardCriteria": "ratedCriteria",
        "awardCriteriaDetails": (
            f"Total score = {weight:g} × price score + {1 - weight:g} × technical score; price score = "
            f"100 × (lowest valid total / this total)^{tender.price_score_exponent:g} on EPC lots, "
            f"100 × (this discount or rent / highest valid)^{tender.price_score_exponent:g} on EMC and "
            f"lease lots (pvhubBusinessModel). At most one winning bid per lot; no EPC bid above "
            f"{ceiling if ceiling else 'no'} CNY/W; a supplier's awarded kWp "
            f"within its annual capacity and {tender.share_cap * 100:g}% of the tender's kWp."
        ),
        "submissionMethod": ["electronicSubmission"],
        "tenderPeriod": {"startDate": _iso(tender.published_at), "endDate": _iso(tender.deadline)},
        "numberOfTenderers": len(tenders.bidder_ids(session, tender.id or 0)),
        "items": [item for lot in lots for item in _items(lot)],
        "lots": [
            {
                "id": _lot_id(lot),
                "title": f"Lot {lot.number}: bundle {(lot.snapshot or {}).get('bundle_code', lot.bundle_id)}",
                "description": f"{lot.capacity_kwp:.1f} kWp, about {lot.annual_kwh:,.0f} kWh a year",
                "status": "complete"
                if tender.status == TenderStatus.awarded
                else _TENDER_STATUS[tender.status],
                "pvhubBusinessModel": lot.business_model.value,
                **(
                    {"value": {"amount": round(ceiling * lot.capacity_kwp * 1000, 2), "currency": "CNY"}}
                    if ceiling and lot.business_model == BusinessModel.epc
                    else {}
                ),
            }
            for lot in lots
        ],
        "documents": [
            {
                "id": str(doc.id),
                "documentType": "biddingDocuments",
                "title": doc.filename,
                "format": doc.content_type,
                "url": f"/api/v1/tenders/{tender.id}/documents/{doc.id}",
                "datePublished": _iso(doc.uploaded_at),
            }
            for doc in tenders_documents.list_documents(session=session, tender_id=tender.id or 0)
        ],
    }
    if opened:
        out["awardPeriod"] = {"startDate": _iso(tender.deadline)}
    return {k: v for k, v in out.items() if v is not None}


def _items(lot: TenderLot) -> list[dict[str, Any]]:
    items = []
    for site in (lot.snapshot or {}).get("sites", []):
        for surface in site.get("surfaces", []):
            items.append(
                {
                    "id": f"surface-{surface['surface_id']}",
                    "description": (
                        f"{site['name']}: {surface['kind']}, tilt {surface['tilt_deg']:g}°, "
                        f"azimuth {surface['azimuth_deg']:g}°, {surface['usable_area_m2']:g} m²"
                    ),
                    "classification": CPV_SOLAR_INSTALLATION,
                    "quantity": surface.get("capacity_kwp"),
                    "unit": {"name": "kWp"},
                    "relatedLot": _lot_id(lot),
                }
            )
    return items


def _bids(
    session: Session,
    user: User,
    tender: Tender,
    lots: list[TenderLot],
    parties: dict[int, dict[str, Any]],
    opened: bool,
    now: datetime,
) -> dict[str, Any]:
    """Before opening: the number of bids per lot only. After: the details of each current bid the
    user may read (see the module docstring); none for those who may read none."""
    counts = tenders.bid_counts(session, [lot.id for lot in lots if lot.id is not None])
    out: dict[str, Any] = {
        "statistics": [
            {
                "id": f"bids-{_lot_id(lot)}",
                "measure": "bids",
                "value": counts.get(lot.id or 0, 0),
                "relatedLot": _lot_id(lot),
            }
            for lot in lots
        ]
    }
    if not opened:
        return out
    by_id = {lot.id: lot for lot in lots}
    views = tenders_bids.readable_bids(session=session, user=user, tender=tender, now=now, current_only=True)
    details = []
    for view in sorted(views, key=lambda v: v.bid.id or 0):
        bid = view.bid
        org = session.get(Organisation, bid.supplier_id)
        assert org is not None and view.content is not None
        details.append(
            {
                "id": str(bid.id),
                "date": _iso(bid.received_at),
                "status": _bid_status(bid, tender),
                "tenderers": [_party(parties, org, "tenderer")],
                **_value_or_terms(view.content),
                "relatedLots": [_lot_id(by_id[bid.lot_id])],
            }
        )
    if details:
        out["details"] = details
    return out


def _value_or_terms(content: dict[str, Any]) -> dict[str, Any]:
    """An EPC bid's ``value`` (its total in CNY), or an EMC or lease bid's ``pvhubTerms`` (see above)."""
    model = tender_scores.bid_model(content)
    if model == BusinessModel.epc.value:
        return {"value": {"amount": content["total_price_cny"], "currency": "CNY"}}
    terms: dict[str, Any] = {"businessModel": model}
    if "discount_pct" in content:
        terms["discountPercent"] = content["discount_pct"]
    if "rent_cny_per_m2_year" in content:
        terms["rentCnyPerM2Year"] = content["rent_cny_per_m2_year"]
    if content.get("term_years") is not None:
        terms["termYears"] = content["term_years"]
    return {"pvhubTerms": terms}


def _bid_status(bid: Bid, tender: Tender) -> str:
    if bid.status == BidStatus.withdrawn:
        return "withdrawn"
    return "valid" if tender_scores.is_valid(bid, tender) else "disqualified"


def _awards(
    session: Session, tender: Tender, lots: list[TenderLot], parties: dict[int, dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[datetime]]:
    by_id = {lot.id: lot for lot in lots}
    rows = session.exec(
        select(Award)
        .where(col(Award.lot_id).in_(list(by_id)), Award.status != AwardStatus.proposed)
        .order_by(col(Award.id))
    ).all()
    awards, contracts, dates = [], [], []
    for award in rows:
        bid = session.get(Bid, award.bid_id)
        org = session.get(Organisation, bid.supplier_id) if bid else None
        if bid is None or org is None:
            continue
        lot = by_id[award.lot_id]
        value = _value_or_terms(bid.content)
        date = award.confirmed_at or award.declined_at or award.created_at
        dates.append(date)
        awards.append(
            {
                "id": f"award-{award.id}",
                "title": f"Lot {lot.number}",
                "status": _AWARD_STATUS[award.status],
                "date": _iso(date),
                **value,
                "suppliers": [_party(parties, org, "supplier")],
                "relatedLots": [_lot_id(lot)],
            }
        )
        if award.status == AwardStatus.confirmed:
            contracts.append(
                {
                    "id": f"contract-{award.id}",
                    "awardID": f"award-{award.id}",
                    "title": f"Lot {lot.number}",
                    "status": "pending",
                    **value,
                }
            )
    return awards, contracts, dates
