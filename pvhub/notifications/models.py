"""In-app notifications, addressed to an organisation (every user of it sees them)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from pvhub.core.columns import UTCDateTime, utcnow


class NotificationBase(SQLModel):
    kind: str = Field(max_length=50, description="What happened, e.g. tender_published")
    params: dict[str, Any] = Field(
        default_factory=dict, sa_type=sa.JSON, description="Values the message names (ids, codes, times)"
    )


class Notification(NotificationBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    read_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # the e-mail outbox (pvhub/notifications/mail_outbox.py): sent, claimed by a sender, or failing
    emailed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    email_claimed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    email_attempts: int = Field(default=0, ge=0)
    email_error: str | None = Field(default=None, max_length=500)


class NotificationPublic(NotificationBase):
    id: int
    created_at: datetime
    read_at: datetime | None
