"""Bulk import of sites and surfaces (CSV, GeoJSON, CityJSON), all or nothing."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, UploadFile, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from pvhub.accounts.deps import CurrentUser
from pvhub.core.http import SessionDep, SettingsDep
from pvhub.core.uploads import read_limited
from pvhub.jobs.deps import StartJob
from pvhub.jobs.models import Job
from pvhub.register.imports import jobs as import_jobs

router = APIRouter(tags=["register"])


class ImportJobAccepted(BaseModel):
    """A large import queued as a background job."""

    job_id: int = Field(description="The job importing the file")
    status_url: str = Field(description="Where to follow it: status, progress, then the report as result")


@router.post(
    "/imports",
    responses={
        200: {"description": "Imported (or, with dry_run, what would be)"},
        202: {
            "model": ImportJobAccepted,
            "description": (
                "Queued as a background job (a file over PVHUB_IMPORT_JOB_MB, or background=true): GET "
                "status_url until it has finished; its result is the report, with ok false and every "
                "problem when nothing was imported"
            ),
        },
        413: {"description": "File too large"},
        422: {"description": "Nothing imported: the report lists every bad row or feature"},
    },
)
def import_register_file(
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    start_job: StartJob,
    file: Annotated[UploadFile, File(description="CSV, GeoJSON FeatureCollection or CityJSON 1.1/2.0")],
    dry_run: Annotated[bool, Form(description="Validate and count only")] = False,
    organisation_id: Annotated[int | None, Form(description="Owner organisation (office only)")] = None,
    crs: Annotated[str | None, Form(max_length=100, description="EPSG code for CityJSON without one")] = None,
    datum: Annotated[str, Form(max_length=10, description="wgs84, cgcs2000, gcj02 or bd09")] = "wgs84",
    min_area_m2: Annotated[float, Form(ge=0, le=10_000, description="Skip smaller faces, m²")] = 1.0,
    skip_north_walls: Annotated[bool, Form(description="Skip curtain walls facing north")] = False,
    background: Annotated[
        bool | None,
        Form(
            description="Run as a background job (202): true always, false never, unset when the file is "
            "larger than PVHUB_IMPORT_JOB_MB; a dry run never is one"
        ),
    ] = None,
) -> Any:
    """Import a file for your organisation (owner) or an owner's (office).

    Nothing is written unless every row or feature is good; 422 returns the full report. A large file
    (or ``background=true``) is imported by a background job instead: 202 names it.
    """
    content = read_limited(file, int(settings.max_upload_mb * 1e6))
    outcome = import_jobs.import_or_queue(
        session=session,
        actor=user,
        organisation_id=organisation_id,
        filename=file.filename or "upload",
        content=content,
        dry_run=dry_run,
        background=background,
        threshold_mb=settings.import_job_mb,
        data_dir=settings.data_dir,
        crs=crs,
        datum=datum,
        min_area_m2=min_area_m2,
        skip_north_walls=skip_north_walls,
    )
    if isinstance(outcome, Job):
        job_id = start_job.start(outcome.id)
        status_url = f"/api/v1/jobs/{job_id}"
        return JSONResponse(
            ImportJobAccepted(job_id=job_id, status_url=status_url).model_dump(),
            status_code=status.HTTP_202_ACCEPTED,
            headers={"Location": status_url},
        )
    report = outcome
    code = status.HTTP_200_OK if report.ok else status.HTTP_422_UNPROCESSABLE_CONTENT
    return JSONResponse(report.as_dict(), status_code=code)
