"""The audit log: every change of state is recorded in the same transaction as the change."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from typing import Any

from sqlmodel import Session, SQLModel

from pvhub.core.actor import Actor
from pvhub.core.audit_events import AuditEvent

# Fields never copied into the audit log (secrets, and sealed bid content before opening).
_REDACTED = {"password_hash", "content"}


def snapshot(obj: SQLModel | None) -> dict[str, Any] | None:
    """A JSON-safe copy of a row's columns for the before/after of an audit event."""
    if obj is None:
        return None
    out: dict[str, Any] = {}
    for key, value in obj.model_dump().items():
        if key in _REDACTED:
            continue
        if isinstance(value, datetime | date):
            value = value.isoformat()
        elif isinstance(value, Enum):
            value = value.value
        out[key] = value
    return out


def record(
    session: Session,
    *,
    actor: Actor | None,
    entity: str,
    entity_id: object,
    action: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add an audit event to the session (committed, or rolled back, with the change itself)."""
    event = AuditEvent(
        actor_id=actor.id if actor else None,
        actor_label=actor.email if actor else "system",
        entity=entity,
        entity_id=str(entity_id),
        action=action,
        before=before,
        after=after,
    )
    session.add(event)
    return event
