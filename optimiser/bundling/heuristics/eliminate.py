"""Bundle elimination: empty whole bundles into their neighbours when the bundle cost saved pays for it.

The greedy and its shift/swap local search move single units, so they never remove a bundle: a bundle
only disappears when *all* its units leave at once, and each of them needs room somewhere. With a bundle
cost the count matters most (10,000 district sites: 89 % of the cost is bundle cost, bundles 87 % full).
This search tries, least-filled bundle first, to move every unit of one bundle into nearby bundles:

* **insert**: the unit joins a bundle with room (capacity, site count, distance, at most one lock);
* **eject**: the unit takes the place of a unit ``v`` of a receiving bundle, which moves on to a third
  bundle with room (a chain of two moves; it turns spare capacity too small for the unit into use);
* **repack**: when that fails, the bundle and its nearest one or two neighbours are repacked into one
  fewer bundle (largest unit first, to the nearest kept anchor with room).

A move is kept when its cost falls: the bundle cost saved exceeds the added distance. Receiving bundles
only gain kWp (an ejecting bundle may lose some, checked against the minimum), the eliminated bundle's
minimum no longer applies, no unit is unbundled, so the bundled kWp never drops. Changed bundles are
re-anchored on their medoid afterwards. Locks follow the local search's rule: a locked unit may join a
bundle without a locked unit, locked units are never ejected, so two locked bundles never merge.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy.spatial import cKDTree

from optimiser.bundling.bankable import reaches
from optimiser.bundling.instance import BundlingInstance
from optimiser.bundling.solution import bundles_of, is_valid, solution_key
from optimiser.bundling.units import Prepared

NEIGHBOURS = 24  # receiving bundles looked at per elimination (nearest anchors) in the first pass
MAX_NEIGHBOURS = 96  # the neighbourhood doubles after a pass without success, up to this
REPACK_GROUP = 3  # a repack looks at the bundle and up to this many bundles in all
EPS = 1e-6


@dataclass
class _State:
    """The incumbent by bundle id (ids stay fixed while anchors move), with loads and site counts."""

    inst: BundlingInstance
    prep: Prepared
    bof: np.ndarray  # bundle id per unit, -1 unbundled
    anchor: dict[int, int] = field(default_factory=dict)  # bundle id -> anchor site
    members: dict[int, set[int]] = field(default_factory=dict)
    load: dict[int, float] = field(default_factory=dict)
    size: dict[int, int] = field(default_factory=dict)
    nlock: dict[int, int] = field(default_factory=dict)
    tree: cKDTree | None = None
    ids: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # tree row -> bundle

    @property
    def cap(self) -> np.ndarray:
        return self.prep.unit_cap

    @property
    def nsites(self) -> np.ndarray:
        return self.prep.unit_sites

    @property
    def locked(self) -> np.ndarray:
        return self.prep.unit_locked

    @property
    def max_sites(self) -> float:
        return math.inf if self.inst.max_sites is None else float(self.inst.max_sites)

    def host(self, b: int) -> int:
        """The unit owning bundle ``b``'s anchor (it cannot leave without the bundle being dissolved)."""
        return int(self.prep.unit_of_site[self.anchor[b]])

    def rebuild_tree(self) -> None:
        self.ids = np.array(sorted(self.anchor), dtype=np.int64)
        pts = self.prep.xy[[self.anchor[b] for b in self.ids.tolist()]].reshape(-1, 2)
        self.tree = cKDTree(pts) if len(self.ids) else None

    def near(self, site: int, k: int, exclude: int) -> list[int]:
        """Up to ``k`` bundles whose anchors are nearest to ``site``, without ``exclude``."""
        if self.tree is None:
            return []
        q = min(len(self.ids), k + 1)
        idx = np.atleast_1d(self.tree.query(self.prep.xy[site], k=q)[1])
        return [b for b in self.ids[idx].tolist() if b != exclude][:k]

    def costs(self, units: list[int], sites: list[int]) -> np.ndarray:
        """Unit-to-anchor distance matrix (inf where the pair is not allowed)."""
        return self.prep.pair_costs(np.asarray(units, dtype=np.int64), np.asarray(sites, dtype=np.int64))

    def move(self, u: int, b: int) -> None:
        a = int(self.bof[u])
        if a >= 0:
            self.members[a].discard(u)
            self.load[a] -= self.cap[u]
            self.size[a] -= int(self.nsites[u])
            self.nlock[a] -= int(self.locked[u])
        self.bof[u] = b
        self.members[b].add(u)
        self.load[b] += self.cap[u]
        self.size[b] += int(self.nsites[u])
        self.nlock[b] += int(self.locked[u])

    def drop(self, b: int) -> None:
        for d in (self.anchor, self.members, self.load, self.size, self.nlock):
            del d[b]

    def reanchor(self, b: int) -> float:
        """Move bundle ``b``'s anchor to its medoid; returns the distance saved (>= 0)."""
        units = sorted(self.members[b])
        sites = [s for u in units for s in self.prep.units[u].members]
        total = self.costs(units, sites).sum(axis=0)
        cur = sites.index(self.anchor[b])
        best = int(np.argmin(total))
        if not total[best] < total[cur] - EPS:
            return 0.0
        self.anchor[b] = sites[best]
        return float(total[cur] - total[best])

    def assign(self) -> np.ndarray:
        out = np.full(len(self.bof), -1, dtype=np.int64)
        ok = self.bof >= 0
        out[ok] = [self.anchor[b] for b in self.bof[ok].tolist()]
        return out


