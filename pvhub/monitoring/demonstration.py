"""Demonstration points: proposing candidates from the register, designating them, following them.

A demonstration point (示范点) is a site, or a cluster of nearby sites, whose PV spans at least three
of the four surface kinds *at different heights* — e.g. a roof at 60 m, a curtain wall at 30 m and
a walkway canopy at 4 m. pvhub reads "different heights" strictly: it must be possible to pick one
approved surface of each of three kinds whose heights differ pairwise by at least
``height_step_m`` (default 3 m, about one storey). The check is exact (see :func:`qualifying_kinds`).

A *cluster* is a seed site plus sites within the programme's ``demo_point_radius_m`` of it
(default 100 m, site centroids). Proposals grow each seed nearest-first until the cluster
qualifies, then drop every added site it can do without, so each proposal is a minimal cluster;
sites that qualify alone are proposed alone and never used to make up someone else's cluster.

The office designates points while planning, before bundling: a site already in a published
bundle cannot join a point, a site belongs to one point at most, and the programme's
``demo_points_max`` caps their number. Bundling then keeps each point's sites together. A point is
complete when every approved surface of its sites is grid-connected.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import sqlalchemy as sa
from scipy.spatial import cKDTree
from sqlmodel import Session, col, func, select

from gis.distance import project_points
from pvhub.accounts.models import User
from pvhub.bundling.enums import BundleStatus
from pvhub.bundling.models import Bundle, BundleSite
from pvhub.construction.models import Construction
from pvhub.core import audit, policy
from pvhub.core.errors import Conflict, InvalidInput, NotFound
from pvhub.estimates.models import Estimate
from pvhub.programme.models import DemonstrationPoint, DemonstrationPointSite
from pvhub.programme.service import get_programme
from pvhub.register.enums import SurfaceKind, SurfaceStatus
from pvhub.register.models import Site, Surface

DEFAULT_HEIGHT_STEP_M = 3.0
MIN_KINDS = 3
GRID_CONNECTED_RANK = 7  # Construction.stage_rank once the grid_connected milestone is confirmed
_KIND_BIT = {kind.value: 1 << i for i, kind in enumerate(SurfaceKind)}


@dataclass(frozen=True)
class Layer:
    """One surface picked to show the point spans kinds at different heights."""

    kind: str
    height_m: float


def qualifying_kinds(surfaces: Iterable[tuple[str, float]], *, height_step_m: float) -> list[Layer]:
    """The largest set of distinct kinds with one surface each at pairwise different heights.

    ``surfaces`` are ``(kind, height_m)``. Exact, in O(n log n): scanning heights upwards, keep for
    every set of kinds the lowest height at which a chain using exactly those kinds, each at least
    ``height_step_m`` above the previous, can end — a lower end never blocks an extension a higher
    one allows, so the first height recorded for a set is the best one.
    """
    best: dict[int, float] = {0: float("-inf")}
    back: dict[int, tuple[int, Layer]] = {}
    for kind, height in sorted(surfaces, key=lambda item: item[1]):
        bit = _KIND_BIT[kind]
        for kinds_set, last in list(best.items()):
            grown = kinds_set | bit
            if kinds_set & bit or grown in best or height < last + height_step_m:
                continue
            best[grown] = height
            back[grown] = (kinds_set, Layer(kind, height))
    widest = max(best, key=lambda s: (s.bit_count(), -best[s]))
    layers: list[Layer] = []
    while widest:
        widest, layer = back[widest]
        layers.append(layer)
    return sorted(layers, key=lambda layer: -layer.height_m)


@dataclass(frozen=True)
class Candidate:
    """A proposed demonstration point: its sites, kinds, the layers that qualify it, its size."""

    site_ids: tuple[int, ...]
    site_names: tuple[str, ...]
    kinds: tuple[str, ...]
    layers: tuple[Layer, ...]
    surfaces: int
    capacity_kwp: float
    spread_m: float

    @property
    def key(self) -> str:
        return "-".join(str(i) for i in self.site_ids)


@dataclass
class _SiteInfo:
    id: int
    name: str
    xy: tuple[float, float]
    surfaces: list[tuple[str, float]] = field(default_factory=list)
    capacity_kwp: float = 0.0


def _eligible_sites(session: Session, *, exclude_designated: bool) -> dict[int, _SiteInfo]:
    """Sites with approved surfaces that are not in a published bundle (nor, optionally, in a point)."""
    published = (
        select(BundleSite.site_id)
        .join(Bundle, col(Bundle.id) == col(BundleSite.bundle_id))
        .where(Bundle.status == BundleStatus.published)
    )
    query = (
        sa.select(
            col(Site.id),
            col(Site.name),
            col(Site.lon),
            col(Site.lat),
            col(Surface.kind),
            col(Surface.height_m),
            col(Estimate.capacity_kwp),
        )
        .join(Surface, col(Surface.site_id) == col(Site.id))
        .join(Estimate, col(Estimate.surface_id) == col(Surface.id), isouter=True)
        .where(col(Surface.status) == SurfaceStatus.approved, col(Site.id).not_in(published))
    )
    if exclude_designated:
        query = query.where(col(Site.id).not_in(select(DemonstrationPointSite.site_id)))
    rows = session.connection().execute(query).all()  # more columns than sqlmodel's select types
    if not rows:
        return {}
    sites: dict[int, _SiteInfo] = {}
    lonlat: dict[int, tuple[float, float]] = {}
    for site_id, name, lon, lat, kind, height, kwp in rows:
        assert site_id is not None
        info = sites.setdefault(site_id, _SiteInfo(site_id, name, (0.0, 0.0)))
        lonlat[site_id] = (lon, lat)
        info.surfaces.append((kind.value, float(height)))
        info.capacity_kwp += float(kwp or 0.0)
    ids = list(sites)
    xy = project_points(np.array([lonlat[i] for i in ids]))
    for site_id, (x, y) in zip(ids, xy, strict=True):
        sites[site_id].xy = (float(x), float(y))
    return sites


def _distance(a: _SiteInfo, b: _SiteInfo) -> float:
    return float(np.hypot(a.xy[0] - b.xy[0], a.xy[1] - b.xy[1]))


def _qualifies(members: Sequence[_SiteInfo], height_step_m: float, min_kinds: int) -> list[Layer] | None:
    layers = qualifying_kinds((s for member in members for s in member.surfaces), height_step_m=height_step_m)
    return layers if len(layers) >= min_kinds else None


def _candidate(members: Sequence[_SiteInfo], layers: list[Layer]) -> Candidate:
    ordered = sorted(members, key=lambda m: m.id)
    seed = members[0]
    return Candidate(
        site_ids=tuple(m.id for m in ordered),
        site_names=tuple(m.name for m in ordered),
        kinds=tuple(
            k.value for k in SurfaceKind if any(s[0] == k.value for m in members for s in m.surfaces)
        ),
        layers=tuple(layers),
        surfaces=sum(len(m.surfaces) for m in members),
        capacity_kwp=round(sum(m.capacity_kwp for m in members), 2),
        spread_m=round(max(_distance(seed, m) for m in members), 1),
    )


def _grow(
    seed: _SiteInfo,
    neighbours: list[_SiteInfo],
    height_step_m: float,
    min_kinds: int,
) -> list[_SiteInfo] | None:
    """Nearest-first until it qualifies, then drop the added sites it can do without (furthest first)."""
    members = [seed]
    kinds = _kind_bits(seed)
    for neighbour in neighbours:
        members.append(neighbour)
        kinds |= _kind_bits(neighbour)
        # fewer distinct kinds than needed cannot qualify: skip the exact (costlier) check
        if kinds.bit_count() >= min_kinds and _qualifies(members, height_step_m, min_kinds):
            break
    else:
        return None
    for extra in sorted(members[1:], key=lambda m: -_distance(seed, m)):
        trial = [m for m in members if m is not extra]
        if _qualifies(trial, height_step_m, min_kinds):
            members = trial
    return members


def _kind_bits(site: _SiteInfo) -> int:
    bits = 0
    for kind, _height in site.surfaces:
        bits |= _KIND_BIT[kind]
    return bits


def _neighbours_nearest_first(xy: np.ndarray, radius: float) -> list[list[int]]:
    """For each point, the other points within ``radius`` (metres), nearest first (ties by index).

    A k-d tree finds them: comparing every site with every other one cost ~200 ms per page view
    at 4,000 sites (the bundles page proposes candidates each time it is shown).
    """
    tree = cKDTree(xy)
    out = []
    for index, found in enumerate(tree.query_ball_point(xy, r=radius)):
        near = np.array([j for j in found if j != index], dtype=np.int64)
        distance = np.hypot(*(xy[near] - xy[index]).T) if near.size else np.empty(0)
        out.append([int(j) for j in near[np.lexsort((near, distance))]])
    return out


def propose_candidates(
    session: Session,
    *,
    radius_m: float | None = None,
    height_step_m: float = DEFAULT_HEIGHT_STEP_M,
    min_kinds: int = MIN_KINDS,
    limit: int = 20,
) -> list[Candidate]:
    """Candidate points from approved surfaces, best first: most kinds, then most kWp, then fewest sites.

    ``radius_m`` defaults to the programme's ``demo_point_radius_m``. Sites already designated or in
    a published bundle are left out.
    """
    radius = radius_m if radius_m is not None else get_programme(session=session).demo_point_radius_m
    sites = _eligible_sites(session, exclude_designated=True)
    qualified = {sid: _qualifies([info], height_step_m, min_kinds) for sid, info in sites.items()}
    alone = {sid: layers for sid, layers in qualified.items() if layers is not None}
    found: dict[tuple[int, ...], Candidate] = {
        (sid,): _candidate([sites[sid]], layers) for sid, layers in alone.items()
    }
    ids = [sid for sid in sites if sid not in alone]
    if ids:
        xy = np.array([sites[i].xy for i in ids])
        for index, near in enumerate(_neighbours_nearest_first(xy, radius)):
            sid = ids[index]
            members = _grow(sites[sid], [sites[ids[j]] for j in near], height_step_m, min_kinds)
            if members is None:
                continue
            key = tuple(sorted(m.id for m in members))
            if key not in found:
                layers = _qualifies(members, height_step_m, min_kinds)
                assert layers is not None
                found[key] = _candidate(members, layers)
    ranked = sorted(
        found.values(), key=lambda c: (-len(c.layers), -len(c.kinds), -c.capacity_kwp, len(c.site_ids))
    )
    return ranked[:limit]


def designate_point(
    session: Session,
    *,
    actor: User,
    site_ids: Sequence[int],
    name: str,
    name_en: str | None = None,
    height_step_m: float = DEFAULT_HEIGHT_STEP_M,
) -> DemonstrationPoint:
    """Designate a demonstration point (office), after checking every rule; audited.

    Raises InvalidInput when the sites do not qualify or are too far apart, Conflict when a site is
    already in a point or a published bundle, or when the programme's number of points is reached.
    """
    policy.require(actor, "demo_point:designate")
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise InvalidInput("Give the point a name of 1 to 200 characters.", field="name")
    unique_ids = sorted(set(site_ids))
    if not unique_ids:
        raise InvalidInput("Choose at least one site.", field="site_ids")
    programme = get_programme(session=session)
    existing = session.exec(select(func.count()).select_from(DemonstrationPoint)).one()
    if existing >= programme.demo_points_max:
        raise Conflict(
            "The programme already has {count} demonstration point(s), its maximum; "
            "remove one or raise the maximum first.",
            count=existing,
            field="site_ids",
        )
    _check_sites_free(session, unique_ids)
    sites = _eligible_sites(session, exclude_designated=False)
    missing = [sid for sid in unique_ids if sid not in sites]
    if missing:
        raise InvalidInput(
            "Site(s) {site_ids} have no approved surface (or do not exist).",
            site_ids=missing,
            field="site_ids",
        )
    members = [sites[sid] for sid in unique_ids]
    _check_radius(members, programme.demo_point_radius_m)
    if _qualifies(members, height_step_m, MIN_KINDS) is None:
        layers = qualifying_kinds((s for m in members for s in m.surfaces), height_step_m=height_step_m)
        raise InvalidInput(
            "These sites' approved surfaces span only {kinds} kind(s) at heights at least "
            "{height_step_m:g} m apart; a demonstration point needs {min_kinds}.",
            kinds=len(layers),
            height_step_m=height_step_m,
            min_kinds=MIN_KINDS,
            field="site_ids",
        )
    point = DemonstrationPoint(name=name, name_en=(name_en or "").strip() or None)
    session.add(point)
    session.flush()
    assert point.id is not None
    session.add_all([DemonstrationPointSite(point_id=point.id, site_id=sid) for sid in unique_ids])
    audit.record(
        session,
        actor=actor,
        entity="demonstration_point",
        entity_id=point.id,
        action="designate",
        after={**(audit.snapshot(point) or {}), "site_ids": unique_ids},
    )
    return point


def _check_sites_free(session: Session, site_ids: list[int]) -> None:
    taken = session.exec(
        select(DemonstrationPointSite.site_id, DemonstrationPointSite.point_id).where(
            col(DemonstrationPointSite.site_id).in_(site_ids)
        )
    ).all()
    if taken:
        sid, pid = taken[0]
        raise Conflict(
            "Site {site_id} already belongs to demonstration point {point_id}.",
            site_id=sid,
            point_id=pid,
            field="site_ids",
        )
    bundled = session.exec(
        select(BundleSite.site_id)
        .join(Bundle, col(Bundle.id) == col(BundleSite.bundle_id))
        .where(col(BundleSite.site_id).in_(site_ids), Bundle.status == BundleStatus.published)
    ).first()
    if bundled is not None:
        raise Conflict(
            "Site {site_id} is already in a published bundle; points are designated before bundling.",
            site_id=bundled,
            field="site_ids",
        )


def _check_radius(members: list[_SiteInfo], radius_m: float) -> None:
    """Some site (the centre) must have every other within ``radius_m``."""
    if len(members) == 1:
        return
    if min(max(_distance(c, m) for m in members) for c in members) > radius_m:
        raise InvalidInput(
            "The sites are too far apart: no site has all the others within {radius_m:g} m.",
            radius_m=radius_m,
            field="site_ids",
        )


def remove_point(session: Session, *, actor: User, point_id: int) -> None:
    """Undo a designation (office), allowed while none of its sites is in a published bundle."""
    policy.require(actor, "demo_point:designate")
    point = session.get(DemonstrationPoint, point_id)
    if point is None:
        raise NotFound("Demonstration point {point_id} does not exist.", point_id=point_id)
    links = list(
        session.exec(select(DemonstrationPointSite).where(DemonstrationPointSite.point_id == point_id)).all()
    )
    published = session.exec(
        select(BundleSite.site_id)
        .join(Bundle, col(Bundle.id) == col(BundleSite.bundle_id))
        .where(col(BundleSite.site_id).in_([link.site_id for link in links]))
        .where(Bundle.status == BundleStatus.published)
    ).first()
    if published is not None:
        raise Conflict("The point's sites are already tendered; it can no longer be removed.")
    before = {**(audit.snapshot(point) or {}), "site_ids": [link.site_id for link in links]}
    for link in links:
        session.delete(link)
    session.flush()
    session.delete(point)
    audit.record(
        session, actor=actor, entity="demonstration_point", entity_id=point_id, action="remove", before=before
    )


@dataclass(frozen=True)
class PointProgress:
    """How far a point is: its surfaces and kWp, and those grid-connected. Public (no personal data)."""

    id: int
    name: str
    name_en: str | None
    site_ids: tuple[int, ...]
    lon: float
    lat: float
    surfaces: int
    connected_surfaces: int
    capacity_kwp: float
    connected_kwp: float
    kinds: tuple[str, ...]
    connected_kinds: tuple[str, ...]
    complete: bool

    @property
    def fraction(self) -> float:
        return self.connected_kwp / self.capacity_kwp if self.capacity_kwp else 0.0


def points_progress(session: Session) -> list[PointProgress]:
    """Every designated point with its progress; complete when all its approved surfaces are connected."""
    points = session.exec(select(DemonstrationPoint).order_by(col(DemonstrationPoint.id))).all()
    if not points:
        return []
    rows = (
        session.connection()
        .execute(
            sa.select(
                col(DemonstrationPointSite.point_id),
                col(Site.id),
                col(Site.lon),
                col(Site.lat),
                col(Surface.kind),
                col(Estimate.capacity_kwp),
                col(Construction.installed_kwp),
                col(Construction.stage_rank),
            )
            .join(Site, col(Site.id) == col(DemonstrationPointSite.site_id))
            .join(Surface, col(Surface.site_id) == col(Site.id))
            .join(Estimate, col(Estimate.surface_id) == col(Surface.id), isouter=True)
            .join(Construction, col(Construction.surface_id) == col(Surface.id), isouter=True)
            .where(col(Surface.status) == SurfaceStatus.approved)
        )
        .all()
    )
    grouped: dict[int, list[tuple[int | None, float, float, str, float, bool]]] = defaultdict(list)
    for point_id, site_id, lon, lat, kind, est_kwp, inst_kwp, rank in rows:
        kwp = float(inst_kwp if inst_kwp is not None else (est_kwp or 0.0))
        grouped[point_id].append((site_id, lon, lat, kind.value, kwp, (rank or 0) >= GRID_CONNECTED_RANK))
    site_sets: dict[int, set[int]] = defaultdict(set)
    for point_id, site_id in session.exec(
        select(DemonstrationPointSite.point_id, DemonstrationPointSite.site_id)
    ):
        site_sets[point_id].add(site_id)
    out = []
    for point in points:
        assert point.id is not None
        items = grouped.get(point.id, [])
        connected = [i for i in items if i[5]]
        lons = [i[1] for i in items] or [0.0]
        lats = [i[2] for i in items] or [0.0]
        out.append(
            PointProgress(
                id=point.id,
                name=point.name,
                name_en=point.name_en,
                site_ids=tuple(sorted(site_sets[point.id])),
                lon=float(np.mean(lons)),
                lat=float(np.mean(lats)),
                surfaces=len(items),
                connected_surfaces=len(connected),
                capacity_kwp=round(sum(i[4] for i in items), 2),
                connected_kwp=round(sum(i[4] for i in connected), 2),
                kinds=tuple(k.value for k in SurfaceKind if any(i[3] == k.value for i in items)),
                connected_kinds=tuple(
                    k.value for k in SurfaceKind if any(i[3] == k.value for i in connected)
                ),
                complete=bool(items) and len(connected) == len(items),
            )
        )
    return out
