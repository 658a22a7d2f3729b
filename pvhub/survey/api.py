"""The survey's REST API: run it, read the potential (office; a public version), export, offer buildings."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, status
from fastapi.responses import Response
from pydantic import BaseModel, Field

from pvhub.accounts.deps import CurrentUser, OptionalUser
from pvhub.core import policy
from pvhub.core.columns import Number
from pvhub.core.http import ATTACHMENT, GeoJSONResponse, SessionDep
from pvhub.core.ids import Id
from pvhub.jobs import service as jobs
from pvhub.jobs.deps import StartJob
from pvhub.jobs.models import JobPublic
from pvhub.survey import offers, potential
from pvhub.survey import rules as survey_rules
from pvhub.survey import service as survey
from pvhub.survey.enums import CandidateStatus, OfferStatus
from pvhub.survey.potential import PotentialFilters

router = APIRouter(prefix="/survey", tags=["survey"])

# The filters' choices (pvhub.survey.potential's KINDS, SECTORS, OWNER_STATES, SORTS) as query types.
KindQ = Literal["roof", "curtain_wall", "corridor", "walkway"]
SectorQ = Literal["N", "NE", "E", "SE", "S", "SW", "W", "NW", "flat"]
OwnerQ = Literal["unclaimed", "offered", "owned"]
SortQ = Literal["kwp", "annual_mwh", "kwh_per_kwp"]

CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"description": "Refused as things stand: the message says why"}
}


@router.post("/runs", response_model=JobPublic, status_code=status.HTTP_202_ACCEPTED, responses=CONFLICT)
def start_survey(user: CurrentUser, session: SessionDep, start_job: StartJob) -> JobPublic:
    """Queue a survey of the stock inside the district (office); follow it at ``GET /api/v1/jobs/{id}``."""
    job = survey.request_survey(session=session, actor=user)
    start_job.start(job.id)
    return jobs.public(job)


def _filters(
    kind: KindQ | None = None,
    subdistrict: Annotated[str | None, Query(max_length=50)] = None,
    orientation: SectorQ | None = None,
    min_kwh_per_kwp: Annotated[float | None, Query(ge=0, le=3000)] = None,
    owner_status: OwnerQ | None = None,
    sort: SortQ = "kwp",
) -> PotentialFilters:
    return PotentialFilters(
        kind=kind,
        subdistrict=subdistrict or None,
        orientation=orientation,
        min_kwh_per_kwp=min_kwh_per_kwp,
        owner_status=owner_status,
        sort=sort,
    )


class BuildingPotentialOut(BaseModel):
    building_id: int
    source_id: str
    subdistrict: str
    use: str
    height_m: float | None
    lon: float
    lat: float
    candidates: int
    kwp: float
    annual_mwh: float
    kwh_per_kwp: float
    roof_kwp: float
    facade_kwp: float
    owner_status: str | None = Field(default=None, description="unclaimed, offered or owned (office only)")
    name: str | None = Field(default=None, description="Office only")
    address: str | None = Field(default=None, description="Office only")
    shading_loss: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="Share of the candidates' annual energy lost to building shade, weighted by their "
        "unshaded energy; null while no candidate's shade is computed",
    )


class PotentialOut(BaseModel):
    """A page of buildings ranked by potential, and the totals of all the filters keep."""

    items: list[BuildingPotentialOut]
    total: int
    page: int
    pages: int
    kwp: float = Field(description="kWp of every kept candidate")
    annual_mwh: float
    roof_kwp: float
    facade_kwp: float
    other_kwp: float = Field(description="Corridors and walkways")


@router.get("/potential", response_model=PotentialOut)
def read_potential(
    session: SessionDep,
    user: OptionalUser,
    kind: KindQ | None = None,
    subdistrict: Annotated[str | None, Query(max_length=50)] = None,
    orientation: SectorQ | None = None,
    min_kwh_per_kwp: Annotated[float | None, Query(ge=0, le=3000)] = None,
    owner_status: OwnerQ | None = None,
    sort: SortQ = "kwp",
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=500)] = 50,
) -> PotentialOut:
    """Buildings ranked by potential. The office sees owner status, names and addresses; anyone else
    (logged in or not) the public version without them (and cannot filter by owner status)."""
    office = policy.can(user, "survey:read")
    filters = _filters(
        kind, subdistrict, orientation, min_kwh_per_kwp, owner_status if office else None, sort
    )
    result = potential.potential(
        session=session, filters=filters, page=page, page_size=page_size, public=not office
    )
    return PotentialOut(
        items=[BuildingPotentialOut(**b.__dict__) for b in result.items],
        **{k: v for k, v in result.__dict__.items() if k not in ("items", "by_kind")},
    )


class CandidateOut(BaseModel):
    id: int
    key: str
    kind: str
    tilt_deg: float
    azimuth_deg: float
    gross_area_m2: float
    usable_area_m2: float
    z_m: float
    storey: int | None
    band_bottom_m: float | None
    band_top_m: float | None
    lon: float
    lat: float
    kwp: float
    annual_kwh: float
    kwh_per_kwp: float
    kwh_per_kwp_unshaded: float
    shading_loss: float | None
    sky_view_factor: float | None
    status: CandidateStatus | None = Field(default=None, description="Office only")
    surface_id: int | None = Field(default=None, description="Office only: the draft surface it became")


class SkippedOut(BaseModel):
    source: dict[str, Any]
    reason: str


class BuildingCandidatesOut(BaseModel):
    building_id: int
    source_id: str
    subdistrict: str
    height_m: float | None
    inside_district: bool
    kwp: float
    annual_mwh: float
    owner_status: str | None = Field(default=None, description="Office only")
    candidates: list[CandidateOut]
    skipped: list[SkippedOut]


@router.get("/buildings/{building_id}/candidates", response_model=BuildingCandidatesOut)
def read_building_candidates(
    building_id: int, session: SessionDep, user: OptionalUser
) -> BuildingCandidatesOut:
    """A building's candidates (with their bands) and what the survey skipped, with the reason."""
    office = policy.can(user, "survey:read")
    detail = potential.building_detail(session=session, building_id=building_id, public=not office)
    b = detail.building
    return BuildingCandidatesOut(
        building_id=building_id,
        source_id=b.source_id,
        subdistrict=b.subdistrict,
        height_m=b.height_m,
        inside_district=b.inside_district,
        kwp=detail.kwp,
        annual_mwh=detail.annual_mwh,
        owner_status=detail.owner_status,
        candidates=[
            CandidateOut(
                **c.model_dump(exclude={"status", "surface_id"}),
                **({"status": c.status, "surface_id": c.surface_id} if office else {}),
            )
            for c in detail.candidates
        ],
        skipped=[
            SkippedOut(source=dict(s.get("source") or {}), reason=str(s.get("reason", "")))
            for s in detail.skipped
        ],
    )


