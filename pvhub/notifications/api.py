"""In-app notifications of the user's organisation."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from pvhub.accounts.deps import CurrentUser
from pvhub.core.http import SessionDep
from pvhub.notifications import service as notifications
from pvhub.notifications.models import NotificationPublic

router = APIRouter(tags=["notifications"])


class MarkedRead(BaseModel):
    marked: int


@router.get("/notifications", response_model=list[NotificationPublic])
def list_notifications(
    user: CurrentUser, session: SessionDep, unread_only: bool = False
) -> list[NotificationPublic]:
    """Newest first: what concerns your organisation (``kind`` + ``params``; ids and codes only)."""
    rows = notifications.list_for(session=session, user=user, unread_only=unread_only)
    return [NotificationPublic.model_validate(n, from_attributes=True) for n in rows]


@router.post("/notifications/{notification_id}/read", response_model=MarkedRead)
def mark_read(notification_id: int, user: CurrentUser, session: SessionDep) -> MarkedRead:
    return MarkedRead(
        marked=notifications.mark_read(session=session, user=user, notification_id=notification_id)
    )


@router.post("/notifications/read-all", response_model=MarkedRead)
def mark_all_read(user: CurrentUser, session: SessionDep) -> MarkedRead:
    return MarkedRead(marked=notifications.mark_read(session=session, user=user))
