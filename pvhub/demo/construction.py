"""Demo steps: designate the demonstration points, then advance construction part-way.

``designate_demo_points`` designates the district's two generated candidate clusters (or, for
another data set, pvhub's two best proposals) as the office would while planning.

``advance_demo_construction`` works on whatever confirmed awards exist. The demo's tender round
confirms its awards "now", which would leave construction without history, so the demo pretends the
awards were confirmed at staggered dates over the past :data:`HISTORY_DAYS` (the construction rows
and their planned dates are moved back; awards are left as the tender step wrote them). Each
surface is then walked through the services — the winning supplier reports, the office confirms —
to about where its plan says it should be, some ahead and some behind (so a few are overdue). The
first demonstration point is finished, the second is part-way; the last milestone of a few
surfaces waits for the office, and one was sent back. Grid-connected surfaces report monthly meter
readings near their estimate, two of them far off it (an inverter fault, a meter set up wrongly).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
from sqlmodel import Session, col, select

from pvhub.accounts.models import User
from pvhub.construction import energy as measured_energy
from pvhub.construction import service as construction
from pvhub.construction.enums import MilestoneStatus
from pvhub.construction.models import Construction, Milestone
from pvhub.construction.service import ORDER, PLAN_FRACTIONS, planned_dates
from pvhub.core import audit
from pvhub.core.enums import Role
from pvhub.estimates.models import Estimate
from pvhub.monitoring import demonstration
from pvhub.programme.models import DemonstrationPointSite
from pvhub.register.models import Site, Surface
from pvhub.tendering import handover

HISTORY_DAYS = 330  # the oldest demo award was confirmed this many days ago
NEWEST_DAYS = 45  # … and the newest this many


def _office(session: Session) -> User:
    return (
        session.exec(select(User).where(User.role == Role.office).order_by(col(User.id))).first()
        or _no_office()
    )


def _no_office() -> User:
    raise RuntimeError("the demo needs a programme office user")


def designate_demo_points(session: Session, candidates: Sequence[Sequence[str]] | None = None) -> list[int]:
    """Designate the demo's candidate clusters (site external refs), else the two best proposals."""
    office = _office(session)
    refs = dict(session.exec(select(Site.external_ref, Site.id)).all())
    clusters: list[list[int]] = []
    for keys in candidates or ():
        ids = [refs[k] for k in keys if refs.get(k) is not None]
        if ids:
            clusters.append([i for i in ids if i is not None])
    if not clusters:
        clusters = [list(c.site_ids) for c in demonstration.propose_candidates(session, limit=2)]
    designated = []
    for cluster in clusters[:2]:
        first = session.get(Site, cluster[0])
        assert first is not None
        point = demonstration.designate_point(
            session,
            actor=office,
            site_ids=cluster,
            name=f"{first.name}立体光伏示范点",
            name_en=f"{first.name_en or first.name} multi-layer PV demonstration point",
        )
        assert point.id is not None
        designated.append(point.id)
    session.flush()
    return designated


@dataclass(frozen=True)
class DemoConstruction:
    surfaces: int
    connected: int
    measured_months: int


def advance_demo_construction(
    session: Session, *, today: date | None = None, seed: int = 2026
) -> DemoConstruction:
    """Advance the construction of the awarded surfaces so the dashboard shows a programme part-way."""
    today = today or construction.today_in()
    handover.sync_construction(session)
    session.flush()
    items = [
        item
        for item in session.exec(
            select(Construction).order_by(col(Construction.award_id), col(Construction.surface_id))
        )
        if item.stage_rank == 0 and not _touched(session, item.surface_id)
    ]
    if not items:
        return DemoConstruction(0, 0, 0)
    rng = np.random.default_rng(seed)
    office = _office(session)
    reporters = _reporters(session)
    _backdate(session, items, today)
    targets = _targets(session, items, today, rng)
    in_points = _point_surfaces(session)
    for item in items:
        may_wait = item.surface_id not in in_points  # the points' story needs every step confirmed
        _walk(session, item, targets[item.surface_id], today, rng, office, reporters, may_wait=may_wait)
    _send_one_back(session, office)
    session.flush()
    months = _meter_readings(session, office, today, rng)
    connected = sum(1 for item in items if item.stage_rank >= construction.GRID_CONNECTED_RANK)
    return DemoConstruction(surfaces=len(items), connected=connected, measured_months=months)


