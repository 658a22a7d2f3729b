"""Programme progress: kWp by stage, burn-up and forecast, breakdowns, overdue milestones, yield ratios.

**Stages.** Every approved surface is at one stage (:data:`STAGES`): approved → bundled (its site
is in a published bundle) → tendered (that bundle is a lot of a published tender) → awarded (a
confirmed award; construction started) → each State Grid milestone the office has confirmed, up to
grid-connected and accepted. The kWp counted is the installed capacity where the supplier reported
it, else the estimate. *Cumulative* kWp at a stage is the kWp at that stage or beyond, so the
programme's connected kWp is the cumulative kWp at ``grid_connected``. The totals are one
``GROUP BY`` over the surfaces in the database, so they stay fast at 10,000 surfaces and equal
the sum over the surfaces by construction.

**Forecast.** "At the current pace": the pace is the kWp connected per day over the last
:data:`PACE_WINDOW_DAYS` days, or since construction began (the first confirmed award) when that
was more recent; the forecast date is today plus the remaining kWp divided by the pace. It is a
plain linear extrapolation — easy to explain and to check — and says nothing about the pipeline;
the burn-up chart therefore also draws the *planned* curve (the planned grid-connection dates of
the surfaces under construction) next to it. With nothing connected yet there is no pace and no
forecast; once the target is met the forecast is the day it was met.

**Yield ratio.** Measured energy divided by the estimate for the same months (DESIGN: this is not a
performance ratio, there is no irradiance measurement). The month of connection is partial and is
left out. A surface is an outlier when its ratio falls outside :data:`RATIO_BAND`: a single year's
weather moves a month by ±20 % or so, so beyond that it is more likely a fault, shading, a meter or
a unit problem than the weather.

**Weather-normalised yield ratio.** Where the office uploaded the measured weather of a period
(:mod:`pvhub.weather.measured`) and its comparison ran (:mod:`pvhub.monitoring.normalised`), measured
energy is divided by the estimate re-run on that weather for the same months instead: the year's
weather is taken out, and what remains is the system (or the model). Both ratios are shown, each
named for what it divides by.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col

from pvhub.accounts.models import Organisation, User
from pvhub.bundling.enums import BundleStatus
from pvhub.bundling.models import Bundle, BundleSite
from pvhub.construction.enums import MilestoneKind, MilestoneStatus
from pvhub.construction.models import Construction, MeasuredEnergy, Milestone
from pvhub.construction.service import today_in
from pvhub.core import policy
from pvhub.core.enums import Role
from pvhub.estimates.models import Estimate
from pvhub.monitoring import demonstration
from pvhub.monitoring.models import WeatherNormalisedEnergy
from pvhub.programme.models import DemonstrationPointSite
from pvhub.programme.service import get_programme
from pvhub.register.enums import SurfaceKind, SurfaceStatus
from pvhub.register.models import Site, Surface
from pvhub.tendering.enums import TenderStatus
from pvhub.tendering.models import Tender, TenderLot
from pvhub.weather.enums import WeatherPurpose
from pvhub.weather.models import WeatherDataset

STAGES: tuple[str, ...] = ("approved", "bundled", "tendered", "awarded", *(k.value for k in MilestoneKind))
AWARDED = STAGES.index("awarded")
CONNECTED = STAGES.index(MilestoneKind.grid_connected.value)
PACE_WINDOW_DAYS = 180
RATIO_BAND = (0.75, 1.25)
#: Map colour groups: a site takes the stage of its least advanced surface.
STAGE_GROUPS: tuple[tuple[str, int, int, str], ...] = (
    ("approved", 0, 0, "#9aa5b1"),
    ("bundled", 1, 1, "#c9a227"),
    ("tendered", 2, 2, "#e3a21a"),
    ("awarded", 3, 3, "#2f6fb3"),
    ("building", 4, CONNECTED - 1, "#8a4fbf"),
    ("connected", CONNECTED, len(STAGES) - 1, "#0f6e5a"),
)


def stage_group(rank: int) -> tuple[str, str]:
    """(group name, colour) of a stage rank."""
    for name, low, high, colour in STAGE_GROUPS:
        if low <= rank <= high:
            return name, colour
    return STAGE_GROUPS[0][0], STAGE_GROUPS[0][3]


# --- the stage of every surface, in SQL --------------------------------------------------------


def stage_columns() -> tuple[Any, Any, Any]:
    """(rank, kWp, from-clause) over approved surfaces: one row per surface, its site joined."""
    published = (
        sa.select(col(BundleSite.site_id).label("site_id"))
        .join(Bundle, col(Bundle.id) == col(BundleSite.bundle_id))
        .where(col(Bundle.status) == BundleStatus.published)
        .subquery("published")
    )
    tendered = (
        sa.select(col(BundleSite.site_id).label("site_id"))
        .join(TenderLot, col(TenderLot.bundle_id) == col(BundleSite.bundle_id))
        .join(Tender, col(Tender.id) == col(TenderLot.tender_id))
        .where(col(Tender.status).in_([TenderStatus.published, TenderStatus.opened, TenderStatus.awarded]))
        .subquery("tendered")
    )
    rank = sa.case(
        (col(Construction.stage_rank).is_not(None), AWARDED + col(Construction.stage_rank)),
        (tendered.c.site_id.is_not(None), 2),
        (published.c.site_id.is_not(None), 1),
        else_=0,
    ).label("rank")
    kwp = sa.func.coalesce(col(Construction.installed_kwp), col(Estimate.capacity_kwp), 0.0).label("kwp")
    joined = (
        sa.join(Surface, Site, col(Site.id) == col(Surface.site_id))
        .outerjoin(Estimate, col(Estimate.surface_id) == col(Surface.id))
        .outerjoin(Construction, col(Construction.surface_id) == col(Surface.id))
        .outerjoin(published, published.c.site_id == col(Surface.site_id))
        .outerjoin(tendered, tendered.c.site_id == col(Surface.site_id))
    )
    return rank, kwp, joined


def visible_surfaces(user: User | None) -> Any:
    """Which approved surfaces a reader's lists cover: the office (and the public totals) all of them."""
    approved = col(Surface.status) == SurfaceStatus.approved
    if user is None or policy.can(user, "construction:read_all"):
        return approved
    if user.role == Role.supplier:
        return sa.and_(approved, col(Construction.supplier_id) == user.organisation_id)
    return sa.and_(approved, col(Site.organisation_id) == user.organisation_id)


