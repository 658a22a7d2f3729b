"""Sites (buildings or places) and their PV-mountable surfaces."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import sqlalchemy as sa
from pydantic import model_validator
from sqlmodel import Field, SQLModel

from pvhub.core.columns import Flag, Integer, Number, Text, UTCDateTime, enum_column, utcnow
from pvhub.register.enums import BusinessModel, SurfaceKind, SurfaceStatus


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
    self_use_share: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="Share of the PV energy the site uses itself, 0–1 (None: its tariff class's default)",
    )


class Site(SiteBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    footprint: dict[str, Any] | None = Field(
        default=None, sa_type=sa.JSON, description="GeoJSON Polygon, WGS84 lon/lat"
    )
    external_ref: str | None = Field(default=None, max_length=100, index=True)
    horizon: dict[str, Any] | None = Field(
        default=None,
        sa_type=sa.JSON,
        description="Horizon profile: {azimuth_deg: [...], elevation_deg: [...]}",
    )
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
    power_density_w_m2: float | None = Field(
        default=None,
        gt=0,
        le=400,
        description="Own module power density, W/m² of usable area (None: the kind's)",
    )
    losses_pct: float | None = Field(
        default=None, ge=0, lt=100, description="Own PVWatts system losses, % (None: the kind's default)"
    )
    # Issue #19: ``shading_loss`` is the value in force. True: somebody typed it and it overrides the
    # building shade; False: the last estimate wrote it from the stock's buildings (0 until then).
    shading_manual: bool = Field(
        default=False, description="True: shading_loss was typed and overrides the computed building shade"
    )
    sky_view_factor: float | None = Field(
        default=None, ge=0, le=1, description="Mean sky-view factor of the sample points (computed)"
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


# --- API input and output (no table columns; limits are declared once, here and on the bases) ---

# One roof, wall or canopy larger than a square kilometre is a typing or unit error, not a survey.
MAX_AREA_M2 = 1_000_000.0


class Horizon(SQLModel):
    """A site's horizon as PVGIS gives it: the skyline's elevation per azimuth (pvlib azimuths,
    0 = north, clockwise). The sun is blocked for beam irradiance while it is below the skyline."""

    azimuth_deg: list[Number] = Field(min_length=3, max_length=360, description="Increasing, within [0, 360]")
    elevation_deg: list[Number] = Field(min_length=3, max_length=360, description="Degrees, within [0, 90]")

    @model_validator(mode="after")
    def _consistent(self) -> Horizon:
        if len(self.azimuth_deg) != len(self.elevation_deg):
            raise ValueError("azimuth_deg and elevation_deg need the same number of values")
        if any(not 0 <= a <= 360 for a in self.azimuth_deg) or any(
            b <= a for a, b in zip(self.azimuth_deg, self.azimuth_deg[1:], strict=False)
        ):
            raise ValueError("azimuth_deg must increase strictly within 0–360")
        if any(not 0 <= e <= 90 for e in self.elevation_deg):
            raise ValueError("elevation_deg must be within 0–90")
        return self


class SiteCreate(SQLModel):
    """A new site. ``lon``/``lat`` default to the footprint's centroid; one of them is required."""

    name: Text = Field(min_length=1, max_length=200)
    name_en: Text | None = Field(default=None, max_length=200)
    address: Text = Field(default="", max_length=300)
    subdistrict: Text = Field(default="", max_length=50)
    use: Text = Field(default="office", max_length=30)
    height_m: Number = Field(default=0, ge=0, le=1000, description="Building height, m")
    storeys: Integer | None = Field(default=None, ge=0, le=200)
    lon: Number | None = Field(default=None, ge=-180, le=180, description="WGS84 longitude, degrees")
    lat: Number | None = Field(default=None, ge=-90, le=90, description="WGS84 latitude, degrees")
    business_model: BusinessModel = BusinessModel.epc
    heritage_protected: Flag = False
    self_use_share: Number | None = Field(
        default=None,
        ge=0,
        le=1,
        description="Share of the PV energy the site uses itself, 0–1 (null: its tariff class's default)",
    )
    footprint: dict[str, Any] | None = Field(default=None, description="GeoJSON Polygon, WGS84 lon/lat")
    organisation_id: Integer | None = Field(
        default=None, description="Owner organisation (office only; an owner registers for its own)"
    )
    external_ref: Text | None = Field(default=None, max_length=100)
    horizon: Horizon | None = Field(default=None, description="Horizon profile for shading (optional)")


