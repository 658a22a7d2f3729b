"""The measured weather of a period (office): upload it, list the stored periods, compare again.

An upload is stored only when it is fit (:mod:`pvhub.weather.measured`); it then starts the job that
re-estimates the grid-connected surfaces on it, whose result the dashboard's weather-normalised yield
ratio reads (``GET /progress/yield``, field ``weather_normalised``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from pvhub.accounts.deps import CurrentUser
from pvhub.core import policy
from pvhub.core.http import SessionDep, SettingsDep
from pvhub.core.uploads import read_limited
from pvhub.jobs.deps import StartJob
from pvhub.weather import measured, service
from pvhub.weather.models import WeatherDataset

router = APIRouter(tags=["weather"])


class MeasuredWeatherOut(BaseModel):
    """A stored measured weather period."""

    id: int
    name: str = Field(description="File name as uploaded")
    label: str = Field(description="Station and file, as the reader describes it")
    source: str = Field(description="Format read: epw, tmy3 or pvgis")
    sha256: str = Field(description="SHA-256 of the file's bytes")
    first_month: str = Field(description="First month of the period, YYYY-MM (the file's local time)")
    last_month: str = Field(description="Last month of the period, YYYY-MM")
    hours: int = Field(description="Records in the file")
    ghi_kwh_m2: float | None = Field(description="Global horizontal irradiation over the period, kWh/m²")
    latitude: float = Field(description="Location of the data, degrees north (WGS84)")
    longitude: float = Field(description="Location of the data, degrees east (WGS84)")
    distance_km: float | None = Field(description="Distance from the programme's location, km")
    far_confirmed: bool = Field(description="The office confirmed a location over 100 km away")
    uploaded_at: datetime


class ComparisonAccepted(BaseModel):
    """The period (when just stored) and the job re-estimating the connected surfaces on it."""

    dataset: MeasuredWeatherOut
    job_id: int = Field(description="The job computing the weather-normalised estimates")
    status_url: str = Field(description="GET it until the job has finished")


class FarPeriodOut(BaseModel):
    """409: the file is far from the programme; send it again with confirm_far to store it."""

    detail: str
    field: str | None
    distance_km: float


def _out(dataset: WeatherDataset) -> MeasuredWeatherOut:
    months = list(dataset.description.get("months") or [""])
    return MeasuredWeatherOut(
        id=dataset.id or 0,
        name=dataset.name,
        label=dataset.label,
        source=dataset.source,
        sha256=dataset.sha256,
        first_month=str(months[0]),
        last_month=str(months[-1]),
        hours=dataset.hours,
        ghi_kwh_m2=dataset.annual_ghi_kwh_m2,
        latitude=dataset.latitude,
        longitude=dataset.longitude,
        distance_km=dataset.distance_km,
        far_confirmed=dataset.far_confirmed,
        uploaded_at=dataset.uploaded_at,
    )


def _accepted(dataset: WeatherDataset, job_id: int) -> JSONResponse:
    body = ComparisonAccepted(dataset=_out(dataset), job_id=job_id, status_url=f"/api/v1/jobs/{job_id}")
    return JSONResponse(body.model_dump(mode="json"), status_code=status.HTTP_202_ACCEPTED)


@router.post(
    "/programme/measured-weather",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=ComparisonAccepted,
    responses={
        409: {"model": FarPeriodOut, "description": "Over 100 km away (confirm_far), or already stored"},
        413: {"description": "File too large"},
        422: {
            "description": "Not a whole-month period of plausible weather: the message names record and field"
        },
    },
)
def upload_measured_weather(
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    start_job: StartJob,
    file: Annotated[UploadFile, File(description="EPW, TMY3 CSV or PVGIS (JSON, CSV, EPW) with real dates")],
    confirm_far: Annotated[bool, Form(description="Store it even if over 100 km away")] = False,
) -> JSONResponse:
    """Store the measured weather of whole calendar months (at most 12) and compare the connected
    surfaces' measured energy with their estimate re-run on it (a job). Nothing is stored on failure."""
    policy.require(user, measured.PERMISSION)  # before reading a large body for nothing
    content = read_limited(file, min(int(settings.max_upload_mb * 1e6), service.MAX_WEATHER_BYTES))
    try:
        dataset = measured.upload_measured(
            session=session,
            actor=user,
            filename=file.filename or "upload",
            content=content,
            confirm_far=confirm_far,
        )
    except service.FarLocation as exc:
        out = FarPeriodOut(detail=exc.message, field=exc.field, distance_km=round(exc.distance_km, 1))
        return JSONResponse(out.model_dump(), status_code=status.HTTP_409_CONFLICT)
    job = measured.request_normalisation(session=session, actor=user, dataset_id=dataset.id or 0)
    return _accepted(dataset, start_job.start(job.id))


@router.get("/programme/measured-weather", response_model=list[MeasuredWeatherOut])
def list_measured_weather(user: CurrentUser, session: SessionDep) -> list[MeasuredWeatherOut]:
    """The stored measured weather periods, the latest upload first (office)."""
    policy.require(user, "progress:read")
    return [_out(d) for d in measured.list_measured(session=session)]


@router.post(
    "/programme/measured-weather/{dataset_id}/compare",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=ComparisonAccepted,
)
def compare_again(
    dataset_id: int, user: CurrentUser, session: SessionDep, start_job: StartJob
) -> JSONResponse:
    """Re-estimate the connected surfaces on a stored period again (after new connections or estimates)."""
    policy.require(user, measured.PERMISSION)
    job = measured.request_normalisation(session=session, actor=user, dataset_id=dataset_id)
    dataset = measured.get_measured(session=session, dataset_id=dataset_id)
    return _accepted(dataset, start_job.start(job.id))
