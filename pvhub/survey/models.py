"""The district's building stock, the survey's candidate surfaces, and offers of buildings to owners.

A :class:`Building` is part of the stock whether or not anybody owns it in pvhub; buildings outside
the programme's boundary are kept as neighbours (they shade and are drawn) but yield no candidates.
Its 3D shape is kept as the source gave it (``faces``, in the metric frame ``frame_epsg``), so the
shading of issue #19 can ray-cast the same faces the survey measured.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from pvhub.core.columns import UTCDateTime, enum_column, utcnow
from pvhub.survey.enums import CandidateStatus, OfferStatus


class StockImport(SQLModel, table=True):
    """One building file imported into the stock: which file, in which form, how much it held."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, description="File name as uploaded")
    sha256: str = Field(max_length=64, description="SHA-256 of the file's bytes")
    source_format: str = Field(max_length=20, description="geojson, csv or cityjson")
    crs: str = Field(default="", max_length=40, description="The file's CRS, e.g. EPSG:7415")
    buildings: int = Field(default=0, ge=0)
    neighbours: int = Field(default=0, ge=0, description="Buildings outside the district boundary")
    skipped: list[dict[str, Any]] = Field(default_factory=list, sa_type=sa.JSON)
    imported_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    imported_by_id: int | None = Field(default=None, foreign_key="user.id")


class Building(SQLModel, table=True):
    """A building of the district's stock."""

    __table_args__ = (
        sa.UniqueConstraint("source_id", "stock_import_id", name="uq_building_source"),
        # maps ask for the buildings within a bounding box
        sa.Index("ix_building_lon_lat", "lon", "lat"),
    )

    id: int | None = Field(default=None, primary_key=True)
    stock_import_id: int = Field(foreign_key="stockimport.id", index=True)
    source_id: str = Field(max_length=120, description="CityJSON object id, feature id or index")
    source_feature: int | None = Field(default=None, description="GeoJSON feature index / CSV line")
    name: str = Field(default="", max_length=200)
    address: str = Field(default="", max_length=300)
    use: str = Field(default="", max_length=60)
    subdistrict: str = Field(default="", max_length=50, index=True)
    height_m: float | None = Field(default=None, ge=0, description="Ground to top, m")
    base_m: float = Field(default=0.0, description="Ground level in the source's vertical datum, m")
    min_height_m: float = Field(default=0.0, ge=0, description="Where the building starts above ground, m")
    storeys: int | None = Field(default=None, ge=0)
    roof_shape: str = Field(default="", max_length=40)
    lod: str = Field(default="", max_length=10, description="Level of detail of the 3D shape kept")
    inside_district: bool = Field(default=True, index=True, description="False: a neighbour only")
    lon: float = Field(ge=-180, le=180, description="Footprint centroid, WGS84")
    lat: float = Field(ge=-90, le=90, description="Footprint centroid, WGS84")
    footprint: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON, description="GeoJSON, WGS84")
    frame_epsg: int | None = Field(default=None, description="Metric CRS of ``faces``")
    faces: list[dict[str, Any]] = Field(
        default_factory=list,
        sa_type=sa.JSON,
        description="3D faces: {object, indices, kind, semantic, rings: [[[x, y, z], ...], ...]}",
    )
    attributes: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    note: str = Field(default="", max_length=300, description="Why there is no 3D shape, when there is none")
    survey_skipped: list[dict[str, Any]] = Field(
        default_factory=list, sa_type=sa.JSON, description="What the last survey left out, with reasons"
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class SiteBuilding(SQLModel, table=True):
    """A registered site stands on (part of) a building; a campus site spans several."""

    site_id: int = Field(foreign_key="site.id", primary_key=True)
    building_id: int = Field(foreign_key="building.id", primary_key=True, index=True)


class SurveyRun(SQLModel, table=True):
    """One run of the survey over the stock: on which weather and rules, with what result."""

    id: int | None = Field(default=None, primary_key=True)
    job_id: int | None = Field(default=None, foreign_key="job.id")
    started_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    started_by_id: int | None = Field(default=None, foreign_key="user.id")
    weather_sha256: str = Field(default="", max_length=64)
    rules: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    provenance: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    buildings: int = Field(default=0, ge=0)
    candidates: int = Field(default=0, ge=0)
    totals: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)


