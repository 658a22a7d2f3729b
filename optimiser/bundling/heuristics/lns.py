"""Region search for large instances: re-solve one district-sized region at a time with CP-SAT.

One CP-SAT model over 10,000 sites is slow to build and improves little on its warm start in minutes;
over about 1,000 sites CP-SAT's own neighbourhood search works well. So the search frees the units of a
seed bundle and its nearest bundles (about ``REGION_UNITS`` units, plus unbundled units nearby), lets
CP-SAT re-bundle them (every site of a small region may anchor; a large region keeps each unit's
candidate anchors inside it), and keeps the result when it is better (more kWp, then less cost). Seeds
sweep the instance so every region gets its turn, and the time left is shared among the regions still
to visit. Up to ``REGION_UNITS`` units the one region is the whole instance. Every accepted step keeps
all limits, so the incumbent is always a valid answer.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import numpy as np
from scipy.spatial import cKDTree

from optimiser.bundling.instance import BundlingInstance
from optimiser.bundling.model import BundlingModel
from optimiser.bundling.solution import bundles_of
from optimiser.bundling.units import Prepared
from optimiser.status import SolveStatus

WHOLE_UNITS = 1500  # up to this many bundled units the region is the whole instance
REGION_UNITS = 300  # units freed per region otherwise (CP-SAT improves these within seconds)
MIN_BUNDLES = 3  # bundles freed per neighbourhood at least
SUB_MIN_S = 3.0  # CP-SAT time per neighbourhood at least
ALL_ANCHORS_UNITS = 120  # up to this many units a neighbourhood offers every one of its sites as anchor


def _key(inst: BundlingInstance, prep: Prepared, assign: np.ndarray, units: list[int]) -> tuple[float, float]:
    """(-kWp, cost) of the bundles holding ``units`` (all of a bundle's units are among them)."""
    kw = cost = 0.0
    anchors: set[int] = set()
    for u in units:
        j = int(assign[u])
        if j >= 0:
            kw += prep.units[u].capacity_kw
            cost += prep.pair_cost(u, j)
            anchors.add(j)
    return -round(kw, 6), cost + inst.bundle_cost_m * len(anchors)


def region_search(
    inst: BundlingInstance,
    prep: Prepared,
    assign: np.ndarray,
    *,
    deadline: float,
    seed: int,
    workers: int,
    fixed_units: set[int],
    on_improve: Callable[[np.ndarray], None] | None = None,
    stop: Callable[[], bool] | None = None,
) -> np.ndarray:
    """Improve a valid solution until ``deadline``; ``fixed_units`` must stay bundled (they are)."""
    rng = np.random.default_rng(seed)
    cur = assign.copy()
    n_units = len(prep.units)
    lo, hi = inst.bundle_count_range
    fit = prep.fit_mask
    covered: set[int] = set()  # units already re-solved in this sweep
    rounds = 0
    unit_xy = np.array([prep.xy[prep.units[u].members[0]] for u in range(n_units)]).reshape(-1, 2)
    while time.perf_counter() < deadline - 0.05 and not (stop is not None and stop()):
        rounds += 1
        groups = bundles_of(cur)
        anchors = np.array(sorted(groups), dtype=np.int64)
        if not len(anchors):
            break
        per_bundle = max(1.0, float(np.count_nonzero(cur >= 0)) / len(anchors))
        size = max(MIN_BUNDLES, round(REGION_UNITS / per_bundle))
        if size >= len(anchors) or np.count_nonzero(cur >= 0) <= WHOLE_UNITS:
            near = anchors.tolist()
            regions_left = 1
        else:
            pool = [j for j in anchors.tolist() if groups[j][0] not in covered]
            if not pool:
                covered.clear()
                pool = anchors.tolist()
            regions_left = max(1, math.ceil(len(pool) / size))
            seed_j = int(rng.choice(pool))
            tree = cKDTree(prep.xy[anchors])
            near = anchors[np.atleast_1d(tree.query(prep.xy[seed_j], k=size)[1])].tolist()
        units = sorted(u for j in near for u in groups[j])
        # unbundled units that could join, near the neighbourhood's anchors
        free = np.flatnonzero((cur < 0) & fit)
        if len(free):
            centre = prep.xy[near].mean(axis=0)
            reach = max(float(np.max(np.hypot(*(prep.xy[near] - centre).T))), 1.0) + (
                prep.limit_m if math.isfinite(prep.limit_m) else 0.0
            )
            close = free[np.hypot(*(unit_xy[free] - centre).T) <= reach]
            units = sorted({*units, *close[: len(units)].tolist()})
        covered.update(units)
        limit = max(SUB_MIN_S, (deadline - time.perf_counter()) / regions_left)
        before = _key(inst, prep, cur, units)
        res = _solve_sub(
            inst,
            prep,
            cur,
            units,
            near,
            min(deadline, time.perf_counter() + limit),
            seed + rounds,
            workers,
            fixed_units,
            lo,
            hi,
            len(anchors),
        )
        if res is None:
            continue
        new_assign, proven = res
        after = _key(inst, prep, new_assign, units)
        if after < (before[0], before[1] - 1e-6):
            cur = new_assign
            if on_improve is not None:
                on_improve(cur)
        if proven and len(near) == len(anchors):
            break  # the whole instance (on its candidate anchors) is solved
    return cur


def _solve_sub(
    inst: BundlingInstance,
    prep: Prepared,
    cur: np.ndarray,
    units: list[int],
    near: list[int],
    deadline: float,
    seed: int,
    workers: int,
    fixed_units: set[int],
    lo: int,
    hi: int,
    n_bundles: int,
) -> tuple[np.ndarray, bool] | None:
    """Re-bundle ``units`` with all their sites as anchors, and whether CP-SAT proved that optimal;
    None when CP-SAT found nothing in time."""
    sites = [s for u in units for s in prep.units[u].members]
    pairs: list[dict[int, float]] = [{} for _ in prep.units]
    if len(units) <= ALL_ANCHORS_UNITS:
        for u in units:
            row: dict[int, float] = {}
            for j in sites:
                d = prep.pair_cost(u, j)
                if math.isfinite(d):
                    row[j] = d
            pairs[u] = row
    else:  # a large neighbourhood keeps each unit's candidate anchors inside it, and its current one
        inside = np.zeros(len(prep.xy), dtype=bool)
        inside[sites] = True
        for u in units:
            a, dist = prep.anchors[u], prep.dists[u]
            keep = inside[a]
            row = dict(zip(a[keep].tolist(), dist[keep].tolist(), strict=True))
            if cur[u] >= 0:
                row.setdefault(int(cur[u]), prep.pair_cost(u, int(cur[u])))
            pairs[u] = row
    bundled_here = [u for u in units if cur[u] >= 0]
    others = n_bundles - len(near)
    required = set(bundled_here) | (fixed_units & set(units))
    model = BundlingModel(
        inst, prep, pairs, required=required, count_range=(max(0, lo - others), hi - others)
    )
    model.minimize_cost_more_kw_first([u for u in units if u not in required], len(units))
    model.hint(cur)
    limit = deadline - time.perf_counter()
    if limit <= 0.02:
        return None
    res = model.solve(time_limit_s=limit, seed=seed, num_workers=workers)
    if res.assign is None:
        return None
    new = cur.copy()
    new[units] = res.assign[units]
    return new, res.status == SolveStatus.OPTIMAL
