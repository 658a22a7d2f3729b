"""The page shell every route module builds on: who is logged in, what every page's context holds, the
error page, and answering with a job's progress.

Route modules import this module, never each other's routes, so the pages' import graph has no cycle.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any
from urllib.parse import urlparse

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse
from sqlmodel import Session
from starlette.responses import Response

from pvhub.accounts import page_sessions
from pvhub.accounts import service as accounts
from pvhub.accounts.models import Organisation, User
from pvhub.core import policy
from pvhub.core.errors import DomainError, NotAuthenticated
from pvhub.core.http import SessionDep
from pvhub.jobs import service as jobs
from pvhub.jobs.deps import JobStarter
from pvhub.programme import service as programme_service
from pvhub.survey import offers as survey_offers
from web import csrf, i18n, import_job
from web.templating import render


def page_user(request: Request, session: SessionDep) -> User | None:
    """The logged-in user of the signed session cookie, if any, still active, not logged out and
    not ended by a new password (the cookie's ``ver``; cookies from before versions count as 0).

    A session its holder logged out of is emptied here, so the response does not sign it again
    (pvhub/accounts/page_sessions.py relies on that).
    """
    user_id, sid = request.session.get("uid"), request.session.get("sid")
    if not isinstance(user_id, int) or not isinstance(sid, str):
        return None
    if page_sessions.is_revoked(session, sid):
        request.session.clear()
        return None
    version = request.session.get("ver", 0)
    if not isinstance(version, int):
        return None
    return accounts.signed_in_user(session=session, user_id=user_id, credential_version=version)


PageUser = Annotated[User | None, Depends(page_user)]


def require_page_user(user: PageUser) -> User:
    if user is None:
        raise NotAuthenticated("Please log in.")
    return user


LoggedIn = Annotated[User, Depends(require_page_user)]


def base_context(request: Request, user: User | None, session: Session | None = None) -> dict[str, Any]:
    """What every page needs: the user, their organisation, locale, CSRF token, map settings."""
    settings = request.app.state.settings
    org = session.get(Organisation, user.organisation_id) if (user and session) else None
    boundary = programme_service.get_programme(session=session).boundary if session else None
    return {
        "user": user,
        "org": org,
        # what the templates offer is what the policy allows: ``can("tender:manage")``, never a role
        "can": partial(policy.can, user),
        "locale": i18n.current_locale(),
        # the owner's menu shows the buildings offered to it once there are any
        "survey_offers": survey_offers.has_offers(session, user) if (user and session) else False,
        "csrf_token": csrf.token(request),
        "map_config": {
            "center": [settings.latitude, settings.longitude],
            "tileUrl": settings.map_tile_url,
            "attribution": settings.map_tile_attribution,
            "boundary": boundary,
        },
    }


def error_page(request: Request, exc: DomainError) -> Response:
    if isinstance(exc, NotAuthenticated):
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
    context = {**base_context(request, None), "error": i18n.error_text(exc), "status": exc.status_code}
    return render(request, "error.html", context, status_code=exc.status_code)


def job_view(request: Request, job_id: int, user: User, session: Session) -> Response:
    """A job's progress (``/jobs/{id}``); the fragment polls itself while the job runs."""
    context = base_context(request, user, session)
    context["job"] = job = jobs.get(session=session, actor=user, job_id=job_id)
    context["job_step"], context["job_error"] = i18n.job_step_text(job), i18n.job_error_text(job)
    surface_ids = job.parameters.get("surface_ids") or []
    if job.kind == "estimate" and len(surface_ids) == 1:
        context["back"] = f"/surfaces/{int(surface_ids[0])}"  # a one-surface re-estimate
    context.update(import_job.report_context(job))  # a large import's outcome, once it has one
    return render(request, "job.html", context, block="job")


def follow_job(
    request: Request, user: User, session: Session, start_job: JobStarter, job_id: int | None
) -> Response:
    """Start a submitted job (after the commit, :class:`JobStarter`) and answer with its progress:
    the polling fragment for htmx, else a redirect to the job's page (forms work without script)."""
    started = start_job.start(job_id)
    if request.headers.get("HX-Request") != "true":
        return RedirectResponse(f"/jobs/{started}", status_code=303)
    return job_view(request, started, user, session)


def safe_next(target: str) -> str:
    """Only local paths, so a crafted link cannot send a user elsewhere after login."""
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


def page_context(request: Request, user: User, session: Session) -> dict[str, Any]:
    """The base context with local times and the message a redirect left to show once (:func:`flash_back`)."""
    context = base_context(request, user, session)
    context["localtime"] = i18n.local_formatter(request)
    context["flash_error"] = request.session.pop("flash_error", None)
    context["flash"] = request.session.pop("flash", None)
    return context


def flash_back(request: Request, url: str, error: str | None = None, message: str | None = None) -> Response:
    """Go back to ``url`` (303) with an error or a message to show there once."""
    if error:
        request.session["flash_error"] = error
    if message:
        request.session["flash"] = message
    return RedirectResponse(url, status_code=303)
