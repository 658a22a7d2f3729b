"""Tenders (procurement rounds), their lots, sealed bids, award runs, awards and objections.

A tender is one contracting process (OCDS); each lot is one published bundle, frozen at
publication in :attr:`TenderLot.snapshot`. A :class:`Bid` row is one *version* of a supplier's
bid for a lot: versions are never changed or deleted, only marked not ``current`` when a newer
one arrives. Bid content is sealed until the tender's deadline: the services never hand it to
anybody but its supplier before then (see :mod:`pvhub.tendering.bids`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import sqlalchemy as sa
from pydantic import AwareDatetime, Strict
from sqlmodel import Field, SQLModel

from pvhub.core.columns import Text, UTCDateTime, enum_column, utcnow
from pvhub.core.enums import RunStatus
from pvhub.register.enums import BusinessModel
from pvhub.tendering.enums import AwardStatus, BidStatus, ObjectionStatus, TenderStatus


class Tender(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=30, unique=True)
    title: str = Field(max_length=300)
    title_en: str | None = Field(default=None, max_length=300)
    description: str = Field(default="", max_length=10_000, description="Conditions shown to bidders")
    status: TenderStatus = Field(default=TenderStatus.draft, sa_type=enum_column(TenderStatus))
    deadline: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ceiling_price_cny_per_w: float | None = Field(default=None, gt=0)
    price_weight: float = Field(
        default=0.6, ge=0, le=1, description="Weight of the price score; rest is technical"
    )
    price_score_exponent: float = Field(
        default=1.0,
        gt=0,
        description="price score = 100 × (lowest valid total / this total) ** exponent (EPC lots); "
        "100 × (this discount or rent / highest valid) ** exponent (EMC and lease lots)",
    )
    share_cap: float = Field(
        default=0.4, gt=0, le=1, description="Largest share of the tender's lot kWp one supplier may win"
    )
    publicity_days: float = Field(default=3, ge=0, description="公示 period of proposed winners, days")
    conditions_version: int = 1
    published_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    opened_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    reminded_at: datetime | None = Field(
        default=None, sa_type=UTCDateTime, description="When suppliers were told the deadline is near"
    )
    cancelled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    cancel_reason: str | None = Field(
        default=None, max_length=1000, description="Why the office cancelled it"
    )
    created_by_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class TenderLot(SQLModel, table=True):
    """A published bundle offered as one lot of a tender, frozen at publication."""

    id: int | None = Field(default=None, primary_key=True)
    tender_id: int = Field(foreign_key="tender.id", index=True)
    # a bundle may be offered again after a tender is cancelled or leaves its lot unawarded (流标);
    # at most one live lot per bundle is the service's rule (pvhub.tendering.tenders.bundle_taken_by)
    bundle_id: int = Field(foreign_key="bundle.id", index=True)
    number: int = Field(default=1, ge=1, description="Lot number within the tender, from 1")
    capacity_kwp: float = Field(default=0, ge=0, description="DC nameplate of the lot's surfaces, kWp")
    annual_kwh: float = Field(default=0, ge=0, description="Estimated AC energy per year, kWh")
    business_model: BusinessModel = Field(
        default=BusinessModel.epc,
        sa_type=enum_column(BusinessModel),
        description="What is bid and scored: EPC price, EMC tariff discount or lease rent (issue #20)",
    )
    snapshot: dict[str, Any] | None = Field(
        default=None, sa_type=sa.JSON, description="Sites and surfaces as published (what bidders saw)"
    )


class Bid(SQLModel, table=True):
    """One version of a supplier's sealed bid for a lot; every version is kept."""

    __table_args__ = (sa.UniqueConstraint("lot_id", "supplier_id", "version", name="uq_bid_version"),)

    id: int | None = Field(default=None, primary_key=True)
    lot_id: int = Field(foreign_key="tenderlot.id", index=True)
    supplier_id: int = Field(foreign_key="organisation.id", index=True)
    version: int = Field(default=1, ge=1)
    status: BidStatus = Field(default=BidStatus.submitted, sa_type=enum_column(BidStatus))
    current: bool = Field(default=True, index=True, description="The latest version of this supplier's bid")
    conditions_version: int = Field(default=1, description="Tender conditions the bid was placed under")
    content: dict[str, Any] = Field(sa_type=sa.JSON, description="Sealed until the tender's deadline")
    content_sha256: str = Field(max_length=64)
    received_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    submitted_by_id: int | None = Field(default=None, foreign_key="user.id")
    withdrawn_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    technical_score: float | None = Field(default=None, ge=0, le=100)
    price_score: float | None = Field(default=None, ge=0, le=100)
    total_score: float | None = Field(default=None, ge=0, le=100)


