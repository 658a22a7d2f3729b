"""Tenders and sealed bids: thin handlers over :mod:`pvhub.tendering.tenders` and ``tenders_bids``.

Times are returned in UTC (ISO 8601 with offset) plus, for deadlines, the programme's local time
(``PVHUB_TIMEZONE``, Asia/Shanghai by default). Bid content is ``null`` wherever it is sealed.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, File, Request, UploadFile, status
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from pvhub.accounts.deps import CurrentUser
from pvhub.accounts.models import Organisation
from pvhub.core.http import SessionDep, SettingsDep
from pvhub.core.settings import Settings
from pvhub.core.uploads import read_limited
from pvhub.tendering import bids as tenders_bids
from pvhub.tendering import documents as tenders_documents
from pvhub.tendering import economics as tender_economics
from pvhub.tendering import ocds, tenders
from pvhub.tendering import suppliers as tenders_suppliers
from pvhub.tendering.enums import BidStatus, TenderStatus
from pvhub.tendering.models import (
    BidCreate,
    SupplierProfileUpdate,
    TechnicalScore,
    TenderCancel,
    TenderCreate,
    TenderLot,
    TenderUpdate,
)
from pvhub.tendering.tenders import TenderRules

router = APIRouter(
    tags=["tenders"],
    responses={409: {"description": "Not allowed now (sealed until the deadline, deadline passed, final)"}},
)


def get_rules(settings: SettingsDep) -> TenderRules:
    return TenderRules.from_settings(settings)


RulesDep = Annotated[TenderRules, Depends(get_rules)]


def local_time(settings: Settings, value: datetime | None) -> str | None:
    """An aware time in the programme's time zone, ISO 8601 with its offset."""
    return value.astimezone(ZoneInfo(settings.timezone)).isoformat() if value else None


class LotPublic(BaseModel):
    id: int
    number: int
    bundle_id: int
    bundle_code: str
    capacity_kwp: float = Field(description="DC nameplate, kWp")
    annual_kwh: float = Field(description="Estimated AC energy per year, kWh")
    business_model: str = Field(
        description="What is bid and scored: epc (total price), emc (tariff discount % and term) or "
        "lease (rent per m² per year and term)"
    )
    bid_count: int = Field(description="Suppliers with a live bid (public; the content is sealed)")
    sites: list[dict[str, Any]] | None = Field(default=None, description="As published: sites and surfaces")
    economics: dict[str, Any] | None = Field(
        default=None,
        description="The lot at the programme's default terms in its business model: investment_cny, "
        "lcoe_cny_per_kwh, investor_irr (the investing party's, fraction), owners_cny_per_year (the "
        "owners' year-1 saving or income), discount_rate; assumptions at GET /api/v1/programme/economics. "
        "null without estimates",
    )


class DocumentPublic(BaseModel):
    id: int
    filename: str
    content_type: str
    size_bytes: int
    sha256: str
    uploaded_at: datetime
    url: str


class TenderSummary(BaseModel):
    id: int
    code: str
    title: str
    title_en: str | None
    status: TenderStatus
    deadline: datetime | None
    deadline_local: str | None = Field(description="The deadline in the programme's time zone")
    is_open: bool = Field(description="The deadline has passed: bids are open (to the office)")
    ceiling_price_cny_per_w: float | None
    price_weight: float
    price_score_exponent: float
    share_cap: float
    publicity_days: float
    conditions_version: int
    published_at: datetime | None
    opened_at: datetime | None
    cancelled_at: datetime | None = None
    cancel_reason: str | None = Field(default=None, description="Why the office cancelled the tender")
    capacity_kwp: float
    lot_count: int
    bid_count: int


class TenderDetail(TenderSummary):
    description: str
    lots: list[LotPublic]
    documents: list[DocumentPublic]


def _summary(view: tenders.TenderView, settings: Settings) -> dict[str, Any]:
    t = view.tender
    assert t.id is not None
    return {
        **t.model_dump(
            include={
                "id",
                "code",
                "title",
                "title_en",
                "status",
                "deadline",
                "ceiling_price_cny_per_w",
                "price_weight",
                "price_score_exponent",
                "share_cap",
                "publicity_days",
                "conditions_version",
                "published_at",
                "opened_at",
                "cancelled_at",
                "cancel_reason",
            }
        ),
        "deadline_local": local_time(settings, t.deadline),
        "is_open": view.is_open,
        "capacity_kwp": view.capacity_kwp,
        "lot_count": len(view.lots),
        "bid_count": view.bid_count,
    }


