"""Tender pages: the list (with bid counts), a tender with its lots on the map, the bid form and its
receipt, the office's tender form, conditions, documents and the opening view with scoring; the
supplier's profile and everyone's notifications. Handlers parse, call the services, render.

Times show in the programme's time zone (``PVHUB_TIMEZONE``, Asia/Shanghai) with the offset named;
the deadline typed in the form is read in that zone and stored in UTC.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, File, Request, UploadFile
from fastapi.responses import RedirectResponse
from sqlmodel import Session, col, select
from starlette.responses import Response

from pvhub.accounts.models import User
from pvhub.core import policy
from pvhub.core.enums import Role
from pvhub.core.errors import DomainError, InvalidInput
from pvhub.core.http import SessionDep
from pvhub.core.ids import ascii_id
from pvhub.core.uploads import read_limited
from pvhub.register.enums import BusinessModel
from pvhub.tendering import actions as tender_actions
from pvhub.tendering import bids as tenders_bids
from pvhub.tendering import documents as tenders_documents
from pvhub.tendering import economics as tender_economics
from pvhub.tendering import scores as tender_scores
from pvhub.tendering import suppliers as tenders_suppliers
from pvhub.tendering import tenders
from pvhub.tendering.api import tenders as api_tenders
from pvhub.tendering.enums import BidStatus
from pvhub.tendering.models import (
    Bid,
    BidCreate,
    SupplierProfileUpdate,
    TechnicalScore,
    TenderCancel,
    TenderCreate,
    TenderLot,
    TenderUpdate,
)
from pvhub.tendering.tenders import TenderRules
from web import csrf, i18n
from web.binding import bind
from web.form_data import PageForm
from web.shell import LoggedIn, flash_back, page_context
from web.templating import render

router = APIRouter(include_in_schema=False)
TIERS = ("tier1", "tier2", "tier3")
MODELS = tuple(m.value for m in BusinessModel)
# One colour per lot on the map (qualitative, readable on light tiles).
LOT_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2")


def rules_of(request: Request) -> TenderRules:
    return TenderRules.from_settings(request.app.state.settings)


def _local_deadline(request: Request, raw: str) -> datetime | None:
    """A ``datetime-local`` value, read in the programme's time zone."""
    raw = raw.strip()
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise InvalidInput("{raw!r} is not a date and time.", raw=raw, field="deadline") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(request.app.state.settings.timezone))
    return value


# --- lists -----


@router.get("/tenders")
def tender_list(request: Request, user: LoggedIn, session: SessionDep) -> Response:
    """Tenders with their deadline and the public number of bids; the office also sees drafts."""
    context = page_context(request, user, session)
    context["views"] = tenders.list_tenders(session=session, user=user)
    context["mine"] = _my_lots(session, user)
    return render(request, "tendering/list.html", context)


@router.get("/tenders/panel")
def tender_panel(request: Request, user: LoggedIn, session: SessionDep) -> Response:
    """The short list on the home pages (loaded by htmx)."""
    context = page_context(request, user, session)
    context["views"] = tenders.list_tenders(session=session, user=user)[:6]
    context["mine"] = _my_lots(session, user)
    return render(request, "tendering/panel.html", context)


def _my_lots(session: Session, user: User) -> dict[int, int]:
    """Supplier: tender id → how many of its lots carry a live bid of the supplier."""
    if user.role != Role.supplier:
        return {}
    rows = session.exec(
        select(TenderLot.tender_id)
        .join(Bid, col(Bid.lot_id) == col(TenderLot.id))
        .where(
            Bid.supplier_id == user.organisation_id,
            col(Bid.current).is_(True),
            Bid.status != BidStatus.withdrawn,
        )
    ).all()
    out: dict[int, int] = {}
    for tender_id in rows:
        out[tender_id] = out.get(tender_id, 0) + 1
    return out


# --- the office creates a tender -----


def _new_context(request: Request, user: User, session: Session, values: dict[str, Any]) -> dict[str, Any]:
    policy.require(user, "tender:manage")
    context = page_context(request, user, session)
    rules = rules_of(request)
    bundles = tenders.free_bundles(session)
    context.update(bundles=bundles, values=values, rules=rules, models=MODELS)
    context["default_models"] = {k: v.value for k, v in tenders.default_models(session, bundles).items()}
    return context


