"""Tenders (procurement rounds), their lots, sealed bids and awards."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from pvhub.models.enums import AwardStatus, BidStatus, TenderStatus
from pvhub.models.types import UTCDateTime, enum_column, utcnow


class Tender(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=30, unique=True)
    title: str = Field(max_length=300)
    status: TenderStatus = Field(default=TenderStatus.draft, sa_type=enum_column(TenderStatus))
    deadline: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ceiling_price_cny_per_w: float | None = Field(default=None, gt=0)
    price_weight: float = Field(
        default=0.6, ge=0, le=1, description="Weight of the price score; rest is technical"
    )
    conditions_version: int = 1
    published_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    opened_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class TenderLot(SQLModel, table=True):
    """A published bundle offered as one lot of a tender."""

    id: int | None = Field(default=None, primary_key=True)
    tender_id: int = Field(foreign_key="tender.id", index=True)
    bundle_id: int = Field(foreign_key="bundle.id", unique=True)


class Bid(SQLModel, table=True):
    """One version of a supplier's sealed bid for a lot; every version is kept."""

    id: int | None = Field(default=None, primary_key=True)
    lot_id: int = Field(foreign_key="tenderlot.id", index=True)
    supplier_id: int = Field(foreign_key="organisation.id", index=True)
    version: int = Field(default=1, ge=1)
    status: BidStatus = Field(default=BidStatus.submitted, sa_type=enum_column(BidStatus))
    content: dict[str, Any] = Field(sa_type=sa.JSON, description="Sealed until the tender's deadline")
    content_sha256: str = Field(max_length=64)
    received_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    technical_score: float | None = Field(default=None, ge=0, le=100)


class Award(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    lot_id: int = Field(foreign_key="tenderlot.id", index=True)
    bid_id: int = Field(foreign_key="bid.id")
    status: AwardStatus = Field(default=AwardStatus.proposed, sa_type=enum_column(AwardStatus))
    score: float | None = None
    override_reason: str | None = Field(default=None, max_length=2000)
    publicity_ends_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    confirmed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
