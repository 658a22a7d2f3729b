"""The programme's weather year: read it (anyone signed in), set it by upload or from PVGIS (office)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlmodel import Session

from pvhub.accounts.deps import CurrentUser
from pvhub.core import policy
from pvhub.core.http import SessionDep, SettingsDep
from pvhub.core.uploads import read_limited
from pvhub.weather import service

router = APIRouter(tags=["weather"])

_FAR = {
    "description": (
        "The file's location is over 100 km from the programme's: distance_km says how far; send the "
        "request again with confirm_far true to use it anyway"
    )
}


class WeatherSummaryOut(BaseModel):
    """The programme's current weather year."""

    name: str = Field(description="File name as uploaded, or 'synthetic' for the embedded default")
    label: str = Field(description="Station and file, as the reader describes it")
    source: str = Field(description="Format read: epw, tmy3, pvgis, or synthetic")
    sha256: str = Field(description="SHA-256 of the file's bytes (estimates record it)")
    latitude: float = Field(description="Location of the data, degrees north (WGS84)")
    longitude: float = Field(description="Location of the data, degrees east (WGS84)")
    distance_km: float | None = Field(description="Distance from the programme's location, km")
    set_at: datetime | None = Field(description="When the office set it; null for the default")
    set_by: str | None = Field(description="E-mail of who set it; null for the command line or the default")
    synthetic: bool = Field(description="True while no weather year is set: the embedded synthetic year")
    hours: int = Field(description="Records in the file")
    annual_ghi_kwh_m2: float | None = Field(description="Annual global horizontal irradiation, kWh/m²")


class WeatherHistoryOut(BaseModel):
    """One time a weather year was set."""

    set_at: datetime = Field(description="When it was set")
    set_by: str | None = Field(description="E-mail of who set it; null for the command line")
    dataset_id: int = Field(description="The stored file")
    name: str = Field(description="File name")
    source: str = Field(description="Format: epw, tmy3 or pvgis")
    sha256: str = Field(description="SHA-256 of the file's bytes")


class WeatherOverview(BaseModel):
    """The current weather year and every earlier choice, newest first."""

    current: WeatherSummaryOut
    history: list[WeatherHistoryOut]


class PvgisRequest(BaseModel):
    """Fetch PVGIS's typical year for the programme's location."""

    confirm_far: bool = Field(False, description="Use it even if over 100 km from the programme's location")


class FarLocationOut(BaseModel):
    """409: the file is far from the programme; confirm to use it."""

    detail: str = Field(description="How far, and how to confirm")
    field: str | None = Field(description="confirm_far")
    distance_km: float | None = Field(
        default=None,
        description="Distance from the programme's location, km; absent when PVGIS cannot be reached",
    )


@router.get("/programme/weather", response_model=WeatherOverview)
def read_weather(user: CurrentUser, session: SessionDep) -> WeatherOverview:
    """The programme's weather year (or the synthetic default) and the history of choices."""
    policy.require(user, "programme:read")
    return _overview(session)


@router.post(
    "/programme/weather",
    status_code=status.HTTP_201_CREATED,
    response_model=WeatherSummaryOut,
    responses={409: {"model": FarLocationOut, **_FAR}, 413: {"description": "File too large"}},
)
def upload_weather(
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    file: Annotated[UploadFile, File(description="EPW, TMY3 CSV, or PVGIS TMY (JSON, CSV or EPW)")],
    confirm_far: Annotated[bool, Form(description="Use it even if over 100 km away")] = False,
) -> WeatherSummaryOut | JSONResponse:
    """Set the programme's weather year from a file (office). Nothing changes unless it is valid."""
    limit = min(int(settings.max_upload_mb * 1e6), service.MAX_WEATHER_BYTES)
    policy.require(user, "programme:update")  # before reading a large body for nothing
    content = read_limited(file, limit)
    try:
        service.set_programme_weather(
            session=session,
            actor=user,
            filename=file.filename or "upload",
            content=content,
            confirm_far=confirm_far,
        )
    except service.FarLocation as exc:
        return _far(exc)
    return WeatherSummaryOut(**asdict(service.current_summary(session=session)))


@router.post(
    "/programme/weather/pvgis",
    status_code=status.HTTP_201_CREATED,
    response_model=WeatherSummaryOut,
    responses={409: {"model": FarLocationOut, **_FAR, "description": "Far, or PVGIS cannot be reached"}},
)
def fetch_pvgis_weather(
    body: PvgisRequest, user: CurrentUser, session: SessionDep, settings: SettingsDep
) -> WeatherSummaryOut | JSONResponse:
    """Fetch PVGIS's typical year for the programme's location and set it (office; needs the internet)."""
    try:
        service.fetch_pvgis(session=session, actor=user, confirm_far=body.confirm_far, url=settings.pvgis_url)
    except service.FarLocation as exc:
        return _far(exc)
    return WeatherSummaryOut(**asdict(service.current_summary(session=session)))


def _far(exc: service.FarLocation) -> JSONResponse:
    """409 with the distance, so a client can ask the office to confirm (nothing was written)."""
    out = FarLocationOut(detail=exc.message, field=exc.field, distance_km=round(exc.distance_km, 1))
    return JSONResponse(out.model_dump(), status_code=status.HTTP_409_CONFLICT)


def _overview(session: Session) -> WeatherOverview:
    return WeatherOverview(
        current=WeatherSummaryOut(**asdict(service.current_summary(session=session))),
        history=[WeatherHistoryOut(**asdict(item)) for item in service.history(session=session)],
    )
