"""A small procurement world for the tender tests: an office, three suppliers, an owner whose sites
form published bundles, and helpers to publish a tender and bid on it (services, injected clock)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import Session

from pvhub.accounts.models import Organisation, User
from pvhub.bundling.enums import BundleStatus
from pvhub.bundling.models import Bundle, BundleSite
from pvhub.core.enums import Role
from pvhub.tendering import bids as tenders_bids
from pvhub.tendering import tenders
from pvhub.tendering.models import BidCreate, Tender, TenderCreate
from tests.conftest import ROOF_22_SOUTH, add_site

# The round's clock: published at T0, deadline 21 days later (the minimum is 20).
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
DEADLINE = T0 + timedelta(days=21)
SECRET_NOTE = "SEALED-NOTE-7f3a"  # text that must never leak before the deadline
SECRET_TOTAL = 1_234_567.89  # CNY; with a 400 kWp lot that is 3.0864 CNY/W


@dataclass
class World:
    office: User
    suppliers: list[User]
    owner: User
    bundles: list[Bundle]


def build_world(
    session: Session, make_user: Callable[..., User], kwp: tuple[float, ...] = (400, 300, 200)
) -> World:
    office = make_user("office@t.cn", Role.office, "Office")
    suppliers = [make_user(f"s{i}@t.cn", Role.supplier, f"Supplier {i}") for i in (1, 2, 3)]
    owner = make_user("owner@t.cn", Role.owner, "Owner")
    bundles = []
    for i, capacity in enumerate(kwp):
        site, _ = add_site(session, owner.organisation_id, f"Site {i}", ROOF_22_SOUTH)
        bundle = Bundle(
            code=f"B-{i + 1:03d}",
            status=BundleStatus.published,
            capacity_kwp=capacity,
            annual_kwh=capacity * 1100,
            anchor_site_id=site.id,
            published_at=T0 - timedelta(days=1),
        )
        session.add(bundle)
        session.flush()
        assert bundle.id is not None and site.id is not None
        session.add(BundleSite(bundle_id=bundle.id, site_id=site.id))
        bundles.append(bundle)
    session.commit()
    return World(office, suppliers, owner, bundles)


def set_capacity(session: Session, user: User, kwp: float | None) -> None:
    org = session.get(Organisation, user.organisation_id)
    assert org is not None
    org.annual_capacity_kw = kwp
    session.add(org)
    session.commit()


def publish_round(session: Session, world: World, **fields: Any) -> Tender:
    data = {
        "title": "屋顶光伏第一批",
        "deadline": DEADLINE,
        "ceiling_price_cny_per_w": 4.0,
        "bundle_ids": [b.id for b in world.bundles],
        **fields,
    }
    tender = tenders.create_tender(
        session=session,
        actor=world.office,
        data=TenderCreate.model_validate(data),
        now=T0 - timedelta(hours=1),
    )
    assert tender.id is not None
    tenders.publish_tender(session=session, actor=world.office, tender_id=tender.id, now=T0)
    session.commit()
    return tender


def lot_ids(session: Session, tender: Tender) -> list[int]:
    view = tenders.get_tender(
        session=session, user=_any_office(session, tender), tender_id=tender.id or 0, now=T0
    )
    return [lot.lot.id for lot in view.lots if lot.lot.id is not None]


def _any_office(session: Session, tender: Tender) -> User:
    user = session.get(User, tender.created_by_id)
    assert user is not None
    return user


def bid(
    session: Session,
    supplier: User,
    tender: Tender,
    lot_id: int,
    total: float,
    *,
    at: datetime | None = None,
    notes: str = "",
    schedule_days: int = 120,
) -> tenders_bids.BidReceipt:
    receipt = tenders_bids.submit_bid(
        session=session,
        actor=supplier,
        tender_id=tender.id or 0,
        data=BidCreate(
            lot_id=lot_id,
            total_price_cny=total,
            schedule_days=schedule_days,
            module_tier="tier1",
            inverter_tier="tier1",
            warranty_years=10,
            notes=notes,
        ),
        now=at or T0 + timedelta(days=1),
    )
    session.commit()
    return receipt
