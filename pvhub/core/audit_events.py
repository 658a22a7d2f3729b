"""The audit log's table: who changed what, when, before and after."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from pvhub.core.columns import UTCDateTime, utcnow


class AuditEvent(SQLModel, table=True):
    """Who changed what, when, with the state before and after (same transaction as the change)."""

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    actor_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    actor_label: str = Field(default="system", max_length=254)
    entity: str = Field(max_length=50, index=True)
    entity_id: str = Field(max_length=50, index=True)
    action: str = Field(max_length=50)
    before: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
    after: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
