"""Programme progress (public), its exports and lists, and demonstration points."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi import status as http
from fastapi.responses import Response
from pydantic import BaseModel, Field

from pvhub.accounts.deps import CurrentUser
from pvhub.construction import service as construction
from pvhub.core import policy
from pvhub.core.columns import Text
from pvhub.core.http import ATTACHMENT, GeoJSONResponse, SessionDep, SettingsDep
from pvhub.monitoring import demonstration, progress
from pvhub.monitoring import exports as progress_exports
from pvhub.monitoring.progress import STAGES, StageFilter

router = APIRouter(tags=["progress"])


class StageOut(BaseModel):
    stage: str
    surfaces: int
    kwp: float = Field(description="kWp at exactly this stage")
    cumulative_kwp: float = Field(description="kWp at this stage or beyond")


class BreakdownOut(BaseModel):
    key: str
    surfaces: int
    approved_kwp: float
    awarded_kwp: float
    connected_kwp: float


class PointOut(BaseModel):
    id: int
    name: str
    name_en: str | None
    site_ids: list[int]
    surfaces: int
    connected_surfaces: int
    capacity_kwp: float
    connected_kwp: float
    kinds: list[str]
    connected_kinds: list[str]
    complete: bool


class ForecastOut(BaseModel):
    forecast_date: date | None = Field(
        description="When the target is met at the current pace; null: no pace yet"
    )
    rate_kwp_per_day: float
    window_start: date | None
    window_end: date
    method: str
    on_track: bool | None
    reached_on: date | None


class ProgressOut(BaseModel):
    """Programme progress anyone may read: no personal data, no bid content."""

    today: date
    target_kwp: float
    target_date: date
    connected_kwp: float
    stages: list[StageOut]
    by_kind: list[BreakdownOut]
    by_subdistrict: list[BreakdownOut]
    forecast: ForecastOut
    demonstration_points: list[PointOut]
    demonstration_points_target: int
    demonstration_points_complete: int


FORECAST_METHOD = (
    f"linear: kWp connected per day over the last {progress.PACE_WINDOW_DAYS} days "
    "(or since construction began, if later), extrapolated from today"
)


def point_out(p: demonstration.PointProgress) -> PointOut:
    return PointOut(
        id=p.id,
        name=p.name,
        name_en=p.name_en,
        site_ids=list(p.site_ids),
        surfaces=p.surfaces,
        connected_surfaces=p.connected_surfaces,
        capacity_kwp=p.capacity_kwp,
        connected_kwp=p.connected_kwp,
        kinds=list(p.kinds),
        connected_kinds=list(p.connected_kinds),
        complete=p.complete,
    )


@router.get("/programme/progress", response_model=ProgressOut)
def read_progress(session: SessionDep, settings: SettingsDep) -> ProgressOut:
    """Target, connected kWp, kWp by stage, forecast date and demonstration points (public)."""
    result = progress.programme_progress(session, today=construction.today_in(settings.timezone))
    f = result.forecast
    return ProgressOut(
        today=result.today,
        target_kwp=result.target_kwp,
        target_date=result.target_date,
        connected_kwp=round(result.connected_kwp, 3),
        stages=[
            StageOut(stage=s.stage, surfaces=s.surfaces, kwp=s.kwp, cumulative_kwp=s.cumulative_kwp)
            for s in result.stages
        ],
        by_kind=[BreakdownOut(**b.__dict__) for b in result.by_kind],
        by_subdistrict=[BreakdownOut(**b.__dict__) for b in result.by_subdistrict],
        forecast=ForecastOut(
            forecast_date=f.forecast_date,
            rate_kwp_per_day=round(f.rate_kwp_per_day, 3),
            window_start=f.window_start,
            window_end=f.window_end,
            method=FORECAST_METHOD,
            on_track=result.on_track,
            reached_on=f.reached_on,
        ),
        demonstration_points=[point_out(p) for p in result.points],
        demonstration_points_target=result.demo_points_target,
        demonstration_points_complete=result.points_complete,
    )


@router.get("/programme/progress.csv", response_class=Response)
def export_progress_csv(user: CurrentUser, session: SessionDep, settings: SettingsDep) -> Response:
    """One row per surface you may see: stage, kWp, grid connection, next milestone, yield ratio (CSV)."""
    text = progress_exports.progress_csv(session, user=user, today=construction.today_in(settings.timezone))
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="pvhub-progress.csv"'},
    )


@router.get(
    "/programme/progress.geojson",
    response_class=GeoJSONResponse,
    responses={200: {"description": "A GeoJSON FeatureCollection", "headers": ATTACHMENT}},
)
def export_progress_geojson(user: CurrentUser, session: SessionDep, settings: SettingsDep) -> GeoJSONResponse:
    """The same rows as an RFC 7946 FeatureCollection (surface geometry or site point, WGS84)."""
    data = progress_exports.progress_geojson(
        session, user=user, today=construction.today_in(settings.timezone)
    )
    return GeoJSONResponse(
        data, headers={"Content-Disposition": 'attachment; filename="pvhub-progress.geojson"'}
    )


class StageRowOut(BaseModel):
    surface_id: int
    site_id: int
    site_name: str
    subdistrict: str
    kind: str
    stage: str
    kwp: float


class StagePage(BaseModel):
    total: int
    total_kwp: float
    offset: int
    limit: int
    items: list[StageRowOut]


@router.get("/progress/surfaces", response_model=StagePage)
def list_progress_surfaces(
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    stage: Annotated[str | None, Query(description=f"One of: {', '.join(STAGES)}")] = None,
    at_least: Annotated[bool, Query(description="That stage or beyond")] = False,
    kind: str | None = None,
    subdistrict: str | None = None,
    point: int | None = None,
    overdue: bool = False,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> StagePage:
    """The surfaces behind a dashboard number (the office all; a supplier its own; an owner its sites)."""
    filters = StageFilter(
        stage=stage, at_least=at_least, kind=kind, subdistrict=subdistrict, point_id=point, overdue=overdue
    )
    total, kwp, rows = progress.list_by_stage(
        session,
        user=user,
        filters=filters,
        today=construction.today_in(settings.timezone),
        offset=offset,
        limit=limit,
    )
    items = [
        StageRowOut(
            surface_id=r.surface_id,
            site_id=r.site_id,
            site_name=r.site_name,
            subdistrict=r.subdistrict,
            kind=r.kind,
            stage=r.stage,
            kwp=round(r.kwp, 3),
        )
        for r in rows
    ]
    return StagePage(total=total, total_kwp=round(kwp, 3), offset=offset, limit=limit, items=items)


@router.get("/progress/overdue")
def list_overdue(
    user: CurrentUser, session: SessionDep, settings: SettingsDep, limit: int = 50
) -> dict[str, Any]:
    """Surfaces whose next milestone is overdue, most overdue first (office; a supplier its own)."""
    if not policy.can(user, "construction:read_own"):
        policy.require(user, "construction:read_all")
    total, items = progress.overdue(
        session, user=user, today=construction.today_in(settings.timezone), limit=max(1, min(limit, 500))
    )
    return {
        "total": total,
        "items": [{**i.__dict__, "planned_date": i.planned_date.isoformat()} for i in items],
    }


@router.get("/progress/yield")
def read_yield(user: CurrentUser, session: SessionDep, dataset_id: int | None = None) -> dict[str, Any]:
    """Measured vs estimated energy (yield ratio) of the surfaces you may see, with the outliers.

    ``yield_ratio`` divides by the typical-year estimate. ``weather_normalised`` (null until the office
    uploaded the measured weather of a period and it was compared) divides the same measured energy by
    the estimate re-run on that period's weather — the latest compared period, or ``dataset_id`` —
    and gives the typical-year ratio of exactly those months beside it.
    """
    summary = progress.yield_ratios(session, user=user)

    def item(i: progress.YieldItem) -> dict[str, Any]:
        return {
            "surface_id": i.surface_id,
            "site_id": i.site_id,
            "months": i.months,
            "measured_kwh": i.measured_kwh,
            "estimated_kwh": i.estimated_kwh,
            "yield_ratio": round(i.ratio, 4) if i.ratio is not None else None,
            "flag": i.flag,
        }

    return {
        "surfaces": summary.surfaces,
        "months": summary.months,
        "measured_kwh": summary.measured_kwh,
        "estimated_kwh": summary.estimated_kwh,
        "yield_ratio": round(summary.ratio, 4) if summary.ratio is not None else None,
        "band": list(progress.RATIO_BAND),
        "outliers": [item(i) for i in summary.outliers],
        "items": [item(i) for i in summary.items],
        "weather_normalised": _normalised(
            progress.weather_normalised_ratios(session, user=user, dataset_id=dataset_id)
        ),
    }


def _ratio(value: float | None) -> float | None:
    return round(value, 4) if value is not None else None


def _normalised(summary: progress.NormalisedSummary | None) -> dict[str, Any] | None:
    """The weather-normalised yield ratio of one measured weather period, beside the typical-year
    ratio of the same surface-months (null until a period was uploaded and compared)."""
    if summary is None:
        return None

    def item(i: progress.NormalisedItem) -> dict[str, Any]:
        return {
            "surface_id": i.surface_id,
            "site_id": i.site_id,
            "months": i.months,
            "measured_kwh": i.measured_kwh,
            "normalised_kwh": i.normalised_kwh,
            "typical_kwh": i.typical_kwh,
            "weather_normalised_ratio": _ratio(i.ratio),
            "typical_year_ratio": _ratio(i.typical_ratio),
        }

    return {
        "dataset_id": summary.dataset_id,
        "name": summary.name,
        "first_month": summary.first_month,
        "last_month": summary.last_month,
        "surfaces": summary.surfaces,
        "months": summary.months,
        "measured_kwh": summary.measured_kwh,
        "normalised_kwh": summary.normalised_kwh,
        "typical_kwh": summary.typical_kwh,
        "weather_normalised_ratio": _ratio(summary.ratio),
        "typical_year_ratio": _ratio(summary.typical_ratio),
        "items": [item(i) for i in summary.items],
    }


# --- demonstration points -------------------------------------------------------------------------


class CandidateOut(BaseModel):
    site_ids: list[int]
    site_names: list[str]
    kinds: list[str]
    layers: list[dict[str, Any]] = Field(description="One surface per kind at pairwise different heights")
    surfaces: int
    capacity_kwp: float
    spread_m: float


class PointCreate(BaseModel):
    site_ids: list[Annotated[int, Field(strict=True)]] = Field(min_length=1, max_length=50)
    name: Text = Field(min_length=1, max_length=200)
    name_en: Text | None = Field(default=None, max_length=200)


@router.get("/demonstration-points", response_model=list[PointOut])
def list_points(session: SessionDep) -> list[PointOut]:
    """Designated demonstration points and their progress (public)."""
    return [point_out(p) for p in demonstration.points_progress(session)]


@router.get("/demonstration-points/candidates", response_model=list[CandidateOut])
def list_candidates(
    user: CurrentUser,
    session: SessionDep,
    radius_m: Annotated[float | None, Query(gt=0, le=2000, description="Default: the programme's")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
) -> list[CandidateOut]:
    """Sites or clusters whose approved surfaces span ≥3 kinds at different heights (office)."""
    policy.require(user, "demo_point:designate")
    return [
        CandidateOut(
            site_ids=list(c.site_ids),
            site_names=list(c.site_names),
            kinds=list(c.kinds),
            layers=[{"kind": layer.kind, "height_m": layer.height_m} for layer in c.layers],
            surfaces=c.surfaces,
            capacity_kwp=c.capacity_kwp,
            spread_m=c.spread_m,
        )
        for c in demonstration.propose_candidates(session, radius_m=radius_m, limit=limit)
    ]


@router.post(
    "/demonstration-points",
    response_model=PointOut,
    status_code=http.HTTP_201_CREATED,
    responses={409: {"description": "A site is taken or bundled, or the maximum is reached"}},
)
def designate(data: PointCreate, user: CurrentUser, session: SessionDep) -> PointOut:
    """Designate a demonstration point (office), before bundling."""
    point = demonstration.designate_point(
        session, actor=user, site_ids=data.site_ids, name=data.name, name_en=data.name_en
    )
    session.flush()
    return next(point_out(p) for p in demonstration.points_progress(session) if p.id == point.id)


@router.delete(
    "/demonstration-points/{point_id}",
    status_code=http.HTTP_204_NO_CONTENT,
    responses={409: {"description": "Its sites are already tendered"}},
)
def remove(point_id: int, user: CurrentUser, session: SessionDep) -> Response:
    """Undo a designation (office), while none of its sites is in a published bundle."""
    demonstration.remove_point(session, actor=user, point_id=point_id)
    return Response(status_code=http.HTTP_204_NO_CONTENT)
