"""The notifications page: what the reader's organisation was told, in the reader's language."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from pvhub.core.http import SessionDep
from pvhub.notifications import service as notifications
from web import csrf, i18n
from web.shell import LoggedIn, page_context
from web.templating import render

router = APIRouter(include_in_schema=False)


_TIME_PARAMS = ("deadline", "publicity_ends_at")


def notification_text(kind: str, params: dict[str, Any], fmt: Callable[[datetime | None], str]) -> str:
    """The sentence of a notification in the reader's language (message id ``notification.<kind>``)."""
    values = dict(params)
    for key in _TIME_PARAMS:
        if isinstance(values.get(key), str):
            values[key] = fmt(datetime.fromisoformat(values[key]))
    template = i18n.gettext(f"notification.{kind}")
    try:
        return template.format_map(values)
    except (KeyError, ValueError, IndexError):
        return template


@router.get("/notifications")
def notifications_page(request: Request, user: LoggedIn, session: SessionDep) -> Response:
    context = page_context(request, user, session)
    fmt = context["localtime"]
    rows = notifications.list_for(session=session, user=user)
    context["items"] = [(n, notification_text(n.kind, n.params, fmt)) for n in rows]
    return render(request, "notifications/notifications.html", context)


@router.post("/notifications/read", dependencies=[Depends(csrf.verify)])
def notifications_read(request: Request, user: LoggedIn, session: SessionDep) -> Response:
    notifications.mark_read(session=session, user=user)
    return RedirectResponse("/notifications", status_code=303)
