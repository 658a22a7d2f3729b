"""Construction: each awarded surface moves through the State Grid milestones for distributed PV.

The order (:data:`ORDER`) is the procedure a distributed-PV project follows with the grid company:
design approved → grid-connection application → access scheme confirmed → installation started →
installed → metering and contracts → grid-connected (并网) → accepted. The supplier that won the
surface reports each milestone with a date and a note, in order; the office confirms it or sends it
back with a reason (the supplier then reports it again). Confirmation is in order too, so
``Construction.stage_rank`` — the number of confirmed milestones — says how far a surface got.

Construction starts when an award is confirmed: tendering hands the award over
(:mod:`pvhub.tendering.handover`, in the same transaction) and :func:`start` gives every approved
surface of the lot's sites a :class:`Construction` row and its eight milestones, planned from the
day of confirmation over the winning bid's ``schedule_days`` at the fractions in
:data:`PLAN_FRACTIONS`. An award declined after confirmation takes its surfaces' construction away
again (:func:`stop`) if nothing of it was confirmed yet. Reading never writes: the pages and the API
read what these left.

A milestone is *overdue* when its planned date has passed and the supplier has not reported it (or
it was sent back); a milestone reported after its planned date is *late*.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, delete, select

from pvhub.accounts.models import Organisation, User
from pvhub.bundling.models import BundleSite
from pvhub.construction.enums import MilestoneKind, MilestoneStatus
from pvhub.construction.models import Construction, Milestone, MilestoneDocument
from pvhub.core import audit, policy
from pvhub.core.enums import Role
from pvhub.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from pvhub.estimates.models import Estimate
from pvhub.notifications import service as notifications
from pvhub.register.enums import SurfaceStatus
from pvhub.register.models import Site, Surface

ORDER: tuple[MilestoneKind, ...] = tuple(MilestoneKind)
RANK = {kind: index for index, kind in enumerate(ORDER)}
GRID_CONNECTED_RANK = RANK[MilestoneKind.grid_connected] + 1  # stage_rank once grid-connected is confirmed

#: Share of the bid's schedule by which each milestone is planned. The grid company's own steps
#: (answering the application, confirming the access scheme, fitting meters) take weeks each, so
#: the build itself is planned in the middle half of the schedule.
PLAN_FRACTIONS: dict[MilestoneKind, float] = {
    MilestoneKind.design_approved: 0.10,
    MilestoneKind.grid_application: 0.20,
    MilestoneKind.access_scheme_confirmed: 0.35,
    MilestoneKind.installation_started: 0.45,
    MilestoneKind.installed: 0.75,
    MilestoneKind.metering_and_contracts: 0.85,
    MilestoneKind.grid_connected: 0.95,
    MilestoneKind.accepted: 1.00,
}
DEFAULT_SCHEDULE_DAYS = 180  # when a bid names no schedule (should not happen: the bid form requires it)
DEFAULT_TIMEZONE = "Asia/Shanghai"


def today_in(timezone: str = DEFAULT_TIMEZONE) -> date:
    """The calendar date now in the programme's time zone (milestone dates are local dates)."""
    return datetime.now(ZoneInfo(timezone)).date()


def planned_dates(started_on: date, schedule_days: int) -> dict[MilestoneKind, date]:
    """Planned date of each milestone: ``started_on`` + its fraction of the schedule (rounded days)."""
    return {
        kind: started_on + timedelta(days=round(fraction * schedule_days))
        for kind, fraction in PLAN_FRACTIONS.items()
    }


# --- starting (and undoing) construction when an award is confirmed (or declined) ---------------


@dataclass(frozen=True)
class Handover:
    """What construction needs of a confirmed award: who builds which bundle's surfaces, from when and
    over how many days. Tendering hands it over (:mod:`pvhub.tendering.handover`), so construction
    reads nothing of tenders, lots or bids."""

    award_id: int
    supplier_id: int
    bundle_id: int
    schedule_days: int
    started_on: date