def _chosen_models(form: Any, bundle_ids: set[int]) -> dict[int, str]:
    """The office's business model per chosen bundle, from the ``business_model_<bundle id>`` selects."""
    out: dict[int, str] = {}
    for name, value in form.items():
        bundle_id = (
            ascii_id(name.removeprefix("business_model_")) if name.startswith("business_model_") else None
        )
        if bundle_id in bundle_ids and isinstance(value, str) and value:
            out[bundle_id] = value
    return out


@router.get("/tenders/new")
def new_tender_form(request: Request, user: LoggedIn, session: SessionDep) -> Response:
    return render(request, "tendering/new.html", _new_context(request, user, session, {}))


@router.post("/tenders/new", dependencies=[Depends(csrf.verify)])
def create_tender(request: Request, user: LoggedIn, session: SessionDep, form: PageForm) -> Response:
    """Save the draft, or save and publish it at once (``action=publish``)."""
    values = {k: str(v) for k, v in form.items() if isinstance(v, str)}
    try:
        deadline = _local_deadline(request, values.get("deadline", ""))
        chosen = {ascii_id(b) for b in form.getlist("bundle_ids")} - {None}
        models = _chosen_models(form, {b for b in chosen if b is not None})
        data = bind(TenderCreate, form, deadline=deadline, business_models=models or None)
        tender = tenders.create_tender(session=session, actor=user, data=data, rules=rules_of(request))
        if values.get("action") == "publish":
            tenders.publish_tender(
                session=session, actor=user, tender_id=tender.id or 0, rules=rules_of(request)
            )
    except DomainError as exc:
        session.rollback()
        context = _new_context(request, user, session, values)
        context["error"] = i18n.error_text(exc)
        context["chosen"] = {ascii_id(b) for b in form.getlist("bundle_ids")} - {None}
        return render(request, "tendering/new.html", context, status_code=422)
    return RedirectResponse(f"/tenders/{tender.id}", status_code=303)


# --- one tender -----


def _markers(view: tenders.TenderView) -> list[dict[str, Any]]:
    """Each lot's sites in the lot's colour (names only, no links: suppliers have no site pages)."""
    markers = []
    for index, lot in enumerate(view.lots):
        for site in (lot.lot.snapshot or {}).get("sites", []):
            markers.append(
                {
                    "name": site["name"],
                    "lon": site["lon"],
                    "lat": site["lat"],
                    "colour": LOT_COLOURS[index % len(LOT_COLOURS)],
                    "group": f"{i18n.gettext('Lot')} {lot.lot.number}",
                }
            )
    return markers


@router.get("/tenders/{tender_id}")
def tender_page(request: Request, tender_id: int, user: LoggedIn, session: SessionDep) -> Response:
    """Conditions, lots (sites, surfaces, estimates, business models) on a map, documents; the
    supplier's bid forms and receipts; after opening, the bids as read out at the opening (唱标) to
    those the sealing rule lets hear it; the office's publish, edit and upload forms."""
    view = tenders.get_tender(session=session, user=user, tender_id=tender_id)
    context = page_context(request, user, session)
    context.update(
        view=view,
        tender=view.tender,
        markers=_markers(view),
        colours=LOT_COLOURS,
        documents=tenders_documents.list_documents(session=session, tender_id=tender_id),
        office=policy.can(user, "tender:manage"),
        actions=tender_actions.tender_actions(session=session, user=user, tender=view.tender),
        tiers=TIERS,
        economics=tender_economics.lots_economics(session=session, lots=[lot.lot for lot in view.lots]),
    )
    context["opening"] = tenders_bids.opening_record(session=session, user=user, tender_id=tender_id)
    if user.role == Role.supplier:
        context["my_bids"] = {
            v.bid.lot_id: v
            for v in tenders_bids.list_bids(
                session=session, user=user, tender_id=tender_id, current_only=True
            )
            if v.own
        }
        context["receipts"] = tenders_bids.receipts(session=session, actor=user, tender_id=tender_id)
    return render(request, "tendering/detail.html", context)


