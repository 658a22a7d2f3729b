"""The programme's targets (editable by the office) and the audit log."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from pvhub.models.types import UTCDateTime, utcnow


class ProgrammeBase(SQLModel):
    name: str = Field(default="Huangpu distributed PV programme", max_length=200)
    name_zh: str = Field(default="黄浦区分布式光伏推进计划", max_length=200)
    target_kwp: float = Field(default=10_000, gt=0, description="Grid-connected capacity target, kWp")
    target_date: date = Field(default=date(2027, 12, 31))
    demo_points_min: int = Field(default=1, ge=0, le=20)
    demo_points_max: int = Field(default=2, ge=0, le=20)
    demo_point_radius_m: float = Field(
        default=100, gt=0, le=2000, description="Sites this close may form one demonstration point, m"
    )


class Programme(ProgrammeBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    boundary: dict[str, Any] | None = Field(
        default=None, sa_type=sa.JSON, description="District boundary, GeoJSON Polygon (WGS84)"
    )
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ProgrammeUpdate(SQLModel):
    target_kwp: float | None = Field(default=None, gt=0)
    target_date: date | None = None
    demo_points_min: int | None = Field(default=None, ge=0, le=20)
    demo_points_max: int | None = Field(default=None, ge=0, le=20)
    demo_point_radius_m: float | None = Field(default=None, gt=0, le=2000)


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