# --- totals -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StageTotal:
    stage: str
    rank: int
    surfaces: int
    kwp: float
    cumulative_surfaces: int
    cumulative_kwp: float


@dataclass(frozen=True)
class Breakdown:
    """kWp of one kind or subdistrict: all approved, awarded or beyond, grid-connected or beyond."""

    key: str
    surfaces: int
    approved_kwp: float
    awarded_kwp: float
    connected_kwp: float


def _site_flags(session: Session) -> dict[int, int]:
    """Site id → 2 when its bundle is a lot of a live tender, 1 when the bundle is only published."""
    live = [TenderStatus.published, TenderStatus.opened, TenderStatus.awarded]
    query = (
        sa.select(
            col(BundleSite.site_id),
            sa.func.max(sa.case((col(Tender.status).in_(live), 2), else_=1)),
        )
        .join(Bundle, col(Bundle.id) == col(BundleSite.bundle_id))
        .outerjoin(TenderLot, col(TenderLot.bundle_id) == col(BundleSite.bundle_id))
        .outerjoin(Tender, col(Tender.id) == col(TenderLot.tender_id))
        .where(col(Bundle.status) == BundleStatus.published)
        .group_by(col(BundleSite.site_id))
    )
    return {int(site): int(flag) for site, flag in session.connection().execute(query)}


@dataclass
class _Snapshot:
    """What the dashboard's totals are computed from, each read once with a narrow query.

    Estimate rows are wide (their provenance is about 1 kB), so their capacity is read once through
    the covering index ``ix_estimate_surface_capacity`` rather than joined row by row.
    """

    capacity: dict[int, float]  # surface id → estimated kWp
    built: dict[int, tuple[int, float | None, date | None]]  # surface id → (stage rank, installed, connected)
    surfaces: list[tuple[int, int, str]]  # approved: (surface id, site id, kind)
    flags: dict[int, int]  # site id → 1 bundled, 2 tendered

    def kwp(self, surface_id: int) -> float:
        built = self.built.get(surface_id)
        if built is not None and built[1] is not None:
            return built[1]
        return self.capacity.get(surface_id, 0.0)


def _snapshot(session: Session) -> _Snapshot:
    conn = session.connection()
    capacity = {
        sid: float(kwp or 0.0)
        for sid, kwp in conn.execute(sa.select(col(Estimate.surface_id), col(Estimate.capacity_kwp))).all()
    }
    built = {
        sid: (int(rank), installed, connected)
        for sid, rank, installed, connected in conn.execute(
            sa.select(
                col(Construction.surface_id),
                col(Construction.stage_rank),
                col(Construction.installed_kwp),
                col(Construction.connected_on),
            )
        ).all()
    }
    kind = sa.type_coerce(col(Surface.kind), sa.String)  # plain text: no enum conversion per row
    surfaces = [
        (sid, site, k)
        for sid, site, k in conn.execute(
            sa.select(col(Surface.id), col(Surface.site_id), kind).where(
                col(Surface.status) == SurfaceStatus.approved
            )
        ).all()
        if sid is not None
    ]
    return _Snapshot(capacity=capacity, built=built, surfaces=surfaces, flags=_site_flags(session))


