"""The office's versions of the economic assumptions (the latest is in force)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from pvhub.core.columns import UTCDateTime, utcnow


class EconomicSettings(SQLModel, table=True):
    """One version of the economic assumptions; rows are never changed, so the table is the history.

    ``values`` holds the whole set as :meth:`pvhub.economics.assumptions.EconomicAssumptions.as_dict`
    writes it. While no row exists the defaults of :data:`pvhub.economics.assumptions.DEFAULTS` are in
    force; a field a stored version lacks (stored before it existed) keeps its default.
    """

    id: int | None = Field(default=None, primary_key=True)
    values: dict[str, Any] = Field(sa_type=sa.JSON)
    set_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    set_by_id: int | None = Field(default=None, foreign_key="user.id")