@router.post("/tenders/{tender_id}/publish", dependencies=[Depends(csrf.verify)])
def publish(request: Request, tender_id: int, user: LoggedIn, session: SessionDep) -> Response:
    try:
        tenders.publish_tender(session=session, actor=user, tender_id=tender_id, rules=rules_of(request))
    except DomainError as exc:
        session.rollback()
        return flash_back(request, f"/tenders/{tender_id}", error=i18n.error_text(exc))
    return flash_back(request, f"/tenders/{tender_id}", message=i18n.gettext("The tender is published."))


@router.post("/tenders/{tender_id}/cancel", dependencies=[Depends(csrf.verify)])
def cancel(request: Request, tender_id: int, user: LoggedIn, session: SessionDep, form: PageForm) -> Response:
    """Call the tender off with the reason bidders will read (see the service for when it may)."""
    try:
        data = bind(TenderCancel, form)
        tenders.cancel_tender(session=session, actor=user, tender_id=tender_id, data=data)
    except DomainError as exc:
        session.rollback()
        return flash_back(request, f"/tenders/{tender_id}", error=i18n.error_text(exc))
    return flash_back(request, f"/tenders/{tender_id}", message=i18n.gettext("The tender is cancelled."))


@router.post("/tenders/{tender_id}/edit", dependencies=[Depends(csrf.verify)])
def edit_tender(
    request: Request, tender_id: int, user: LoggedIn, session: SessionDep, form: PageForm
) -> Response:
    """Change the conditions (a lot's business model among them); after publication the bidders
    re-confirm (see the service)."""
    try:
        # A number or deadline left empty changes nothing; an emptied description is cleared.
        given: dict[str, Any] = {
            name: str(form.get(name) or "").strip() for name in ("title", "description") if name in form
        }
        deadline = _local_deadline(request, str(form.get("deadline") or ""))
        if deadline is not None:
            given["deadline"] = deadline
        typed = {k: v for k, v in form.items() if k not in given and k != "deadline" and str(v).strip()}
        lots = tenders.get_tender(session=session, user=user, tender_id=tender_id).lots
        models = _chosen_models(form, {lv.lot.bundle_id for lv in lots})
        if models:
            given["business_models"] = models  # an unchanged model changes nothing
        changes = bind(TenderUpdate, typed, **given)
        tenders.update_tender(
            session=session, actor=user, tender_id=tender_id, changes=changes, rules=rules_of(request)
        )
    except DomainError as exc:
        session.rollback()
        return flash_back(request, f"/tenders/{tender_id}#conditions", error=i18n.error_text(exc))
    return flash_back(
        request, f"/tenders/{tender_id}#conditions", message=i18n.gettext("The conditions are saved.")
    )


@router.post("/tenders/{tender_id}/documents", dependencies=[Depends(csrf.verify)])
def upload_document(
    request: Request,
    tender_id: int,
    user: LoggedIn,
    session: SessionDep,
    file: Annotated[UploadFile, File()],
) -> Response:
    settings = request.app.state.settings
    limit = int(settings.max_upload_mb * 1e6)
    try:
        tenders_documents.add_document(
            session=session,
            actor=user,
            tender_id=tender_id,
            filename=file.filename or "document",
            content=read_limited(file, limit),
            data_dir=settings.data_dir,
            max_bytes=limit,
            rules=rules_of(request),
        )
    except DomainError as exc:
        session.rollback()
        return flash_back(request, f"/tenders/{tender_id}#documents", error=i18n.error_text(exc))
    return flash_back(request, f"/tenders/{tender_id}#documents")


@router.get("/tenders/{tender_id}/documents/{document_id}")
def download_document(
    request: Request, tender_id: int, document_id: int, user: LoggedIn, session: SessionDep
) -> Response:
    return api_tenders.read_document(tender_id, document_id, user, session, request.app.state.settings)


@router.get("/tenders/{tender_id}/ocds.json")
def ocds_download(request: Request, tender_id: int, user: LoggedIn, session: SessionDep) -> Response:
    """The OCDS release package, for the logged-in page user (the API's handler)."""
    return api_tenders.tender_ocds(tender_id, user, session, request)


# --- bids (supplier) -----


def _receipt_page(
    request: Request, user: User, session: Session, receipt: tenders_bids.BidReceipt
) -> Response:
    context = page_context(request, user, session)
    own = tenders_bids.list_bids(session=session, user=user, tender_id=receipt.tender_id)
    context.update(receipt=receipt, bid=next((v for v in own if v.bid.id == receipt.bid_id), None))
    return render(request, "tendering/receipt.html", context)


