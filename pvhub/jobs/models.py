"""Background jobs: long work (estimates, bundling, award runs, large imports) outside the request.

State and progress live in the database so every app process and a page reload see them; a job
whose process died is marked failed with a reason on the next start (see :mod:`pvhub.jobs.service`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from pvhub.core.columns import UTCDateTime, enum_column, utcnow
from pvhub.core.enums import RunStatus


class JobBase(SQLModel):
    kind: str = Field(max_length=50, index=True, description="What the job does, e.g. estimate")
    status: RunStatus = Field(default=RunStatus.queued, sa_type=enum_column(RunStatus), index=True)
    progress: float = Field(default=0, ge=0, le=1, description="Fraction done, 0–1")
    message: str = Field(default="", max_length=500)
    parameters: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    result: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
    error: str | None = Field(default=None, max_length=2000)
    detail: dict[str, Any] | None = Field(
        default=None,
        sa_type=sa.JSON,
        description="Live detail while running, e.g. the optimiser's best cost and bound over time",
    )
    cancel_requested: bool = False


class Job(JobBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    created_by_id: int | None = Field(default=None, foreign_key="user.id")
    worker: str | None = Field(default=None, max_length=100, description="host:pid running it")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    heartbeat_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class JobPublic(JobBase):
    id: int
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
