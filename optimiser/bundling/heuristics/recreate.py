"""Iterated ruin and recreate: dissolve a few neighbouring bundles, re-bundle their units, keep what helps.

Bundle elimination (:mod:`optimiser.bundling.heuristics.eliminate`) empties one bundle at a time into its
neighbours, and the local search moves single units, so both stop where no single step helps. This
search takes bigger, local steps. Each iteration picks a seed bundle at random and *ruins* it with its
``k`` nearest bundles (``k`` random in ``RUIN_MIN``..``RUIN_MAX``): their units are freed, while the next
nearest bundles (``KEEP_MIN``..``KEEP_MAX`` of them) stay open and may take units into their spare room.
The units are then *recreated*:

* new bundles (``k - 1`` when the freed kWp fits in fewer, else ``k``) open at the ruined anchors or at
  the medoids of a capacity-weighted k-means of the freed units;
* the freed units go in by **regret insertion** (the unit whose best and second-best bundle differ most
  goes first, a unit with one choice left at once) into the new and kept bundles with room (capacity,
  site count, distance, one lock per bundle);
* a new bundle under the minimum capacity is dissolved and its units re-inserted; the attempt fails
  when a unit finds no room (the freed kWp must all be bundled again) or the bundle count leaves its
  range.

A local improvement restricted to the touched bundles follows: best shift or swap between them (the
minimum and maximum of both bundles kept) and re-anchoring each on its medoid, until nothing improves.
The result replaces the touched bundles when its cost is lower, or higher by less than a threshold that
falls linearly to zero over the run (threshold accepting, so equal-count rearrangements that let a later
step save a bundle are reachable); the best solution seen is returned. Units never leave the bundled set,
so the bundled kWp is that of the input; the result is valid and no worse than the input (or the input).
Every step is local: one distance matrix over the touched units' sites (a few hundred entries a side).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import numpy as np

from optimiser.bundling.bankable import reaches
from optimiser.bundling.instance import BundlingInstance
from optimiser.bundling.solution import bundles_of, is_valid, solution_key
from optimiser.bundling.units import Prepared

RUIN_MIN, RUIN_MAX = 3, 8  # bundles ruined per iteration
KEEP_MIN, KEEP_MAX = 3, 6  # neighbouring bundles that stay open and may take freed units
THRESHOLD_SHARE = 0.1  # first acceptance threshold: this share of the mean cost per bundle
EPS = 1e-6


class _Search:
    """The incumbent by bundle id (anchor, members, load, sites, locks) and one iteration's step."""

    def __init__(self, inst: BundlingInstance, prep: Prepared, assign: np.ndarray, seed: int) -> None:
        self.inst, self.prep = inst, prep
        self.cap, self.nsites, self.locked = prep.unit_cap, prep.unit_sites, prep.unit_locked
        self.first = prep.unit_first
        self.max_sites = math.inf if inst.max_sites is None else float(inst.max_sites)
        self.lo_cap, self.hi_cap = inst.min_capacity_kw - 1e-9, inst.max_capacity_kw + 1e-9
        self.rng = np.random.default_rng(seed)
        self.bof = np.full(len(prep.units), -1, dtype=np.int64)
        self.anchor: dict[int, int] = {}
        self.members: dict[int, list[int]] = {}
        self.next_id = 0
        self.at_best = True  # the incumbent is the best seen; else ``best`` holds that one
        self.best: np.ndarray | None = None
        for j, group in sorted(bundles_of(assign).items()):
            self._open(j, group)
        self.cost = sum(self._bundle_cost(b) for b in self.anchor)

    # --- incumbent -------------------------------------------------------------------------------
    def _open(self, site: int, group: list[int]) -> int:
        b = self.next_id
        self.next_id += 1
        self.anchor[b] = site
        self.members[b] = list(group)
        self.bof[group] = b
        return b

    def _bundle_cost(self, b: int) -> float:
        j = self.anchor[b]
        return self.inst.bundle_cost_m + sum(self.prep.pair_cost(u, j) for u in self.members[b])

    def assign(self) -> np.ndarray:
        out = np.full(len(self.bof), -1, dtype=np.int64)
        for b, group in self.members.items():
            out[group] = self.anchor[b]
        return out

    # --- one iteration -----------------------------------------------------------------------------
    def step(self, threshold: float) -> bool:
        """Ruin and recreate around a random bundle; True when the result was accepted."""
        rng = self.rng
        ids = np.array(sorted(self.anchor), dtype=np.int64)
        if len(ids) < 2:
            return False
        pts = self.prep.xy[[self.anchor[b] for b in ids.tolist()]]
        seed = int(rng.integers(len(ids)))
        order = np.argsort(np.hypot(*(pts - pts[seed]).T), kind="stable")
        k = min(len(ids), int(rng.integers(RUIN_MIN, RUIN_MAX + 1)))
        keep = int(rng.integers(KEEP_MIN, KEEP_MAX + 1))
        ruined = ids[order[:k]].tolist()
        kept = ids[order[k : k + keep]].tolist()
        lo, hi = self.inst.bundle_count_range
        others = len(ids) - k - len(kept)
        freed = [u for b in ruined for u in self.members[b]]
        held = [u for b in kept for u in self.members[b]]
        units = np.array(freed + held, dtype=np.int64)
        sites = np.array([s for u in units.tolist() for s in self.prep.units[u].members], dtype=np.int64)
        loc = _Local(self, units, sites, n_freed=len(freed))
        old = sum(self._bundle_cost(b) for b in ruined + kept)
        site_pos = {s: i for i, s in enumerate(sites.tolist())}
        kept_cols = [site_pos[self.anchor[b]] for b in kept]
        kept_rows = [[len(freed) + i for i in range(len(held)) if int(self.bof[held[i]]) == b] for b in kept]
        spare = sum(self.inst.max_capacity_kw - float(self.cap[self.members[b]].sum()) for b in kept)
        need = float(self.cap[freed].sum()) - spare
        fewest = max(1, math.ceil(need / self.inst.max_capacity_kw - 1e-9)) if need > 0 else 1
        tries = [k] if fewest >= k or rng.random() < 0.3 else [max(fewest, k - 1), k]
        for m in tries:
            if not lo <= others + len(kept) + m <= hi and m != k:
                continue
            anchors = loc.new_anchors(m, [site_pos[self.anchor[b]] for b in ruined])
            if anchors is None:
                continue
            plan = loc.recreate(kept_cols, kept_rows, anchors)
            if plan is None:
                continue
            loc.improve(plan)
            if not self._bankable(units, plan):
                continue
            n_cols = len(plan.anchor)
            if not lo <= others + n_cols <= hi:
                continue
            new = loc.cost(plan)
            delta = new - old
            if delta < -EPS or delta < threshold:
                if delta >= -EPS and self.at_best:
                    self.best, self.at_best = self.assign(), False  # leaving the best: keep a copy
                self._apply(ruined + kept, units, sites, plan)
                self.cost += delta
                return True
            return False
        return False

    def _bankable(self, units: np.ndarray, plan: _Plan) -> bool:
        """Every bundle of the plan reaches min_value (the moves above do not look at values)."""
        if self.inst.min_value is None:
            return True
        values = self.prep.unit_value[units]
        return all(
            reaches(float(values[plan.col == c].sum()), self.inst.min_value)
            for c in range(len(plan.anchor))
            if np.any(plan.col == c)
        )

    def _apply(self, dropped: list[int], units: np.ndarray, sites: np.ndarray, plan: _Plan) -> None:
        for b in dropped:
            del self.anchor[b], self.members[b]
        self.bof[units] = -1
        for c, col_site in enumerate(plan.anchor):
            group = units[plan.col == c].tolist()
            if group:
                self._open(int(sites[col_site]), group)


