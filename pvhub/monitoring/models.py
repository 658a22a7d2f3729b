"""Monitoring's own table: what each grid-connected surface should have produced in each month of a
measured weather period (the estimate re-run on that weather), against which its measured energy is
judged (:func:`pvhub.monitoring.progress.weather_normalised_ratios`)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from pvhub.core.columns import UTCDateTime, utcnow


class WeatherNormalisedEnergy(SQLModel, table=True):
    """AC energy [kWh] surface ``surface_id`` should have delivered in ``year``-``month`` under the
    measured weather ``dataset_id``, with the assumptions of its estimate ``estimate_id``."""

    __table_args__ = (
        sa.UniqueConstraint("dataset_id", "surface_id", "year", "month", name="uq_weathernormalised_month"),
    )

    id: int | None = Field(default=None, primary_key=True)
    dataset_id: int = Field(foreign_key="weatherdataset.id", index=True)
    surface_id: int = Field(foreign_key="surface.id", index=True)
    year: int = Field(ge=2000, le=2100)
    month: int = Field(ge=1, le=12)
    estimated_kwh: float = Field(ge=0, description="AC energy on the measured weather, kWh")
    estimate_id: int | None = Field(
        default=None,
        description="The typical-year estimate whose assumptions were used (not a key: "
        "re-estimating replaces that row; the id tells a comparison made on older assumptions)",
    )
    computed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
