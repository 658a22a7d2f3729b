"""Award: runs (background jobs), the proposal with the optimiser's reasons, override, publicity
(公示) with objections, confirmation and a winner's decline."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, status
from pydantic import BaseModel, Field

from pvhub.accounts.deps import CurrentUser
from pvhub.core.columns import Integer
from pvhub.core.enums import RunStatus
from pvhub.core.http import SessionDep, SettingsDep
from pvhub.jobs.deps import StartJob
from pvhub.tendering import awards
from pvhub.tendering.api.tenders import RulesDep
from pvhub.tendering.enums import AwardStatus, ObjectionStatus
from pvhub.tendering.models import AwardDecline, AwardOverride, ObjectionAnswer, ObjectionCreate

router = APIRouter(
    tags=["awards"], responses={409: {"description": "Not allowed now (sealed, publicity running, final)"}}
)


class AwardRunRequest(BaseModel):
    tender_id: Integer


class AwardRunPublic(BaseModel):
    id: int
    tender_id: int
    job_id: int | None = Field(description="Follow it at GET /api/v1/jobs/{job_id}")
    status: RunStatus
    purpose: str
    result: dict[str, Any] | None = Field(
        default=None, description="The optimiser's result: awards, unawarded lots and why, supplier loads"
    )


class ObjectionPublic(BaseModel):
    id: int
    award_id: int
    supplier_id: int
    text: str
    status: ObjectionStatus
    response: str | None
    created_at: datetime
    answered_at: datetime | None


class AwardPublic(BaseModel):
    id: int
    lot_id: int
    lot_number: int
    bundle_code: str
    bid_id: int
    supplier_id: int
    supplier_name: str
    status: AwardStatus
    score: float | None
    business_model: str = Field(description="The lot's business model: epc, emc or lease")
    total_price_cny: float | None = Field(description="EPC: the winning total; null for EMC and lease")
    price_cny_per_w: float | None = Field(description="EPC: derived from the total; null for EMC and lease")
    terms: dict[str, Any] | None = Field(
        default=None,
        description="EMC: discount_pct and term_years; lease: rent_cny_per_m2_year and term_years; "
        "null for EPC",
    )
    reason: str | None = Field(description="best_score, best_combination, kept or next_best")
    share_cap_relaxed: bool
    override_reason: str | None
    proposed_bid_id: int | None
    publicity_ends_at: datetime | None
    confirmed_at: datetime | None
    declined_at: datetime | None
    decline_reason: str | None
    objections: list[ObjectionPublic]


class AwardsOverviewPublic(BaseModel):
    tender_id: int
    run: AwardRunPublic | None
    awards: list[AwardPublic]
    unawarded: list[dict[str, Any]] = Field(description="Lots without a winner: lot id, code, reason")


def award_public(view: awards.AwardView) -> AwardPublic:
    a = view.award
    assert a.id is not None and view.lot.id is not None and view.supplier.id is not None
    return AwardPublic(
        **a.model_dump(
            include={
                "id",
                "lot_id",
                "bid_id",
                "status",
                "score",
                "reason",
                "share_cap_relaxed",
                "override_reason",
                "proposed_bid_id",
                "publicity_ends_at",
                "confirmed_at",
                "declined_at",
                "decline_reason",
            }
        ),
        lot_number=view.lot.number,
        bundle_code=view.bundle_code,
        supplier_id=view.supplier.id,
        supplier_name=view.supplier.name,
        business_model=view.lot.business_model.value,
        total_price_cny=_number(view.bid.content.get("total_price_cny")),
        price_cny_per_w=_number(view.bid.content.get("price_cny_per_w")),
        terms=awards.bid_terms(view.bid) or None,
        objections=[ObjectionPublic.model_validate(o, from_attributes=True) for o in view.objections],
    )


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def _run_public(run: Any, job_status: RunStatus | None = None) -> AwardRunPublic:
    return AwardRunPublic(
        id=run.id,
        tender_id=run.tender_id,
        job_id=run.job_id,
        status=job_status if job_status in (RunStatus.running, RunStatus.failed) else run.status,
        purpose=run.purpose,
        result=run.result,
    )


@router.post("/award-runs", response_model=AwardRunPublic, status_code=status.HTTP_202_ACCEPTED)
def start_award_run(
    body: AwardRunRequest,
    user: CurrentUser,
    session: SessionDep,
    rules: RulesDep,
    start_job: StartJob,
) -> AwardRunPublic:
    """Run the award optimiser over an opened tender's scored bids (office), as a background job."""
    run = awards.start_run(session=session, actor=user, tender_id=body.tender_id, rules=rules)
    start_job.start(run.job_id)
    return _run_public(run)


