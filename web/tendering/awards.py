"""Award pages: the office runs the award optimiser (a background job the page follows), reads the
proposal with the optimiser's reasons, overrides a lot with a written reason, publishes the winners
for 公示, answers objections and confirms; bidders see the published winners, object, or decline.

Forms are read into the API's own input models (:func:`web.binding.bind`), so a page takes exactly
what the API takes. An action on an award or an objection goes back to its tender's award page,
with the reason when it is refused; the tender is found from the award itself
(:func:`pvhub.tendering.awards.tender_of_award`), not from the form, so a form without it cannot lead
nowhere; an award the user may not see is a 404 page, as elsewhere."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from pvhub.core import policy
from pvhub.core.enums import RunStatus
from pvhub.core.errors import DomainError
from pvhub.core.http import SessionDep
from pvhub.jobs.deps import StartJob
from pvhub.tendering import actions as tender_actions
from pvhub.tendering import awards, tenders
from pvhub.tendering import bids as tenders_bids
from pvhub.tendering import scores as tender_scores
from pvhub.tendering.models import AwardDecline, AwardOverride, ObjectionAnswer, ObjectionCreate
from web import csrf, i18n
from web.binding import bind
from web.form_data import PageForm
from web.shell import LoggedIn, flash_back, page_context
from web.templating import render
from web.tendering.pages import rules_of

router = APIRouter(include_in_schema=False)


def _context(request: Request, user: Any, session: Any, tender_id: int) -> dict[str, Any]:
    view = tenders.get_tender(session=session, user=user, tender_id=tender_id)
    overview = awards.overview(session=session, user=user, tender_id=tender_id)
    context = page_context(request, user, session)
    office = policy.can(user, "tender:manage")
    lots = {lot.lot.id: lot for lot in view.lots}
    context.update(view=view, tender=view.tender, overview=overview, office=office, lots=lots)
    context["job_error"] = i18n.job_error_text(overview.job) if overview.job is not None else None
    run = overview.run
    context["run_active"] = bool(
        run is not None
        and run.status == RunStatus.queued
        and overview.job_status in (None, RunStatus.queued, RunStatus.running)
    )
    context["run_failed"] = bool(run is not None and overview.job_status == RunStatus.failed)
    if office and view.is_open:
        bids = tenders_bids.list_bids(session=session, user=user, tender_id=tender_id, current_only=True)
        context["choices"] = {}
        for b in bids:
            if tender_scores.is_valid(b.bid, view.tender):
                context["choices"].setdefault(b.bid.lot_id, []).append(b)
        context["unscored"] = sum(
            1 for b in bids if tender_scores.is_valid(b.bid, view.tender) and b.bid.total_score is None
        )
        ids = [int(s["id"]) for s in ((run.result or {}).get("suppliers", []) if run else [])]
        context["supplier_names"] = tenders.supplier_names(session, ids)
    context["actions"] = tender_actions.award_actions(
        session=session, user=user, overview=overview, lot_ids=[lot_id for lot_id in lots if lot_id]
    )
    return context


@router.get("/tenders/{tender_id}/award")
def award_page(request: Request, tender_id: int, user: LoggedIn, session: SessionDep) -> Response:
    context = _context(request, user, session, tender_id)
    return render(request, "tendering/award.html", context, block="run")


@router.post("/tenders/{tender_id}/award/run", dependencies=[Depends(csrf.verify)])
def run_award(
    request: Request, tender_id: int, user: LoggedIn, session: SessionDep, start_job: StartJob
) -> Response:
    try:
        run = awards.start_run(session=session, actor=user, tender_id=tender_id, rules=rules_of(request))
    except DomainError as exc:
        session.rollback()
        return flash_back(request, f"/tenders/{tender_id}/award", error=i18n.error_text(exc))
    start_job.start(run.job_id)
    return flash_back(request, f"/tenders/{tender_id}/award")


@router.post("/tenders/{tender_id}/award/override", dependencies=[Depends(csrf.verify)])
def override(
    request: Request, tender_id: int, user: LoggedIn, session: SessionDep, form: PageForm
) -> Response:
    try:
        data = bind(AwardOverride, form)
        awards.override(
            session=session,
            actor=user,
            tender_id=tender_id,
            lot_id=data.lot_id,
            bid_id=data.bid_id,
            reason=data.reason,
        )
    except DomainError as exc:
        session.rollback()
        return flash_back(request, f"/tenders/{tender_id}/award", error=i18n.error_text(exc))
    return flash_back(request, f"/tenders/{tender_id}/award")


@router.post("/tenders/{tender_id}/award/publicity", dependencies=[Depends(csrf.verify)])
def publicity(request: Request, tender_id: int, user: LoggedIn, session: SessionDep) -> Response:
    try:
        awards.start_publicity(session=session, actor=user, tender_id=tender_id)
    except DomainError as exc:
        session.rollback()
        return flash_back(request, f"/tenders/{tender_id}/award", error=i18n.error_text(exc))
    return flash_back(
        request, f"/tenders/{tender_id}/award", message=i18n.gettext("The proposed winners are published.")
    )


def _award_page(tender_id: int) -> str:
    return f"/tenders/{tender_id}/award"


@router.post("/awards/{award_id}/confirm", dependencies=[Depends(csrf.verify)])
def confirm(request: Request, award_id: int, user: LoggedIn, session: SessionDep) -> Response:
    back = _award_page(awards.tender_of_award(session=session, user=user, award_id=award_id))
    try:
        awards.confirm(
            session=session, actor=user, award_id=award_id, timezone=request.app.state.settings.timezone
        )
    except DomainError as exc:
        session.rollback()
        return flash_back(request, back, error=i18n.error_text(exc))
    return flash_back(request, back, message=i18n.gettext("The award is confirmed."))


@router.post("/awards/{award_id}/object", dependencies=[Depends(csrf.verify)])
def object_to(
    request: Request, award_id: int, user: LoggedIn, session: SessionDep, form: PageForm
) -> Response:
    back = _award_page(awards.tender_of_award(session=session, user=user, award_id=award_id))
    try:
        data = bind(ObjectionCreate, form)
        awards.lodge_objection(session=session, actor=user, award_id=award_id, text=data.text)
    except DomainError as exc:
        session.rollback()
        return flash_back(request, back, error=i18n.error_text(exc))
    return flash_back(request, back, message=i18n.gettext("Your objection is recorded."))


@router.post("/objections/{objection_id}/answer", dependencies=[Depends(csrf.verify)])
def answer(
    request: Request, objection_id: int, user: LoggedIn, session: SessionDep, form: PageForm
) -> Response:
    back = _award_page(awards.tender_of_objection(session=session, user=user, objection_id=objection_id))
    try:
        data = bind(ObjectionAnswer, form)
        awards.answer_objection(
            session=session, actor=user, objection_id=objection_id, response=data.response
        )
    except DomainError as exc:
        session.rollback()
        return flash_back(request, back, error=i18n.error_text(exc))
    return flash_back(request, back)


@router.post("/awards/{award_id}/decline", dependencies=[Depends(csrf.verify)])
def decline(request: Request, award_id: int, user: LoggedIn, session: SessionDep, form: PageForm) -> Response:
    back = _award_page(awards.tender_of_award(session=session, user=user, award_id=award_id))
    try:
        data = bind(AwardDecline, form)
        awards.decline(
            session=session, actor=user, award_id=award_id, reason=data.reason, rules=rules_of(request)
        )
    except DomainError as exc:
        session.rollback()
        return flash_back(request, back, error=i18n.error_text(exc))
    return flash_back(request, back, message=i18n.gettext("You declined the award."))
