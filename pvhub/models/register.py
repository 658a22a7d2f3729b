"""Sites (buildings or places) and their PV-mountable surfaces."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from pvhub.models.enums import BusinessModel, SurfaceKind, SurfaceStatus
from pvhub.models.types import UTCDateTime, enum_column, utcnow


class SiteBase(SQLModel):
    name: str = Field(min_length=1, max_length=200)
    name_en: str | None = Field(default=None, max_length=200)
    address: str = Field(default="", max_length=300)
    subdistrict: str = Field(default="", max_length=50, index=True, description="街道 (subdistrict) name")
    use: str = Field(default="office", max_length=30)
    height_m: float = Field(default=0, ge=0, le=1000, description="Building height, m")
    storeys: int | None = Field(default=None, ge=0, le=200)
    lon: float = Field(ge=-180, le=180, description="WGS84 longitude of the site's centroid, degrees")
    lat: float = Field(ge=-90, le=90, description="WGS84 latitude of the site's centroid, degrees")
    business_model: BusinessModel = Field(default=BusinessModel.epc, sa_type=enum_column(BusinessModel))
    heritage_protected: bool = False


class Site(SiteBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    footprint: dict[str, Any] | None = Field(
        default=None, sa_type=sa.JSON, description="GeoJSON Polygon, WGS84 lon/lat"
    )
    external_ref: str | None = Field(default=None, max_length=100, index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class SurfaceBase(SQLModel):
    kind: SurfaceKind = Field(sa_type=enum_column(SurfaceKind), index=True)
    name: str = Field(default="", max_length=200)
    tilt_deg: float = Field(ge=0, le=90, description="0 = horizontal, 90 = vertical")
    azimuth_deg: float = Field(
        ge=0, lt=360, description="pvlib convention: 0 = north, 90 = east, 180 = south"
    )
    gross_area_m2: float = Field(ge=0, description="True (sloped) area, m²")
    usable_area_m2: float = Field(ge=0, description="Area after setbacks and obstacles, m²")
    shading_loss: float = Field(default=0, ge=0, le=1, description="Annual shading loss, fraction 0–1")
    height_m: float = Field(default=0, ge=0, le=1000, description="Height the surface sits at, m")
    storey: int | None = Field(default=None, ge=-10, le=200)


class Surface(SurfaceBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    site_id: int = Field(foreign_key="site.id", index=True)
    geometry: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON, description="GeoJSON, WGS84")
    status: SurfaceStatus = Field(default=SurfaceStatus.draft, sa_type=enum_column(SurfaceStatus), index=True)
    rejection_reason: str | None = Field(default=None, max_length=1000)
    heritage_ok: bool | None = None
    structural_load_ok: bool | None = None
    fire_rating_ok: bool | None = None
    glare_risk_ok: bool | None = None
    external_ref: str | None = Field(default=None, max_length=100)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
