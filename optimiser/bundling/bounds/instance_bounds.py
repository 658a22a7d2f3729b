"""Lower bounds valid for the instance as stated: LP relaxation where small, Lagrangian everywhere.

Which pairs the bound may look at decides whether it is valid: the LP needs every feasible unit-anchor
pair; the Lagrangian needs either every pair (``complete``) or, for large instances, every pair within a
radius, with every left-out pair represented by a far copy of its unit
(:mod:`optimiser.bundling.bounds.farpairs`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import numpy as np
from scipy.spatial import cKDTree

from optimiser.bundling.bounds.lp import LP_PAIRS, lp_relaxation
from optimiser.bundling.bounds.subgradient import lagrangian_bound
from optimiser.bundling.instance import BundlingInstance
from optimiser.bundling.progress import Tracker
from optimiser.bundling.solution import bundles_of
from optimiser.bundling.units import Prepared, prepare

# pairs the Lagrangian bound generates at most: with far copies a smaller radius costs little bound and
# buys many more subgradient steps (10,000 district sites, 75 s: 6 M pairs 3.53 M m, 2 M 3.62 M m in
# 61 s, 1 M 3.62 M m in 31 s, 0.5 M 3.62 M m in 18 s, 0.2 M 3.60 M m; see benchmarks/README.md)
LAGRANGE_PAIRS = 800_000
MIN_RADIUS_M = 100.0  # below this radius the far copies make the bound too weak to be worth it


def _pair_count(prep: Prepared, radius: float, sample: int = 400) -> float:
    """Estimated number of unit-anchor pairs within ``radius`` (k-d tree counts on a sample)."""
    n = len(prep.xy)
    if n == 0:
        return 0.0
    if not math.isfinite(radius):
        return float(n) * len(prep.units)
    tree = cKDTree(prep.xy)
    idx = np.linspace(0, n - 1, num=min(n, sample)).astype(int)
    counts = tree.query_ball_point(prep.xy[idx], radius, return_length=True)
    return float(np.mean(counts)) * len(prep.units)


def _pairs_for_bound(inst: BundlingInstance, prep: Prepared, complete: bool) -> tuple[Prepared, bool]:
    """Every feasible pair when that fits the budget, else every pair within the largest radius that does."""
    if complete:
        return prep, True
    if _pair_count(prep, prep.limit_m) <= LAGRANGE_PAIRS:
        return prepare(inst, None), True
    lo, hi = 0.0, prep.limit_m if math.isfinite(prep.limit_m) else float(np.ptp(prep.xy, axis=0).max())
    for _ in range(12):  # bisection on the radius
        mid = (lo + hi) / 2
        if _pair_count(prep, mid) <= LAGRANGE_PAIRS:
            lo = mid
        else:
            hi = mid
    return prepare(inst, None, radius_m=lo), False


def instance_bounds(
    inst: BundlingInstance,
    prep: Prepared,
    assign: np.ndarray,
    *,
    complete: bool,
    required: set[int],
    fit: set[int],
    cost: float,
    bundled: float,
    time_limit_s: float,
    tracker: Tracker,
    upper_now: Callable[[], float] | None = None,
) -> tuple[list[float], list[str]]:
    """Valid lower bounds on the cost at the achieved bundled capacity, and notes on what was not tried.

    ``upper_now`` passes the cost of better solutions found meanwhile to the subgradient search.
    """
    deadline = time.perf_counter() + time_limit_s
    bounds: list[float] = []
    notes: list[str] = []
    pairs_prep, all_pairs = _pairs_for_bound(inst, prep, complete)
    tracker.check()
    n_pairs = sum(len(a) for a in pairs_prep.anchors)
    bundled_all = all(assign[u] >= 0 for u in fit)
    start_pi: np.ndarray | None = None
    if all_pairs and n_pairs <= LP_PAIRS:
        lp, why, duals = lp_relaxation(
            inst,
            pairs_prep,
            min_bundled_kw=bundled,
            required=required,
            time_limit_s=max(1.0, 0.3 * time_limit_s),
        )
        tracker.check()
        if lp is not None and math.isfinite(lp):
            bounds.append(lp)
            tracker.bound(lp)
            start_pi = duals
        elif why:
            notes.append(why)
    if start_pi is None:  # the incumbent's cost shares: each unit's distance plus its share of the bundle
        start_pi = np.zeros(len(prep.units))
        for j, members in bundles_of(assign).items():
            for u in members:
                start_pi[u] = prep.pair_cost(u, j) + inst.bundle_cost_m / len(members)
    cut = pairs_prep.cut_m
    if not all_pairs and cut is not None and np.isfinite(cut).any() and float(np.min(cut)) < MIN_RADIUS_M:
        notes.append(
            f"Lagrangian bound not tried: fewer than {LAGRANGE_PAIRS} pairs only reach "
            f"{float(np.min(cut)):.0f} m"
        )
        return bounds, notes
    required_units = (fit | required) if bundled_all else set(required)
    optional = set() if bundled_all else fit - required
    budget = deadline - time.perf_counter()
    if budget <= 0.05:
        notes.append("no time left for the Lagrangian bound")
        return bounds, notes
    lg, why = lagrangian_bound(
        inst,
        pairs_prep,
        required=required_units,
        optional=optional,
        min_bundled_kw=bundled,
        complete=all_pairs,
        start_pi=start_pi,
        upper=cost,
        time_limit_s=budget,
        stop=tracker.stopped,
        on_bound=tracker.bound,
        upper_now=upper_now,
    )
    tracker.check()
    if lg is not None:
        bounds.append(lg)
    elif why:
        notes.append(why)
    if not all_pairs:
        notes.append(
            "Lagrangian bound over the pairs within "
            f"{float(np.min(cut)) if cut is not None else math.inf:.0f} m, the others as far copies; "
            "minimum bundle capacity and max_sites relaxed"
        )
    return bounds, notes