def _site_groups(snapshot: _Snapshot) -> list[tuple[int, int, str, int, float]]:
    """(site id, stage rank, kind, surfaces, kWp) over approved surfaces — the same ranks as
    :func:`stage_columns` (a test checks they agree), summed in Python from the snapshot."""
    acc: dict[tuple[int, int, str], list[float]] = {}
    for sid, site, kind in snapshot.surfaces:
        built = snapshot.built.get(sid)
        rank = AWARDED + built[0] if built is not None else snapshot.flags.get(site, 0)
        key = (site, rank, kind)
        entry = acc.get(key)
        if entry is None:
            acc[key] = [1, snapshot.kwp(sid)]
        else:
            entry[0] += 1
            entry[1] += snapshot.kwp(sid)
    return [(site, rank, kind, int(v[0]), v[1]) for (site, rank, kind), v in acc.items()]


def _sites(session: Session) -> dict[int, tuple[str, float, float, str]]:
    """Site id → (name, lon, lat, subdistrict)."""
    query = sa.select(col(Site.id), col(Site.name), col(Site.lon), col(Site.lat), col(Site.subdistrict))
    return {
        i: (n, lo, la, sd or "")
        for i, n, lo, la, sd in session.connection().execute(query).all()
        if i is not None
    }


def _stage_rows(
    groups: Sequence[tuple[int, int, str, int, float]], sites: dict[int, tuple[str, float, float, str]]
) -> list[tuple[int, str, str, int, float]]:
    """(rank, kind, subdistrict, surfaces, kWp) from the per-site groups."""
    acc: dict[tuple[int, str, str], list[float]] = {}
    for site, rank, kind, n, k in groups:
        entry = acc.setdefault((rank, kind, sites[site][3] if site in sites else ""), [0, 0.0])
        entry[0] += n
        entry[1] += k
    return [(r, kind, sd, int(v[0]), v[1]) for (r, kind, sd), v in acc.items()]


def _site_stages(
    groups: Sequence[tuple[int, int, str, int, float]], sites: dict[int, tuple[str, float, float, str]]
) -> list[SiteStage]:
    """Each site at the stage of its least advanced approved surface."""
    acc: dict[int, list[float]] = {}
    for site, rank, _kind, _n, k in groups:
        entry = acc.setdefault(site, [rank, 0.0])
        entry[0] = min(entry[0], rank)
        entry[1] += k
    return [
        SiteStage(site, sites[site][0], sites[site][1], sites[site][2], int(v[0]), v[1])
        for site, v in sorted(acc.items())
        if site in sites
    ]


def stage_totals(rows: Sequence[tuple[int, str, str, int, float]]) -> list[StageTotal]:
    """Totals per stage from (rank, kind, subdistrict, surfaces, kWp) groups, with cumulative sums."""
    surfaces = [0] * len(STAGES)
    kwp = [0.0] * len(STAGES)
    for rank, _kind, _sd, n, k in rows:
        surfaces[rank] += n
        kwp[rank] += k
    out = []
    for rank, stage in enumerate(STAGES):
        out.append(
            StageTotal(
                stage=stage,
                rank=rank,
                surfaces=surfaces[rank],
                kwp=round(kwp[rank], 3),
                cumulative_surfaces=sum(surfaces[rank:]),
                cumulative_kwp=round(sum(kwp[rank:]), 3),
            )
        )
    return out


def _breakdown(
    rows: Sequence[tuple[int, str, str, int, float]], position: int, keys: Sequence[str]
) -> list[Breakdown]:
    acc: dict[str, list[float]] = {key: [0, 0.0, 0.0, 0.0] for key in keys}
    for row in rows:
        rank, n, k = row[0], row[3], row[4]
        entry = acc.setdefault(str(row[position]), [0, 0.0, 0.0, 0.0])
        entry[0] += n
        entry[1] += k
        entry[2] += k if rank >= AWARDED else 0.0
        entry[3] += k if rank >= CONNECTED else 0.0
    return [
        Breakdown(key, int(v[0]), round(v[1], 3), round(v[2], 3), round(v[3], 3)) for key, v in acc.items()
    ]