def start(session: Session, handover: Handover) -> int:
    """Start construction of the handed-over bundle's approved surfaces not yet under construction;
    returns how many started."""
    plan = planned_dates(handover.started_on, handover.schedule_days)
    taken = select(Construction.surface_id)
    surfaces = session.exec(
        select(Surface.id)
        .join(BundleSite, col(BundleSite.site_id) == col(Surface.site_id))
        .where(
            BundleSite.bundle_id == handover.bundle_id,
            Surface.status == SurfaceStatus.approved,
            col(Surface.id).not_in(taken),
        )
        .order_by(col(Surface.id))
    ).all()
    for surface_id in surfaces:
        assert surface_id is not None
        session.exec(delete(Milestone).where(col(Milestone.surface_id) == surface_id))
        session.add(
            Construction(
                surface_id=surface_id,
                award_id=handover.award_id,
                supplier_id=handover.supplier_id,
                started_on=handover.started_on,
                schedule_days=handover.schedule_days,
            )
        )
        session.add_all(
            [Milestone(surface_id=surface_id, kind=kind, planned_date=plan[kind]) for kind in ORDER]
        )
    if surfaces:
        session.flush()
        audit.record(
            session,
            actor=None,
            entity="construction",
            entity_id=f"award-{handover.award_id}",
            action="start",
            after={
                "award_id": handover.award_id,
                "surfaces": len(surfaces),
                "schedule_days": handover.schedule_days,
            },
        )
    return len(surfaces)


def stop(session: Session, award_ids: Collection[int]) -> int:
    """Take away the construction of awards no longer confirmed (the caller knows they are not) where
    none of its milestones is confirmed yet, so the lot's next winner can start afresh; returns how
    many surfaces were given back."""
    if not award_ids:
        return 0
    gone = session.exec(
        select(Construction).where(col(Construction.award_id).in_(award_ids), Construction.stage_rank == 0)
    ).all()
    for item in gone:
        milestone_ids = select(Milestone.id).where(Milestone.surface_id == item.surface_id)
        session.exec(delete(MilestoneDocument).where(col(MilestoneDocument.milestone_id).in_(milestone_ids)))
        session.exec(delete(Milestone).where(col(Milestone.surface_id) == item.surface_id))
        audit.record(
            session,
            actor=None,
            entity="construction",
            entity_id=item.surface_id,
            action="drop_declined",
            before=audit.snapshot(item),
        )
        session.delete(item)
    if gone:
        session.flush()
    return len(gone)


# --- reading ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MilestoneView:
    milestone: Milestone
    overdue: bool
    late: bool
    can_report: bool
    can_confirm: bool


@dataclass(frozen=True)
class SurfaceConstruction:
    """A surface under construction as its reader may see it (supplier name for office and owner)."""

    surface: Surface
    site: Site
    construction: Construction
    supplier_name: str
    capacity_kwp: float
    milestones: list[MilestoneView]

    @property
    def next_kind(self) -> MilestoneKind | None:
        for view in self.milestones:
            if view.milestone.status != MilestoneStatus.confirmed:
                return view.milestone.kind
        return None


def _may_read(user: User, construction: Construction, site: Site) -> bool:
    if policy.can(user, "construction:read_all"):
        return True
    if not policy.can(user, "construction:read_own"):
        return False
    if user.role == Role.supplier:
        return construction.supplier_id == user.organisation_id
    return user.role == Role.owner and site.organisation_id == user.organisation_id


def _load(session: Session, user: User, surface_id: int) -> tuple[Construction, Surface, Site]:
    construction = session.exec(select(Construction).where(Construction.surface_id == surface_id)).first()
    surface = session.get(Surface, surface_id)
    site = session.get(Site, surface.site_id) if surface else None
    if construction is None or surface is None or site is None or not _may_read(user, construction, site):
        raise NotFound(
            "Surface {surface_id} is not under construction, or not visible to you.", surface_id=surface_id
        )
    return construction, surface, site


def is_overdue(milestone: Milestone, today: date) -> bool:
    """Planned date passed and not reported (or sent back)."""
    return (
        milestone.status in (MilestoneStatus.planned, MilestoneStatus.sent_back)
        and milestone.planned_date is not None
        and milestone.planned_date < today
    )


def is_late(milestone: Milestone) -> bool:
    """Reported or confirmed after its planned date."""
    return (
        milestone.actual_date is not None
        and milestone.planned_date is not None
        and milestone.actual_date > milestone.planned_date
    )


