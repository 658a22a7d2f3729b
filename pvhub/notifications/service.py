"""In-app notifications: what concerns an organisation (a tender published, bids to re-confirm,
an award proposed, a milestone sent back …).

A notification is addressed to an organisation, so every user of a supplier sees the same list.
``params`` hold only identifiers, codes and times — never bid content — because they are written
while bids are sealed. Pages turn ``kind`` + ``params`` into a sentence in the reader's language
(message id ``notification.<kind>``), so the text is not frozen in the language of the sender.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session, col, func, select, update

from pvhub.accounts.models import Organisation, User
from pvhub.core.enums import Role
from pvhub.core.errors import NotFound
from pvhub.notifications.models import Notification


def notify(
    session: Session, *, organisation_id: int, kind: str, params: dict[str, Any], at: datetime | None = None
) -> Notification:
    """Add a notification for ``organisation_id`` (in the caller's transaction); ``at`` defaults to now."""
    note = Notification(
        organisation_id=organisation_id, kind=kind, params=params, created_at=at or datetime.now(UTC)
    )
    session.add(note)
    return note


def notify_role(
    session: Session, *, role: Role, kind: str, params: dict[str, Any], at: datetime | None = None
) -> int:
    """Notify every organisation of a kind (e.g. all suppliers when a tender is published)."""
    ids = session.exec(select(Organisation.id).where(Organisation.kind == role)).all()
    for org_id in ids:
        if org_id is not None:
            notify(session, organisation_id=org_id, kind=kind, params=params, at=at)
    return len(ids)


def list_for(
    *, session: Session, user: User, unread_only: bool = False, limit: int = 100
) -> list[Notification]:
    """The newest notifications of the user's organisation."""
    query = select(Notification).where(Notification.organisation_id == user.organisation_id)
    if unread_only:
        query = query.where(col(Notification.read_at).is_(None))
    query = query.order_by(col(Notification.created_at).desc(), col(Notification.id).desc()).limit(limit)
    return list(session.exec(query).all())


def unread_count(*, session: Session, user: User) -> int:
    query = (
        select(func.count())
        .select_from(Notification)
        .where(Notification.organisation_id == user.organisation_id, col(Notification.read_at).is_(None))
    )
    return int(session.exec(query).one())


def mark_read(*, session: Session, user: User, notification_id: int | None = None) -> int:
    """Mark one notification (or, with None, all of them) read; returns how many changed."""
    if notification_id is not None:
        note = session.get(Notification, notification_id)
        if note is None or note.organisation_id != user.organisation_id:
            raise NotFound("No notification with id {notification_id}.", notification_id=notification_id)
    statement = (
        update(Notification)
        .where(col(Notification.organisation_id) == user.organisation_id, col(Notification.read_at).is_(None))
        .values(read_at=datetime.now(UTC))
    )
    if notification_id is not None:
        statement = statement.where(col(Notification.id) == notification_id)
    result = session.exec(statement)
    session.expire_all()
    return int(result.rowcount or 0)
