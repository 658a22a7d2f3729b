"""Bundles after a run: what each holds, and the office's hand edits (move, lock, publish).

Drafts are the optimiser's proposal; the office may move a site between drafts, lock a draft so
the next run builds around it, and publish it, which makes it final (DESIGN.md: published bundles
are never part of an instance again). Hand edits may break the run's limits; they are allowed —
the office has the last word — and each bundle lists the limits it breaks.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session, col, select

from gis.distance import pairwise_distances_m, project_points
from pvhub.accounts.models import User
from pvhub.bundling.enums import BundleStatus
from pvhub.bundling.models import Bundle, BundleSite, BundlingRun
from pvhub.core import audit, policy
from pvhub.core.errors import Conflict, InvalidInput, NotFound
from pvhub.economics.cashflow import Economics
from pvhub.economics.service import groups_economics, sites_economics
from pvhub.estimates.models import Estimate
from pvhub.register.enums import BusinessModel, SurfaceStatus
from pvhub.register.models import Site, Surface
from pvhub.tendering.models import TenderLot

# Colour per bundle on the map: a qualitative palette readable on light tiles (ColorBrewer-like
# hues chosen by hand; twelve are enough to tell neighbours apart).
PALETTE = (
    "#1f77b4",
    "#d62728",
    "#2ca02c",
    "#9467bd",
    "#ff7f0e",
    "#17becf",
    "#8c564b",
    "#e377c2",
    "#bcbd22",
    "#7f7f7f",
    "#393b79",
    "#637939",
)


@dataclass(frozen=True)
class LimitWarning:
    """A limit of the bundle's run that it breaks: a message template and the limit's value."""

    template: str
    limit: float

    def text(self) -> str:
        return self.template % {"limit": f"{self.limit:,.0f}"}


@dataclass
class BundleView:
    """A bundle as pages and the API show it."""

    id: int
    code: str
    status: BundleStatus
    capacity_kwp: float
    annual_kwh: float
    anchor_site_id: int | None
    site_ids: list[int]
    kinds: dict[str, int]
    subdistricts: list[str]
    diameter_m: float
    run_id: int | None
    published_at: datetime | None
    colour: str = "#0f6e5a"
    warnings: list[LimitWarning] = field(default_factory=list)


def _readable(user: User) -> Any:
    if policy.can(user, "bundle:read_all"):
        return None
    policy.require(user, "bundle:read_published")
    return BundleStatus.published


def _sites_of(session: Session, bundle_ids: list[int]) -> dict[int, list[int]]:
    members: dict[int, list[int]] = defaultdict(list)
    rows = session.exec(select(BundleSite).where(col(BundleSite.bundle_id).in_(bundle_ids))).all()
    for row in rows:
        members[row.bundle_id].append(row.site_id)
    return members


def _limits(session: Session, run_id: int | None) -> dict[str, Any]:
    run = session.get(BundlingRun, run_id) if run_id is not None else None
    return dict(run.parameters) if run is not None else {}


# Messages for limits a hand-edited bundle breaks; the pages translate them (web/vocabulary.py).
BELOW_MIN = "below the run's minimum of %(limit)s kWp"
ABOVE_MAX = "above the run's maximum of %(limit)s kWp"
TOO_MANY_SITES = "more than %(limit)s sites"
TOO_FAR = "a site is more than %(limit)s m from the anchor"


def _warnings(view: BundleView, limits: dict[str, Any], spread_m: float) -> list[LimitWarning]:
    out = []
    low, high = limits.get("min_capacity_kwp"), limits.get("max_capacity_kwp")
    if low is not None and view.capacity_kwp < low - 1e-6:
        out.append(LimitWarning(BELOW_MIN, low))
    if high is not None and view.capacity_kwp > high + 1e-6:
        out.append(LimitWarning(ABOVE_MAX, high))
    if limits.get("max_sites") is not None and len(view.site_ids) > limits["max_sites"]:
        out.append(LimitWarning(TOO_MANY_SITES, limits["max_sites"]))
    if limits.get("max_distance_m") is not None and spread_m > limits["max_distance_m"] + 1e-6:
        out.append(LimitWarning(TOO_FAR, limits["max_distance_m"]))
    return out


def _views(session: Session, bundles: list[Bundle]) -> list[BundleView]:
    ids = [b.id for b in bundles if b.id is not None]
    members = _sites_of(session, ids)
    all_sites = sorted({s for v in members.values() for s in v})
    sites = {s.id: s for s in session.exec(select(Site).where(col(Site.id).in_(all_sites))).all()}
    kinds: dict[int, Counter[str]] = defaultdict(Counter)
    for site_id, kind in session.exec(
        select(Surface.site_id, Surface.kind).where(
            col(Surface.site_id).in_(all_sites), Surface.status == SurfaceStatus.approved
        )
    ).all():
        kinds[site_id][str(kind)] += 1
    limits = {run_id: _limits(session, run_id) for run_id in {b.run_id for b in bundles}}
    views = []
    for n, b in enumerate(bundles):
        assert b.id is not None
        site_ids = sorted(members.get(b.id, []))
        total: Counter[str] = Counter()
        for s in site_ids:
            total.update(kinds[s])
        xy = project_points([(sites[s].lon, sites[s].lat) for s in site_ids]) if site_ids else None
        diameter = float(pairwise_distances_m(xy).max()) if xy is not None and len(site_ids) > 1 else 0.0
        spread = 0.0
        if xy is not None and b.anchor_site_id in site_ids:
            centre = xy[site_ids.index(b.anchor_site_id)]
            spread = float(((xy - centre) ** 2).sum(axis=1).max() ** 0.5)
        view = BundleView(
            id=b.id,
            code=b.code,
            status=b.status,
            capacity_kwp=b.capacity_kwp,
            annual_kwh=b.annual_kwh,
            anchor_site_id=b.anchor_site_id,
            site_ids=site_ids,
            kinds=dict(sorted(total.items())),
            subdistricts=sorted({sites[s].subdistrict for s in site_ids if sites[s].subdistrict}),
            diameter_m=round(diameter, 1),
            run_id=b.run_id,
            published_at=b.published_at,
            colour=PALETTE[n % len(PALETTE)],
        )
        view.warnings = (
            _warnings(view, limits[b.run_id], spread) if b.status != BundleStatus.published else []
        )
        views.append(view)
    return views


def list_bundles(*, session: Session, user: User, status: BundleStatus | None = None) -> list[BundleView]:
    """Bundles the user may see (office: all; suppliers: published), newest code last."""
    only = _readable(user)
    query = select(Bundle)
    if only is not None:
        query = query.where(Bundle.status == only)
    if status is not None:
        query = query.where(Bundle.status == status)
    return _views(session, list(session.exec(query.order_by(col(Bundle.code))).all()))


def get_bundle(*, session: Session, user: User, bundle_id: int) -> BundleView:
    """One bundle the user may see (NotFound otherwise, so drafts stay unknown to suppliers)."""
    only = _readable(user)
    bundle = session.get(Bundle, bundle_id)
    if bundle is None or (only is not None and bundle.status != only):
        raise NotFound("No bundle with id {bundle_id}.", bundle_id=bundle_id)
    return _views(session, [bundle])[0]


def _editable(session: Session, actor: User, bundle_id: int) -> Bundle:
    policy.require(actor, "bundle:edit")
    bundle = session.get(Bundle, bundle_id)
    if bundle is None:
        raise NotFound("No bundle with id {bundle_id}.", bundle_id=bundle_id)
    if bundle.status == BundleStatus.published:
        raise Conflict("Bundle {code} is published and can no longer change.", code=bundle.code)
    return bundle


def _refresh_totals(session: Session, bundle: Bundle) -> None:
    """Recompute kWp and kWh from the current estimates of the bundle's approved surfaces."""
    site_ids = [
        r.site_id for r in session.exec(select(BundleSite).where(BundleSite.bundle_id == bundle.id)).all()
    ]
    rows = session.exec(
        select(Estimate.capacity_kwp, Estimate.annual_kwh)
        .join(Surface, col(Surface.id) == col(Estimate.surface_id))
        .where(col(Surface.site_id).in_(site_ids), Surface.status == SurfaceStatus.approved)
    ).all()
    bundle.capacity_kwp = round(sum(r[0] for r in rows), 3)
    bundle.annual_kwh = round(sum(r[1] for r in rows), 1)
    if bundle.anchor_site_id not in site_ids:
        bundle.anchor_site_id = site_ids[0] if site_ids else None


