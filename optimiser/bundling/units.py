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

from optimiser.bundling.instance import BundlingInstance


@dataclass(frozen=True)
class Unit:
    """Sites (indices into ``instance.sites``) that go together; ``capacity_kw`` in kWp."""

    members: tuple[int, ...]
    capacity_kw: float
    locked_bundle: str | None
    label: str  # how reasons name it: "site 'a'" or "keep_with group 'g'"


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

    def __post_init__(self) -> None:
        self.xs: list[float] = self.xy[:, 0].tolist()
        self.ys: list[float] = self.xy[:, 1].tolist()

    def pair_cost(self, ui: int, j: int) -> float:
        """Summed distance (m) of unit ``ui`` to anchor ``j``; inf when the pair is never feasible."""
        if not self.anchor_ok[j]:
            return math.inf
        host = int(self.unit_of_site[j])
        both_locked = self.units[ui].locked_bundle is not None and self.units[host].locked_bundle is not None
        if host != ui and both_locked:
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
        units.append(Unit(tuple(members), sum(s.capacity_kw for s in sites), lock, label))
    return units, unit_of_site, conflicts


def _unit_size_ok(inst: BundlingInstance, cap: float, size: int) -> bool:
    return cap <= inst.max_capacity_kw + 1e-9 and (inst.max_sites is None or size <= inst.max_sites)


def prepare(inst: BundlingInstance, candidates: int | None = None) -> Prepared:
    """Units and feasible anchors; ``candidates`` keeps only each unit's nearest anchors (None: all)."""
    units, unit_of_site, conflicts = build_units(inst)
    n = len(inst.sites)
    xy = np.array([[s.x, s.y] for s in inst.sites], dtype=float).reshape(n, 2)
    limit = math.inf if inst.max_distance_m is None else inst.max_distance_m
    tree = cKDTree(xy) if n else None
    # an anchor j can open only if its own unit is within reach of j and small enough
    anchor_ok = np.zeros(n, dtype=bool)
    own_cost = np.zeros(n)
    for u in units:
        if not _unit_size_ok(inst, u.capacity_kw, len(u.members)):
            continue
        pts = xy[list(u.members)]
        for j in u.members:
            d = np.hypot(*(pts - xy[j]).T)
            if d.max() <= limit + 1e-9:
                anchor_ok[j] = True
                own_cost[j] = d.sum()
    anchors: list[np.ndarray] = []
    dists: list[np.ndarray] = []
    unfit: dict[int, str] = {}
    unit_cap = np.array([u.capacity_kw for u in units])
    unit_size = np.array([len(u.members) for u in units])
    unit_locked = np.array([u.locked_bundle is not None for u in units], dtype=bool)
    for ui, u in enumerate(units):
        pts = xy[list(u.members)]
        if tree is None or not _unit_size_ok(inst, u.capacity_kw, len(u.members)):
            cand = np.zeros(0, dtype=np.int64)
        elif math.isinf(limit):
            cand = np.arange(n)
        else:
            # sites within reach of the first member, then filtered on all members
            cand = np.array(sorted(tree.query_ball_point(pts[0], limit + 1e-9)), dtype=np.int64)
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
            keep = ~other | fits
            cand, d = cand[keep], d[keep]
        if candidates is not None and len(cand) > candidates:
            own = unit_of_site[cand] == ui
            order = np.argsort(d + np.where(own, -1e18, 0.0), kind="stable")[:candidates]
            order.sort()
            cand, d = cand[order], d[order]
        anchors.append(cand)
        dists.append(d)
        if not len(cand):
            unfit[ui] = _unfit_reason(inst, u)
    return Prepared(units, unit_of_site, xy, anchors, dists, unfit, conflicts, anchor_ok, limit)


def _unfit_reason(inst: BundlingInstance, u: Unit) -> str:
    if u.capacity_kw > inst.max_capacity_kw + 1e-9:
        return f"{u.label}: {u.capacity_kw:g} kWp exceeds max_capacity_kw {inst.max_capacity_kw:g}"
    if inst.max_sites is not None and len(u.members) > inst.max_sites:
        return f"{u.label}: {len(u.members)} sites exceed max_sites {inst.max_sites}"
    return f"{u.label}: no site lies within max_distance_m {inst.max_distance_m:g} of all its sites"