@router.get(
    "/export.geojson",
    response_class=GeoJSONResponse,
    responses={200: {"description": "A GeoJSON FeatureCollection (RFC 7946, WGS84)", "headers": ATTACHMENT}},
)
def export_geojson(
    session: SessionDep,
    user: OptionalUser,
    kind: KindQ | None = None,
    subdistrict: Annotated[str | None, Query(max_length=50)] = None,
    orientation: SectorQ | None = None,
    min_kwh_per_kwp: Annotated[float | None, Query(ge=0, le=3000)] = None,
) -> GeoJSONResponse:
    """Buildings with their potential as properties (opens in QGIS); public without names or owners."""
    office = policy.can(user, "survey:read")
    filters = _filters(kind, subdistrict, orientation, min_kwh_per_kwp)
    return GeoJSONResponse(
        potential.map_features(session=session, filters=filters, public=not office),
        headers={"Content-Disposition": 'attachment; filename="pvhub-potential.geojson"'},
    )


@router.get(
    "/export.csv",
    response_class=Response,
    responses={
        200: {
            "description": "CSV, one candidate a row, header row first",
            "content": {"text/csv": {"schema": {"type": "string"}}},
            "headers": ATTACHMENT,
        }
    },
)
def export_csv(
    session: SessionDep,
    user: OptionalUser,
    kind: KindQ | None = None,
    subdistrict: Annotated[str | None, Query(max_length=50)] = None,
    orientation: SectorQ | None = None,
    min_kwh_per_kwp: Annotated[float | None, Query(ge=0, le=3000)] = None,
) -> Response:
    """The candidates as CSV (formulas neutralised); the public version without their status."""
    office = policy.can(user, "survey:read")
    filters = _filters(kind, subdistrict, orientation, min_kwh_per_kwp)
    return Response(
        potential.candidates_csv(session=session, filters=filters, public=not office),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="pvhub-candidates.csv"'},
    )


class OfferRequest(BaseModel):
    building_ids: list[Id] = Field(min_length=1, max_length=1000)
    organisation_id: Id = Field(description="The owner organisation the buildings are offered to")


class OfferOut(BaseModel):
    id: int
    building_id: int
    organisation_id: int
    status: OfferStatus
    reason: str
    site_id: int | None
    offered_at: datetime
    answered_at: datetime | None
    building_name: str
    kwp: float
    annual_mwh: float
    candidates: int


def _offer_out(items: list[dict[str, Any]]) -> list[OfferOut]:
    return [
        OfferOut(
            **i["offer"].model_dump(include=set(OfferOut.model_fields)),
            building_name=(i["building"].name if i["building"] else "") or "",
            kwp=round(i["kwp"], 2),
            annual_mwh=round(i["annual_mwh"], 2),
            candidates=len(i["candidates"]),
        )
        for i in items
    ]