def connected_kwp(session: Session) -> float:
    """Grid-connected kWp of the programme (installed where reported, else estimated)."""
    query = (
        sa.select(
            sa.func.coalesce(
                sa.func.sum(
                    sa.func.coalesce(col(Construction.installed_kwp), col(Estimate.capacity_kwp), 0.0)
                ),
                0.0,
            )
        )
        .select_from(sa.join(Construction, Surface, col(Surface.id) == col(Construction.surface_id)))
        .outerjoin(Estimate, col(Estimate.surface_id) == col(Construction.surface_id))
        .where(
            col(Construction.stage_rank) >= CONNECTED - AWARDED, col(Surface.status) == SurfaceStatus.approved
        )
    )
    return float(session.connection().execute(query).scalar_one())


# --- burn-up and forecast -----------------------------------------------------------------------


@dataclass(frozen=True)
class Forecast:
    """When the target is met at the current pace (None: no pace yet). Rates in kWp/day."""

    target_kwp: float
    connected_kwp: float
    rate_kwp_per_day: float
    window_start: date | None
    window_end: date
    forecast_date: date | None
    reached_on: date | None

    @property
    def met(self) -> bool:
        return self.reached_on is not None


def forecast_target_date(
    connections: Sequence[tuple[date, float]],
    *,
    target_kwp: float,
    today: date,
    construction_began: date | None,
    window_days: int = PACE_WINDOW_DAYS,
) -> Forecast:
    """Linear forecast from the pace over a trailing window (see the module's docstring).

    ``connections`` are (connection date, kWp); those after ``today`` are ignored.
    """
    events = sorted((d, k) for d, k in connections if d <= today)
    total = sum(k for _d, k in events)
    reached_on = None
    running = 0.0
    for day, kwp in events:
        running += kwp
        if running >= target_kwp:
            reached_on = day
            break
    starts = [today - timedelta(days=window_days)]
    if construction_began is not None:
        starts.append(construction_began)
    elif events:
        starts.append(events[0][0])
    window_start = max(starts) if events or construction_began else None
    rate = 0.0
    if window_start is not None and window_start < today:
        in_window = sum(k for d, k in events if d > window_start)
        rate = in_window / (today - window_start).days
    forecast = reached_on
    if forecast is None and rate > 0:
        forecast = today + timedelta(days=int(-(-(target_kwp - total) // rate)))
    return Forecast(
        target_kwp=target_kwp,
        connected_kwp=round(total, 3),
        rate_kwp_per_day=rate,
        window_start=window_start,
        window_end=today,
        forecast_date=forecast,
        reached_on=reached_on,
    )


@dataclass(frozen=True)
class BurnUp:
    """Cumulative connected kWp by day (actual), and as planned for the surfaces still being built."""

    actual: list[tuple[date, float]]
    planned: list[tuple[date, float]]
    construction_began: date | None


def burn_up(session: Session, snapshot: _Snapshot | None = None) -> BurnUp:
    """Connections so far and the plan of the surfaces still being built (approved surfaces only)."""
    snapshot = snapshot or _snapshot(session)
    approved = {sid for sid, _site, _kind in snapshot.surfaces}
    connected = [
        (day, snapshot.kwp(sid)) for sid, (_r, _i, day) in snapshot.built.items() if day and sid in approved
    ]
    conn = session.connection()
    planned_rows = conn.execute(
        sa.select(col(Milestone.surface_id), col(Milestone.planned_date)).where(
            col(Milestone.kind) == MilestoneKind.grid_connected,
            col(Milestone.status) != MilestoneStatus.confirmed,
        )
    ).all()
    planned = [
        (day, snapshot.kwp(sid))
        for sid, day in planned_rows
        if day is not None and sid in approved and sid in snapshot.built and snapshot.built[sid][2] is None
    ]
    began = conn.execute(sa.select(sa.func.min(col(Construction.started_on)))).scalar_one()
    return BurnUp(
        actual=_cumulative(connected), planned=_cumulative(connected + planned), construction_began=began
    )


def _cumulative(events: list[tuple[date, float]]) -> list[tuple[date, float]]:
    by_day: dict[date, float] = defaultdict(float)
    for day, kwp in events:
        by_day[day] += kwp
    out, running = [], 0.0
    for day in sorted(by_day):
        running += by_day[day]
        out.append((day, round(running, 3)))
    return out


# --- overdue milestones and yield ratios --------------------------------------------------------


@dataclass(frozen=True)
class OverdueItem:
    surface_id: int
    site_id: int
    site_name: str
    kind: str
    milestone: str
    planned_date: date
    days_overdue: int
    status: str
    supplier_name: str


def overdue(
    session: Session, *, user: User | None, today: date, limit: int = 20
) -> tuple[int, list[OverdueItem]]:
    """Surfaces whose next milestone is overdue: (how many, the most overdue first)."""
    first_due = (
        sa.select(col(Milestone.surface_id), sa.func.min(col(Milestone.planned_date)).label("due"))
        .where(
            col(Milestone.status).in_([MilestoneStatus.planned, MilestoneStatus.sent_back]),
            col(Milestone.planned_date) < today,
        )
        .group_by(col(Milestone.surface_id))
        .subquery("first_due")
    )
    base = (
        sa.select(
            col(Milestone.surface_id),
            col(Site.id),
            col(Site.name),
            col(Surface.kind),
            col(Milestone.kind),
            col(Milestone.planned_date),
            col(Milestone.status),
            col(Organisation.name),
        )
        .select_from(first_due)
        .join(
            Milestone,
            sa.and_(
                col(Milestone.surface_id) == first_due.c.surface_id,
                col(Milestone.planned_date) == first_due.c.due,
            ),
        )
        .join(Surface, col(Surface.id) == col(Milestone.surface_id))
        .join(Site, col(Site.id) == col(Surface.site_id))
        .join(Construction, col(Construction.surface_id) == col(Surface.id))
        .join(Organisation, col(Organisation.id) == col(Construction.supplier_id))
        .where(
            visible_surfaces(user),
            col(Milestone.status).in_([MilestoneStatus.planned, MilestoneStatus.sent_back]),
        )
    )
    counted = (
        sa.select(sa.func.count())
        .select_from(first_due)
        .join(Surface, col(Surface.id) == first_due.c.surface_id)
        .join(Site, col(Site.id) == col(Surface.site_id))
        .join(Construction, col(Construction.surface_id) == col(Surface.id))
        .where(visible_surfaces(user))
    )
    conn = session.connection()
    total = conn.execute(counted).scalar_one()
    rows = conn.execute(
        base.order_by(col(Milestone.planned_date), col(Milestone.surface_id)).limit(limit)
    ).all()
    items = [
        OverdueItem(
            surface_id=sid,
            site_id=site_id,
            site_name=name,
            kind=kind.value,
            milestone=mkind.value,
            planned_date=planned,
            days_overdue=(today - planned).days,
            status=status.value,
            supplier_name=supplier,
        )
        for sid, site_id, name, kind, mkind, planned, status, supplier in rows
        if site_id is not None and planned is not None
    ]
    return int(total), items


@dataclass(frozen=True)
class YieldItem:
    surface_id: int
    site_id: int
    site_name: str
    months: int
    measured_kwh: float
    estimated_kwh: float

    @property
    def ratio(self) -> float | None:
        return self.measured_kwh / self.estimated_kwh if self.estimated_kwh > 0 else None

    @property
    def flag(self) -> str | None:
        ratio = self.ratio
        if ratio is None:
            return None
        if ratio < RATIO_BAND[0]:
            return "low"
        if ratio > RATIO_BAND[1]:
            return "high"
        return None


@dataclass(frozen=True)
class YieldSummary:
    surfaces: int
    months: int
    measured_kwh: float
    estimated_kwh: float
    outliers: list[YieldItem]
    items: list[YieldItem] = field(repr=False)

    @property
    def ratio(self) -> float | None:
        return self.measured_kwh / self.estimated_kwh if self.estimated_kwh > 0 else None


def yield_ratios(session: Session, *, user: User | None = None) -> YieldSummary:
    """Measured vs estimated energy per surface over its full months after connection."""
    conn = session.connection()
    surfaces = (
        sa.select(
            col(Construction.surface_id),
            col(Construction.connected_on),
            col(Site.id),
            col(Site.name),
            col(Estimate.monthly_kwh),
        )
        .join(Surface, col(Surface.id) == col(Construction.surface_id))
        .join(Site, col(Site.id) == col(Surface.site_id))
        .join(Estimate, col(Estimate.surface_id) == col(Construction.surface_id))
        .where(
            col(Construction.connected_on).is_not(None),
            col(Construction.surface_id).in_(sa.select(col(MeasuredEnergy.surface_id)).distinct()),
            visible_surfaces(user),
        )
    )
    info = {
        sid: (connected_on, site_id, name, monthly)
        for sid, connected_on, site_id, name, monthly in conn.execute(surfaces).all()
    }
    readings = conn.execute(
        sa.select(
            col(MeasuredEnergy.surface_id),
            col(MeasuredEnergy.year),
            col(MeasuredEnergy.month),
            col(MeasuredEnergy.energy_kwh),
        )
    ).all()
    acc: dict[int, list[Any]] = {}
    for sid, year, month, kwh in readings:
        found = info.get(sid)
        if found is None:
            continue
        connected_on, site_id, site_name, estimate = found
        if connected_on is None or (year, month) <= (connected_on.year, connected_on.month) or not estimate:
            continue
        entry = acc.setdefault(sid, [site_id, site_name, 0, 0.0, 0.0])
        entry[2] += 1
        entry[3] += float(kwh)
        entry[4] += float(estimate[month - 1])
    items = [
        YieldItem(sid, v[0], v[1], v[2], round(v[3], 2), round(v[4], 2)) for sid, v in sorted(acc.items())
    ]
    outliers = sorted((i for i in items if i.flag), key=lambda i: abs((i.ratio or 1) - 1), reverse=True)
    return YieldSummary(
        surfaces=len(items),
        months=sum(i.months for i in items),
        measured_kwh=round(sum(i.measured_kwh for i in items), 2),
        estimated_kwh=round(sum(i.estimated_kwh for i in items), 2),
        outliers=outliers,
        items=items,
    )


# --- against the weather it saw ------------------------------------------------------------------


@dataclass(frozen=True)
class NormalisedItem:
    """One surface over the months of a measured weather period it reported [kWh]: measured, the
    estimate re-run on that period's weather, and the typical-year estimate of the same months."""

    surface_id: int
    site_id: int
    site_name: str
    months: int
    measured_kwh: float
    normalised_kwh: float
    typical_kwh: float

    @property
    def ratio(self) -> float | None:
        """Weather-normalised yield ratio: measured / estimate on the measured weather."""
        return self.measured_kwh / self.normalised_kwh if self.normalised_kwh > 0 else None

    @property
    def typical_ratio(self) -> float | None:
        """Typical-year yield ratio of the same months: measured / typical-year estimate."""
        return self.measured_kwh / self.typical_kwh if self.typical_kwh > 0 else None


@dataclass(frozen=True)
class NormalisedSummary:
    """The programme's weather-normalised yield ratio over one measured weather period.

    ``first_month`` and ``last_month`` (``YYYY-MM``) bound the period; the ratio counts the full
    months after connection in which a surface reported energy, as :func:`yield_ratios` does, and
    ``typical_kwh`` is the typical-year estimate of exactly those months, so the two ratios side by
    side differ only by the weather.
    """

    dataset_id: int
    name: str
    first_month: str
    last_month: str
    surfaces: int
    months: int
    measured_kwh: float
    normalised_kwh: float
    typical_kwh: float
    items: list[NormalisedItem] = field(repr=False)

    @property
    def ratio(self) -> float | None:
        return self.measured_kwh / self.normalised_kwh if self.normalised_kwh > 0 else None

    @property
    def typical_ratio(self) -> float | None:
        return self.measured_kwh / self.typical_kwh if self.typical_kwh > 0 else None


def _normalised_dataset(session: Session, dataset_id: int | None) -> WeatherDataset | None:
    """The measured period asked for, or the latest uploaded one that has a comparison."""
    if dataset_id is not None:
        found = session.get(WeatherDataset, dataset_id)
        return found if found is not None and found.purpose == WeatherPurpose.measured else None
    compared = sa.select(col(WeatherNormalisedEnergy.dataset_id)).distinct()
    query = (
        sa.select(WeatherDataset)
        .where(col(WeatherDataset.purpose) == WeatherPurpose.measured, col(WeatherDataset.id).in_(compared))
        .order_by(col(WeatherDataset.uploaded_at).desc(), col(WeatherDataset.id).desc())
    )
    return session.scalars(query).first()


def weather_normalised_ratios(
    session: Session, *, user: User | None = None, dataset_id: int | None = None
) -> NormalisedSummary | None:
    """Measured energy vs the estimate re-run on the measured weather of a period, per surface and
    for the programme (the latest compared period unless ``dataset_id``); None when there is none."""
    dataset = _normalised_dataset(session, dataset_id)
    if dataset is None or dataset.id is None:
        return None
    conn = session.connection()
    rows = conn.execute(
        sa.select(
            col(WeatherNormalisedEnergy.surface_id),
            col(WeatherNormalisedEnergy.year),
            col(WeatherNormalisedEnergy.month),
            col(WeatherNormalisedEnergy.estimated_kwh),
            col(MeasuredEnergy.energy_kwh),
            col(Construction.connected_on),
            col(Site.id),
            col(Site.name),
            col(Estimate.monthly_kwh),
        )
        .join(
            MeasuredEnergy,
            sa.and_(
                col(MeasuredEnergy.surface_id) == col(WeatherNormalisedEnergy.surface_id),
                col(MeasuredEnergy.year) == col(WeatherNormalisedEnergy.year),
                col(MeasuredEnergy.month) == col(WeatherNormalisedEnergy.month),
            ),
        )
        .join(Construction, col(Construction.surface_id) == col(WeatherNormalisedEnergy.surface_id))
        .join(Surface, col(Surface.id) == col(WeatherNormalisedEnergy.surface_id))
        .join(Site, col(Site.id) == col(Surface.site_id))
        .join(Estimate, col(Estimate.surface_id) == col(WeatherNormalisedEnergy.surface_id))
        .where(col(WeatherNormalisedEnergy.dataset_id) == dataset.id, visible_surfaces(user))
    ).all()
    acc: dict[int, list[Any]] = {}
    for sid, year, month, normalised, measured, connected_on, site_id, site_name, typical in rows:
        if connected_on is None or (year, month) <= (connected_on.year, connected_on.month) or not typical:
            continue
        entry = acc.setdefault(sid, [site_id, site_name, 0, 0.0, 0.0, 0.0])
        entry[2] += 1
        entry[3] += float(measured)
        entry[4] += float(normalised)
        entry[5] += float(typical[month - 1])
    items = [
        NormalisedItem(sid, v[0], v[1], v[2], round(v[3], 2), round(v[4], 2), round(v[5], 2))
        for sid, v in sorted(acc.items())
    ]
    months = list(dataset.description.get("months") or [""])
    return NormalisedSummary(
        dataset_id=dataset.id,
        name=dataset.name,
        first_month=str(months[0]),
        last_month=str(months[-1]),
        surfaces=len(items),
        months=sum(i.months for i in items),
        measured_kwh=round(sum(i.measured_kwh for i in items), 2),
        normalised_kwh=round(sum(i.normalised_kwh for i in items), 2),
        typical_kwh=round(sum(i.typical_kwh for i in items), 2),
        items=items,
    )


# --- the whole picture --------------------------------------------------------------------------


@dataclass(frozen=True)
class Progress:
    """Everything the dashboard, the API and the report show. ``public()`` drops names."""

    today: date
    target_kwp: float
    target_date: date
    stages: list[StageTotal]
    by_kind: list[Breakdown]
    by_subdistrict: list[Breakdown]
    forecast: Forecast
    burn_up: BurnUp
    points: list[demonstration.PointProgress]
    demo_points_target: int
    site_stages: list[SiteStage] = field(repr=False)

    @property
    def connected_kwp(self) -> float:
        return self.stages[CONNECTED].cumulative_kwp

    @property
    def on_track(self) -> bool | None:
        if self.forecast.forecast_date is None:
            return None
        return self.forecast.forecast_date <= self.target_date

    @property
    def points_complete(self) -> int:
        return sum(1 for p in self.points if p.complete)

    def stage(self, name: str) -> StageTotal:
        return self.stages[STAGES.index(name)]


def programme_progress(session: Session, *, today: date | None = None) -> Progress:
    """Totals anyone may see (no names): stages, breakdowns, burn-up, forecast, demonstration points."""
    today = today or today_in()
    programme = get_programme(session=session)
    snapshot = _snapshot(session)
    groups = _site_groups(snapshot)
    sites = _sites(session)
    rows = _stage_rows(groups, sites)
    stages = stage_totals(rows)
    curve = burn_up(session, snapshot)
    forecast = forecast_target_date(
        _increments(curve.actual),
        target_kwp=programme.target_kwp,
        today=today,
        construction_began=curve.construction_began,
    )
    return Progress(
        today=today,
        target_kwp=programme.target_kwp,
        target_date=programme.target_date,
        stages=stages,
        by_kind=_breakdown(rows, 1, [k.value for k in SurfaceKind]),
        by_subdistrict=sorted(
            _breakdown(rows, 2, []), key=lambda b: (-b.connected_kwp, -b.approved_kwp, b.key)
        ),
        forecast=forecast,
        burn_up=curve,
        points=demonstration.points_progress(session),
        demo_points_target=programme.demo_points_max,
        site_stages=_site_stages(groups, sites),
    )


def _increments(cumulative: list[tuple[date, float]]) -> list[tuple[date, float]]:
    out, previous = [], 0.0
    for day, running in cumulative:
        out.append((day, running - previous))
        previous = running
    return out


# --- the lists behind the numbers ---------------------------------------------------------------


@dataclass(frozen=True)
class StageFilter:
    """What a list shows: a stage (exactly, or that stage and beyond), a kind, a subdistrict, a point."""

    stage: str | None = None
    at_least: bool = False
    kind: str | None = None
    subdistrict: str | None = None
    point_id: int | None = None
    overdue: bool = False

    def as_query(self) -> dict[str, str]:
        out = {
            "stage": self.stage or "",
            "at_least": "1" if self.at_least else "",
            "kind": self.kind or "",
            "subdistrict": self.subdistrict or "",
            "point": str(self.point_id) if self.point_id else "",
            "overdue": "1" if self.overdue else "",
        }
        return {k: v for k, v in out.items() if v}


@dataclass(frozen=True)
class StageRow:
    surface_id: int
    site_id: int
    site_name: str
    subdistrict: str
    kind: str
    rank: int
    kwp: float

    @property
    def stage(self) -> str:
        return STAGES[self.rank]


def list_by_stage(
    session: Session,
    *,
    user: User,
    filters: StageFilter,
    today: date | None = None,
    offset: int = 0,
    limit: int = 50,
) -> tuple[int, float, list[StageRow]]:
    """The surfaces behind a number: (how many, their kWp, one page of them)."""
    rank, kwp, joined = stage_columns()
    conditions = [visible_surfaces(user)]
    if filters.stage in STAGES:
        wanted = STAGES.index(filters.stage)
        conditions.append(rank >= wanted if filters.at_least else rank == wanted)
    if filters.kind is not None and filters.kind in SurfaceKind.__members__:
        conditions.append(col(Surface.kind) == SurfaceKind(filters.kind))
    if filters.subdistrict is not None and filters.subdistrict != "":
        conditions.append(col(Site.subdistrict) == filters.subdistrict)
    if filters.point_id:
        conditions.append(
            col(Surface.site_id).in_(
                sa.select(col(DemonstrationPointSite.site_id)).where(
                    col(DemonstrationPointSite.point_id) == filters.point_id
                )
            )
        )
    if filters.overdue:
        due = today or today_in()
        conditions.append(
            col(Surface.id).in_(
                sa.select(col(Milestone.surface_id)).where(
                    col(Milestone.status).in_([MilestoneStatus.planned, MilestoneStatus.sent_back]),
                    col(Milestone.planned_date) < due,
                )
            )
        )
    where = sa.and_(*conditions)
    conn = session.connection()
    count, total = conn.execute(
        sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(kwp), 0.0)).select_from(joined).where(where)
    ).one()
    rows = conn.execute(
        sa.select(
            col(Surface.id), col(Site.id), col(Site.name), col(Site.subdistrict), col(Surface.kind), rank, kwp
        )
        .select_from(joined)
        .where(where)
        .order_by(col(Site.name), col(Surface.id))
        .offset(offset)
        .limit(limit)
    ).all()
    return (
        int(count),
        float(total),
        [
            StageRow(sid, site_id, name, sd or "", kind.value, int(r), float(k))
            for sid, site_id, name, sd, kind, r, k in rows
        ],
    )


@dataclass(frozen=True)
class SiteStage:
    site_id: int
    name: str
    lon: float
    lat: float
    rank: int
    kwp: float


def site_stages(session: Session) -> list[SiteStage]:
    """Each site with approved surfaces at the stage of its least advanced surface, for the map."""
    return _site_stages(_site_groups(_snapshot(session)), _sites(session))


@dataclass(frozen=True)
class MonthActivity:
    """What happened in one calendar month: milestones confirmed (by the date reached), kWp connected."""

    year: int
    month: int
    milestones: dict[str, int]
    connected_kwp: float
    connected_surfaces: int
    measured_kwh: float

    @property
    def label(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


def month_activity(session: Session, *, year: int, month: int) -> MonthActivity:
    """Confirmed milestones whose date falls in the month, the kWp connected and the energy measured."""
    first = date(year, month, 1)
    following = date(year + month // 12, month % 12 + 1, 1)
    conn = session.connection()
    counts = dict(
        conn.execute(
            sa.select(col(Milestone.kind), sa.func.count())
            .where(
                col(Milestone.status) == MilestoneStatus.confirmed,
                col(Milestone.actual_date) >= first,
                col(Milestone.actual_date) < following,
            )
            .group_by(col(Milestone.kind))
        ).all()
    )
    kwp = sa.func.coalesce(col(Construction.installed_kwp), col(Estimate.capacity_kwp), 0.0)
    n, connected = conn.execute(
        sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(kwp), 0.0))
        .select_from(Construction)
        .outerjoin(Estimate, col(Estimate.surface_id) == col(Construction.surface_id))
        .where(col(Construction.connected_on) >= first, col(Construction.connected_on) < following)
    ).one()
    measured = conn.execute(
        sa.select(sa.func.coalesce(sa.func.sum(col(MeasuredEnergy.energy_kwh)), 0.0)).where(
            col(MeasuredEnergy.year) == year, col(MeasuredEnergy.month) == month
        )
    ).scalar_one()
    return MonthActivity(
        year=year,
        month=month,
        milestones={k.value: int(counts.get(k, 0)) for k in MilestoneKind},
        connected_kwp=float(connected),
        connected_surfaces=int(n),
        measured_kwh=float(measured),
    )