def set_locked(*, session: Session, actor: User, bundle_id: int, locked: bool) -> Bundle:
    """Lock a draft (the next run keeps its sites in it) or unlock it."""
    bundle = _editable(session, actor, bundle_id)
    before = audit.snapshot(bundle)
    bundle.status = BundleStatus.locked if locked else BundleStatus.draft
    audit.record(
        session,
        actor=actor,
        entity="bundle",
        entity_id=bundle.id,
        action="lock" if locked else "unlock",
        before=before,
        after=audit.snapshot(bundle),
    )
    return bundle


def move_site(*, session: Session, actor: User, site_id: int, bundle_id: int | None) -> None:
    """Move a site into another draft bundle, or out of bundling (``bundle_id`` None)."""
    policy.require(actor, "bundle:edit")
    if session.get(Site, site_id) is None:
        raise NotFound("No site with id {site_id}.", site_id=site_id)
    current = session.exec(select(BundleSite).where(BundleSite.site_id == site_id)).first()
    source = session.get(Bundle, current.bundle_id) if current is not None else None
    if source is not None and source.status == BundleStatus.published:
        raise Conflict(
            "Site {site_id} is in published bundle {code}; it can no longer move.",
            site_id=site_id,
            code=source.code,
        )
    target = _editable(session, actor, bundle_id) if bundle_id is not None else None
    if source is not None and target is not None and source.id == target.id:
        return
    if current is not None:
        session.delete(current)
        session.flush()
    if target is not None and target.id is not None:
        session.add(BundleSite(bundle_id=target.id, site_id=site_id))
        session.flush()
    for bundle in (source, target):
        if bundle is not None:
            _refresh_totals(session, bundle)
    audit.record(
        session,
        actor=actor,
        entity="site",
        entity_id=site_id,
        action="move_bundle",
        before={"bundle": source.code if source else None},
        after={"bundle": target.code if target else None},
    )


