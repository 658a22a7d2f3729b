"""Yield estimates per surface, with the assumptions and weather they used."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from pvhub.core.columns import UTCDateTime, utcnow


class EstimatePublic(SQLModel):
    """An estimate as the API shows it; ``synthetic_weather`` says the embedded year was used."""

    surface_id: int
    capacity_kwp: float
    annual_kwh: float
    specific_yield_kwh_per_kwp: float
    monthly_kwh: list[float]
    co2_avoided_t: float
    assumptions: dict[str, Any]
    weather_source: str
    weather_hash: str
    synthetic_weather: bool
    pvlib_version: str
    stale: bool
    computed_at: datetime


class Estimate(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    surface_id: int = Field(foreign_key="surface.id", index=True, unique=True)
    capacity_kwp: float = Field(ge=0, description="Installable DC nameplate, kWp")
    annual_kwh: float = Field(ge=0, description="AC energy per year, kWh")
    specific_yield_kwh_per_kwp: float = Field(ge=0)
    monthly_kwh: list[float] = Field(sa_type=sa.JSON, description="12 monthly AC energies, kWh")
    co2_avoided_t: float = Field(ge=0, description="Avoided CO2 per year, tonnes")
    assumptions: dict[str, Any] = Field(sa_type=sa.JSON)
    weather_source: str = Field(max_length=200)
    weather_hash: str = Field(max_length=64)
    pvlib_version: str = Field(max_length=30)
    stale: bool = False
    computed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


#: The dashboard reads every estimate's capacity; estimate rows are wide (about 1 kB of provenance),
#: so this covering index lets it read 10,000 capacities without touching the rows
#: (:mod:`pvhub.monitoring.progress`); created by migration 0005.
ESTIMATE_CAPACITY_INDEX = sa.Index(
    "ix_estimate_surface_capacity", sa.inspect(Estimate).c.surface_id, sa.inspect(Estimate).c.capacity_kwp
)
