"""The audit page (``/audit``, office only): the audit log filtered by a GET form, each event's changed
fields, pages of 50, and a CSV download of the same filters (``/api/v1/audit.csv`` is the API's; the
page's own ``/audit.csv`` uses the signed-in session).

Dates on the form are days in the programme's time zone (``settings.timezone``): "from" includes its
whole day, "to" too (the range ends at the start of the day after).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from sqlmodel import Session, col, select
from starlette.responses import Response

from pvhub.accounts.models import Organisation, User
from pvhub.audit import service
from pvhub.core import policy
from pvhub.core.errors import DomainError
from pvhub.core.http import SessionDep
from pvhub.tendering.models import Tender
from web import i18n
from web.shell import LoggedIn, page_context
from web.templating import render

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50
FIELDS = ("entity", "entity_id", "user_id", "organisation_id", "action", "tender_id", "since", "until")


def _int(value: str) -> int | None:
    return int(value) if value.strip().isdigit() else None


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        return None


def _start_of(day: date | None, zone: ZoneInfo) -> datetime | None:
    return datetime.combine(day, time(0), tzinfo=zone) if day else None


def _form(request: Request) -> dict[str, str]:
    """The filter form's values as typed (clipped), for the form, the pager and the CSV link."""
    return {name: request.query_params.get(name, "").strip()[:50] for name in FIELDS}


def _filters(form: dict[str, str], zone: ZoneInfo) -> service.AuditFilters:
    until = _day(form["until"])
    return service.AuditFilters(
        entity=form["entity"] or None,
        entity_id=form["entity_id"] or None,
        user_id=_int(form["user_id"]),
        organisation_id=_int(form["organisation_id"]),
        action=form["action"] or None,
        tender_id=_int(form["tender_id"]),
        since=_start_of(_day(form["since"]), zone),
        until=_start_of(until + timedelta(days=1) if until else None, zone),
    )


def _choices(session: Session, user: User) -> dict[str, Any]:
    """What the form's lists offer: the entities and actions logged, users, organisations, tenders."""
    entities, actions = service.distinct_values(session, user)
    return {
        "entities": entities,
        "actions": actions,
        "users": session.exec(select(User).order_by(col(User.email))).all(),
        "organisations": session.exec(select(Organisation).order_by(col(Organisation.name))).all(),
        "tenders": session.exec(select(Tender).order_by(col(Tender.id).desc())).all(),
    }


def _query(form: dict[str, str], **extra: Any) -> str:
    return urlencode({**{k: v for k, v in form.items() if v}, **extra})


@router.get("/audit")
def audit_page(request: Request, user: LoggedIn, session: SessionDep, page: int = 1) -> Response:
    """The audit log for the office: filters, the changed fields of each event, paging, CSV."""
    policy.require(user, "audit:read")
    zone = ZoneInfo(request.app.state.settings.timezone)
    form, page = _form(request), max(page, 1)
    context = page_context(request, user, session)
    context.update(form=form, csv_url="/audit.csv?" + _query(form), page_no=page, **_choices(session, user))
    try:
        result = service.list_events(
            session=session,
            user=user,
            filters=_filters(form, zone),
            offset=(page - 1) * PAGE_SIZE,
            limit=PAGE_SIZE,
        )
    except DomainError as exc:
        context.update(error=i18n.error_text(exc), result=None, pages=1, prev_url=None, next_url=None)
        return render(request, "audit/audit.html", context, status_code=exc.status_code)
    pages = max(1, -(-result.total // PAGE_SIZE))
    context.update(
        result=result,
        pages=pages,
        prev_url="/audit?" + _query(form, page=page - 1) if page > 1 else None,
        next_url="/audit?" + _query(form, page=page + 1) if page < pages else None,
    )
    return render(request, "audit/audit.html", context)


@router.get("/audit.csv")
def audit_csv(request: Request, user: LoggedIn, session: SessionDep) -> Response:
    """The events of the page's filters as CSV (UTF-8 with BOM), every page of them."""
    filters = _filters(_form(request), ZoneInfo(request.app.state.settings.timezone))
    service.check_export(session=session, user=user, filters=filters)
    return StreamingResponse(
        service.iter_csv(engine=request.app.state.engine, user=user, filters=filters),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="pvhub-audit.csv"'},
    )
