"""Construction milestones and demonstration points."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Field, SQLModel

from pvhub.models.enums import MilestoneKind, MilestoneStatus
from pvhub.models.types import UTCDateTime, enum_column, utcnow


class Milestone(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    surface_id: int = Field(foreign_key="surface.id", index=True)
    kind: MilestoneKind = Field(sa_type=enum_column(MilestoneKind))
    status: MilestoneStatus = Field(default=MilestoneStatus.planned, sa_type=enum_column(MilestoneStatus))
    planned_date: date | None = None
    actual_date: date | None = None
    note: str | None = Field(default=None, max_length=2000)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class DemonstrationPoint(SQLModel, table=True):
    """A site or cluster of adjacent sites with PV on ≥3 surface kinds at different heights."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    name_en: str | None = Field(default=None, max_length=200)
    designated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class DemonstrationPointSite(SQLModel, table=True):
    point_id: int = Field(foreign_key="demonstrationpoint.id", primary_key=True)
    site_id: int = Field(foreign_key="site.id", primary_key=True, unique=True)