def get_surface_construction(
    session: Session, *, user: User, surface_id: int, today: date | None = None
) -> SurfaceConstruction:
    """A surface's construction with its milestones in State Grid order and what ``user`` may do next."""
    construction, surface, site = _load(session, user, surface_id)
    today = today or today_in()
    milestones = sorted(
        session.exec(select(Milestone).where(Milestone.surface_id == surface_id)).all(),
        key=lambda m: RANK[m.kind],
    )
    reporter = user.role == Role.supplier and user.organisation_id == construction.supplier_id
    confirmer = policy.can(user, "milestone:confirm")
    views = []
    previous_done = True  # reported or confirmed
    previous_confirmed = True
    for m in milestones:
        views.append(
            MilestoneView(
                milestone=m,
                overdue=is_overdue(m, today),
                late=is_late(m),
                can_report=reporter and previous_done and m.status != MilestoneStatus.confirmed,
                can_confirm=confirmer and previous_confirmed and m.status == MilestoneStatus.reported,
            )
        )
        previous_done = m.status in (MilestoneStatus.reported, MilestoneStatus.confirmed)
        previous_confirmed = m.status == MilestoneStatus.confirmed
    supplier = session.get(Organisation, construction.supplier_id)
    estimate = session.exec(select(Estimate).where(Estimate.surface_id == surface_id)).first()
    capacity = construction.installed_kwp if construction.installed_kwp is not None else None
    if capacity is None:
        capacity = estimate.capacity_kwp if estimate else 0.0
    return SurfaceConstruction(
        surface=surface,
        site=site,
        construction=construction,
        supplier_name=supplier.name if supplier else "",
        capacity_kwp=float(capacity),
        milestones=views,
    )


# --- reporting and confirming --------------------------------------------------------------------


def _milestone(session: Session, surface_id: int, kind: MilestoneKind) -> Milestone:
    milestone = session.exec(
        select(Milestone).where(Milestone.surface_id == surface_id, Milestone.kind == kind)
    ).first()
    if milestone is None:
        raise NotFound(
            "Surface {surface_id} has no milestone {milestone}.", surface_id=surface_id, milestone=kind
        )
    return milestone


def _previous(session: Session, milestone: Milestone) -> Milestone | None:
    rank = RANK[milestone.kind]
    return _milestone(session, milestone.surface_id, ORDER[rank - 1]) if rank else None


def _first_unreported_before(session: Session, milestone: Milestone) -> MilestoneKind | None:
    earlier = session.exec(select(Milestone).where(Milestone.surface_id == milestone.surface_id)).all()
    done = {m.kind for m in earlier if m.status in (MilestoneStatus.reported, MilestoneStatus.confirmed)}
    return next((kind for kind in ORDER[: RANK[milestone.kind]] if kind not in done), None)


def report_milestone(
    session: Session,
    *,
    actor: User,
    surface_id: int,
    kind: MilestoneKind,
    actual_date: date,
    note: str = "",
    installed_kwp: float | None = None,
    today: date | None = None,
) -> Milestone:
    """The awarded supplier reports a milestone reached on ``actual_date`` (in order), audited.

    ``installed_kwp`` (DC nameplate actually installed, kWp) may accompany ``installed`` and later
    milestones; the dashboard then counts it instead of the estimate.
    """
    policy.require(actor, "milestone:report")
    construction, _surface, _site = _load(session, actor, surface_id)
    if construction.supplier_id != actor.organisation_id:
        raise PermissionDenied("Only the supplier that won this surface reports its milestones.")
    today = today or today_in()
    milestone = _milestone(session, surface_id, kind)
    if milestone.status == MilestoneStatus.confirmed:
        raise Conflict(
            "Milestone {milestone} of surface {surface_id} is already confirmed.",
            milestone=kind,
            surface_id=surface_id,
        )
    previous = _previous(session, milestone)
    missing = _first_unreported_before(session, milestone)
    if missing is not None:
        raise Conflict(
            "Report {milestone} first: milestones follow the State Grid order.",
            milestone=missing,
            field="kind",
        )
    _check_date(actual_date, today, construction.started_on, previous)
    note = (note or "").strip()
    if len(note) > 2000:
        raise InvalidInput("The note is longer than 2,000 characters.", field="note")
    if installed_kwp is not None:
        _check_installed(installed_kwp, kind)
    before = audit.snapshot(milestone)
    milestone.status = MilestoneStatus.reported
    milestone.actual_date = actual_date
    milestone.note = note or None
    milestone.sent_back_reason = None
    milestone.reported_at = milestone.updated_at = datetime.now(UTC)
    milestone.reported_by_id = actor.id
    session.add(milestone)
    if installed_kwp is not None:
        construction.installed_kwp = installed_kwp
        construction.updated_at = datetime.now(UTC)
        session.add(construction)
    audit.record(
        session,
        actor=actor,
        entity="milestone",
        entity_id=milestone.id,
        action="report",
        before=before,
        after={**(audit.snapshot(milestone) or {}), "installed_kwp": installed_kwp},
    )
    return milestone


