"""The programme's row (targets and district boundary, editable by the office) and its demonstration
points (示范点): the few sites the programme shows off with PV on several kinds of surface."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from pvhub.core.columns import UTCDateTime, utcnow

#: The policy's deadline for the 10,000 kW: the end of 2025 (as issue #17 states the policy). A
#: programme running later, as the demo does, stores its own date; the settings page shows which.
POLICY_TARGET_DATE = date(2025, 12, 31)


class ProgrammeBase(SQLModel):
    name: str = Field(default="Huangpu distributed PV programme", max_length=200)
    name_zh: str = Field(default="黄浦区分布式光伏推进计划", max_length=200)
    target_kwp: float = Field(default=10_000, gt=0, description="Grid-connected capacity target, kWp")
    target_date: date = Field(default=POLICY_TARGET_DATE)
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


class AssumptionSettings(SQLModel, table=True):
    """One version of the estimating assumptions the office configured; the latest is in force.

    ``kinds`` maps each surface kind to the fields of
    :class:`pvhub.yieldengine.assumptions.KindAssumptions` (module power density, mounting, temperature
    coefficient, losses, inverter, DC/AC ratio, albedo, IAM model). While no row exists the defaults of
    :data:`pvhub.yieldengine.DEFAULT_ASSUMPTIONS` are in force. Rows are never changed: each edit
    adds one, so the table is the history.
    """

    id: int | None = Field(default=None, primary_key=True)
    kinds: dict[str, Any] = Field(sa_type=sa.JSON)
    co2_t_per_mwh: float = Field(ge=0, description="Avoided CO2 per MWh of PV energy, tCO2/MWh")
    set_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    set_by_id: int | None = Field(default=None, foreign_key="user.id")


class DemonstrationPoint(SQLModel, table=True):
    """A site or cluster of adjacent sites with PV on ≥3 surface kinds at different heights."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    name_en: str | None = Field(default=None, max_length=200)
    designated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class DemonstrationPointSite(SQLModel, table=True):
    point_id: int = Field(foreign_key="demonstrationpoint.id", primary_key=True)
    site_id: int = Field(foreign_key="site.id", primary_key=True, unique=True)
