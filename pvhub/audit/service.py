"""Reading the audit log (issue #22): the office filters the events, reads each one's before/after as
the fields that changed, and exports them as CSV.

Filters (all optional, combined with AND): ``entity`` and ``entity_id`` (e.g. ``site`` and ``12``),
``user_id`` (who acted), ``organisation_id`` (the acting user's organisation), ``action``, a time
range ``since`` ≤ ``at`` < ``until``, and ``tender_id``: one procurement round with everything that
happened under it — the tender's own events and those of its lots' bids, its documents, its award
runs, awards and objections. Bid events carry the bid id, not the tender's, so without that filter
one tender's bids could not be found among the others'. Newest first.

Sealed bids stay sealed here (DESIGN, "Tenders"): the log itself holds only each bid version's
receipt (:func:`pvhub.core.audit.snapshot` leaves ``content`` out, and
:meth:`pvhub.tendering.bids.BidReceipt.as_audit` writes only time and SHA-256). Before the tender's
deadline a bid event shows just those receipt fields; once the bids open, it also shows the content
of the bid version it is about, read from the ``Bid`` row through the one sealing rule,
:func:`pvhub.tendering.bids.readable_content`.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from pvhub.accounts.models import User
from pvhub.core import policy
from pvhub.core.audit_events import AuditEvent
from pvhub.core.errors import InvalidInput
from pvhub.register.exports import neutralise
from pvhub.tendering.bids import readable_content
from pvhub.tendering.models import Award, AwardRun, Bid, Objection, Tender, TenderDocument, TenderLot
from pvhub.tendering.tenders import is_open, utc_now

# The fields of a bid event that a sealed bid may show: its receipt (BidReceipt.as_audit) and status.
RECEIPT_FIELDS = frozenset(
    {"bid_id", "lot_id", "supplier_id", "version", "status", "received_at", "content_sha256"}
)
CSV_COLUMNS = ("id", "at", "actor", "entity", "entity_id", "action", "changes", "bid_content")
CSV_CHUNK = 500


@dataclass(frozen=True)
class AuditFilters:
    """What to show; None means any."""

    entity: str | None = None
    entity_id: str | None = None
    user_id: int | None = None
    organisation_id: int | None = None
    action: str | None = None
    tender_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class Change:
    """One field that differs between an event's before and after (None where absent)."""

    field: str
    before: Any
    after: Any


@dataclass(frozen=True)
class EventView:
    """An event as the office reads it: the changed fields, and for a bid event whether the bid is still
    sealed and, once opened, the content of that bid version."""

    event: AuditEvent
    changes: list[Change]
    sealed: bool = False
    bid_content: dict[str, Any] | None = None


@dataclass(frozen=True)
class AuditPage:
    items: list[EventView]
    total: int
    offset: int
    limit: int


def diff(before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[Change]:
    """The fields whose value differs, in the order they first appear; an absent field counts as None,
    so a creation lists the fields it set (``before`` None) and a deletion those it had."""
    old, new = before or {}, after or {}
    keys = list(dict.fromkeys([*old, *new]))
    return [Change(k, old.get(k), new.get(k)) for k in keys if old.get(k) != new.get(k)]


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)  # documented: a time without a zone is UTC
    return value.astimezone(UTC)


def _ids_as_text(column: Any) -> Any:
    """An id column as the text ``AuditEvent.entity_id`` stores (``str(id)``)."""
    return sa.cast(column, sa.String)


def _tender_clause(tender_id: int) -> Any:
    """Events of one tender: its own, and its bids', documents', award runs', awards' and objections'."""
    lots = select(TenderLot.id).where(TenderLot.tender_id == tender_id)
    bids = select(_ids_as_text(Bid.id)).where(col(Bid.lot_id).in_(lots))
    awards = select(_ids_as_text(Award.id)).where(col(Award.lot_id).in_(lots))
    documents = select(_ids_as_text(TenderDocument.id)).where(TenderDocument.tender_id == tender_id)
    runs = select(_ids_as_text(AwardRun.id)).where(AwardRun.tender_id == tender_id)
    objections = select(_ids_as_text(Objection.id)).where(Objection.tender_id == tender_id)
    entity, entity_id = col(AuditEvent.entity), col(AuditEvent.entity_id)
    return sa.or_(
        sa.and_(entity == "tender", entity_id == str(tender_id)),
        sa.and_(entity == "bid", entity_id.in_(bids)),
        sa.and_(entity == "award", entity_id.in_(awards)),
        sa.and_(entity == "tender_document", entity_id.in_(documents)),
        sa.and_(entity == "award_run", entity_id.in_(runs)),
        sa.and_(entity == "objection", entity_id.in_(objections)),
    )


def _query(filters: AuditFilters) -> SelectOfScalar[AuditEvent]:
    since, until = _aware(filters.since), _aware(filters.until)
    if since is not None and until is not None and until <= since:
        raise InvalidInput("The end of the time range must come after its start.", field="until")
    query = select(AuditEvent)
    if filters.entity:
        query = query.where(AuditEvent.entity == filters.entity)
    if filters.entity_id:
        query = query.where(AuditEvent.entity_id == filters.entity_id)
    if filters.user_id is not None:
        query = query.where(AuditEvent.actor_id == filters.user_id)
    if filters.organisation_id is not None:
        members = select(User.id).where(User.organisation_id == filters.organisation_id)
        query = query.where(col(AuditEvent.actor_id).in_(members))
    if filters.action:
        query = query.where(AuditEvent.action == filters.action)
    if filters.tender_id is not None:
        query = query.where(_tender_clause(filters.tender_id))
    if since is not None:
        query = query.where(col(AuditEvent.at) >= since)
    if until is not None:
        query = query.where(col(AuditEvent.at) < until)
    return query


