"""The district's building stock over the API: import a building file (office), read buildings.

Any logged-in user reads the stock (maps draw it around sites, bundles and tenders); a building's
name is left out for the public, who may read the district map's buildings too.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, UploadFile, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from pvhub.accounts.deps import CurrentUser, OptionalUser
from pvhub.core import policy
from pvhub.core.http import SessionDep, SettingsDep
from pvhub.core.uploads import read_limited
from pvhub.jobs.deps import StartJob
from pvhub.jobs.models import Job
from pvhub.survey import stock, stock_jobs

router = APIRouter(tags=["survey"])


class StockProblemOut(BaseModel):
    """A row-level problem: where in the file, which field, what is wrong."""

    where: str = Field(description='"feature 3", "line 4", a CityJSON object id, or "file"')
    field: str
    message: str


class StockReportOut(BaseModel):
    """What a building file holds (preview) or what its import did; nothing is written unless ok."""

    ok: bool
    dry_run: bool
    filename: str
    format: str | None = Field(description="geojson, csv or cityjson (null: unreadable)")
    crs: str = Field(description="The file's CRS, e.g. EPSG:7415")
    buildings: int
    neighbours: int = Field(description="Buildings outside the district boundary, kept as neighbours")
    without_shape: dict[str, int] = Field(description="Buildings without a 3D shape, counted by why")
    skipped: dict[str, int] = Field(description="Objects left out, counted by reason")
    problems: list[StockProblemOut]
    warnings: list[str]
    first_rows: list[dict[str, Any]] = Field(description="The first buildings as they would be stored")
    created: int = Field(description="Buildings added")
    updated: int = Field(description="Buildings of an earlier import of the same file name updated")
    linked: int = Field(description="Links of registered sites to buildings added")
    stock_import_id: int | None


class StockJobAccepted(BaseModel):
    """A large import queued as a background job."""

    job_id: int
    status_url: str = Field(description="GET it until the job has finished; its result is the report")


class BuildingProperties(BaseModel):
    """A building as maps draw it."""

    id: int
    height_m: float | None
    storeys: int | None
    use: str
    inside_district: bool
    name: str | None = Field(default=None, description="Left out for the public")


class BuildingFeature(BaseModel):
    """A GeoJSON Feature: the footprint (WGS84), or the centroid when the source had no outline."""

    type: str = "Feature"
    id: int
    geometry: dict[str, Any]
    properties: BuildingProperties


class BuildingCollection(BaseModel):
    """A GeoJSON FeatureCollection; ``truncated``: more buildings lie in the box (page on)."""

    type: str = "FeatureCollection"
    features: list[BuildingFeature]
    truncated: bool


class BuildingOut(BaseModel):
    """One building of the stock with its source and 3D shape."""

    id: int
    stock_import_id: int
    source_id: str
    source_feature: int | None
    name: str
    address: str
    use: str
    subdistrict: str
    height_m: float | None
    base_m: float
    min_height_m: float
    storeys: int | None
    roof_shape: str
    lod: str
    inside_district: bool
    lon: float
    lat: float
    footprint: dict[str, Any] | None
    frame_epsg: int | None
    faces: list[dict[str, Any]]
    attributes: dict[str, Any]
    note: str


@router.post(
    "/buildings/import",
    response_model=StockReportOut,
    responses={
        202: {"model": StockJobAccepted, "description": "Queued as a background job (a large file)"},
        413: {"description": "File too large"},
        # no model: the body is the report (StockReportOut) for a bad file, or FastAPI's own
        # validation error for a malformed request, which is refused before the route runs
        422: {"description": "Nothing imported: the report (as 200) lists every problem of the file"},
    },
)
def import_buildings(
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    start_job: StartJob,
    file: Annotated[UploadFile, File(description="GeoJSON or CSV footprints, or CityJSON LoD1/LoD2")],
    crs: Annotated[str | None, Form(max_length=40, description="EPSG:N for CityJSON without one")] = None,
    datum: Annotated[str, Form(max_length=10, description="wgs84, cgcs2000, gcj02 or bd09")] = "wgs84",
    preview: Annotated[bool, Form(description="Dry run: report what the file holds, write nothing")] = False,
    background: Annotated[
        bool | None, Form(description="Run as a job: true always, false never, unset for large files")
    ] = None,
) -> Any:
    """Import a building file into the district's stock (office), all or nothing."""
    policy.require(user, stock.PERMISSION)
    content = read_limited(file, int(settings.max_upload_mb * 1e6))
    outcome = stock_jobs.import_or_queue(
        session=session,
        actor=user,
        filename=file.filename or "upload",
        content=content,
        crs=crs,
        datum=datum,
        dry_run=preview,
        background=background,
        threshold_mb=settings.import_job_mb,
        data_dir=settings.data_dir,
    )
    if isinstance(outcome, Job):
        job_id = start_job.start(outcome.id)
        url = f"/api/v1/jobs/{job_id}"
        body = StockJobAccepted(job_id=job_id, status_url=url).model_dump()
        return JSONResponse(body, status_code=status.HTTP_202_ACCEPTED, headers={"Location": url})
    if not outcome.ok:
        session.rollback()  # nothing written (nothing was added; this keeps it so)
    code = status.HTTP_200_OK if outcome.ok else status.HTTP_422_UNPROCESSABLE_CONTENT
    return JSONResponse(outcome.as_dict(), status_code=code)


@router.get("/buildings", response_model=BuildingCollection)
def list_buildings(
    user: OptionalUser,
    session: SessionDep,
    bbox: Annotated[
        str | None,
        Query(max_length=200, description="west,south,east,north (WGS84 degrees) of the centroids"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=stock.MAX_NEAR)] = 1000,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> Any:
    """Buildings of the stock as GeoJSON, by id, one page at a time (names only for logged-in users)."""
    box = stock.parse_bbox(bbox) if bbox else None
    return stock.buildings_near(session, box, limit=limit, offset=offset, public=user is None)


@router.get("/buildings/{building_id}", response_model=BuildingOut)
def get_building(user: CurrentUser, session: SessionDep, building_id: int) -> Any:
    """One building with its source, attributes and 3D faces."""
    return stock.get_building(session, building_id).model_dump()
