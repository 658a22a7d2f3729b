"""Lagrangian lower bound with exact per-anchor knapsacks, and the reduced costs it gives.

Relaxing "each unit in at most / exactly one bundle" with prices ``pi`` leaves one problem per anchor
``j``: open it (``bundle_cost_m`` plus its own unit) and take in other units ``u`` at reduced cost
``d[u, j] - pi[u]``, keeping the bundle's kWp within [min, max]. That per-anchor problem is solved as an
integer knapsack by dynamic programming over capacity (not as a fractional one), so the bound is the
column-generation (set-partitioning) bound, which sees that bundles cannot be filled to exactly the
maximum; the fractional knapsack would only give the LP relaxation.

The knapsack is relaxed in ways that keep it a lower bound:

* weights are counted in grid steps ``g`` rounded *down* for the maximum (a set within the maximum stays
  within it), and the minimum is checked against the rounded-down sum plus one step per item taken;
* only units of negative reduced cost enter the dynamic programme; units of positive reduced cost can only
  help to reach the minimum capacity, and enter as a fractional cover (cheapest per kWp first);
* ``max_sites`` enters only as a second, fractional knapsack whose value replaces the first where it is
  larger (each alone is a relaxation); the one-lock-per-bundle rule is dropped;
* when only the pairs within a radius are generated (large instances), every anchor is also offered a
  "far copy" of each unit whose price exceeds its distance to its nearest left-out anchor, at that
  lower bound on its reduced cost (:mod:`optimiser.bundling.bounds.farpairs`), so no left-out pair can make
  an anchor's true value lower than the computed one; the minimum capacity is then dropped.

Every ``pi`` gives a valid bound ``sum(pi) + sum of the chosen anchors' values`` (the bundle count picks
how many anchors open); a subgradient search with Polyak steps looks for a good one
(:mod:`optimiser.bundling.bounds.subgradient`).

With bundled capacity below the maximum possible (``required`` not all units), units are optional: the
requirement "bundle at least ``min_bundled_kw``" is priced by ``rho`` >= 0 and an optional unit's price
is capped at ``rho * capacity``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from optimiser.bundling.bounds.farpairs import FarItems
from optimiser.bundling.instance import BundlingInstance
from optimiser.bundling.units import Prepared

GRID_STEPS = 2000  # capacity grid of the knapsack: about max_capacity_kw / GRID_STEPS per step
DP_CELLS = 20_000_000  # dynamic-programme cells (items x capacity steps) per evaluation at most


@dataclass
class Evaluation:
    """One Lagrangian evaluation: bound, per-anchor values and the subgradient of the prices."""

    bound: float
    value: np.ndarray  # per site: value of opening it as an anchor (lower bound), inf if it cannot open
    subgradient: np.ndarray  # per unit
    rho_subgradient: float


class Lagrangian:
    """The relaxation of one instance over a set of unit-anchor pairs (see the module docstring)."""

    def __init__(
        self,
        inst: BundlingInstance,
        prep: Prepared,
        *,
        required: set[int],
        optional: set[int],
        min_bundled_kw: float,
        complete: bool,
    ) -> None:
        self.inst, self.prep = inst, prep
        n_units, n = len(prep.units), len(inst.sites)
        self.n_units, self.n = n_units, n
        self.cap = prep.unit_cap
        self.size = prep.unit_sites.astype(float)
        self.req = np.zeros(n_units, dtype=bool)
        self.req[list(required)] = True
        self.opt = np.zeros(n_units, dtype=bool)
        self.opt[list(optional - required)] = True
        self.active = self.req | self.opt
        # the capacity to reach beyond the required units (only when some units are optional)
        self.need_kw = max(0.0, min_bundled_kw - float(self.cap[self.req].sum()))
        self.complete = complete
        own_u = prep.unit_of_site
        self.own_u = own_u
        # pairs (u, j) for active units, u not the anchor's own unit
        pu_l, pj_l, pd_l = [], [], []
        for u in np.flatnonzero(self.active).tolist():
            a, d = prep.anchors[u], prep.dists[u]
            keep = own_u[a] != u
            pu_l.append(np.full(int(keep.sum()), u, dtype=np.int64))
            pj_l.append(a[keep].astype(np.int64))
            pd_l.append(d[keep])
        empty_i, empty_f = np.zeros(0, dtype=np.int64), np.zeros(0)
        pu = np.concatenate([*pu_l, empty_i])
        pj = np.concatenate([*pj_l, empty_i])
        pd = np.concatenate([*pd_l, empty_f])
        order = np.lexsort((pu, pj))
        self.pu, self.pj, self.pd = pu[order], pj[order], pd[order]
        # anchors that can open: allowed, and their own unit active or empty of capacity
        self.can_open = prep.anchor_ok.copy()
        self.own_d = np.zeros(n)
        for j in np.flatnonzero(self.can_open).tolist():
            self.own_d[j] = prep.pair_cost(int(own_u[j]), j)
        max_cap = inst.max_capacity_kw if math.isfinite(inst.max_capacity_kw) else float(self.cap.sum())
        self.max_cap = max(max_cap, 0.0)
        self.step = max(self.max_cap / GRID_STEPS, 1e-9)
        # rounded down (a hair below exact multiples too), so a set within the maximum stays within it
        self.w_steps = np.maximum(0, np.floor(self.cap / self.step * (1 - 1e-12) - 1e-9)).astype(np.int64)
        own_cap = self.cap[own_u]
        room = self.max_cap - own_cap
        self.room_steps = np.where(self.can_open, np.floor(room / self.step + 1e-9), -1).astype(np.int64)
        self.can_open &= room >= -1e-9
        self.min_need = np.maximum(0.0, inst.min_capacity_kw - own_cap)  # kWp still to reach at an anchor
        # left-out pairs (nearby pairs only): every one is at least ``cut`` away, see farpairs.py
        cut = prep.cut_m
        self.cut = np.full(n_units, np.inf) if cut is None else np.asarray(cut, dtype=float).copy()
        self.has_far = bool(np.isfinite(self.cut[self.active]).any())
        lo, hi = inst.bundle_count_range
        need = float(self.cap[self.req].sum()) + self.need_kw
        if self.max_cap > 0 and math.isfinite(inst.max_capacity_kw):
            lo = max(lo, math.ceil(need / self.max_cap - 1e-9))
        self.count_lo, self.count_hi = lo, min(hi, int(self.can_open.sum()))

    # -- one evaluation --------------------------------------------------------------------------
    def clamp(self, pi: np.ndarray, rho: float) -> np.ndarray:
        """Project prices onto their domain (optional units at most rho * capacity; idle units at 0)."""
        out = np.where(self.opt, np.minimum(pi, rho * self.cap), pi)
        return np.where(self.active, out, 0.0)

    def far_items(self, pi: np.ndarray) -> tuple[FarItems, FarItems] | None:
        """The far copies of the left-out pairs at prices ``pi`` (kWp, sites), or None when complete."""
        if not self.has_far:
            return None
        far = np.flatnonzero(self.active & (pi > self.cut))
        v = self.cut[far] - pi[far]
        return FarItems.build(v, self.cap[far], far), FarItems.build(v, self.size[far], far)

    def evaluate(self, pi: np.ndarray, rho: float = 0.0, *, exact: bool = True) -> Evaluation:
        """Bound for prices ``pi`` (already clamped) and ``rho``, with its subgradient.

        ``exact=False`` uses the fractional knapsack only (no minimum capacity): a weaker bound, about
        the LP's, at a fraction of the time, used to bring the prices near their best quickly.
        """
        rc = self.pd - pi[self.pu]
        neg = rc < 0
        own_term = np.where(self.active[self.own_u], pi[self.own_u], 0.0)
        fixed = self.inst.bundle_cost_m + self.own_d - own_term
        far = self.far_items(pi)
        # fractional lower bound of every anchor (ignores the minimum): cheap screen for the exact DP
        frac, frac_x, lam = self.fractional(rc, neg, far)
        value = np.where(self.can_open, fixed + frac, np.inf)
        picks: dict[int, np.ndarray] = {}
        if exact:
            # anchors worth the exact DP: negative fractional value, or among the cheapest needed by count
            order = np.argsort(value, kind="stable")
            screen = value < 0
            screen[order[: min(max(self.count_lo, 1), len(order))]] = True
            cand = order[: int(np.count_nonzero(screen & self.can_open))]  # most promising first
            cand = np.sort(cand[: self._affordable(cand, neg)])
            dp_value, picks, _ = self.knapsacks(cand, rc, neg, far)
            value[cand] = fixed[cand] + np.maximum(dp_value, frac[cand])  # both are lower bounds
        value = np.where(np.isnan(value), np.inf, value)
        order = np.argsort(value, kind="stable")
        finite = int(np.isfinite(value).sum())
        k = int(np.clip(np.count_nonzero(value < 0), self.count_lo, min(self.count_hi, finite)))
        if k < self.count_lo:  # not even the relaxation can open enough bundles: no bound from it
            return Evaluation(-math.inf, value, np.zeros(self.n_units), 0.0)
        opened = order[:k]
        const = float(pi[self.req].sum()) + rho * self.need_kw
        const -= float((rho * self.cap[self.opt] - pi[self.opt]).sum())
        bound = const + float(value[opened].sum())
        cover = np.zeros(self.n_units)
        np.add.at(cover, self.own_u[opened], 1.0)
        is_open = np.zeros(self.n, dtype=bool)
        is_open[opened] = True
        chosen: dict[int, np.ndarray] = {}
        if exact:
            for j in opened.tolist():
                chosen[j] = picks.get(j, np.zeros(0, dtype=np.int64))
                np.add.at(cover, self.pu[chosen[j]], 1.0)
        else:
            sel = np.flatnonzero(neg)[is_open[self.pj[neg]]]
            np.add.at(cover, self.pu[sel], frac_x[is_open[self.pj[neg]]])
        if far is not None:  # far copies taken where the anchor's critical ratio is below theirs
            np.add.at(cover, far[0].units, far[0].taken(lam[opened]))
        g = np.where(self.req, 1.0 - cover, 0.0)
        # optional units: the price cap rho*cap binds when the unit's multiplier is positive
        g = np.where(self.opt, np.where(pi >= rho * self.cap - 1e-9, 1.0 - cover, -cover), g)
        g_rho = self.need_kw - float((self.cap * cover)[self.opt].sum())
        return Evaluation(bound, value, g, g_rho)

    def _affordable(self, cand: np.ndarray, neg: np.ndarray) -> int:
        """How many of ``cand`` (best first) fit the DP budget; the rest keep their fractional value."""
        items = np.bincount(self.pj[neg], minlength=self.n)[cand]
        cells = np.cumsum((items + 1) * (self.room_steps[cand] + 1))
        return int(np.searchsorted(cells, DP_CELLS, side="right"))

    def fractional(
        self, rc: np.ndarray, neg: np.ndarray, far: tuple[FarItems, FarItems] | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per anchor, the fractional knapsack of negative items within the maximum capacity.

        Returns the anchors' values, each negative pair's fraction (in the order of ``rc[neg]``) and
        each anchor's critical ratio on capacity. With ``far`` items the values include them.
        """
        pj, r = self.pj[neg], rc[neg]
        room_c = self.max_cap - self.cap[self.own_u]
        val_c, x_c, lam_c = self._fractional_on(pj, r, self.cap[self.pu[neg]], room_c)
        if far is not None:
            val_c = val_c + far[0].dual(lam_c)
        if self.inst.max_sites is None:
            return val_c, x_c, lam_c
        # the site count is a second knapsack; either alone is a relaxation, so the larger value holds
        size = self.size[self.pu[neg]]
        val_s, x_s, lam_s = self._fractional_on(pj, r, size, self.inst.max_sites - self.size[self.own_u])
        if far is not None:
            val_s = val_s + far[1].dual(lam_s)
        use_s = val_s > val_c
        return np.maximum(val_c, val_s), np.where(use_s[pj], x_s, x_c), lam_c

    def _fractional_on(
        self, pj: np.ndarray, r: np.ndarray, w: np.ndarray, room: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Fractional knapsack per anchor on one weight (items sorted by reduced cost per weight).

        Also returns each anchor's critical ratio ``lam`` (the dual price of its room): 0 when its
        negative items fit, ``inf`` when it has no room, else minus the ratio of the last item taken.
        """
        ratio = np.where(w > 0, r / np.where(w > 0, w, 1.0), -np.inf)
        order = np.lexsort((ratio, pj))
        jj, ww, rr = pj[order], w[order], r[order]
        cs = np.cumsum(ww)
        first = np.ones(len(jj), dtype=bool)
        first[1:] = jj[1:] != jj[:-1]
        start = np.maximum.accumulate(np.where(first, np.arange(len(jj)), 0)) if len(jj) else jj
        before = cs - ww - (cs - ww)[start] if len(jj) else cs
        with np.errstate(divide="ignore", invalid="ignore"):
            f = np.where(ww > 0, np.clip((room[jj] - before) / ww, 0.0, 1.0), 1.0)
        frac_x = np.empty_like(f)
        frac_x[order] = f
        total = np.bincount(jj, weights=ww, minlength=self.n)
        last = np.full(self.n, -np.inf)
        np.maximum.at(last, jj[f > 0], ratio[order][f > 0])
        lam = np.where(total > room + 1e-12, np.maximum(0.0, -last), 0.0)
        lam = np.where(room <= 0, np.inf, lam)
        return np.bincount(jj, weights=rr * f, minlength=self.n), frac_x, lam

    def _items(self, cand: np.ndarray, neg: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Negative pairs at the candidate anchors: pair indices, their row, and slot within the row."""
        row_of = np.full(self.n, -1, dtype=np.int64)
        row_of[cand] = np.arange(len(cand))
        idx = np.flatnonzero(neg & (row_of[self.pj] >= 0))
        rows = row_of[self.pj[idx]]
        order = np.argsort(rows, kind="stable")
        idx, rows = idx[order], rows[order]
        first = np.ones(len(rows), dtype=bool)
        first[1:] = rows[1:] != rows[:-1]
        start = np.maximum.accumulate(np.where(first, np.arange(len(rows)), 0)) if len(rows) else rows
        slot = np.arange(len(rows)) - start
        return idx, rows, slot

    def knapsacks(
        self,
        cand: np.ndarray,
        rc: np.ndarray,
        neg: np.ndarray,
        far: tuple[FarItems, FarItems] | None = None,
    ) -> tuple[np.ndarray, dict[int, np.ndarray], np.ndarray]:
        """Knapsack value of each candidate anchor (relaxed as documented), the pairs it takes, and
        the value without the minimum capacity (a lower bound on the anchor's value with any unit forced
        in, after that unit's own reduced cost: see :mod:`optimiser.bundling.bounds.fixing`).

        One dynamic programme for all candidates at once: row = anchor, column = capacity in grid steps;
        slot ``k`` adds every anchor's ``k``-th item. Decisions are kept to read the chosen items back.
        """
        if not len(cand):
            return np.zeros(0), {}, np.zeros(0)
        idx, rows, slot = self._items(cand, neg)
        n_rows = len(cand)
        s_max = int(self.room_steps[cand].max()) + 1
        dp = np.full((n_rows, s_max), np.inf)
        dp[:, 0] = 0.0
        flat = dp.reshape(-1)
        states = np.arange(s_max)
        w = self.w_steps[self.pu[idx]]
        r = rc[idx]
        n_slots = int(slot.max()) + 1 if len(slot) else 0
        by_slot = np.argsort(slot, kind="stable")
        edges = np.searchsorted(slot[by_slot], np.arange(n_slots + 1))
        takes: list[tuple[np.ndarray, np.ndarray]] = []
        for k in range(n_slots):
            sel = by_slot[edges[k] : edges[k + 1]]
            rr, ww = rows[sel], w[sel]
            src = states[None, :] - ww[:, None]
            base = (rr * s_max)[:, None]
            prev = np.take(flat, base + np.maximum(src, 0))
            new = np.where(src >= 0, prev + r[sel][:, None], np.inf)
            cur = dp[rr]
            take = new < cur
            dp[rr] = np.where(take, new, cur)
            takes.append((sel, take))
        dp[states[None, :] > self.room_steps[cand][:, None]] = np.inf  # above the anchor's room
        no_minimum = dp.min(axis=1)
        dp = self._with_minimum(cand, dp, rc, neg, rows)
        if far is not None:
            # far items fill, fractionally, the room the nearby ones leave: at most (room + 1 - c) steps
            grid = far[0].fractional(np.arange(s_max + 1) * self.step)
            left = self.room_steps[cand][:, None] + 1 - states[None, :]
            dp = dp + grid[np.clip(left, 0, s_max)]
        state = np.argmin(dp, axis=1)
        values = dp[np.arange(n_rows), state]
        picked: list[list[int]] = [[] for _ in range(n_rows)]
        live = np.isfinite(values)
        for k in range(n_slots - 1, -1, -1):
            sel, take = takes[k]
            rr = rows[sel]
            hit = take[np.arange(len(sel)), state[rr]] & live[rr]
            for i in np.flatnonzero(hit).tolist():
                row = int(rr[i])
                picked[row].append(int(idx[sel[i]]))
                state[row] -= int(w[sel[i]])
        out = {int(j): np.array(picked[row], dtype=np.int64) for row, j in enumerate(cand.tolist())}
        return values, out, no_minimum

    def _with_minimum(
        self, cand: np.ndarray, dp: np.ndarray, rc: np.ndarray, neg: np.ndarray, rows: np.ndarray
    ) -> np.ndarray:
        """Add the cheapest fractional cover of the minimum capacity still missing at each state."""
        need = self.min_need[cand]
        if not self.complete or not (need > 0).any():
            return dp
        items = np.bincount(rows, minlength=len(cand)) if len(rows) else np.zeros(len(cand), dtype=np.int64)
        s_max = dp.shape[1]
        reach = (np.arange(s_max)[None, :] + items[:, None]) * self.step  # at most this many kWp
        deficit = np.maximum(0.0, need[:, None] - reach)
        out = dp.copy()
        pos = ~neg
        for r in np.flatnonzero(need > 0).tolist():
            j = int(cand[r])
            lo, hi = np.searchsorted(self.pj, [j, j + 1])
            sel = np.arange(lo, hi)[pos[lo:hi]]
            w = self.cap[self.pu[sel]]
            cost = rc[sel]
            good = w > 0
            w, cost = w[good], cost[good]
            order = np.argsort(cost / w, kind="stable")
            w, cost = w[order], cost[order]
            cw = np.concatenate([[0.0], np.cumsum(w)])
            cc = np.concatenate([[0.0], np.cumsum(cost)])
            d = deficit[r]
            if len(w):
                k = np.clip(np.searchsorted(cw, d, side="left"), 1, len(w))  # item that completes d
                part = cc[k - 1] + (d - cw[k - 1]) / np.maximum(w[k - 1], 1e-12) * cost[k - 1]
                add = np.where(d <= 0, 0.0, np.where(d > cw[-1] + 1e-9, np.inf, part))
            else:
                add = np.where(d <= 0, 0.0, np.inf)
            out[r] = dp[r] + add
        return out