@router.get("/tenders/{tender_id}/awards", response_model=AwardsOverviewPublic)
def read_awards(tender_id: int, user: CurrentUser, session: SessionDep) -> AwardsOverviewPublic:
    """Office: the latest run, the proposal and its reasons. Others: published and confirmed awards."""
    view = awards.overview(session=session, user=user, tender_id=tender_id)
    return AwardsOverviewPublic(
        tender_id=tender_id,
        run=_run_public(view.run, view.job_status) if view.run else None,
        awards=[award_public(a) for a in view.awards],
        unawarded=view.unawarded,
    )


@router.post("/tenders/{tender_id}/awards/override", response_model=AwardPublic)
def override_award(
    tender_id: int, body: AwardOverride, user: CurrentUser, session: SessionDep
) -> AwardPublic:
    """Give a lot to another valid bid, with the written reason (office)."""
    award = awards.override(
        session=session,
        actor=user,
        tender_id=tender_id,
        lot_id=body.lot_id,
        bid_id=body.bid_id,
        reason=body.reason,
    )
    return award_public(awards.view_award(session, award))


@router.post("/tenders/{tender_id}/publicity", response_model=list[AwardPublic])
def start_publicity(tender_id: int, user: CurrentUser, session: SessionDep) -> list[AwardPublic]:
    """Publish the proposed winners for the publicity period (公示); bidders are notified and may object."""
    started = {a.id for a in awards.start_publicity(session=session, actor=user, tender_id=tender_id)}
    view = awards.overview(session=session, user=user, tender_id=tender_id)
    return [award_public(a) for a in view.awards if a.award.id in started]


@router.post(
    "/awards/{award_id}/objections", response_model=ObjectionPublic, status_code=status.HTTP_201_CREATED
)
def lodge_objection(
    award_id: int, body: ObjectionCreate, user: CurrentUser, session: SessionDep
) -> ObjectionPublic:
    """A bidder of the tender objects to a published winner, during the publicity period."""
    objection = awards.lodge_objection(session=session, actor=user, award_id=award_id, text=body.text)
    return ObjectionPublic.model_validate(objection, from_attributes=True)


@router.post("/objections/{objection_id}/answer", response_model=ObjectionPublic)
def answer_objection(
    objection_id: int, body: ObjectionAnswer, user: CurrentUser, session: SessionDep
) -> ObjectionPublic:
    objection = awards.answer_objection(
        session=session, actor=user, objection_id=objection_id, response=body.response
    )
    return ObjectionPublic.model_validate(objection, from_attributes=True)


@router.post("/awards/{award_id}/confirm", response_model=AwardPublic)
def confirm_award(
    award_id: int, user: CurrentUser, session: SessionDep, settings: SettingsDep
) -> AwardPublic:
    """Confirm an award after its publicity period with every objection answered (office): final;
    construction of its surfaces starts."""
    award = awards.confirm(session=session, actor=user, award_id=award_id, timezone=settings.timezone)
    return award_public(awards.view_award(session, award))


@router.post("/awards/{award_id}/decline", response_model=AwardPublic | None)
def decline_award(
    award_id: int, body: AwardDecline, user: CurrentUser, session: SessionDep, rules: RulesDep
) -> AwardPublic | None:
    """The winner declines; returns the award proposed for the next-best feasible bid (or null)."""
    successor = awards.decline(
        session=session, actor=user, award_id=award_id, reason=body.reason, rules=rules
    )
    if successor is None:
        return None
    return award_public(awards.view_award(session, successor))
