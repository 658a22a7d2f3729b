"""The programme's public totals: its targets beside the register and progress figures.

Above both :mod:`pvhub.programme.service` (the targets) and :mod:`pvhub.monitoring.progress` (which
reads the targets too), so neither imports the other's module back.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, func, select

from pvhub.economics.service import programme_economics
from pvhub.estimates.models import Estimate
from pvhub.monitoring import progress
from pvhub.programme.models import DemonstrationPoint
from pvhub.programme.service import get_programme
from pvhub.register.enums import SurfaceKind, SurfaceStatus
from pvhub.register.models import Site, Surface


@dataclass(frozen=True)
class ProgrammeTotals:
    """Public figures: no names, no bids."""

    target_kwp: float
    target_date: str
    demo_points_target: int
    demo_points_designated: int
    sites: int
    surfaces: int
    surfaces_by_kind: dict[str, int]
    surfaces_approved: int
    estimated_kwp: float
    connected_kwp: float


def totals(*, session: Session) -> ProgrammeTotals:
    """Register and progress totals, computed in the database."""
    programme = get_programme(session=session)
    by_kind = dict(session.exec(select(Surface.kind, func.count()).group_by(Surface.kind)).all())
    approved = session.exec(
        select(func.count()).select_from(Surface).where(Surface.status == SurfaceStatus.approved)
    ).one()
    estimated = session.exec(select(func.coalesce(func.sum(Estimate.capacity_kwp), 0.0))).one()
    return ProgrammeTotals(
        target_kwp=programme.target_kwp,
        target_date=programme.target_date.isoformat(),
        demo_points_target=programme.demo_points_max,
        demo_points_designated=session.exec(select(func.count()).select_from(DemonstrationPoint)).one(),
        sites=session.exec(select(func.count()).select_from(Site)).one(),
        surfaces=sum(by_kind.values()),
        surfaces_by_kind={k.value: int(by_kind.get(k, 0)) for k in SurfaceKind},
        surfaces_approved=int(approved),
        estimated_kwp=float(estimated),
        connected_kwp=progress.connected_kwp(session),
    )


@dataclass(frozen=True)
class ProgrammeMoney:
    """The dashboard's money (issue #20), beside the kWp: what the approved, estimated surfaces cost to
    build and what their owners save or earn in the first year, each site under its business model."""

    investment_cny: float
    owner_saving_cny_per_year: float


def money(*, session: Session) -> ProgrammeMoney:
    """Read from :func:`pvhub.economics.service.programme_economics` (computed on read, never stored)."""
    figures = programme_economics(session=session)
    return ProgrammeMoney(figures["investment_cny"], figures["owner_saving_cny_per_year"])
