"""Bundling runs (optimiser executions) and the bundles (tender packages) they produce."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from pvhub.bundling.enums import BundleStatus
from pvhub.core.columns import UTCDateTime, enum_column, utcnow
from pvhub.core.enums import RunStatus


class BundlingRun(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    status: RunStatus = Field(default=RunStatus.queued, sa_type=enum_column(RunStatus))
    job_id: int | None = Field(default=None, foreign_key="job.id", index=True)
    parameters: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    result: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
    error: str | None = Field(default=None, max_length=2000)
    created_by_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Bundle(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=30, unique=True)
    run_id: int | None = Field(default=None, foreign_key="bundlingrun.id", index=True)
    status: BundleStatus = Field(default=BundleStatus.draft, sa_type=enum_column(BundleStatus))
    anchor_site_id: int | None = Field(default=None, foreign_key="site.id")
    capacity_kwp: float = Field(default=0, ge=0)
    annual_kwh: float = Field(default=0, ge=0)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    published_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class BundleSite(SQLModel, table=True):
    """Membership of a site in a bundle (all surfaces of a site go together)."""

    bundle_id: int = Field(foreign_key="bundle.id", primary_key=True)
    site_id: int = Field(foreign_key="site.id", primary_key=True, unique=True)