def _detail(view: tenders.TenderView, settings: Settings, session: SessionDep) -> TenderDetail:
    tender_id = view.tender.id or 0
    economics = tender_economics.lots_economics(session=session, lots=[lot.lot for lot in view.lots])
    return TenderDetail(
        **_summary(view, settings),
        description=view.tender.description,
        lots=[
            LotPublic(
                id=lot.lot.id or 0,
                number=lot.lot.number,
                bundle_id=lot.lot.bundle_id,
                bundle_code=lot.bundle_code,
                capacity_kwp=lot.lot.capacity_kwp,
                annual_kwh=lot.lot.annual_kwh,
                business_model=lot.lot.business_model.value,
                bid_count=lot.bid_count,
                sites=(lot.lot.snapshot or {}).get("sites"),
                economics=asdict(economics[lot.lot.id]) if lot.lot.id in economics else None,
            )
            for lot in view.lots
        ],
        documents=[
            DocumentPublic(
                **d.model_dump(
                    include={"id", "filename", "content_type", "size_bytes", "sha256", "uploaded_at"}
                ),
                url=f"/api/v1/tenders/{tender_id}/documents/{d.id}",
            )
            for d in tenders_documents.list_documents(session=session, tender_id=tender_id)
        ],
    )


@router.get("/tenders", response_model=list[TenderSummary])
def list_tenders(user: CurrentUser, session: SessionDep, settings: SettingsDep) -> list[TenderSummary]:
    """Tenders you may see (office: all, incl. drafts; others: published), with their bid counts."""
    return [TenderSummary(**_summary(v, settings)) for v in tenders.list_tenders(session=session, user=user)]


@router.post("/tenders", response_model=TenderDetail, status_code=status.HTTP_201_CREATED)
def create_tender(
    data: TenderCreate, user: CurrentUser, session: SessionDep, settings: SettingsDep, rules: RulesDep
) -> TenderDetail:
    """A draft tender offering published bundles as lots (office); publish it to open the bidding."""
    tender = tenders.create_tender(session=session, actor=user, data=data, rules=rules)
    view = tenders.get_tender(session=session, user=user, tender_id=tender.id or 0)
    return _detail(view, settings, session)


@router.get("/tenders/{tender_id}", response_model=TenderDetail)
def read_tender(
    tender_id: int, user: CurrentUser, session: SessionDep, settings: SettingsDep
) -> TenderDetail:
    """A tender with its lots (sites, surfaces, estimates, business models), documents and bid counts."""
    return _detail(tenders.get_tender(session=session, user=user, tender_id=tender_id), settings, session)


@router.patch("/tenders/{tender_id}", response_model=TenderDetail)
def update_tender(
    tender_id: int,
    changes: TenderUpdate,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    rules: RulesDep,
) -> TenderDetail:
    """Edit a tender (office). After publication a change of conditions (description, ceiling, price
    weight) asks every bidder to re-confirm and extends a deadline that is too close; the deadline may
    only be extended."""
    tenders.update_tender(session=session, actor=user, tender_id=tender_id, changes=changes, rules=rules)
    return _detail(tenders.get_tender(session=session, user=user, tender_id=tender_id), settings, session)


@router.post("/tenders/{tender_id}/publish", response_model=TenderDetail)
def publish_tender(
    tender_id: int, user: CurrentUser, session: SessionDep, settings: SettingsDep, rules: RulesDep
) -> TenderDetail:
    """Publish a draft (office): the deadline must leave the minimum bid period (20 days by default)."""
    tenders.publish_tender(session=session, actor=user, tender_id=tender_id, rules=rules)
    return _detail(tenders.get_tender(session=session, user=user, tender_id=tender_id), settings, session)


@router.post("/tenders/{tender_id}/cancel", response_model=TenderDetail)
def cancel_tender(
    tender_id: int, body: TenderCancel, user: CurrentUser, session: SessionDep, settings: SettingsDep
) -> TenderDetail:
    """Cancel a tender (office) until its winners are published for 公示; every supplier is told the
    reason. Bids placed before the deadline stay sealed for good; the bundles may be offered again."""
    tenders.cancel_tender(session=session, actor=user, tender_id=tender_id, data=body)
    return _detail(tenders.get_tender(session=session, user=user, tender_id=tender_id), settings, session)


