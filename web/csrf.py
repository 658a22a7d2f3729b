"""CSRF protection for the pages: a per-session synchroniser token.

Written here rather than taken from a package because the token must live in pvhub's own signed
session (no second cookie to configure) and be accepted from a form field *or* the htmx header;
the few lines below are the whole mechanism.
"""

from __future__ import annotations

import hmac
import secrets

from fastapi import Request

from pvhub.core.errors import PermissionDenied

SESSION_KEY = "csrf"
FIELD = "csrf_token"
HEADER = "X-CSRF-Token"


def token(request: Request) -> str:
    """The session's CSRF token, created on first use."""
    value = request.session.get(SESSION_KEY)
    if not isinstance(value, str):
        value = secrets.token_urlsafe(32)
        request.session[SESSION_KEY] = value
    return value


async def verify(request: Request) -> None:
    """Refuse an unsafe request whose token does not match the session's."""
    if request.method in {"GET", "HEAD", "OPTIONS"}:
        return
    expected = request.session.get(SESSION_KEY)
    sent = request.headers.get(HEADER)
    if sent is None:
        form = await request.form()
        field = form.get(FIELD)
        sent = field if isinstance(field, str) else None
    if not expected or not sent or not hmac.compare_digest(str(expected), sent):
        raise PermissionDenied("The form expired or did not come from pvhub; reload the page and try again.")
