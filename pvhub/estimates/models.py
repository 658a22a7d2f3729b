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


class SurfaceShade(SQLModel, table=True):
    """A registered surface's building shade (issue #19): the horizon of each of its sample points
    from the stock's buildings, and what each point sees of the sky.

    ``horizon`` is a (points, A) uint8 array, base64, of elevations in half degrees (value =
    round(elevation × 2), so 0–180 for 0–90°) over A = 360 / ``step_deg`` true-azimuth bins
    (:func:`pvhub.estimates.shade.pack_horizon`). ``xyz`` places each point for the pages: WGS84
    lon, lat and height above the ground, m. ``stock_version`` names the state of the building stock
    it was computed from (:func:`pvhub.survey.surface_shading.stock_version`).
    """

    id: int | None = Field(default=None, primary_key=True)
    surface_id: int = Field(foreign_key="surface.id", index=True, unique=True)
    stock_version: str = Field(max_length=80)
    step_deg: float = Field(gt=0, description="Azimuth bin width, degrees")
    points: int = Field(ge=1, description="Sample points on the surface")
    horizon: str = Field(sa_type=sa.Text, description="base64 uint8 (points, A): elevation in half degrees")
    sky_view: list[float] = Field(sa_type=sa.JSON, description="Sky-view factor per point")
    xyz: list[list[float]] = Field(sa_type=sa.JSON, description="Per point: lon, lat (WGS84), m above ground")
    computed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
