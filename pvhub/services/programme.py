"""The programme: its targets and the totals anyone may see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlmodel import Session, col, func, select

from pvhub import audit, policy
from pvhub.models import (
    DemonstrationPoint,
    Estimate,
    Programme,
    ProgrammeUpdate,
    Site,
    Surface,
    SurfaceKind,
    SurfaceStatus,
    User,
)


def get_programme(*, session: Session) -> Programme:
    """The programme row, created with its defaults the first time it is asked for."""
    programme = session.exec(select(Programme).order_by(col(Programme.id))).first()
    if programme is None:
        programme = Programme()
        session.add(programme)
        session.flush()
    return programme


def update_programme(*, session: Session, actor: User, changes: ProgrammeUpdate) -> Programme:
    """Change the targets (office only), audited."""
    policy.require(actor, "programme:update")
    programme = get_programme(session=session)
    before = audit.snapshot(programme)
    for key, value in changes.model_dump(exclude_unset=True, exclude_none=True).items():
        setattr(programme, key, value)
    if programme.demo_points_min > programme.demo_points_max:
        from pvhub.errors import InvalidInput

        raise InvalidInput(
            "The minimum number of demonstration points exceeds the maximum.", field="demo_points_min"
        )
    programme.updated_at = datetime.now(UTC)
    session.add(programme)
    audit.record(
        session,
        actor=actor,
        entity="programme",
        entity_id=programme.id,
        action="update",
        before=before,
        after=audit.snapshot(programme),
    )
    return programme


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
    from pvhub.services import progress  # progress reads the programme's targets from here

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
