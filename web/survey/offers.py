"""Buildings offered to owners, on the pages: the owner's ``/survey/offers`` (confirm, or decline with a
reason) and the office's view of every offer's state (withdraw one not yet answered)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.responses import RedirectResponse, Response

from pvhub.core import policy
from pvhub.core.errors import DomainError
from pvhub.core.http import SessionDep
from pvhub.survey import offers
from web import csrf, i18n
from web.form_data import PageForm
from web.shell import LoggedIn, flash_back, page_context
from web.templating import render

router = APIRouter(include_in_schema=False)
PAGE = "/survey/offers"


@router.get(PAGE)
def offers_page(request: Request, user: LoggedIn, session: SessionDep) -> Response:
    """The offers the user may see, newest first, with each building's candidates and figures."""
    context = page_context(request, user, session)
    context["items"] = offers.offer_summary(session, offers.offers_for(session=session, user=user))
    context["office"] = policy.can(user, offers.OFFER)
    return render(request, "survey/offers.html", context)


@router.post(PAGE + "/{offer_id}/confirm", dependencies=[Depends(csrf.verify)])
def confirm(request: Request, offer_id: int, user: LoggedIn, session: SessionDep) -> Response:
    """Confirm: the building becomes the owner's site with draft surfaces; go to the new site."""
    try:
        offer = offers.confirm_offer(session=session, actor=user, offer_id=offer_id)
    except DomainError as exc:
        session.rollback()
        return flash_back(request, PAGE, error=i18n.error_text(exc))
    # the new site's page is the confirmation: its draft surfaces are the building's candidates
    return RedirectResponse(f"/sites/{offer.site_id}", status_code=303)


@router.post(PAGE + "/{offer_id}/decline", dependencies=[Depends(csrf.verify)])
def decline(request: Request, offer_id: int, user: LoggedIn, session: SessionDep, form: PageForm) -> Response:
    """Decline, saying why (required)."""
    try:
        offers.decline_offer(
            session=session, actor=user, offer_id=offer_id, reason=str(form.get("reason") or "")
        )
    except DomainError as exc:
        session.rollback()
        return flash_back(request, PAGE, error=i18n.error_text(exc))
    return flash_back(request, PAGE, message=i18n.gettext("The offer is declined."))


@router.post(PAGE + "/{offer_id}/withdraw", dependencies=[Depends(csrf.verify)])
def withdraw(request: Request, offer_id: int, user: LoggedIn, session: SessionDep) -> Response:
    """The office withdraws an offer not yet answered."""
    try:
        offers.withdraw_offer(session=session, actor=user, offer_id=offer_id)
    except DomainError as exc:
        session.rollback()
        return flash_back(request, PAGE, error=i18n.error_text(exc))
    return flash_back(request, PAGE, message=i18n.gettext("The offer is withdrawn."))