@router.post(
    "/tenders/{tender_id}/documents", response_model=DocumentPublic, status_code=status.HTTP_201_CREATED
)
def add_document(
    tender_id: int,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    rules: RulesDep,
    file: Annotated[UploadFile, File(description="PDF, DOCX, XLSX, ZIP, PNG or JPEG")],
) -> DocumentPublic:
    """Attach a document (office). On a published tender this is a change of conditions."""
    limit = int(settings.max_upload_mb * 1e6)
    content = read_limited(file, limit)
    doc = tenders_documents.add_document(
        session=session,
        actor=user,
        tender_id=tender_id,
        filename=file.filename or "document",
        content=content,
        data_dir=settings.data_dir,
        max_bytes=limit,
        rules=rules,
    )
    return DocumentPublic(
        **doc.model_dump(include={"id", "filename", "content_type", "size_bytes", "sha256", "uploaded_at"}),
        url=f"/api/v1/tenders/{tender_id}/documents/{doc.id}",
    )


@router.get("/tenders/{tender_id}/documents/{document_id}", response_class=Response)
def read_document(
    tender_id: int, document_id: int, user: CurrentUser, session: SessionDep, settings: SettingsDep
) -> Response:
    doc, content = tenders_documents.read_document(
        session=session, user=user, tender_id=tender_id, document_id=document_id, data_dir=settings.data_dir
    )
    return Response(
        content,
        media_type=doc.content_type,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{_quote(doc.filename)}"},
    )


def _quote(name: str) -> str:
    return quote(name, safe="")


# --- bids ---------------------------------------------------------------------------------------------------


class BidReceiptPublic(BaseModel):
    """Proof of what was received when: keep it. ``content_sha256`` is SHA-256 of the canonical
    content (UTF-8 JSON, keys sorted, no spaces), which includes a random nonce revealed at opening."""

    bid_id: int
    tender_id: int
    tender_code: str
    lot_id: int
    lot_number: int
    supplier_id: int
    version: int
    status: BidStatus
    received_at: datetime
    received_at_local: str | None
    content_sha256: str


def _receipt(receipt: tenders_bids.BidReceipt, settings: Settings) -> BidReceiptPublic:
    return BidReceiptPublic(**receipt.__dict__, received_at_local=local_time(settings, receipt.received_at))


class BidPublic(BaseModel):
    id: int
    lot_id: int
    lot_number: int
    supplier_id: int
    supplier_name: str
    version: int
    current: bool
    status: BidStatus
    conditions_version: int
    received_at: datetime
    content_sha256: str
    withdrawn_at: datetime | None
    technical_score: float | None
    price_score: float | None
    total_score: float | None
    sealed: bool
    content: dict[str, Any] | None = Field(
        description="null while sealed to you; another bidder's bid after opening shows only what a "
        "public bid opening reads out (business_model and total_price_cny, price_cny_per_w for EPC; "
        "discount_pct or rent_cny_per_m2_year and term_years for EMC or lease), its scores null"
    )


def bid_public(view: tenders_bids.BidView) -> BidPublic:
    b = view.bid
    return BidPublic(
        **b.model_dump(
            include={
                "id",
                "lot_id",
                "supplier_id",
                "version",
                "current",
                "status",
                "conditions_version",
                "received_at",
                "content_sha256",
                "withdrawn_at",
            }
        ),
        **view.scores,
        lot_number=view.lot_number,
        supplier_name=view.supplier_name,
        sealed=view.sealed,
        content=view.content,
    )


@router.post(
    "/tenders/{tender_id}/bids", response_model=BidReceiptPublic, status_code=status.HTTP_201_CREATED
)
def submit_bid(
    tender_id: int, data: BidCreate, user: CurrentUser, session: SessionDep, settings: SettingsDep
) -> BidReceiptPublic:
    """Submit a sealed bid for a lot (supplier), or a new version of it; returns this version's receipt.
    Refused after the deadline. What is bid follows the lot's ``business_model``: EPC
    ``total_price_cny`` (binds; ``price_cny_per_w`` is derived from it), EMC ``discount_pct`` and
    ``term_years``, lease ``rent_cny_per_m2_year`` and ``term_years``; another model's field is refused."""
    return _receipt(
        tenders_bids.submit_bid(session=session, actor=user, tender_id=tender_id, data=data), settings
    )