def _check_date(actual: date, today: date, started_on: date, previous: Milestone | None) -> None:
    if actual > today:
        raise InvalidInput("The date {date} is in the future.", date=actual.isoformat(), field="date")
    if actual < started_on:
        raise InvalidInput(
            "The date {date} is before the award was confirmed ({started_on}).",
            date=actual.isoformat(),
            started_on=started_on.isoformat(),
            field="date",
        )
    if previous is not None and previous.actual_date is not None and actual < previous.actual_date:
        raise InvalidInput(
            "The date {date} is before the previous milestone ({milestone}, {previous_date}).",
            date=actual.isoformat(),
            milestone=previous.kind,
            previous_date=previous.actual_date.isoformat(),
            field="date",
        )


def _check_installed(installed_kwp: float, kind: MilestoneKind) -> None:
    if RANK[kind] < RANK[MilestoneKind.installed]:
        raise InvalidInput(
            "The installed capacity is reported from the 'installed' milestone on.", field="installed_kwp"
        )
    if not 0 < installed_kwp <= 100_000:
        raise InvalidInput("The installed capacity must be between 0 and 100,000 kWp.", field="installed_kwp")


def _office_step(session: Session, actor: User, milestone_id: int) -> tuple[Milestone, Construction]:
    policy.require(actor, "milestone:confirm")
    milestone = session.get(Milestone, milestone_id)
    construction = (
        session.exec(select(Construction).where(Construction.surface_id == milestone.surface_id)).first()
        if milestone
        else None
    )
    if milestone is None or construction is None:
        raise NotFound("No milestone with id {milestone_id}.", milestone_id=milestone_id)
    if milestone.status != MilestoneStatus.reported:
        raise Conflict(
            "Milestone {milestone_id} is {status}; only a reported one can be decided.",
            milestone_id=milestone_id,
            status=milestone.status,
        )
    return milestone, construction


def confirm_milestone(session: Session, *, actor: User, milestone_id: int) -> Milestone:
    """The office confirms a reported milestone (in order); the surface's stage moves on, audited."""
    milestone, construction = _office_step(session, actor, milestone_id)
    previous = _previous(session, milestone)
    if previous is not None and previous.status != MilestoneStatus.confirmed:
        raise Conflict(
            "Confirm {milestone} first: milestones are confirmed in order.", milestone=previous.kind
        )
    before = audit.snapshot(milestone)
    now = datetime.now(UTC)
    milestone.status = MilestoneStatus.confirmed
    milestone.confirmed_at = milestone.updated_at = now
    milestone.confirmed_by_id = actor.id
    construction.stage_rank = RANK[milestone.kind] + 1
    if milestone.kind == MilestoneKind.grid_connected:
        construction.connected_on = milestone.actual_date
    construction.updated_at = now
    session.add_all([milestone, construction])
    audit.record(
        session,
        actor=actor,
        entity="milestone",
        entity_id=milestone.id,
        action="confirm",
        before=before,
        after=audit.snapshot(milestone),
    )
    return milestone


def send_back_milestone(session: Session, *, actor: User, milestone_id: int, reason: str) -> Milestone:
    """The office sends a reported milestone back with a reason; the supplier is notified, audited."""
    milestone, construction = _office_step(session, actor, milestone_id)
    reason = (reason or "").strip()
    if not reason or len(reason) > 2000:
        raise InvalidInput("Say why the milestone is sent back (1 to 2,000 characters).", field="reason")
    before = audit.snapshot(milestone)
    milestone.status = MilestoneStatus.sent_back
    milestone.sent_back_reason = reason
    milestone.updated_at = datetime.now(UTC)
    session.add(milestone)
    audit.record(
        session,
        actor=actor,
        entity="milestone",
        entity_id=milestone.id,
        action="send_back",
        before=before,
        after=audit.snapshot(milestone),
    )
    _notify_sent_back(session, construction, milestone)
    return milestone


def _notify_sent_back(session: Session, construction: Construction, milestone: Milestone) -> None:
    notifications.notify(
        session,
        organisation_id=construction.supplier_id,
        kind="milestone_sent_back",
        params={
            "surface_id": milestone.surface_id,
            "milestone_id": milestone.id,
            "kind": milestone.kind.value,
        },
    )


def connected_surfaces(session: Session) -> list[int]:
    """Ids of the surfaces whose grid connection is confirmed (may report measured energy)."""
    rows = session.exec(
        select(Construction.surface_id).where(Construction.stage_rank >= GRID_CONNECTED_RANK)
    ).all()
    return list(rows)


def milestone_surface(session: Session, *, milestone_id: int) -> int:
    """The surface a milestone belongs to (NotFound when there is no such milestone)."""
    milestone = session.get(Milestone, milestone_id)
    if milestone is None:
        raise NotFound("No milestone with id {milestone_id}.", milestone_id=milestone_id)
    return milestone.surface_id