def _state(inst: BundlingInstance, prep: Prepared, assign: np.ndarray) -> _State:
    st = _State(inst, prep, bof=np.full(len(prep.units), -1, dtype=np.int64))
    for b, (j, group) in enumerate(sorted(bundles_of(assign).items())):
        st.anchor[b] = j
        st.members[b], st.load[b], st.size[b], st.nlock[b] = set(), 0.0, 0, 0
        for u in group:
            st.move(u, b)
    st.rebuild_tree()
    return st


@dataclass
class _Plan:
    """Tentative moves of one elimination over local copies of the receivers' figures."""

    bundles: list[int]
    res: np.ndarray  # spare kWp per receiver
    room: np.ndarray  # spare sites per receiver
    load: np.ndarray
    lock: np.ndarray  # receiver holds a locked unit
    moves: list[tuple[int, int]] = field(default_factory=list)  # (unit, receiver column)
    delta: float = 0.0

    def put(self, st: _State, u: int, col: int, sign: int = 1) -> None:
        self.res[col] -= sign * st.cap[u]
        self.load[col] += sign * st.cap[u]
        self.room[col] -= sign * int(st.nsites[u])
        if st.locked[u]:
            self.lock[col] = sign > 0


def _plan(st: _State, receivers: list[int]) -> _Plan:
    load = np.array([st.load[b] for b in receivers], dtype=float)
    return _Plan(
        receivers,
        res=st.inst.max_capacity_kw - load,
        room=np.array([st.max_sites - st.size[b] for b in receivers], dtype=float),
        load=load,
        lock=np.array([st.nlock[b] > 0 for b in receivers], dtype=bool),
    )


def _best_insert(st: _State, plan: _Plan, u: int, du: np.ndarray) -> tuple[float, int]:
    """Cheapest receiver column with room for unit ``u`` (cost, column), or (inf, -1)."""
    ok = (plan.res >= st.cap[u] - 1e-9) & (plan.room >= st.nsites[u]) & np.isfinite(du)
    if st.locked[u]:
        ok &= ~plan.lock
    if not ok.any():
        return math.inf, -1
    c = np.where(ok, du, math.inf)
    col = int(np.argmin(c))
    return float(c[col]), col


def _best_eject(
    st: _State, plan: _Plan, u: int, du: np.ndarray, ej: np.ndarray, ej_col: np.ndarray, dv: np.ndarray
) -> tuple[float, int, int, int]:
    """Cheapest chain: ``u`` replaces ejectable unit ``ej[i]`` of its receiver, which moves on.

    Returns (cost, u's column, index into ``ej``, v's new column), or cost inf when no chain fits.
    """
    if not len(ej):
        return math.inf, -1, -1, -1
    cu, su = st.cap[u], st.nsites[u]
    cv, sv = st.cap[ej], st.nsites[ej]
    c = ej_col
    ok = np.isfinite(du[c]) & (plan.res[c] + cv >= cu - 1e-9) & (plan.room[c] + sv >= su)
    ok &= plan.load[c] - cv + cu >= st.inst.min_capacity_kw - 1e-9
    if st.locked[u]:
        ok &= ~plan.lock[c]
    rows = np.flatnonzero(ok)
    if not len(rows):
        return math.inf, -1, -1, -1
    fit = (plan.res[None, :] >= cv[rows, None] - 1e-9) & (plan.room[None, :] >= sv[rows, None])
    fit[np.arange(len(rows)), c[rows]] = False
    onward = np.where(fit, dv[rows], math.inf)
    dest = np.argmin(onward, axis=1)
    total = du[c[rows]] - dv[rows, c[rows]] + onward[np.arange(len(rows)), dest]
    i = int(np.argmin(total))
    if not math.isfinite(total[i]):
        return math.inf, -1, -1, -1
    return float(total[i]), int(c[rows[i]]), int(rows[i]), int(dest[i])