class _Plan:
    """Columns (bundles) of one recreate: anchor (index into the local sites) and each row's column."""

    def __init__(self, anchor: list[int], col: np.ndarray) -> None:
        self.anchor = anchor
        self.col = col


class _Local:
    """The touched units (freed first, then the kept bundles' units) and their sites' distance matrix."""

    def __init__(self, s: _Search, units: np.ndarray, sites: np.ndarray, n_freed: int) -> None:
        self.s = s
        self.units, self.sites, self.n_freed = units, sites, n_freed
        self.d = s.prep.pair_costs(units, sites)  # rows: touched units, columns: their sites
        row_of = {u: r for r, u in enumerate(units.tolist())}
        self.host_row = np.array(
            [row_of[int(s.prep.unit_of_site[j])] for j in sites.tolist()], dtype=np.int64
        )
        self.cap = s.cap[units]
        self.ns = s.nsites[units].astype(float)
        self.locked = s.locked[units]

    def new_anchors(self, m: int, ruined_sites: list[int]) -> list[int] | None:
        """``m`` anchor sites for new bundles, on distinct freed units: ruined anchors or k-means medoids."""
        rng = self.s.rng
        nf = self.n_freed
        if m >= len(ruined_sites) and rng.random() < 0.5:
            return list(ruined_sites[:m])
        if m < len(ruined_sites) and rng.random() < 0.3:
            drop = int(rng.integers(len(ruined_sites)))
            return [c for i, c in enumerate(ruined_sites) if i != drop][:m]
        xy = self.s.first[self.units[:nf]]
        w = self.cap[:nf] + 1e-9
        if m > nf:
            return None
        centres = xy[rng.choice(nf, size=m, replace=False, p=w / w.sum())].copy()
        label = np.zeros(nf, dtype=np.int64)
        for _ in range(4):
            label = np.argmin(
                (xy[:, None, 0] - centres[None, :, 0]) ** 2 + (xy[:, None, 1] - centres[None, :, 1]) ** 2,
                axis=1,
            )
            for c in range(m):
                mask = label == c
                if mask.any():
                    centres[c] = np.average(xy[mask], axis=0, weights=w[mask])
        # medoid of each cluster among its own sites (sites of freed rows come first in ``sites``)
        freed_site = self.host_row < nf
        out: list[int] = []
        used: set[int] = set()
        for c in range(m):
            rows = np.flatnonzero(label == c)
            if not len(rows):
                rows = np.arange(nf)
            in_rows = np.zeros(len(self.units), dtype=bool)
            in_rows[rows] = True
            cand = np.flatnonzero(freed_site & in_rows[self.host_row])
            cand = np.array([j for j in cand.tolist() if int(self.host_row[j]) not in used], dtype=np.int64)
            if not len(cand):
                return None
            total = self.d[np.ix_(rows, cand)].sum(axis=0)
            total = np.where(self.cap[self.host_row[cand]] <= self.s.hi_cap, total, math.inf)
            best = int(np.argmin(total))
            if not math.isfinite(total[best]):
                return None
            out.append(int(cand[best]))
            used.add(int(self.host_row[cand[best]]))
        return out

    def recreate(self, kept_cols: list[int], kept_rows: list[list[int]], anchors: list[int]) -> _Plan | None:
        """Freed rows into kept and new columns by regret insertion; None when some row finds no room."""
        s = self.s
        rng = s.rng
        col = np.full(len(self.units), -1, dtype=np.int64)
        cols = list(kept_cols) + list(anchors)
        nk = len(kept_cols)
        load = np.zeros(len(cols))
        size = np.zeros(len(cols))
        lock = np.zeros(len(cols), dtype=bool)

        def put(r: int, c: int) -> None:
            col[r] = c
            load[c] += self.cap[r]
            size[c] += self.ns[r]
            lock[c] |= bool(self.locked[r])

        for c, rows in enumerate(kept_rows):
            for r in rows:
                put(r, c)
        for c in range(nk, len(cols)):
            put(int(self.host_row[cols[c]]), c)
        alive = np.ones(len(cols), dtype=bool)
        noise = rng.uniform(0.9, 1.1, size=(len(self.units), 1)) if rng.random() < 0.5 else 1.0
        size_w = rng.uniform(0.0, 2.0) * s.inst.bundle_cost_m / max(1.0, s.inst.max_capacity_kw)
        while True:
            todo = np.flatnonzero(col[: self.n_freed] < 0)
            if not self._insert(todo, cols, col, load, size, lock, alive, noise, size_w, put):
                return None
            under = [c for c in range(nk, len(cols)) if alive[c] and load[c] < s.lo_cap]
            if not under:
                break
            c = min(under, key=lambda x: (load[x], x))
            alive[c] = False
            col[col == c] = -1
            load[c] = size[c] = 0.0
            lock[c] = False
        keep = np.flatnonzero(alive)
        remap = np.full(len(cols), -1, dtype=np.int64)
        remap[keep] = np.arange(len(keep))
        plan = _Plan([cols[c] for c in keep.tolist()], remap[col])
        if np.any(plan.col < 0):
            return None
        return plan

    def _insert(
        self,
        todo: np.ndarray,
        cols: list[int],
        col: np.ndarray,
        load: np.ndarray,
        size: np.ndarray,
        lock: np.ndarray,
        alive: np.ndarray,
        noise: np.ndarray | float,
        size_w: float,
        put: Callable[[int, int], None],
    ) -> bool:
        s = self.s
        if not len(todo):
            return True
        base = self.d[:, cols] * noise
        todo_list = todo.tolist()
        while todo_list:
            rows = np.array(todo_list, dtype=np.int64)
            c = base[rows]
            ok = (load[None, :] + self.cap[rows, None] <= s.hi_cap) & (
                size[None, :] + self.ns[rows, None] <= s.max_sites
            )
            ok &= alive[None, :] & ~(self.locked[rows, None] & lock[None, :])
            c = np.where(ok, c, math.inf)
            if c.shape[1] >= 2:
                part = np.partition(c, 1, axis=1)
                best, second = part[:, 0], part[:, 1]
            else:
                best, second = c[:, 0], np.full(len(rows), math.inf)
            if not np.all(np.isfinite(best)):
                return False
            regret = np.where(np.isfinite(second), second - best, 1e12) + size_w * self.cap[rows]
            i = int(np.argmax(regret))
            put(int(rows[i]), int(np.argmin(c[i])))
            todo_list.pop(i)
        return True

    def cost(self, plan: _Plan) -> float:
        a = self.d[np.arange(len(self.units)), np.asarray(plan.anchor)[plan.col]]
        return float(a.sum()) + self.s.inst.bundle_cost_m * len(plan.anchor)

    def improve(self, plan: _Plan, rounds: int = 6) -> None:
        """Best shift / swap between the plan's columns and medoid re-anchoring, until nothing improves."""
        s = self.s
        n = len(self.units)
        idx = np.arange(n)
        for _ in range(rounds):
            changed = self._reanchor(plan)
            for _ in range(4 * n):
                anchors = np.asarray(plan.anchor)
                a = self.d[:, anchors]  # rows x columns
                ncol = len(anchors)
                load = np.bincount(plan.col, weights=self.cap, minlength=ncol)
                size = np.bincount(plan.col, weights=self.ns, minlength=ncol)
                lock = np.bincount(plan.col, weights=self.locked.astype(float), minlength=ncol) > 0
                here = a[idx, plan.col]
                movable = np.ones(n, dtype=bool)
                movable[self.host_row[anchors]] = False
                # shifts
                gain = here[:, None] - a
                ok = movable[:, None] & (load[None, :] + self.cap[:, None] <= s.hi_cap)
                ok &= size[None, :] + self.ns[:, None] <= s.max_sites
                ok &= (load[plan.col] - self.cap >= s.lo_cap)[:, None]
                ok &= ~(self.locked[:, None] & lock[None, :])
                gain = np.where(ok & np.isfinite(a), gain, -math.inf)
                r, c = np.unravel_index(int(np.argmax(gain)), gain.shape)
                best_shift = float(gain[r, c])
                # swaps (unlocked, movable units of different columns)
                sw = movable & ~self.locked
                cu = plan.col
                cross_u = a[:, cu]  # cost of row u at column of row v: [u, v]
                g = here[:, None] + here[None, :] - cross_u - cross_u.T
                la = load[cu][:, None] - self.cap[:, None] + self.cap[None, :]  # u's column after swap
                sa = size[cu][:, None] - self.ns[:, None] + self.ns[None, :]
                okp = sw[:, None] & sw[None, :] & (cu[:, None] != cu[None, :])
                ok_cap = (la >= s.lo_cap) & (la <= s.hi_cap) & (sa <= s.max_sites)
                okp &= ok_cap & ok_cap.T
                g = np.where(okp & np.isfinite(g), g, -math.inf)
                p, q = np.unravel_index(int(np.argmax(g)), g.shape)
                best_swap = float(g[p, q])
                if max(best_shift, best_swap) <= EPS:
                    break
                if best_shift >= best_swap:
                    plan.col[r] = c
                else:
                    plan.col[p], plan.col[q] = plan.col[q], plan.col[p]
                changed = True
            if not changed:
                break

    def _reanchor(self, plan: _Plan) -> bool:
        changed = False
        for c in range(len(plan.anchor)):
            rows = np.flatnonzero(plan.col == c)
            cand = np.flatnonzero(plan.col[self.host_row] == c)
            total = self.d[np.ix_(rows, cand)].sum(axis=0)
            cur = int(np.flatnonzero(cand == plan.anchor[c])[0])
            best = int(np.argmin(total))
            if total[best] < total[cur] - EPS:
                plan.anchor[c] = int(cand[best])
                changed = True
        return changed