class SurveyCandidate(SQLModel, table=True):
    """A surface of a building that could hold PV, estimated on the programme's weather year."""

    __table_args__ = (sa.UniqueConstraint("building_id", "key", name="uq_candidate_key"),)

    id: int | None = Field(default=None, primary_key=True)
    building_id: int = Field(foreign_key="building.id", index=True)
    survey_run_id: int | None = Field(default=None, foreign_key="surveyrun.id", index=True)
    key: str = Field(max_length=200, description="Stable across runs: building/object/face[/band]")
    kind: str = Field(max_length=20, index=True, description="roof, curtain_wall, corridor or walkway")
    source: dict[str, Any] = Field(
        default_factory=dict, sa_type=sa.JSON, description="{object, feature, faces}"
    )
    tilt_deg: float = Field(ge=0, le=90)
    azimuth_deg: float = Field(ge=0, lt=360)
    gross_area_m2: float = Field(ge=0)
    usable_area_m2: float = Field(ge=0)
    z_m: float = Field(default=0.0, description="Centroid height above the building's base, m")
    storey: int | None = None
    band_bottom_m: float | None = None
    band_top_m: float | None = None
    lon: float
    lat: float
    outline: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON, description="GeoJSON, WGS84")
    kwp: float = Field(default=0.0, ge=0)
    annual_kwh: float = Field(default=0.0, ge=0)
    kwh_per_kwp: float = Field(default=0.0, ge=0)
    kwh_per_kwp_unshaded: float = Field(default=0.0, ge=0)
    shading_loss: float | None = Field(default=None, ge=0, le=1)
    sky_view_factor: float | None = Field(default=None, ge=0, le=1)
    status: CandidateStatus = Field(
        default=CandidateStatus.unclaimed, sa_type=enum_column(CandidateStatus), index=True
    )
    surface_id: int | None = Field(default=None, foreign_key="surface.id")
    computed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class BuildingOffer(SQLModel, table=True):
    """The office offers a building to an owner organisation, which confirms or declines it."""

    id: int | None = Field(default=None, primary_key=True)
    building_id: int = Field(foreign_key="building.id", index=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    status: OfferStatus = Field(default=OfferStatus.offered, sa_type=enum_column(OfferStatus), index=True)
    reason: str = Field(default="", max_length=1000, description="The owner's reason for declining")
    site_id: int | None = Field(default=None, foreign_key="site.id", description="Created on confirmation")
    offered_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    offered_by_id: int | None = Field(default=None, foreign_key="user.id")
    answered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    answered_by_id: int | None = Field(default=None, foreign_key="user.id")


class SurveyRuleSettings(SQLModel, table=True):
    """One version of the survey's rules the office set; the latest is in force.

    The fields are those of :class:`pvhub.survey.rules.SurveyRules` (their meaning and the sources of
    their defaults are there). While no row exists the defaults are in force. Rows are never changed:
    each edit adds one, so the table is the history, as for the estimating assumptions.
    """

    id: int | None = Field(default=None, primary_key=True)
    min_area_m2: float = Field(ge=0, description="Smallest usable area kept as a candidate, m²")
    band_height_m: float | None = Field(
        default=None, gt=0, description="Facade band height, m; None: storeys"
    )
    opaque_share: float = Field(ge=0, le=1, description="Share of a facade band that can carry BIPV")
    wall_azimuth_min: float = Field(ge=0, le=360, description="Walls facing from this azimuth, °")
    wall_azimuth_max: float = Field(ge=0, le=360, description="… to this azimuth, ° (pvlib)")
    min_kwh_per_kwp: float = Field(ge=0, description="Lowest specific yield kept, kWh/kWp")
    roof_usable_ratio: float = Field(gt=0, le=1, description="Largest usable share of a roof's area")
    set_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    set_by_id: int | None = Field(default=None, foreign_key="user.id")