def _try_eliminate(st: _State, b: int, k: int) -> bool:
    """Move every unit of bundle ``b`` into its ``k`` nearest bundles (insert or eject); True if kept."""
    inst = st.inst
    receivers = st.near(st.anchor[b], k, b)
    if not receivers:
        return False
    plan = _plan(st, receivers)
    sites = [st.anchor[r] for r in receivers]
    mine = sorted(st.members[b], key=lambda u: (-st.cap[u], u))
    hosts = {st.host(r) for r in receivers}
    ej_list = [
        (u, col)
        for col, r in enumerate(receivers)
        for u in sorted(st.members[r])
        if u not in hosts and not st.locked[u]
    ]
    ej = np.array([u for u, _ in ej_list], dtype=np.int64)
    ej_col = np.array([c for _, c in ej_list], dtype=np.int64)
    du_all = st.costs(mine, sites)
    dv = st.costs(ej.tolist(), sites) if len(ej) else np.zeros((0, len(sites)))
    free = np.ones(len(ej), dtype=bool)
    plan.delta = -inst.bundle_cost_m - sum(st.prep.pair_cost(u, st.anchor[b]) for u in mine)
    for i, u in enumerate(mine):
        cost, col = _best_insert(st, plan, u, du_all[i])
        avail = np.flatnonzero(free)
        e_cost, e_col, e_i, e_dest = _best_eject(st, plan, u, du_all[i], ej[avail], ej_col[avail], dv[avail])
        if e_cost < cost:
            v = int(ej[avail[e_i]])
            free[avail[e_i]] = False
            plan.put(st, v, e_col, -1)
            plan.put(st, v, e_dest)
            plan.put(st, u, e_col)
            plan.moves += [(v, e_dest), (u, e_col)]
            plan.delta += e_cost
        elif math.isfinite(cost):
            plan.put(st, u, col)
            plan.moves.append((u, col))
            plan.delta += cost
        else:
            return False
        if plan.delta >= 0:
            return False  # distances already eat the bundle cost
    return _commit(st, b, plan)


def _values_hold(st: _State, moves: list[tuple[int, int]], gone: int) -> bool:
    """After ``moves`` (unit, bundle id) every bundle they touch but ``gone`` still reaches min_value."""
    if st.inst.min_value is None:
        return True
    delta: dict[int, float] = {}
    for u, r in moves:  # each unit moves once, from the bundle it is in now
        v = float(st.prep.unit_value[u])
        a = int(st.bof[u])
        delta[a] = delta.get(a, 0.0) - v
        delta[r] = delta.get(r, 0.0) + v
    value = st.prep.unit_value
    return all(
        reaches(float(sum(value[u] for u in st.members[r])) + d, st.inst.min_value)
        for r, d in delta.items()
        if r != gone
    )


def _commit(st: _State, b: int, plan: _Plan) -> bool:
    if plan.delta >= -EPS:
        return False
    if not _values_hold(st, [(u, plan.bundles[col]) for u, col in plan.moves], b):
        return False
    for u, col in plan.moves:
        st.move(u, plan.bundles[col])
    st.drop(b)
    for r in {plan.bundles[col] for _, col in plan.moves}:
        st.reanchor(r)
    st.rebuild_tree()
    return True


def _group_cost(st: _State, bundles: list[int]) -> float:
    cost = st.inst.bundle_cost_m * len(bundles)
    for r in bundles:
        cost += sum(st.prep.pair_cost(u, st.anchor[r]) for u in st.members[r])
    return cost


