"""The pages every user shares: home by role, a job's progress, the language switch."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from pvhub.core.enums import Role
from pvhub.core.http import SessionDep
from pvhub.estimates import service as estimates
from pvhub.monitoring import totals as programme_totals
from pvhub.register import service as register
from web import i18n, mapdata, shade_scale
from web.monitoring import progress_view
from web.shell import LoggedIn, PageUser, base_context, job_view, safe_next
from web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/favicon.ico")
def favicon() -> Response:
    return RedirectResponse("/static/favicon.svg", status_code=301)


@router.get("/")
def home(request: Request, user: PageUser, session: SessionDep) -> Response:
    """The home page of the user's role; the public progress page for visitors."""
    if user is None:
        return progress_view.public_page(request, session)
    context = base_context(request, user, session)
    context["totals"] = programme_totals.totals(session=session)
    context["markers"] = mapdata.overview(register.site_markers(session=session, user=user))
    context["shade_layer"] = shade_scale.shade_layer(i18n.gettext("Sites"))
    context["shade_legend"] = shade_scale.shade_legend()
    if user.role == Role.office:
        context["money"] = programme_totals.money(session=session)  # issue #20: beside the kWp
        context["unestimated"] = len(
            estimates.surfaces_to_estimate(session=session, only_missing_or_stale=True)
        )
    if user.role == Role.owner:
        context["sites"] = register.list_sites(session=session, user=user, limit=200).items
    return render(request, f"home_{user.role.value}.html", context, block="content")


@router.get("/jobs/{job_id}")
def job_page(request: Request, job_id: int, user: LoggedIn, session: SessionDep) -> Response:
    """A job's progress; the fragment polls itself while the job runs."""
    return job_view(request, job_id, user, session)


@router.get("/lang/{locale}")
def switch_language(request: Request, locale: str, next: str = "/") -> Response:
    """The language switch: remembered in a cookie for a year."""
    response = RedirectResponse(safe_next(next), status_code=303)
    if locale in i18n.LOCALES:
        response.set_cookie("lang", locale, max_age=365 * 24 * 3600, samesite="lax")
    return response