def publish(*, session: Session, actor: User, bundle_id: int) -> Bundle:
    """Make a draft final: it can be offered in a tender and no run will touch it again."""
    policy.require(actor, "bundle:publish")
    bundle = _editable(session, actor, bundle_id)
    if not session.exec(select(BundleSite).where(BundleSite.bundle_id == bundle.id)).first():
        raise Conflict("Bundle {code} has no sites; there is nothing to publish.", code=bundle.code)
    before = audit.snapshot(bundle)
    _refresh_totals(session, bundle)
    bundle.status, bundle.published_at = BundleStatus.published, datetime.now(UTC)
    audit.record(
        session,
        actor=actor,
        entity="bundle",
        entity_id=bundle.id,
        action="publish",
        before=before,
        after=audit.snapshot(bundle),
    )
    return bundle


def site_markers(session: Session, views: list[BundleView]) -> list[dict[str, Any]]:
    """Map markers: each bundled site in its bundle's colour, anchors drawn larger."""
    ids = sorted({s for v in views for s in v.site_ids})
    sites = {s.id: s for s in session.exec(select(Site).where(col(Site.id).in_(ids))).all()}
    return [
        {
            "id": s,
            "name": sites[s].name,
            "lon": sites[s].lon,
            "lat": sites[s].lat,
            "colour": v.colour,
            "group": v.code,
            "anchor": s == v.anchor_site_id,
        }
        for v in views
        for s in v.site_ids
    ]


def site_names(session: Session, site_ids: list[int]) -> dict[int, str]:
    rows = session.exec(select(Site.id, Site.name).where(col(Site.id).in_(site_ids))).all()
    return {i: n for i, n in rows if i is not None}


def runs(*, session: Session, user: User, limit: int = 20) -> list[BundlingRun]:
    """Latest runs first (office)."""
    policy.require(user, "bundle:run")
    return list(session.exec(select(BundlingRun).order_by(col(BundlingRun.id).desc()).limit(limit)).all())


def offered_model(session: Session, bundle_id: int) -> BusinessModel | None:
    """The business model of the lot the bundle was last offered as; None while it was never tendered.

    A read of the tendering table below it (listed in pyproject.toml's import-linter contracts): the lot
    decides what is bid, so the bundle's figures follow it.
    """
    lot = session.exec(
        select(TenderLot).where(TenderLot.bundle_id == bundle_id).order_by(col(TenderLot.id).desc())
    ).first()
    return lot.business_model if lot is not None else None


def bundle_economics(
    *, session: Session, user: User, bundle_id: int, model: BusinessModel | None = None
) -> Economics:
    """What a bundle is worth under one business model, at the programme's default terms.

    Readable as the bundle is (office: all; suppliers: published). Without ``model``: the model of the
    lot it was offered as, else the one of most kWp among its sites (the economics service's rule).
    """
    view = get_bundle(session=session, user=user, bundle_id=bundle_id)
    chosen = model or offered_model(session, bundle_id)
    found = sites_economics(
        session=session, site_ids=view.site_ids, model=chosen.value if chosen is not None else None
    )
    if found is None:
        raise InvalidInput(
            "Bundle {code} has no approved surface with a current estimate: re-estimate first.",
            code=view.code,
        )
    return found


def bundles_economics(session: Session, views: list[BundleView]) -> dict[int, Economics]:
    """Each bundle's economics for the bundles page, in one read of all their sites (bundles without
    a current estimate are left out); each under the model of the lot it was offered as, if any."""
    ids = [view.id for view in views]
    lots = session.exec(
        select(TenderLot.bundle_id, TenderLot.business_model)
        .where(col(TenderLot.bundle_id).in_(ids))
        .order_by(col(TenderLot.id))
    ).all()
    offered = {bundle_id: BusinessModel(model).value for bundle_id, model in lots}  # the last lot wins
    groups = {view.id: view.site_ids for view in views}
    return groups_economics(session=session, groups=groups, models=offered)