@router.get("/tenders/{tender_id}/bids", response_model=list[BidPublic])
def list_bids(
    tender_id: int, user: CurrentUser, session: SessionDep, current_only: bool = False
) -> list[BidPublic]:
    """Supplier: its own bids, every version, and after the deadline, if it bid, every other live
    bid's bidder and total (as read out at the opening). Office: all bids, only after the deadline
    (409 before). Owners: 403 (they see the winners on the awards)."""
    views = tenders_bids.list_bids(session=session, user=user, tender_id=tender_id, current_only=current_only)
    return [bid_public(v) for v in views]


@router.get("/tenders/{tender_id}/receipts", response_model=list[BidReceiptPublic])
def list_receipts(
    tender_id: int, user: CurrentUser, session: SessionDep, settings: SettingsDep
) -> list[BidReceiptPublic]:
    """The supplier's receipts for every version it placed in the tender."""
    return [
        _receipt(r, settings) for r in tenders_bids.receipts(session=session, actor=user, tender_id=tender_id)
    ]


@router.post("/bids/{bid_id}/withdraw", response_model=BidReceiptPublic)
def withdraw_bid(
    bid_id: int, user: CurrentUser, session: SessionDep, settings: SettingsDep
) -> BidReceiptPublic:
    """Withdraw the current version of your bid (until the deadline)."""
    return _receipt(tenders_bids.withdraw_bid(session=session, actor=user, bid_id=bid_id), settings)


@router.post("/bids/{bid_id}/confirm", response_model=BidReceiptPublic, status_code=status.HTTP_201_CREATED)
def confirm_bid(
    bid_id: int, user: CurrentUser, session: SessionDep, settings: SettingsDep
) -> BidReceiptPublic:
    """Re-confirm a bid after the tender's conditions changed: a new version with the same terms."""
    return _receipt(tenders_bids.confirm_bid(session=session, actor=user, bid_id=bid_id), settings)


@router.put("/bids/{bid_id}/technical-score", response_model=BidPublic)
def set_technical_score(
    bid_id: int, body: TechnicalScore, user: CurrentUser, session: SessionDep
) -> BidPublic:
    """The office's technical score (0–100) of a valid bid, after opening."""
    bid = tenders_bids.set_technical_score(
        session=session, actor=user, bid_id=bid_id, technical_score=body.technical_score
    )
    lot = session.get(TenderLot, bid.lot_id)
    org = session.get(Organisation, bid.supplier_id)
    assert lot is not None and org is not None
    return bid_public(tenders_bids.BidView(bid, lot.number, org.name, org.name_en, dict(bid.content)))


@router.get("/tenders/{tender_id}/ocds", response_class=JSONResponse)
def tender_ocds(tender_id: int, user: CurrentUser, session: SessionDep, request: Request) -> JSONResponse:
    """The tender as an OCDS 1.1 release package (lots and bids extensions). Bid details only after
    opening, and only those you may read: the office all, a bidder each live bid's tenderer and total,
    others none (the awards under publicity name the winners)."""
    office = session.get(Organisation, user.organisation_id) if user.role.value == "office" else None
    package = ocds.release_package(
        session=session,
        user=user,
        tender_id=tender_id,
        uri=str(request.url),
        publisher=office.name if office else request.app.state.settings.district_name,
    )
    return JSONResponse(package, media_type="application/json")


# --- supplier profile ------------------------------------------------------------------------------------


class SupplierProfile(BaseModel):
    id: int
    name: str
    name_en: str | None
    annual_capacity_kw: float | None = Field(description="Annual installation capacity, kWp")
    certifications: str | None
    contact_phone: str | None


@router.get("/suppliers/me", response_model=SupplierProfile)
def read_profile(user: CurrentUser, session: SessionDep) -> SupplierProfile:
    org = tenders_suppliers.get_profile(session=session, actor=user)
    return SupplierProfile.model_validate(org, from_attributes=True)


@router.patch("/suppliers/me", response_model=SupplierProfile)
def update_profile(changes: SupplierProfileUpdate, user: CurrentUser, session: SessionDep) -> SupplierProfile:
    """Your company profile: capacity (the award respects it), certifications, contact phone."""
    org = tenders_suppliers.update_profile(session=session, actor=user, changes=changes)
    return SupplierProfile.model_validate(org, from_attributes=True)