def _touched(session: Session, surface_id: int) -> bool:
    return (
        session.exec(
            select(Milestone.id).where(
                Milestone.surface_id == surface_id, Milestone.status != MilestoneStatus.planned
            )
        ).first()
        is not None
    )


def _point_surfaces(session: Session) -> set[int]:
    sites = select(DemonstrationPointSite.site_id)
    return {
        i for i in session.exec(select(Surface.id).where(col(Surface.site_id).in_(sites))) if i is not None
    }


def _reporters(session: Session) -> dict[int, User]:
    """A user of each supplier organisation, to report as."""
    out: dict[int, User] = {}
    for user in session.exec(select(User).where(User.role == Role.supplier).order_by(col(User.id))):
        out.setdefault(user.organisation_id, user)
    return out


def _backdate(session: Session, items: list[Construction], today: date) -> None:
    """Stagger the awards' start over the past HISTORY_DAYS and re-plan their milestones."""
    awards = sorted({item.award_id for item in items})
    span = HISTORY_DAYS - NEWEST_DAYS
    start_of = {
        award: today - timedelta(days=HISTORY_DAYS - round(span * n / max(len(awards) - 1, 1)))
        for n, award in enumerate(awards)
    }
    milestones: dict[int, list[Milestone]] = defaultdict(list)
    ids = [item.surface_id for item in items]
    for m in session.exec(select(Milestone).where(col(Milestone.surface_id).in_(ids))):
        milestones[m.surface_id].append(m)
    for item in items:
        item.started_on = start_of[item.award_id]
        plan = planned_dates(item.started_on, item.schedule_days)
        for m in milestones[item.surface_id]:
            m.planned_date = plan[m.kind]
        session.add_all([item, *milestones[item.surface_id]])
    audit.record(
        session,
        actor=None,
        entity="construction",
        entity_id="demo",
        action="demo_backdate",
        after={"awards": len(awards), "history_days": HISTORY_DAYS},
    )
    session.flush()


def _targets(
    session: Session, items: list[Construction], today: date, rng: np.random.Generator
) -> dict[int, int]:
    """How many milestones each surface has reached: about its plan, the points as the story needs."""
    site_of = dict(
        session.exec(
            select(Surface.id, Surface.site_id).where(col(Surface.id).in_([i.surface_id for i in items]))
        ).all()
    )
    point_of = dict(
        session.exec(select(DemonstrationPointSite.site_id, DemonstrationPointSite.point_id)).all()
    )
    point_ids = sorted(set(point_of.values()))
    targets: dict[int, int] = {}
    for n, item in enumerate(items):
        elapsed = (today - item.started_on).days
        due = sum(1 for f in PLAN_FRACTIONS.values() if f * item.schedule_days <= elapsed)
        rank = int(np.clip(due + rng.choice([-2, -1, 0, 0, 0, 0, 0, 0, 1, 1]), 0, len(ORDER)))
        point = point_of.get(site_of.get(item.surface_id, -1))
        if point is not None and point == point_ids[0]:
            rank = len(ORDER)  # the finished point: connected and accepted
        elif point is not None:
            rank = construction.GRID_CONNECTED_RANK if n % 2 else 4  # the point under way
        targets[item.surface_id] = rank
    return targets


