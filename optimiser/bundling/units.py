"""Units of assignment (a site with its keep_with group and locked bundle) and their feasible anchors.

A *unit* is a set of sites that must share a bundle: sites joined by a ``keep_with`` group or by a
``locked_bundle`` label (transitively). An *anchor* is any site; pair ``(u, j)`` is feasible when
every site of ``u`` lies within ``max_distance_m`` of ``j`` and unit ``u`` together with the anchor's
own unit respects ``max_capacity_kw`` and ``max_sites``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from optimiser.bundling.bankable import group_ids, prune
from optimiser.bundling.instance import BundlingInstance


@dataclass(frozen=True)
class Unit:
    """Sites (indices into ``instance.sites``) that go together; ``capacity_kw`` in kWp."""

    members: tuple[int, ...]
    capacity_kw: float
    locked_bundle: str | None
    label: str  # how reasons name it: "site 'a'" or "keep_with group 'g'"
    value: float = 0.0  # summed site values, CNY
    groups: tuple[str | None, ...] = (None,)  # its sites' distinct ``group`` labels


@dataclass
class Prepared:
    """Units, their feasible anchors with real distances, and why some units fit nowhere."""

    units: list[Unit]
    unit_of_site: np.ndarray  # site index -> unit index
    xy: np.ndarray  # (n, 2) metres
    # feasible anchors per unit: site indices and the unit's summed distance to each (metres)
    anchors: list[np.ndarray]
    dists: list[np.ndarray]
    unfit: dict[int, str]  # unit index -> reason it fits no bundle
    conflicts: list[str]  # contradictory instance data (a unit locked to two bundles)
    anchor_ok: np.ndarray  # site index -> may open a bundle
    limit_m: float  # max_distance_m, inf when unset
    # per unit: least summed distance of a feasible anchor left out by ``candidates`` (inf: none left out)
    cut_m: np.ndarray | None = None
    # per unit: group id under same_group_only (-1: its sites' groups differ); None without it
    unit_gid: np.ndarray | None = None

    def __post_init__(self) -> None:
        self.xs: list[float] = self.xy[:, 0].tolist()
        self.ys: list[float] = self.xy[:, 1].tolist()
        n = len(self.units)
        self.unit_cap = np.array([u.capacity_kw for u in self.units], dtype=float)
        self.unit_sites = np.array([len(u.members) for u in self.units], dtype=np.int64)
        self.unit_locked = np.array([u.locked_bundle is not None for u in self.units], dtype=bool)
        self.unit_value = np.array([u.value for u in self.units], dtype=float)
        self.unit_first = self.xy[[u.members[0] for u in self.units]].reshape(n, 2)  # first site's x, y
        # single-site, unlocked units: their pair cost is the plain distance (see pair_costs)
        self.unit_simple = (self.unit_sites == 1) & ~self.unit_locked
        # units of positive kWp that fit some bundle: bundling all of them is the most kWp possible
        self.fit_mask = (self.unit_cap > 0) & np.array([u not in self.unfit for u in range(n)], dtype=bool)
        self.fit: set[int] = set(np.flatnonzero(self.fit_mask).tolist())

    def pair_costs(self, units: np.ndarray, sites: np.ndarray) -> np.ndarray:
        """``pair_cost`` of every unit in ``units`` to every site in ``sites`` as a matrix.

        Vectorised for single-site unlocked units (nearly all of them), whose pair cost is the distance
        within the limit to a site that may anchor; the others go through ``pair_cost`` one by one.
        """
        units = np.asarray(units, dtype=np.int64)
        sites = np.asarray(sites, dtype=np.int64)
        first, at = self.unit_first[units], self.xy[sites]
        d = np.hypot(first[:, 0][:, None] - at[:, 0][None, :], first[:, 1][:, None] - at[:, 1][None, :])
        d[(d > self.limit_m + 1e-9) | ~self.anchor_ok[sites][None, :]] = math.inf
        if self.unit_gid is not None:  # same_group_only: an anchor's unit and the unit share a group
            gid = self.unit_gid
            d[gid[units][:, None] != gid[self.unit_of_site[sites]][None, :]] = math.inf
        for r in np.flatnonzero(~self.unit_simple[units]).tolist():
            d[r] = [self.pair_cost(int(units[r]), int(j)) for j in sites.tolist()]
        return d

    def pair_cost(self, ui: int, j: int) -> float:
        """Summed distance (m) of unit ``ui`` to anchor ``j``; inf when the pair is never feasible."""
        if not self.anchor_ok[j]:
            return math.inf
        host = int(self.unit_of_site[j])
        both_locked = self.units[ui].locked_bundle is not None and self.units[host].locked_bundle is not None
        if host != ui and both_locked:
            return math.inf
        if self.unit_gid is not None and self.unit_gid[host] != self.unit_gid[ui]:
            return math.inf
        members = self.units[ui].members
        if len(members) == 1:  # fast path: most units are single sites
            xs, ys = self.xs, self.ys
            one = math.hypot(xs[members[0]] - xs[j], ys[members[0]] - ys[j])
            return math.inf if one > self.limit_m + 1e-9 else one
        pts = self.xy[list(members)]
        d = np.hypot(pts[:, 0] - self.xy[j, 0], pts[:, 1] - self.xy[j, 1])
        if d.max() > self.limit_m + 1e-9:
            return math.inf
        return float(d.sum())


def _find(parent: list[int], i: int) -> int:
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def build_units(inst: BundlingInstance) -> tuple[list[Unit], np.ndarray, list[str]]:
    """Group sites into units by union-find over keep_with and locked_bundle labels."""
    n = len(inst.sites)
    parent = list(range(n))
    first: dict[tuple[str, str], int] = {}
    for i, site in enumerate(inst.sites):
        for kind, value in (("k", site.keep_with), ("l", site.locked_bundle)):
            if value is None:
                continue
            j = first.setdefault((kind, value), i)
            parent[_find(parent, i)] = _find(parent, j)
    groups: dict[int, list[int]] = {}
    for i in range(n):
        groups.setdefault(_find(parent, i), []).append(i)
    units: list[Unit] = []
    unit_of_site = np.empty(n, dtype=np.int64)
    conflicts: list[str] = []
    for members in sorted(groups.values()):
        sites = [inst.sites[i] for i in members]
        locks = sorted({s.locked_bundle for s in sites if s.locked_bundle is not None})
        keeps = sorted({s.keep_with for s in sites if s.keep_with is not None})
        if len(members) == 1:
            label = f"site {sites[0].id!r}"
        elif keeps:
            label = "keep_with group " + ", ".join(repr(k) for k in keeps)
        else:
            label = f"sites locked to bundle {locks[0]!r}"
        if len(locks) > 1:
            conflicts.append(f"{label} is locked to more than one bundle ({', '.join(locks)})")
        for i in members:
            unit_of_site[i] = len(units)
        lock = locks[0] if locks else None
        labels = tuple(sorted({s.group for s in sites}, key=lambda g: (g is not None, g or "")))
        units.append(
            Unit(
                tuple(members),
                sum(s.capacity_kw for s in sites),
                lock,
                label,
                value=sum(s.value for s in sites),
                groups=labels,
            )
        )
    return units, unit_of_site, conflicts


def _unit_size_ok(inst: BundlingInstance, cap: float, size: int) -> bool:
    return cap <= inst.max_capacity_kw + 1e-9 and (inst.max_sites is None or size <= inst.max_sites)


def prepare(
    inst: BundlingInstance, candidates: int | None = None, *, radius_m: float | None = None
) -> Prepared:
    """Units and feasible anchors; ``candidates`` keeps only each unit's nearest anchors (None: all).

    ``radius_m`` keeps only anchors within that distance of a unit's first site (the Lagrangian bound's
    pairs); ``cut_m`` then says that every left-out anchor is farther than ``radius_m``.
    """
    units, unit_of_site, conflicts = build_units(inst)
    n = len(inst.sites)
    xy = np.array([[s.x, s.y] for s in inst.sites], dtype=float).reshape(n, 2)
    limit = math.inf if inst.max_distance_m is None else inst.max_distance_m
    tree = cKDTree(xy) if n else None
    gid = group_ids([u.groups for u in units]) if inst.same_group_only else None
    # an anchor j can open only if its own unit is within reach of j and small enough (and of one group)
    anchor_ok = np.zeros(n, dtype=bool)
    own_cost = np.zeros(n)
    for ui, u in enumerate(units):
        if not _unit_size_ok(inst, u.capacity_kw, len(u.members)) or (gid is not None and gid[ui] < 0):
            continue
        pts = xy[list(u.members)]
        for j in u.members:
            d = np.hypot(*(pts - xy[j]).T)
            if d.max() <= limit + 1e-9:
                anchor_ok[j] = True
                own_cost[j] = d.sum()
    unfit: dict[int, str] = {}
    unit_cap = np.array([u.capacity_kw for u in units])
    unit_size = np.array([len(u.members) for u in units])
    unit_locked = np.array([u.locked_bundle is not None for u in units], dtype=bool)
    anchors: list[np.ndarray] = [np.zeros(0, dtype=np.int64)] * len(units)
    dists: list[np.ndarray] = [np.zeros(0)] * len(units)
    cut = np.full(len(units), math.inf)
    slow = list(range(len(units)))
    reach = limit if radius_m is None else min(limit, radius_m)
    if radius_m is not None and radius_m < limit:
        cut[:] = radius_m

    if candidates is not None and tree is not None and n > 4 * candidates:
        fast = _nearest_singletons(
            inst,
            units,
            unit_of_site,
            xy,
            tree,
            anchor_ok,
            limit,
            candidates,
            unit_cap,
            unit_size,
            unit_locked,
            gid,
        )
        for ui, (a, d, c) in fast.items():
            anchors[ui], dists[ui], cut[ui] = a, d, c
        slow = [ui for ui in slow if ui not in fast]
    near: dict[int, list[int]] = {}
    if tree is not None and math.isfinite(reach) and slow:
        hits = tree.query_ball_point(xy[[units[ui].members[0] for ui in slow]], reach + 1e-9)
        near = dict(zip(slow, hits, strict=True))
    for ui in slow:
        u = units[ui]
        pts = xy[list(u.members)]
        if tree is None or not _unit_size_ok(inst, u.capacity_kw, len(u.members)):
            cand = np.zeros(0, dtype=np.int64)
        elif not math.isfinite(reach):
            cand = np.arange(n)
        else:
            # sites within reach of the first member, then filtered on all members
            cand = np.array(sorted(near[ui]), dtype=np.int64)
        d = np.zeros(len(cand))
        ok = anchor_ok[cand] if len(cand) else np.zeros(0, dtype=bool)
        for p in pts:
            dp = np.hypot(xy[cand, 0] - p[0], xy[cand, 1] - p[1])
            ok &= dp <= limit + 1e-9
            d += dp
        cand, d = cand[ok], d[ok]
        if len(cand):
            other = unit_of_site[cand] != ui
            host = unit_of_site[cand]
            host_cap = unit_cap[host]
            host_size = unit_size[host]
            fits = host_cap + u.capacity_kw <= inst.max_capacity_kw + 1e-9
            if inst.max_sites is not None:
                fits &= host_size + len(u.members) <= inst.max_sites
            if u.locked_bundle is not None:
                fits &= ~unit_locked[host]
            if gid is not None:
                fits &= gid[host] == gid[ui]
            keep = ~other | fits
            cand, d = cand[keep], d[keep]
        if candidates is not None and len(cand) > candidates:
            own = unit_of_site[cand] == ui
            ranked = np.argsort(d + np.where(own, -1e18, 0.0), kind="stable")
            cut[ui] = float(d[ranked[candidates:]].min())
            order = np.sort(ranked[:candidates])
            cand, d = cand[order], d[order]
        anchors[ui], dists[ui] = cand, d
    for ui, u in enumerate(units):
        if not len(anchors[ui]):
            unfit[ui] = _unfit_reason(inst, u)
    if inst.min_value is not None or gid is not None:
        _prune(inst, units, unit_of_site, xy, anchors, dists, anchor_ok, unfit, gid, limit)
    return Prepared(
        units, unit_of_site, xy, anchors, dists, unfit, conflicts, anchor_ok, limit, cut, unit_gid=gid
    )


def _prune(
    inst: BundlingInstance,
    units: list[Unit],
    unit_of_site: np.ndarray,
    xy: np.ndarray,
    anchors: list[np.ndarray],
    dists: list[np.ndarray],
    anchor_ok: np.ndarray,
    unfit: dict[int, str],
    gid: np.ndarray | None,
    limit: float,
) -> None:
    """Units no bundle satisfying ``min_value`` / ``same_group_only`` can hold become unfit (in place):
    no anchors, their sites anchor nothing (:func:`optimiser.bundling.bankable.prune`)."""
    alive = np.array([ui not in unfit for ui in range(len(units))], dtype=bool)
    first = xy[[u.members[0] for u in units]].reshape(len(units), 2)
    pruned = prune(
        first,
        np.array([u.capacity_kw for u in units], dtype=float),
        np.array([u.value for u in units], dtype=float),
        gid,
        alive,
        limit_m=limit,
        min_value=inst.min_value,
        min_capacity_kw=inst.min_capacity_kw,
    )
    if not pruned:
        return
    gone = np.zeros(len(units), dtype=bool)
    for ui, why in pruned.items():
        unfit[ui] = f"{units[ui].label}: {why}"
        gone[ui] = True
        anchors[ui], dists[ui] = np.zeros(0, dtype=np.int64), np.zeros(0)
        anchor_ok[list(units[ui].members)] = False
    for ui in np.flatnonzero(~gone).tolist():
        keep = ~gone[unit_of_site[anchors[ui]]]
        if not keep.all():
            anchors[ui], dists[ui] = anchors[ui][keep], dists[ui][keep]
            if not len(anchors[ui]):
                unfit[ui] = _unfit_reason(inst, units[ui])


def _nearest_singletons(
    inst: BundlingInstance,
    units: list[Unit],
    unit_of_site: np.ndarray,
    xy: np.ndarray,
    tree: cKDTree,
    anchor_ok: np.ndarray,
    limit: float,
    k: int,
    unit_cap: np.ndarray,
    unit_size: np.ndarray,
    unit_locked: np.ndarray,
    gid: np.ndarray | None,
) -> dict[int, tuple[np.ndarray, np.ndarray, float]]:
    """Nearest feasible anchors of single-site units in one k-d tree query (the common case, fast).

    Units whose query runs out before ``k`` feasible anchors are left to the general path.
    """
    n = len(xy)
    ids = np.array(
        [ui for ui, u in enumerate(units) if len(u.members) == 1 and _unit_size_ok(inst, u.capacity_kw, 1)],
        dtype=np.int64,
    )
    if not len(ids):
        return {}
    sites = np.array([units[ui].members[0] for ui in ids], dtype=np.int64)
    q = min(n, 2 * k + 16)
    dd, ii = tree.query(xy[sites], k=q, distance_upper_bound=limit + 1e-9 if math.isfinite(limit) else np.inf)
    valid = ii < n
    jj = np.where(valid, ii, 0)
    host = unit_of_site[jj]
    own = host == ids[:, None]
    fits = unit_cap[host] + unit_cap[ids][:, None] <= inst.max_capacity_kw + 1e-9
    if inst.max_sites is not None:
        fits &= unit_size[host] + 1 <= inst.max_sites
    fits &= ~(unit_locked[host] & unit_locked[ids][:, None])
    if gid is not None:
        fits &= gid[host] == gid[ids][:, None]
    keep = valid & anchor_ok[jj] & (own | fits)
    rank = np.cumsum(keep, axis=1)
    total = rank[:, -1]
    saturated = valid[:, -1]
    out: dict[int, tuple[np.ndarray, np.ndarray, float]] = {}
    for r, ui in enumerate(ids.tolist()):
        if saturated[r] and total[r] < k:
            continue  # more feasible anchors may lie beyond the query: general path
        take = keep[r] & (rank[r] <= k)
        if not own[r][take].any() and anchor_ok[sites[r]]:
            continue  # own site not among the nearest (coincident sites): general path
        if total[r] > k:
            c = float(dd[r][keep[r] & (rank[r] == k + 1)][0])
        elif saturated[r]:
            c = float(dd[r, -1])
        else:
            c = math.inf
        a, d = jj[r][take], dd[r][take]
        order = np.argsort(a, kind="stable")
        out[ui] = (a[order].astype(np.int64), d[order].astype(float), c)
    return out


def _unfit_reason(inst: BundlingInstance, u: Unit) -> str:
    if inst.same_group_only and len(u.groups) > 1:
        names = ", ".join("null" if g is None else repr(g) for g in u.groups)
        return f"{u.label}: its sites carry different groups ({names}) and same_group_only is set"
    if u.capacity_kw > inst.max_capacity_kw + 1e-9:
        return f"{u.label}: {u.capacity_kw:g} kWp exceeds max_capacity_kw {inst.max_capacity_kw:g}"
    if inst.max_sites is not None and len(u.members) > inst.max_sites:
        return f"{u.label}: {len(u.members)} sites exceed max_sites {inst.max_sites}"
    if inst.max_distance_m is None:  # only same_group_only can leave a unit without anchors then
        return f"{u.label}: no other site of its group can share a bundle with it (same_group_only)"
    return f"{u.label}: no site lies within max_distance_m {inst.max_distance_m:g} of all its sites"