class TenderDocument(SQLModel, table=True):
    """A file attached to a tender (stored on disk under the data folder, named by its hash)."""

    id: int | None = Field(default=None, primary_key=True)
    tender_id: int = Field(foreign_key="tender.id", index=True)
    filename: str = Field(max_length=255)
    content_type: str = Field(max_length=100)
    size_bytes: int = Field(ge=0)
    sha256: str = Field(max_length=64)
    uploaded_by_id: int | None = Field(default=None, foreign_key="user.id")
    uploaded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class AwardRun(SQLModel, table=True):
    """One winner determination over a tender's lots (the optimiser's input summary and result)."""

    id: int | None = Field(default=None, primary_key=True)
    tender_id: int = Field(foreign_key="tender.id", index=True)
    job_id: int | None = Field(default=None, foreign_key="job.id")
    purpose: str = Field(default="award", max_length=20, description="award, or redo after a decline")
    status: RunStatus = Field(default=RunStatus.queued, sa_type=enum_column(RunStatus))
    parameters: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    result: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
    created_by_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Award(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    lot_id: int = Field(foreign_key="tenderlot.id", index=True)
    bid_id: int = Field(foreign_key="bid.id")
    status: AwardStatus = Field(default=AwardStatus.proposed, sa_type=enum_column(AwardStatus))
    score: float | None = None
    run_id: int | None = Field(default=None, foreign_key="awardrun.id", index=True)
    proposed_bid_id: int | None = Field(
        default=None, foreign_key="bid.id", description="The optimiser's choice, kept when overridden"
    )
    reason: str | None = Field(default=None, max_length=2000, description="Why the optimiser chose it")
    share_cap_relaxed: bool = False
    override_reason: str | None = Field(default=None, max_length=2000)
    publicity_ends_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    confirmed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    confirmed_by_id: int | None = Field(default=None, foreign_key="user.id")
    declined_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    decline_reason: str | None = Field(default=None, max_length=2000)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Objection(SQLModel, table=True):
    """A bidder's objection to a proposed winner during the publicity period (公示)."""

    id: int | None = Field(default=None, primary_key=True)
    tender_id: int = Field(foreign_key="tender.id", index=True)
    award_id: int = Field(foreign_key="award.id", index=True)
    supplier_id: int = Field(foreign_key="organisation.id")
    text: str = Field(max_length=5000)
    status: ObjectionStatus = Field(default=ObjectionStatus.open, sa_type=enum_column(ObjectionStatus))
    response: str | None = Field(default=None, max_length=5000)
    answered_by_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    answered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


# --- input (no table columns; limits declared once, here) -----

Number = Annotated[float, Strict()]  # accepts 3 and 3.5, refuses true/false and "3"
Integer = Annotated[int, Strict()]
Tier = Literal["tier1", "tier2", "tier3"]


class TenderCreate(SQLModel):
    """A new tender (draft) offering published bundles as its lots, in the order given."""

    title: Text = Field(min_length=1, max_length=300)
    title_en: Text | None = Field(default=None, max_length=300)
    description: Text = Field(default="", max_length=10_000)
    deadline: AwareDatetime = Field(
        description="Bid deadline with its time zone, e.g. 2027-03-01T17:00:00+08:00"
    )
    ceiling_price_cny_per_w: Number | None = Field(default=None, gt=0, le=100, description="CNY per Wp")
    price_weight: Number | None = Field(default=None, ge=0, le=1, description="Default from settings (0.6)")
    bundle_ids: list[Integer] = Field(min_length=1, max_length=200)
    business_models: dict[int, BusinessModel] | None = Field(
        default=None,
        description="Per bundle id, the lot's business model (epc, emc, lease); a bundle not named takes "
        "the model of its sites with the most kWp",
    )


class TenderUpdate(SQLModel):
    """Changes to a tender; after publication a change of conditions invalidates the bids placed."""

    title: Text | None = Field(default=None, min_length=1, max_length=300)
    title_en: Text | None = Field(default=None, max_length=300)
    description: Text | None = Field(default=None, max_length=10_000)
    deadline: AwareDatetime | None = None
    ceiling_price_cny_per_w: Number | None = Field(default=None, gt=0, le=100)
    price_weight: Number | None = Field(default=None, ge=0, le=1)
    bundle_ids: list[Integer] | None = Field(default=None, min_length=1, max_length=200)
    business_models: dict[int, BusinessModel] | None = Field(
        default=None,
        description="Per bundle id, the lot's business model; after publication a change is a change "
        "of conditions (the bids placed need re-confirming)",
    )


class TenderCancel(SQLModel):
    """The office cancels a tender; the reason is published to bidders and on the tender."""

    reason: Text = Field(min_length=5, max_length=1000, description="Why, as bidders will read it")


class BidCreate(SQLModel):
    """A bid (or a new version of it) for one lot, in the lot's business model (DESIGN, "Tenders"):

    * EPC: ``total_price_cny`` (binds; the per-W price is derived);
    * EMC: ``discount_pct`` off the owners' tariff for the PV energy they use, and ``term_years``;
    * lease: ``rent_cny_per_m2_year`` per m² of usable area, and ``term_years``.

    A field of another model is refused (:func:`pvhub.tendering.bids.submit_bid` names it).
    """

    lot_id: Integer
    total_price_cny: Number | None = Field(default=None, gt=0, le=1e11, description="EPC: total price, CNY")
    price_cny_per_w: Number | None = Field(
        default=None, gt=0, description="EPC, optional check: must equal total / (lot kWp × 1000)"
    )
    discount_pct: Number | None = Field(
        default=None, gt=0, lt=100, description="EMC: % off the owner's tariff for the PV energy it uses"
    )
    rent_cny_per_m2_year: Number | None = Field(
        default=None, gt=0, le=1000, description="Lease: rent per m² of usable area per year, CNY"
    )
    term_years: Integer | None = Field(default=None, ge=1, le=30, description="EMC and lease: contract term")
    schedule_days: Integer = Field(ge=1, le=3650, description="Days from award to grid connection")
    module_tier: Tier
    inverter_tier: Tier
    warranty_years: Integer = Field(ge=1, le=50)
    notes: Text = Field(default="", max_length=2000)


class TechnicalScore(SQLModel):
    technical_score: Number = Field(ge=0, le=100)


class AwardOverride(SQLModel):
    """The office's choice for a lot instead of the optimiser's, with the reason written down."""

    lot_id: Integer
    bid_id: Integer
    reason: Text = Field(min_length=5, max_length=2000)


class ObjectionCreate(SQLModel):
    text: Text = Field(min_length=5, max_length=5000)


class ObjectionAnswer(SQLModel):
    response: Text = Field(min_length=5, max_length=5000)


class AwardDecline(SQLModel):
    reason: Text = Field(min_length=1, max_length=2000)


class SupplierProfileUpdate(SQLModel):
    annual_capacity_kw: Number | None = Field(default=None, ge=0, le=10_000_000, description="kWp per year")
    certifications: Text | None = Field(default=None, max_length=1000)
    contact_phone: Text | None = Field(default=None, max_length=50)