@router.post("/tenders/{tender_id}/bids", dependencies=[Depends(csrf.verify)])
def submit_bid(
    request: Request, tender_id: int, user: LoggedIn, session: SessionDep, form: PageForm
) -> Response:
    """Submit (or revise) a bid; the answer is the receipt of this version."""
    try:
        receipt = tenders_bids.submit_bid(
            session=session, actor=user, tender_id=tender_id, data=bind(BidCreate, form)
        )
    except DomainError as exc:
        session.rollback()
        lot = ascii_id(form.get("lot_id"))
        return flash_back(request, f"/tenders/{tender_id}#lot-{lot or ''}", error=i18n.error_text(exc))
    return _receipt_page(request, user, session, receipt)


@router.post("/bids/{bid_id}/withdraw", dependencies=[Depends(csrf.verify)])
def withdraw_bid(request: Request, bid_id: int, user: LoggedIn, session: SessionDep) -> Response:
    try:
        receipt = tenders_bids.withdraw_bid(session=session, actor=user, bid_id=bid_id)
    except DomainError as exc:
        session.rollback()
        return flash_back(request, "/tenders", error=i18n.error_text(exc))
    return _receipt_page(request, user, session, receipt)


@router.post("/bids/{bid_id}/confirm", dependencies=[Depends(csrf.verify)])
def confirm_bid(request: Request, bid_id: int, user: LoggedIn, session: SessionDep) -> Response:
    try:
        receipt = tenders_bids.confirm_bid(session=session, actor=user, bid_id=bid_id)
    except DomainError as exc:
        session.rollback()
        return flash_back(request, "/tenders", error=i18n.error_text(exc))
    return _receipt_page(request, user, session, receipt)


# --- opening and scoring (office) -----


@router.get("/tenders/{tender_id}/bids")
def opening_page(request: Request, tender_id: int, user: LoggedIn, session: SessionDep) -> Response:
    """Before the deadline: sealed, with the count. After: every current bid, its price score and the
    technical score to enter; withdrawn and unconfirmed bids listed as such."""
    policy.require(user, "tender:manage")
    view = tenders.get_tender(session=session, user=user, tender_id=tender_id)
    context = page_context(request, user, session)
    context.update(view=view, tender=view.tender, bids=None, sealed_message=None)
    context["actions"] = tender_actions.tender_actions(session=session, user=user, tender=view.tender)
    try:
        bids = tenders_bids.list_bids(session=session, user=user, tender_id=tender_id, current_only=True)
    except DomainError as exc:
        context["sealed_message"] = i18n.error_text(exc)
    else:
        context["bids"] = bids
        context["valid"] = {v.bid.id for v in bids if tender_scores.is_valid(v.bid, view.tender)}
    return render(request, "tendering/bids.html", context)


@router.post("/bids/{bid_id}/score", dependencies=[Depends(csrf.verify)])
def score_bid(request: Request, bid_id: int, user: LoggedIn, session: SessionDep, form: PageForm) -> Response:
    tender_id = str(form.get("tender_id") or "")
    try:
        score = bind(TechnicalScore, form)
        tenders_bids.set_technical_score(
            session=session, actor=user, bid_id=bid_id, technical_score=score.technical_score
        )
    except DomainError as exc:
        session.rollback()
        return flash_back(request, f"/tenders/{tender_id}/bids", error=i18n.error_text(exc))
    return flash_back(request, f"/tenders/{tender_id}/bids#bid-{bid_id}")


# --- profile and notifications -----


@router.get("/profile")
def profile_page(request: Request, user: LoggedIn, session: SessionDep) -> Response:
    context = page_context(request, user, session)
    context["profile"] = tenders_suppliers.get_profile(session=session, actor=user)
    return render(request, "tendering/profile.html", context)


@router.post("/profile", dependencies=[Depends(csrf.verify)])
def save_profile(request: Request, user: LoggedIn, session: SessionDep, form: PageForm) -> Response:
    try:
        changes = bind(SupplierProfileUpdate, form)
        tenders_suppliers.update_profile(session=session, actor=user, changes=changes)
    except DomainError as exc:
        session.rollback()
        return flash_back(request, "/profile", error=i18n.error_text(exc))
    return flash_back(request, "/profile", message=i18n.gettext("The profile is saved."))
