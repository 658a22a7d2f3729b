"""Construction (milestones per awarded surface) and measured energy.

An awarded surface gets one :class:`Construction` row when its award is confirmed (who builds it,
from when, on what schedule) and one :class:`Milestone` row per step of the State Grid procedure.
``Construction.stage_rank`` counts the milestones the office has confirmed — they are confirmed in
order, so it is also the index of the last one — which lets the dashboard total 10,000 surfaces by
stage in one ``GROUP BY``.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from pvhub.construction.enums import MilestoneKind, MilestoneStatus
from pvhub.core.columns import UTCDateTime, enum_column, utcnow


class Construction(SQLModel, table=True):
    """The build of one awarded surface: its supplier, start, schedule and how far it got."""

    id: int | None = Field(default=None, primary_key=True)
    surface_id: int = Field(foreign_key="surface.id", unique=True)
    award_id: int = Field(foreign_key="award.id", index=True)
    supplier_id: int = Field(foreign_key="organisation.id", index=True)
    started_on: date = Field(description="Day the award was confirmed; planned dates count from it")
    schedule_days: int = Field(ge=1, le=3650, description="The winning bid's schedule, days")
    stage_rank: int = Field(
        default=0, ge=0, le=8, index=True, description="Milestones confirmed (0: awarded, 7: grid-connected)"
    )
    installed_kwp: float | None = Field(
        default=None, ge=0, description="DC nameplate actually installed, kWp, as reported; else the estimate"
    )
    connected_on: date | None = Field(default=None, index=True, description="Confirmed grid-connection date")
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Milestone(SQLModel, table=True):
    __table_args__ = (
        sa.UniqueConstraint("surface_id", "kind", name="uq_milestone_surface_kind"),
        sa.Index("ix_milestone_status_planned_date", "status", "planned_date"),  # the overdue query
    )

    id: int | None = Field(default=None, primary_key=True)
    surface_id: int = Field(foreign_key="surface.id", index=True)
    kind: MilestoneKind = Field(sa_type=enum_column(MilestoneKind))
    status: MilestoneStatus = Field(default=MilestoneStatus.planned, sa_type=enum_column(MilestoneStatus))
    planned_date: date | None = None
    actual_date: date | None = None
    note: str | None = Field(default=None, max_length=2000)
    reported_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    reported_by_id: int | None = Field(default=None, foreign_key="user.id")
    confirmed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    confirmed_by_id: int | None = Field(default=None, foreign_key="user.id")
    sent_back_reason: str | None = Field(default=None, max_length=2000)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class MilestoneDocument(SQLModel, table=True):
    """Evidence attached to a milestone (a photo, a signed form), stored on disk by its SHA-256."""

    id: int | None = Field(default=None, primary_key=True)
    milestone_id: int = Field(foreign_key="milestone.id", index=True)
    filename: str = Field(max_length=255)
    content_type: str = Field(max_length=100)
    size_bytes: int = Field(ge=0)
    sha256: str = Field(max_length=64)
    uploaded_by_id: int | None = Field(default=None, foreign_key="user.id")
    uploaded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class MeasuredEnergy(SQLModel, table=True):
    """AC energy a commissioned surface delivered in one calendar month, kWh (meter reading)."""

    __table_args__ = (sa.UniqueConstraint("surface_id", "year", "month", name="uq_measuredenergy_month"),)

    id: int | None = Field(default=None, primary_key=True)
    surface_id: int = Field(foreign_key="surface.id", index=True)
    year: int = Field(ge=2000, le=2100)
    month: int = Field(ge=1, le=12)
    energy_kwh: float = Field(ge=0, description="AC energy delivered in the month, kWh")
    source: str = Field(default="api", max_length=20, description="csv or api")
    imported_by_id: int | None = Field(default=None, foreign_key="user.id")
    imported_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