def _try_repack(st: _State, b: int) -> bool:
    """Repack bundle ``b`` and its nearest neighbours into one bundle fewer (largest unit first)."""
    inst = st.inst
    group = [b, *st.near(st.anchor[b], REPACK_GROUP - 1, b)]
    if len(group) < 2:
        return False
    before = _group_cost(st, group)
    units = sorted({u for r in group for u in st.members[r]}, key=lambda u: (-st.cap[u], u))
    for k in range(2, len(group) + 1):
        for dropped in group[:k]:
            kept = [r for r in group[:k] if r != dropped]
            part = [u for u in units if st.bof[u] in group[:k]]
            out = _pack(st, part, kept)
            if out is None:
                continue
            cost = inst.bundle_cost_m * len(kept) + sum(st.prep.pair_cost(u, st.anchor[r]) for u, r in out)
            rest = group[k:]
            if cost + (_group_cost(st, rest) if rest else 0.0) < before - EPS:
                for u, r in out:
                    st.move(u, r)
                st.drop(dropped)
                for r in kept:
                    st.reanchor(r)
                st.rebuild_tree()
                return True
    return False


def _pack(st: _State, units: list[int], kept: list[int]) -> list[tuple[int, int]] | None:
    """Units to kept bundles: anchor units stay, the rest largest first to the nearest with room."""
    inst = st.inst
    hosts = {st.host(r): r for r in kept}
    load = {r: 0.0 for r in kept}
    value = {r: 0.0 for r in kept}
    size = {r: 0 for r in kept}
    lock = {r: False for r in kept}
    out: list[tuple[int, int]] = []
    d = st.costs(units, [st.anchor[r] for r in kept])
    order = sorted(range(len(units)), key=lambda i: (units[i] not in hosts, -st.cap[units[i]]))
    for i in order:
        u = units[i]
        if u in hosts:
            r = hosts[u]
        else:
            best, r = math.inf, -1
            for col, cand in enumerate(kept):
                fits = load[cand] + st.cap[u] <= inst.max_capacity_kw + 1e-9
                fits &= size[cand] + st.nsites[u] <= st.max_sites and not (st.locked[u] and lock[cand])
                if fits and d[i, col] < best:
                    best, r = float(d[i, col]), cand
            if r < 0:
                return None
        load[r] += st.cap[u]
        value[r] += float(st.prep.unit_value[u])
        size[r] += int(st.nsites[u])
        lock[r] |= bool(st.locked[u])
        out.append((u, r))
    if any(v < inst.min_capacity_kw - 1e-9 for v in load.values()):
        return None
    if not all(reaches(v, inst.min_value) for v in value.values()):
        return None
    return out


def eliminate_bundles(
    inst: BundlingInstance,
    prep: Prepared,
    assign: np.ndarray,
    *,
    deadline: float,
    stop: Callable[[], bool] | None = None,
    seed: int = 0,
) -> np.ndarray:
    """Remove bundles while that lowers the cost; a valid, no worse solution (``assign`` itself if none).

    Passes go least-filled bundle first; a pass without success doubles the neighbourhood (up to
    ``MAX_NEIGHBOURS``), later passes shuffle the order a little (``seed``) so ties get another chance.
    """
    lo, _ = inst.bundle_count_range
    if inst.bundle_cost_m <= 0 or not np.any(assign >= 0):
        return assign
    st = _state(inst, prep, assign)
    rng = np.random.default_rng(seed)
    k = NEIGHBOURS
    passes = 0
    while time.perf_counter() < deadline:
        passes += 1
        order = sorted(st.anchor, key=lambda r: st.load[r] + (rng.uniform(0, 100) if passes > 1 else 0.0))
        gained = 0
        for i, r in enumerate(order):
            if len(st.anchor) <= lo:
                break
            if time.perf_counter() > deadline or (stop is not None and i % 16 == 0 and stop()):
                break
            if r not in st.anchor:
                continue
            if _try_eliminate(st, r, k) or _try_repack(st, r):
                gained += 1
        if time.perf_counter() > deadline or len(st.anchor) <= lo:
            break
        if not gained:
            if k >= MAX_NEIGHBOURS:
                break
            k = min(MAX_NEIGHBOURS, 2 * k)
    out = st.assign()
    if is_valid(inst, prep, out) and solution_key(inst, prep, out) <= solution_key(inst, prep, assign):
        return out
    return assign
