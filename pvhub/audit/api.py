"""The audit log over the REST API (office only): ``GET /api/v1/audit`` pages through the events,
``GET /api/v1/audit.csv`` (or ``?format=csv``) exports every event that matches the same filters."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field
from sqlmodel import Session
from starlette.responses import Response

from pvhub.accounts.deps import CurrentUser
from pvhub.accounts.models import User
from pvhub.audit import service
from pvhub.core.http import ATTACHMENT, SessionDep

router = APIRouter(tags=["audit"])

CSV_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "CSV, UTF-8 with a byte-order mark, header row first, newest event first",
        "content": {"text/csv": {"schema": {"type": "string"}}},
        "headers": ATTACHMENT,
    }
}


class ChangePublic(BaseModel):
    field: str
    before: Any = Field(description="Value before the change; null where the field was absent")
    after: Any = Field(description="Value after the change; null where the field was removed")


class AuditEventPublic(BaseModel):
    id: int
    at: datetime
    actor_id: int | None
    actor_label: str = Field(description="The acting user's e-mail, or 'system'")
    entity: str
    entity_id: str
    action: str
    changes: list[ChangePublic] = Field(description="Only the fields whose value changed")
    sealed: bool = Field(
        description="A bid event before its tender's bids opened: only the receipt (time, SHA-256) shows"
    )
    bid_content: dict[str, Any] | None = Field(
        default=None, description="A bid event after opening: the content of that bid version"
    )

    @classmethod
    def of(cls, view: service.EventView) -> AuditEventPublic:
        e = view.event
        assert e.id is not None
        return cls(
            id=e.id,
            at=e.at,
            actor_id=e.actor_id,
            actor_label=e.actor_label,
            entity=e.entity,
            entity_id=e.entity_id,
            action=e.action,
            changes=[ChangePublic(field=c.field, before=c.before, after=c.after) for c in view.changes],
            sealed=view.sealed,
            bid_content=view.bid_content,
        )


class AuditPagePublic(BaseModel):
    items: list[AuditEventPublic]
    total: int
    offset: int
    limit: int


def filters_of(
    entity: Annotated[str | None, Query(max_length=50, description="e.g. site, surface, bid, tender")] = None,
    entity_id: Annotated[str | None, Query(max_length=50)] = None,
    user_id: Annotated[int | None, Query(description="The acting user")] = None,
    organisation_id: Annotated[int | None, Query(description="The acting user's organisation")] = None,
    action: Annotated[str | None, Query(max_length=50)] = None,
    tender_id: Annotated[
        int | None,
        Query(description="One tender with its bids, documents, award runs, awards and objections"),
    ] = None,
    since: Annotated[datetime | None, Query(description="From this time on (no zone: UTC)")] = None,
    until: Annotated[datetime | None, Query(description="Before this time (no zone: UTC)")] = None,
) -> service.AuditFilters:
    return service.AuditFilters(
        entity=entity or None,
        entity_id=entity_id or None,
        user_id=user_id,
        organisation_id=organisation_id,
        action=action or None,
        tender_id=tender_id,
        since=since,
        until=until,
    )


FiltersDep = Annotated[service.AuditFilters, Depends(filters_of)]


def _csv(request: Request, user: User, session: Session, filters: service.AuditFilters) -> Response:
    service.check_export(session=session, user=user, filters=filters)
    return StreamingResponse(
        service.iter_csv(engine=request.app.state.engine, user=user, filters=filters),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="pvhub-audit.csv"'},
    )


LIST_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "A page of events (JSON); with format=csv, every matching event as CSV",
        "content": {"text/csv": {"schema": {"type": "string"}}},
    }
}


@router.get("/audit", response_model=AuditPagePublic, responses=LIST_RESPONSES)
def list_audit(
    request: Request,
    user: CurrentUser,
    session: SessionDep,
    filters: FiltersDep,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    format: Annotated[Literal["json", "csv"], Query(description="csv: as GET /audit.csv")] = "json",
) -> Response | AuditPagePublic:
    """The audit log, newest first (office only); a bid event shows only its receipt until the bids
    open, then also the content of that bid version."""
    if format == "csv":
        return _csv(request, user, session, filters)
    page = service.list_events(session=session, user=user, filters=filters, offset=offset, limit=limit)
    return AuditPagePublic(
        items=[AuditEventPublic.of(v) for v in page.items],
        total=page.total,
        offset=page.offset,
        limit=page.limit,
    )


@router.get("/audit.csv", response_class=StreamingResponse, responses=CSV_RESPONSE)
def export_audit(request: Request, user: CurrentUser, session: SessionDep, filters: FiltersDep) -> Response:
    """Every event that matches the filters as CSV (office only; streamed; bids sealed as in the list)."""
    return _csv(request, user, session, filters)
