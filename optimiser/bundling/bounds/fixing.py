"""Lagrangian reduced-cost fixing: pairs and anchors no solution cheaper than the incumbent can use.

With prices ``pi`` the Lagrangian bound is ``L = sum(pi) + the cheapest admissible choice of anchors``,
each anchor ``j`` valued ``v[j]`` (bundle cost, own unit, and its knapsack of reduced costs; see
:mod:`optimiser.bundling.bounds.lagrange`). Forcing something into the relaxation gives a bound on every
solution that contains it:

* anchor ``j`` forced open: ``F[j] = sum(pi) + v[j] + the cheapest choice of the other anchors`` with one
  bundle fewer (the bundle count range still holds);
* unit ``u`` forced into ``j``'s bundle: ``j``'s value becomes at least ``max(v[j], rc[u, j] + w[j])``,
  where ``w[j]`` is ``j``'s value *without* the minimum capacity (the other units taken then form a set
  that fits ``j`` with room to spare, so it costs at least the unconstrained best, but may miss the
  minimum that ``u`` helps to reach).

When such a bound exceeds the incumbent's cost ``UB``, no solution cheaper than ``UB`` uses that anchor or
pair, and the model may drop it. A solver that proves the reduced model optimal has then proven the
instance optimal (the incumbent is kept in the reduced model: its own pairs are never dropped), and a
reduced model's bound ``B`` gives ``min(B, UB)`` for the instance.

The relaxation is that of the **cost phase at a fixed bundled capacity** where every unit that fits is
required (``require_all``, or the greedy bundled every unit that fits). Units left out of the relaxation
(zero kWp, optional) keep all their pairs except those to dropped anchors; locks and ``max_sites`` enter
the relaxation only as documented in :mod:`optimiser.bundling.bounds.lagrange` (relaxed, so still valid).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from optimiser.bundling.bounds.lagrange import DP_CELLS, Lagrangian
from optimiser.bundling.bounds.lp import LP_PAIRS, lp_relaxation
from optimiser.bundling.bounds.subgradient import search
from optimiser.bundling.instance import BundlingInstance
from optimiser.bundling.units import Prepared

TOLERANCE = 1e-7  # relative margin: a pair is dropped only when its bound clears UB by this much


@dataclass
class Fixing:
    """What reduced-cost fixing dropped, the bound it used and the incumbent cost it is relative to."""

    bound: float  # Lagrangian bound at the prices used (valid for the instance at this capacity)
    upper: float  # the incumbent's cost: dropped pairs cannot be in any solution cheaper than this
    pairs: set[tuple[int, int]] = field(default_factory=set)  # (unit, anchor site) dropped
    anchors: set[int] = field(default_factory=set)  # anchor sites that may not open
    total_pairs: int = 0  # pairs of active units to anchors considered


def _best_choice(values: np.ndarray, lo: int, hi: int) -> tuple[float, np.ndarray, np.ndarray]:
    """Cheapest sum of ``k`` values for ``k`` in ``[lo, hi]``, and per anchor the same with it forced in.

    Returns ``(best, forced, order)``: ``forced[j]`` is ``values[j]`` plus the cheapest sum of ``k - 1``
    *other* values (``inf`` where ``j`` cannot open or no admissible count exists).
    """
    finite = np.isfinite(values)
    n_fin = int(finite.sum())
    order = np.argsort(values, kind="stable")
    s = values[order][:n_fin]
    prefix = np.concatenate([[0.0], np.cumsum(s)])
    ks = np.arange(max(lo, 0), min(hi, n_fin) + 1)
    best = float(prefix[ks].min()) if len(ks) else math.inf
    forced = np.full(len(values), math.inf)
    ms = np.arange(max(lo, 1) - 1, min(hi, n_fin) - 1 + 1)  # how many *other* anchors open
    if not len(ms) or not n_fin:
        return best, forced, order
    rank = np.empty(len(values), dtype=np.int64)
    rank[order] = np.arange(len(values))
    fin = np.flatnonzero(finite)
    # sum of the m smallest values other than j: j among them -> take one more and remove j
    with_j = rank[fin][:, None] < ms[None, :]
    take = np.minimum(ms[None, :] + with_j, n_fin)
    others = prefix[take] - np.where(with_j, values[fin][:, None], 0.0)
    feasible = ms[None, :] + 1 <= n_fin
    others = np.where(feasible, others, math.inf)
    forced[fin] = values[fin] + others.min(axis=1)
    return best, forced, order


def reduced_cost_fixing(lag: Lagrangian, pi: np.ndarray, upper: float, incumbent: np.ndarray) -> Fixing:
    """Pairs and anchors whose forced bound exceeds ``upper`` (the cost of ``incumbent``, a valid solution).

    ``lag`` must hold every feasible pair of its active units (``complete``) and no optional units.
    ``incumbent[u]`` is unit ``u``'s anchor (or -1); its pairs and anchors are never dropped.
    """
    assert lag.complete and not lag.opt.any()
    pi = lag.clamp(pi, 0.0)
    rc = lag.pd - pi[lag.pu]
    neg = rc < 0
    own_term = np.where(lag.active[lag.own_u], pi[lag.own_u], 0.0)
    fixed = lag.inst.bundle_cost_m + lag.own_d - own_term
    frac, _, _ = lag.fractional(rc, neg)
    inner = frac.copy()  # per anchor: knapsack value (with the minimum capacity where computed)
    no_min = frac.copy()  # per anchor: knapsack value without the minimum capacity
    cand = np.flatnonzero(lag.can_open)
    items = np.bincount(lag.pj[neg], minlength=lag.n)[cand]
    cells = (items + 1) * (lag.room_steps[cand] + 1)
    lo = 0
    while lo < len(cand):  # every anchor exactly, in chunks within the DP budget
        hi = lo + max(1, int(np.searchsorted(np.cumsum(cells[lo:]), DP_CELLS, side="right")))
        chunk = cand[lo:hi]
        dp_value, _, dp_no_min = lag.knapsacks(chunk, rc, neg)
        inner[chunk] = np.maximum(dp_value, frac[chunk])
        no_min[chunk] = np.maximum(dp_no_min, frac[chunk])
        lo = hi
    value = np.where(lag.can_open, fixed + inner, np.inf)
    value = np.where(np.isnan(value), np.inf, value)
    const = float(pi[lag.req].sum())
    best, forced, _ = _best_choice(value, lag.count_lo, lag.count_hi)
    out = Fixing(bound=const + best, upper=upper, total_pairs=len(lag.pd))
    if not math.isfinite(best):
        return out
    limit = upper + TOLERANCE * max(1.0, abs(upper))
    used_anchor = np.zeros(lag.n, dtype=bool)
    used_anchor[incumbent[incumbent >= 0]] = True
    close = lag.can_open & (const + forced > limit) & ~used_anchor
    out.anchors = set(np.flatnonzero(close).tolist())
    # a unit forced into j: j's value is at least max(v[j], rc + value without the minimum)
    # the other anchors' share of the forced bound (an anchor that cannot open takes no unit)
    rest = np.where(np.isfinite(value), forced - np.where(np.isfinite(value), value, 0.0), np.inf)
    with_u = np.maximum(inner[lag.pj], rc + no_min[lag.pj]) + fixed[lag.pj]
    pair_bound = const + rest[lag.pj] + with_u
    drop = (pair_bound > limit) | close[lag.pj]
    drop &= incumbent[lag.pu] != lag.pj
    out.pairs = set(zip(lag.pu[drop].tolist(), lag.pj[drop].tolist(), strict=True))
    return out


def cost_phase_prices(
    inst: BundlingInstance,
    prep: Prepared,
    *,
    required: set[int],
    upper: float,
    time_limit_s: float,
    stop: Callable[[], bool] | None = None,
    on_bound: Callable[[float], None] | None = None,
) -> tuple[Lagrangian, np.ndarray, float]:
    """Good prices for fixing: LP duals, then subgradient steps. Returns the relaxation, prices, bound.

    ``prep`` must hold every feasible anchor; ``required`` is every unit the cost phase must bundle
    (the relaxation is at that bundled capacity); ``upper`` is an incumbent's cost (the steps' target).
    The bound is shaved by a relative 1e-7 for the round-off of its many sums.
    """
    deadline = time.perf_counter() + time_limit_s
    lag = Lagrangian(inst, prep, required=required, optional=set(), min_bundled_kw=0.0, complete=True)
    start_pi: np.ndarray | None = None
    if len(lag.pd) <= LP_PAIRS:
        bundled = float(sum(prep.units[u].capacity_kw for u in required))
        _, _, start_pi = lp_relaxation(
            inst, prep, min_bundled_kw=bundled, required=required, time_limit_s=max(0.5, 0.3 * time_limit_s)
        )
    if start_pi is None:
        start_pi = np.zeros(lag.n_units)
    report = None if on_bound is None else (lambda b: on_bound(b - 1e-7 * abs(b)))
    best, pi = search(
        lag,
        start_pi=start_pi,
        upper=upper,
        time_limit_s=max(0.05, deadline - time.perf_counter()),
        stop=stop,
        on_bound=report,
    )
    return lag, pi, max(0.0, best - 1e-7 * abs(best))
