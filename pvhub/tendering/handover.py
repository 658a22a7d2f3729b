"""Handing a confirmed award over to construction, and taking it back when the winner declines.

Confirming an award (:func:`pvhub.tendering.awards.confirm`) starts the build of its lot's surfaces
in the same transaction; declining a confirmed award gives them back if nothing was confirmed on
site yet. Tendering knows the award, its lot and the winning bid; construction only needs the
:class:`~pvhub.construction.service.Handover` built here, so the import graph runs one way
(tendering → construction).
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from pvhub.construction import service as construction
from pvhub.construction.models import Construction
from pvhub.core.db import transaction
from pvhub.tendering.enums import AwardStatus
from pvhub.tendering.models import Award, Bid, TenderLot


def handover(session: Session, award: Award, *, timezone: str) -> construction.Handover | None:
    """What construction needs of a confirmed award (None if its lot or bid is gone). The plan starts
    on the local day of confirmation in ``timezone``, the programme's; a bid naming no usable
    schedule gets :data:`~pvhub.construction.service.DEFAULT_SCHEDULE_DAYS`."""
    lot = session.get(TenderLot, award.lot_id)
    bid = session.get(Bid, award.bid_id)
    if lot is None or bid is None or award.id is None:
        return None
    schedule = bid.content.get("schedule_days") if isinstance(bid.content, dict) else None
    schedule_days = (
        int(schedule)
        if isinstance(schedule, int | float) and schedule >= 1
        else construction.DEFAULT_SCHEDULE_DAYS
    )
    confirmed_at = award.confirmed_at or datetime.now(UTC)
    return construction.Handover(
        award_id=award.id,
        supplier_id=bid.supplier_id,
        bundle_id=lot.bundle_id,
        schedule_days=schedule_days,
        started_on=confirmed_at.astimezone(ZoneInfo(timezone)).date(),
    )


def start_construction(
    session: Session, award: Award, *, timezone: str = construction.DEFAULT_TIMEZONE
) -> int:
    """Start construction of a confirmed award's surfaces (those not yet under construction); returns
    how many started."""
    if award.status != AwardStatus.confirmed:
        return 0
    handed = handover(session, award, timezone=timezone)
    return construction.start(session, handed) if handed else 0


def stop_construction(session: Session, award: Award) -> int:
    """Take away the construction of an award no longer confirmed (declined) where none of its
    milestones is confirmed yet; returns how many surfaces were given back."""
    if award.status == AwardStatus.confirmed or award.id is None:
        return 0
    return construction.stop(session, [award.id])


def sync_construction(session: Session, *, timezone: str = construction.DEFAULT_TIMEZONE) -> int:
    """Catch up: start construction for confirmed awards that have none yet, and drop the construction
    of awards no longer confirmed while none of its milestones is confirmed; returns how many surfaces
    started. Awards change through :mod:`pvhub.tendering.awards`, which starts and stops construction
    itself; this is for start-up (:func:`sync_construction_in_transaction`) and for awards written
    around the services (the demo, tests). One anti-join query when there is nothing to do.
    """
    unconfirmed = session.exec(
        select(Construction.award_id)
        .join(Award, col(Award.id) == col(Construction.award_id))
        .where(Award.status != AwardStatus.confirmed, Construction.stage_rank == 0)
        .distinct()
    ).all()
    construction.stop(session, list(unconfirmed))
    started = select(Construction.award_id)
    awards = session.exec(
        select(Award).where(Award.status == AwardStatus.confirmed, col(Award.id).not_in(started))
    ).all()
    count = 0
    for award in awards:
        try:
            with session.begin_nested():  # another process catching up may start the same award first
                count += start_construction(session, award, timezone=timezone)
        except IntegrityError:
            continue
    return count


def sync_construction_in_transaction(engine: Engine, *, timezone: str = construction.DEFAULT_TIMEZONE) -> int:
    """:func:`sync_construction` in a transaction of its own, at app start-up."""
    with transaction(engine) as session:
        return sync_construction(session, timezone=timezone)