def _walk(
    session: Session,
    item: Construction,
    rank: int,
    today: date,
    rng: np.random.Generator,
    office: User,
    reporters: dict[int, User],
    *,
    may_wait: bool,
) -> None:
    """Report (and mostly confirm) the first ``rank`` milestones on dates along the plan."""
    if rank == 0 or item.supplier_id not in reporters:
        return
    supplier = reporters[item.supplier_id]
    last_fraction = PLAN_FRACTIONS[ORDER[rank - 1]]
    latest = (today - item.started_on).days - 1
    pace = min(float(rng.uniform(0.8, 1.25)), latest / max(last_fraction * item.schedule_days, 1))
    previous = item.started_on
    leave_reported = may_wait and rank < len(ORDER) and rng.random() < 0.12
    for index, kind in enumerate(ORDER[:rank]):
        offset = round(PLAN_FRACTIONS[kind] * item.schedule_days * pace)
        reached = min(max(item.started_on + timedelta(days=offset), previous), today - timedelta(days=1))
        previous = reached
        milestone = construction.report_milestone(
            session,
            actor=supplier,
            surface_id=item.surface_id,
            kind=kind,
            actual_date=reached,
            note=_NOTES.get(kind.value, ""),
            today=today,
        )
        if index == rank - 1 and leave_reported:
            break
        assert milestone.id is not None
        construction.confirm_milestone(session, actor=office, milestone_id=milestone.id)


_NOTES = {
    "design_approved": "设计图纸已审定 / design drawings approved",
    "grid_application": "已向供电公司提交并网申请 / application filed with the grid company",
    "access_scheme_confirmed": "接入系统方案已确认 / access scheme confirmed",
    "installation_started": "进场施工 / crews on site",
    "installed": "组件与逆变器安装完成 / modules and inverters installed",
    "metering_and_contracts": "计量装置安装，购售电合同已签 / meters fitted, contracts signed",
    "grid_connected": "并网发电 / grid-connected",
    "accepted": "竣工验收 / accepted",
}


def _send_one_back(session: Session, office: User) -> None:
    """The office sends one waiting milestone back, so the supplier has something to redo."""
    waiting = session.exec(
        select(Milestone).where(Milestone.status == MilestoneStatus.reported).order_by(col(Milestone.id))
    ).first()
    if waiting is not None and waiting.id is not None:
        construction.send_back_milestone(
            session, actor=office, milestone_id=waiting.id, reason="请补充现场照片 / please add site photos"
        )


def _meter_readings(session: Session, office: User, today: date, rng: np.random.Generator) -> int:
    """Monthly readings near the estimate for every connected surface; two far off it."""
    rows = session.exec(
        select(col(Construction.surface_id), col(Construction.connected_on), col(Estimate.monthly_kwh))
        .join(Estimate, col(Estimate.surface_id) == col(Construction.surface_id))
        .where(col(Construction.connected_on).is_not(None))
        .order_by(col(Construction.surface_id))
    ).all()
    readings: list[tuple[int, dict[str, object]]] = []
    # the two far-off surfaces: among those with at least two full months since their connection
    months_since = [(today.year - c.year) * 12 + today.month - c.month if c else 0 for _s, c, _m in rows]
    seasoned = [s for (s, _c, _m), n in zip(rows, months_since, strict=True) if n >= 3]
    faulty = {seasoned[0]: 0.55, seasoned[-1]: 1.45} if len(seasoned) >= 2 else {}
    for surface_id, connected_on, monthly in rows:
        assert connected_on is not None
        ratio = faulty.get(surface_id) or float(rng.normal(0.94, 0.04))
        year, month = connected_on.year, connected_on.month
        while (year, month) < (today.year, today.month):
            weather = float(rng.normal(1.0, 0.06))
            if (year, month) == (connected_on.year, connected_on.month):  # connected part of the month
                days = (date(year + month // 12, month % 12 + 1, 1) - date(year, month, 1)).days
                weather *= (days - connected_on.day + 1) / days
            readings.append(
                (
                    len(readings),
                    {
                        "surface_id": surface_id,
                        "month": f"{year:04d}-{month:02d}",
                        "energy_kwh": round(monthly[month - 1] * ratio * weather, 1),
                    },
                )
            )
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    if not readings:
        return 0
    report = measured_energy.import_rows(session, actor=office, rows=readings, source="api", today=today)
    if not report.ok:
        raise RuntimeError(f"demo meter readings refused: {report.errors[:3]}")
    return report.stored