def _newest_first(query: SelectOfScalar[AuditEvent]) -> SelectOfScalar[AuditEvent]:
    return query.order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())


def _bid_views(session: Session, user: User, events: list[AuditEvent], now: datetime) -> dict[int, EventView]:
    """Views of the bid events among ``events`` (by event id), sealed or opened per the bid's tender."""
    ids = {int(e.entity_id) for e in events if e.entity == "bid" and e.entity_id.isdigit()}
    if not ids:
        return {}
    rows = session.exec(
        select(Bid, Tender)
        .join(TenderLot, col(TenderLot.id) == col(Bid.lot_id))
        .join(Tender, col(Tender.id) == col(TenderLot.tender_id))
        .where(col(Bid.id).in_(ids))
    ).all()
    found = {bid.id: (bid, tender) for bid, tender in rows}
    out: dict[int, EventView] = {}
    for event in events:
        if event.entity != "bid" or event.id is None:
            continue
        pair = found.get(int(event.entity_id)) if event.entity_id.isdigit() else None
        if pair is None or not is_open(pair[1], now):
            out[event.id] = _sealed(event)
            continue
        content = readable_content(pair[1], user, pair[0], now, viewer_bid=False)
        out[event.id] = EventView(event, diff(event.before, event.after), False, content)
    return out


def _sealed(event: AuditEvent) -> EventView:
    """A bid event before opening: its receipt fields only (whatever else the log might hold)."""
    before = {k: v for k, v in (event.before or {}).items() if k in RECEIPT_FIELDS} if event.before else None
    after = {k: v for k, v in (event.after or {}).items() if k in RECEIPT_FIELDS} if event.after else None
    return EventView(event, diff(before, after), True, None)


def views(session: Session, user: User, events: list[AuditEvent], now: datetime) -> list[EventView]:
    """Each event with its changed fields; bid events sealed or with their content (module docstring)."""
    bids = _bid_views(session, user, events, now)
    return [bids[e.id] if e.id in bids else EventView(e, diff(e.before, e.after)) for e in events]


def list_events(
    *,
    session: Session,
    user: User,
    filters: AuditFilters,
    offset: int = 0,
    limit: int = 50,
    now: datetime | None = None,
) -> AuditPage:
    """One page of the events that match, newest first (office only: ``audit:read``)."""
    policy.require(user, "audit:read")
    now = utc_now(now)
    query = _query(filters)
    total = session.exec(select(sa.func.count()).select_from(query.subquery())).one()
    events = list(session.exec(_newest_first(query).offset(offset).limit(limit)).all())
    return AuditPage(views(session, user, events, now), int(total), offset, limit)


def distinct_values(session: Session, user: User) -> tuple[list[str], list[str]]:
    """The entities and actions the log holds, for the page's filter lists."""
    policy.require(user, "audit:read")
    entities = session.exec(select(AuditEvent.entity).distinct().order_by(col(AuditEvent.entity))).all()
    actions = session.exec(select(AuditEvent.action).distinct().order_by(col(AuditEvent.action))).all()
    return list(entities), list(actions)


def check_export(*, session: Session, user: User, filters: AuditFilters) -> None:
    """Refuse before a CSV starts streaming: not the office, or a filter that makes no sense."""
    policy.require(user, "audit:read")
    _query(filters)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def change_text(changes: list[Change]) -> str:
    """The changes as lines ``field: before → after`` (one cell of the CSV)."""
    return "\n".join(f"{c.field}: {_text(c.before)} → {_text(c.after)}" for c in changes)


def csv_row(view: EventView) -> list[Any]:
    e = view.event
    cells = [
        e.id,
        e.at.astimezone(UTC).isoformat(),
        e.actor_label,
        e.entity,
        e.entity_id,
        e.action,
        change_text(view.changes),
        _text(view.bid_content),
    ]
    return [neutralise(c) for c in cells]


def _line(cells: list[Any] | tuple[Any, ...]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(cells)
    return buffer.getvalue()


def iter_csv(
    *, engine: Engine, user: User, filters: AuditFilters, now: datetime | None = None
) -> Iterator[str]:
    """The matching events as CSV (UTF-8 with BOM so Excel opens Chinese text; formulas neutralised),
    newest first, read :data:`CSV_CHUNK` events at a time in a session of its own (a streamed response
    outlives the request's session); each chunk continues after the last event sent (at, id), so
    events logged meanwhile neither repeat nor shift the rest. Call :func:`check_export` first."""
    policy.require(user, "audit:read")
    now = utc_now(now)
    yield "\ufeff" + _line(CSV_COLUMNS)
    last: tuple[datetime, int] | None = None
    with Session(engine) as session:
        while True:
            query = _query(filters)
            if last is not None:
                at, event_id = last
                query = query.where(
                    sa.or_(
                        col(AuditEvent.at) < at,
                        sa.and_(col(AuditEvent.at) == at, col(AuditEvent.id) < event_id),
                    )
                )
            events = list(session.exec(_newest_first(query).limit(CSV_CHUNK)).all())
            if not events:
                return
            yield "".join(_line(csv_row(v)) for v in views(session, user, events, now))
            tail = events[-1]
            assert tail.id is not None
            last = (tail.at, tail.id)