def ruin_recreate(
    inst: BundlingInstance,
    prep: Prepared,
    assign: np.ndarray,
    *,
    deadline: float,
    seed: int = 0,
    max_iterations: int | None = None,
    stop: Callable[[], bool] | None = None,
    on_improve: Callable[[np.ndarray], None] | None = None,
) -> np.ndarray:
    """Improve a valid solution until ``deadline`` or ``max_iterations``: valid and no worse, else ``assign``.

    With ``max_iterations`` and a deadline far enough away the result depends on ``seed`` only (the
    acceptance threshold then falls over the iterations, not the time).
    """
    if not np.any(assign >= 0) or not is_valid(inst, prep, assign):
        return assign
    search = _Search(inst, prep, assign, seed)
    best_cost = search.cost
    start = time.perf_counter()
    span = max(1e-9, deadline - start)
    t0 = THRESHOLD_SHARE * search.cost / max(1, len(search.anchor))
    it = 0
    report_at = start
    while time.perf_counter() < deadline:
        if max_iterations is not None and it >= max_iterations:
            break
        if stop is not None and it % 16 == 0 and stop():
            break
        done = it / max_iterations if max_iterations is not None else (time.perf_counter() - start) / span
        it += 1
        if search.step(t0 * max(0.0, 1.0 - done)) and search.cost < best_cost - EPS:
            best_cost = search.cost
            search.at_best = True
            now = time.perf_counter()
            if on_improve is not None and now >= report_at:  # at most twice a second (O(n) each)
                on_improve(search.assign())
                report_at = now + 0.5
    best = search.assign() if search.at_best or search.best is None else search.best
    if is_valid(inst, prep, best) and solution_key(inst, prep, best) <= solution_key(inst, prep, assign):
        return best
    return assign
