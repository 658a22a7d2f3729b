"""Stored weather files and the history of the programme's weather year.

A file is kept byte for byte (``content``) with the SHA-256 of those bytes, so an estimate that names
a SHA-256 can always be traced to, and re-run on, the exact file it used. A :class:`WeatherChoice`
row is written each time the office sets the programme's typical year: the rows are the history of
which year was in use when; the latest one is the current year, and while there is none the embedded
synthetic year is used.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from pvhub.core.columns import UTCDateTime, enum_column, utcnow
from pvhub.weather.enums import WeatherPurpose


class WeatherDataset(SQLModel, table=True):
    """One uploaded or fetched weather file (EPW, TMY3, PVGIS), as read and validated."""

    id: int | None = Field(default=None, primary_key=True)
    purpose: WeatherPurpose = Field(
        default=WeatherPurpose.typical, sa_type=enum_column(WeatherPurpose), index=True
    )
    name: str = Field(max_length=200, description="File name as uploaded")
    source: str = Field(max_length=20, description="Format read: epw, tmy3 or pvgis")
    label: str = Field(max_length=300, description="Station and file, as the reader describes it")
    sha256: str = Field(max_length=64, index=True, description="SHA-256 of the file's bytes")
    latitude: float
    longitude: float
    altitude_m: float = 0.0
    distance_km: float | None = Field(default=None, description="From the programme's location, km")
    far_confirmed: bool = Field(default=False, description="The office confirmed a location over 100 km away")
    hours: int = Field(ge=0, description="Records in the file")
    period_start: datetime = Field(sa_type=UTCDateTime, description="Start of the first interval")
    period_end: datetime = Field(sa_type=UTCDateTime, description="End of the last interval")
    annual_ghi_kwh_m2: float | None = None
    description: dict[str, Any] = Field(
        default_factory=dict, sa_type=sa.JSON, description="The reader's provenance (interval convention ...)"
    )
    warnings: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    content: bytes = Field(sa_type=sa.LargeBinary, description="The file's bytes")
    uploaded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    uploaded_by_id: int | None = Field(default=None, foreign_key="user.id")


class WeatherChoice(SQLModel, table=True):
    """The office set ``dataset_id`` as the programme's typical year at ``set_at``."""

    id: int | None = Field(default=None, primary_key=True)
    dataset_id: int = Field(foreign_key="weatherdataset.id", index=True)
    set_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    set_by_id: int | None = Field(default=None, foreign_key="user.id")