class SiteUpdate(SQLModel):
    """Changes to a site; fields left out stay as they are."""

    name: Text | None = Field(default=None, min_length=1, max_length=200)
    name_en: Text | None = Field(default=None, max_length=200)
    address: Text | None = Field(default=None, max_length=300)
    subdistrict: Text | None = Field(default=None, max_length=50)
    use: Text | None = Field(default=None, max_length=30)
    height_m: Number | None = Field(default=None, ge=0, le=1000)
    storeys: Integer | None = Field(default=None, ge=0, le=200)
    lon: Number | None = Field(default=None, ge=-180, le=180)
    lat: Number | None = Field(default=None, ge=-90, le=90)
    business_model: BusinessModel | None = None
    heritage_protected: Flag | None = None
    self_use_share: Number | None = Field(
        default=None, ge=0, le=1, description="0–1; null returns the site to its tariff class's default"
    )
    footprint: dict[str, Any] | None = None
    external_ref: Text | None = Field(default=None, max_length=100)
    horizon: Horizon | None = Field(default=None, description="Horizon profile; null removes it")


class SitePublic(SiteBase):
    id: int
    organisation_id: int
    footprint: dict[str, Any] | None = None
    external_ref: str | None = None
    horizon: dict[str, Any] | None = None


class _SurfaceInput(SQLModel):
    """What describes a surface's shape: geometry, or surveyed tilt/azimuth/areas, or both."""

    name: Text | None = Field(default=None, max_length=200)
    geometry: dict[str, Any] | None = Field(
        default=None,
        description=(
            "GeoJSON, WGS84: Polygon (plan) for roof/corridor/walkway, "
            "LineString base line (2 points) for curtain_wall"
        ),
    )
    tilt_deg: Number | None = Field(default=None, ge=0, le=90, description="0 = horizontal, 90 = vertical")
    azimuth_deg: Number | None = Field(default=None, ge=0, lt=360, description="0 = north, 180 = south")
    gross_area_m2: Number | None = Field(
        default=None, gt=0, le=MAX_AREA_M2, description="True (sloped) area, m²"
    )
    usable_area_m2: Number | None = Field(
        default=None,
        ge=0,
        le=MAX_AREA_M2,
        description=(
            "Usable area after setbacks and obstacles, m² (≤ gross). Default: the geometry less its "
            "setbacks; without geometry gross × 0.7 (roof), 0.6 (curtain wall) or 0.85 (corridor, walkway)"
        ),
    )
    height_m: Number | None = Field(default=None, ge=0, le=1000, description="Height it sits at, m")
    height_from_m: Number | None = Field(default=None, ge=0, le=1000, description="Curtain wall bottom, m")
    height_to_m: Number | None = Field(default=None, ge=0, le=1000, description="Curtain wall top, m")
    facing: Literal["right", "left"] = Field(
        default="right", description="Curtain wall: side of the base line (start → end) it faces"
    )
    shading_loss: Number | None = Field(default=None, ge=0, le=1, description="Fraction 0–1")
    storey: Integer | None = Field(default=None, ge=-10, le=200)
    external_ref: Text | None = Field(default=None, max_length=100)


class SurfaceCreate(_SurfaceInput):
    site_id: Integer
    kind: SurfaceKind


class SurfaceUpdate(_SurfaceInput):
    """Changes to a surface; new geometry or orientation recomputes the areas unless they are given."""


class SurfaceApproval(SQLModel):
    """The office's eligibility findings; all must hold for the surface to be approved."""

    heritage_ok: Flag | None = Field(
        default=None, description="Heritage clearance; required (true) when the site is heritage-protected"
    )
    structural_load_ok: Flag
    fire_rating_ok: Flag
    glare_risk_ok: Flag


class SurfaceRejection(SQLModel):
    reason: Text = Field(min_length=1, max_length=1000)


class SurfacePublic(SurfaceBase):
    id: int
    site_id: int
    status: SurfaceStatus
    power_density_w_m2: float | None = None
    losses_pct: float | None = None
    geometry: dict[str, Any] | None = None
    rejection_reason: str | None = None
    heritage_ok: bool | None = None
    structural_load_ok: bool | None = None
    fire_rating_ok: bool | None = None
    glare_risk_ok: bool | None = None
    external_ref: str | None = None
    shading_manual: bool = False
    sky_view_factor: float | None = None