@router.post(
    "/offers", response_model=list[OfferOut], status_code=status.HTTP_201_CREATED, responses=CONFLICT
)
def offer_buildings(body: OfferRequest, user: CurrentUser, session: SessionDep) -> list[OfferOut]:
    """Offer buildings to an owner organisation (office): all or none; a building already owned or
    offered, or outside the district, is refused with the reason."""
    made = offers.offer_buildings(
        session=session, actor=user, building_ids=body.building_ids, organisation_id=body.organisation_id
    )
    return _offer_out(offers.offer_summary(session, made))


@router.get("/offers", response_model=list[OfferOut])
def list_offers(
    user: CurrentUser,
    session: SessionDep,
    status: Annotated[OfferStatus | None, Query()] = None,
) -> list[OfferOut]:
    """The offers you may see: the office all of them, an owner its organisation's."""
    return _offer_out(
        offers.offer_summary(session, offers.offers_for(session=session, user=user, status=status))
    )


@router.post("/offers/{offer_id}/confirm", response_model=OfferOut, responses=CONFLICT)
def confirm_offer(offer_id: int, user: CurrentUser, session: SessionDep) -> OfferOut:
    """The owner takes the building: its site is created with the candidates as draft surfaces."""
    offer = offers.confirm_offer(session=session, actor=user, offer_id=offer_id)
    return _offer_out(offers.offer_summary(session, [offer]))[0]


class DeclineRequest(BaseModel):
    reason: str = Field(min_length=1, max_length=1000, description="Why the building is declined")


@router.post("/offers/{offer_id}/decline", response_model=OfferOut, responses=CONFLICT)
def decline_offer(offer_id: int, body: DeclineRequest, user: CurrentUser, session: SessionDep) -> OfferOut:
    """The owner declines, saying why."""
    offer = offers.decline_offer(session=session, actor=user, offer_id=offer_id, reason=body.reason)
    return _offer_out(offers.offer_summary(session, [offer]))[0]


@router.post("/offers/{offer_id}/withdraw", response_model=OfferOut, responses=CONFLICT)
def withdraw_offer(offer_id: int, user: CurrentUser, session: SessionDep) -> OfferOut:
    """The office withdraws an offer not yet answered."""
    offer = offers.withdraw_offer(session=session, actor=user, offer_id=offer_id)
    return _offer_out(offers.offer_summary(session, [offer]))[0]


class SurveyRulesOut(BaseModel):
    """The survey's rules in force, and when they were set (none: the defaults)."""

    min_area_m2: float = Field(description="A face or band under this usable area is skipped [m²]")
    band_height_m: float | None = Field(description="Facade band height [m]; null: one band per storey")
    opaque_share: float = Field(description="Share of a facade band that can carry BIPV (spandrels)")
    wall_azimuth_min: float = Field(description="Walls facing from this azimuth (pvlib, 90 = east) [°]")
    wall_azimuth_max: float = Field(description="… to this one (270 = west; min > max wraps north) [°]")
    min_kwh_per_kwp: float = Field(description="Candidates below this specific yield are skipped [kWh/kWp]")
    roof_usable_ratio: float = Field(description="A roof keeps at most this share of its gross area")
    default: bool = Field(description="True while the office has stored no version: the defaults")
    version_id: int | None
    set_at: datetime | None


class SurveyRulesUpdate(BaseModel):
    """Edits: only the rules given change (``band_height_m`` null: one band per storey); each is
    checked against its range, and a refusal names the rule and the range."""

    min_area_m2: Number | None = Field(default=None, description="0 … 1000 m²")
    band_height_m: Number | None = Field(default=None, description="1 … 20 m, or null")
    opaque_share: Number | None = Field(default=None, description="0 … 1")
    wall_azimuth_min: Number | None = Field(default=None, description="0 … 360°")
    wall_azimuth_max: Number | None = Field(default=None, description="0 … 360°")
    min_kwh_per_kwp: Number | None = Field(default=None, description="0 … 1500 kWh/kWp")
    roof_usable_ratio: Number | None = Field(default=None, description="0.1 … 1")


RULES_REFUSED: dict[int | str, dict[str, Any]] = {
    403: {"description": "Only the programme office sets the survey's rules"},
    422: {"description": "A rule outside its range, or not a number: the message names the rule and range"},
}


def _rules_out(version: survey_rules.RulesVersion) -> SurveyRulesOut:
    return SurveyRulesOut(
        **version.rules.as_dict(),
        default=version.is_default,
        version_id=version.version_id,
        set_at=version.set_at,
    )


@router.get("/rules", response_model=SurveyRulesOut)
def read_rules(session: SessionDep) -> SurveyRulesOut:
    """The rules in force: public, as the potential map states them."""
    return _rules_out(survey_rules.current_version(session))


@router.patch("/rules", response_model=SurveyRulesOut, responses=RULES_REFUSED)
def update_rules(changes: SurveyRulesUpdate, user: CurrentUser, session: SessionDep) -> SurveyRulesOut:
    """Edit the rules (office), audited; the next survey run uses them, and the potential page says
    the rules changed since the last run until it runs again."""
    survey_rules.set_rules(session, user, changes.model_dump(exclude_unset=True))
    return _rules_out(survey_rules.current_version(session))
