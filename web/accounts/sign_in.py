"""Signing in and out of the pages: the login form, the session cookie, the way back."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from pvhub.accounts import page_sessions
from pvhub.accounts import service as accounts
from pvhub.accounts.login_throttle import TooManyLoginAttempts
from pvhub.core.http import SessionDep
from web import csrf, i18n
from web.shell import PageUser, base_context, safe_next
from web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/login")
def login_form(request: Request, user: PageUser, next: str = "/") -> Response:
    if user is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return render(request, "accounts/login.html", {**base_context(request, None), "next": safe_next(next)})


@router.post("/login", dependencies=[Depends(csrf.verify)])
def login(
    request: Request,
    session: SessionDep,
    email: Annotated[str, Form(max_length=254)],
    password: Annotated[str, Form(max_length=200)],
    next: Annotated[str, Form(max_length=500)] = "/",
) -> Response:
    """Check the credentials; on success start a fresh session (new CSRF token) and go on.

    After too many failures for the account or from this address the form comes back with 429 and
    says how long to wait, whatever the password (see :mod:`pvhub.accounts.login_throttle`).
    """
    try:
        user = accounts.authenticate_throttled(
            session=session,
            email=email,
            password=password,
            address=request.client.host if request.client else None,
            throttle=request.app.state.login_throttle,
        )
    except TooManyLoginAttempts as exc:
        message = i18n.gettext(
            "Too many failed logins for this account or from this address. Try again in %(minutes)d minutes."
        ) % {"minutes": exc.minutes}
        context = {**base_context(request, None), "next": safe_next(next), "email": email, "error": message}
        response = render(request, "accounts/login.html", context, status_code=429)
        response.headers["Retry-After"] = str(exc.retry_after_s)
        return response
    if user is None:
        context = {
            **base_context(request, None),
            "next": safe_next(next),
            "email": email,
            "error": i18n.gettext("Wrong e-mail or password."),
        }
        return render(request, "accounts/login.html", context, status_code=401)
    request.session.clear()
    request.session["uid"] = user.id
    request.session["sid"] = page_sessions.new_session_id()
    request.session["ver"] = user.credential_version
    return RedirectResponse(safe_next(next), status_code=303)


@router.post("/logout", dependencies=[Depends(csrf.verify)])
def logout(request: Request, session: SessionDep) -> Response:
    """End the session here and on the server: an earlier copy of the cookie no longer logs in."""
    sid = request.session.get("sid")
    if isinstance(sid, str):
        page_sessions.revoke(session, sid, max_age_s=request.app.state.settings.session_max_age_s)
    request.session.clear()
    return RedirectResponse("/login", status_code=303)
