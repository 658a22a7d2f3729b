"""Greedy bundling: capacity-weighted k-means seeds, nearest-anchor assignment, medoid updates.

The run's first solution (the warm start of everything after it) and the baseline the benchmark compares
against (``BundlingResult.greedy_cost_m``).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import numpy as np
from scipy.spatial import cKDTree

from optimiser.bundling.bankable import reaches
from optimiser.bundling.instance import BundlingInstance
from optimiser.bundling.solution import bundles_of, is_valid, solution_key
from optimiser.bundling.units import Prepared

NEAREST = 12  # anchors looked at per unit when assigning
ROUNDS = 4  # assign-and-re-anchor rounds per bundle count at most
K_TRIES = 5  # bundle counts tried, spread geometrically between the fewest and the most


def _seeds(inst: BundlingInstance, prep: Prepared, k: int, rng: np.random.Generator) -> list[int]:
    """k anchor sites: one per locked unit, the rest from capacity-weighted k-means snapped to sites."""
    seeds: list[int] = []
    for ui, u in enumerate(prep.units):
        if u.locked_bundle is not None:
            own = [j for j in u.members if prep.anchor_ok[j]]
            if own:
                seeds.append(min(own, key=lambda j: prep.pair_cost(ui, j)))
    free = k - len(seeds)
    ok = np.flatnonzero(prep.anchor_ok)
    if free <= 0 or not len(ok):
        return seeds
    fit = [ui for ui in range(len(prep.units)) if ui not in prep.unfit]
    pts = np.array([prep.xy[list(prep.units[u].members)].mean(axis=0) for u in fit]).reshape(-1, 2)
    w = np.array([prep.units[u].capacity_kw for u in fit]) + 1e-9
    free = min(free, len(pts))
    if free <= 0:
        return seeds
    centres = pts[rng.choice(len(pts), size=free, replace=False, p=w / w.sum())]
    for _ in range(8):
        label = cKDTree(centres).query(pts)[1]
        for c in range(free):
            mask = label == c
            if mask.any():
                centres[c] = np.average(pts[mask], axis=0, weights=w[mask])
    tree = cKDTree(prep.xy[ok])
    used = set(seeds)
    used_units = {int(prep.unit_of_site[j]) for j in seeds}
    for c in centres:
        for idx in np.atleast_1d(tree.query(c, k=min(len(ok), 16))[1]):
            j = int(ok[idx])
            if j not in used and int(prep.unit_of_site[j]) not in used_units:
                seeds.append(j)
                used.add(j)
                used_units.add(int(prep.unit_of_site[j]))
                break
    return seeds


def _assign(inst: BundlingInstance, prep: Prepared, seeds: list[int]) -> np.ndarray:
    units = prep.units
    assign = np.full(len(units), -1, dtype=np.int64)
    load: dict[int, float] = {}
    size: dict[int, int] = {}
    value: dict[int, float] = {}  # summed site values (CNY), for min_value
    min_value = inst.min_value
    for j in seeds:
        u = int(prep.unit_of_site[j])
        if assign[u] < 0:
            assign[u] = j
            load[j], size[j], value[j] = units[u].capacity_kw, len(units[u].members), units[u].value
    anchors = np.array(sorted(load), dtype=np.int64)
    if not len(anchors):
        return assign
    tree = cKDTree(prep.xy[anchors])
    max_sites = inst.max_sites if inst.max_sites is not None else math.inf
    order = sorted(
        (u for u in range(len(units)) if assign[u] < 0 and u not in prep.unfit),
        key=lambda u: (units[u].locked_bundle is None, -units[u].capacity_kw, u),
    )

    def place(u: int, keep_value: bool = False) -> bool:
        """Put ``u`` in its nearest anchor with room; ``keep_value``: never take a bundle below min_value."""
        first = prep.xy[units[u].members[0]]
        idx = np.atleast_1d(tree.query(first, k=min(len(anchors), NEAREST))[1])
        best, best_d = -1, math.inf
        guard = keep_value and min_value is not None and units[u].value < 0
        for j in anchors[idx].tolist():
            if load[j] + units[u].capacity_kw > inst.max_capacity_kw + 1e-9:
                continue
            if size[j] + len(units[u].members) > max_sites:
                continue
            if guard and not reaches(value[j] + units[u].value, min_value):
                continue
            d = prep.pair_cost(u, j)
            if d < best_d:
                best, best_d = j, d
        if best < 0:
            return False
        assign[u] = best
        load[best] += units[u].capacity_kw
        size[best] += len(units[u].members)
        value[best] += units[u].value
        return True

    for u in order:
        place(u)
    # dissolve bundles below the minimum (kWp or value), smallest first, and re-place their units
    locked_units = [u for u in range(len(units)) if units[u].locked_bundle is not None]
    while True:
        locked_at = {int(assign[u]) for u in locked_units if assign[u] >= 0}
        short = [j for j in load if load[j] < inst.min_capacity_kw - 1e-9 or not reaches(value[j], min_value)]
        under = [j for j in short if j not in locked_at]
        if not under:
            break
        j = min(under, key=lambda a: (load[a], a))
        freed = np.flatnonzero(assign == j).tolist()
        assign[freed] = -1
        del load[j], size[j], value[j]
        anchors = np.array(sorted(load), dtype=np.int64)
        if not len(anchors):
            break
        tree = cKDTree(prep.xy[anchors])
        for u in sorted(freed, key=lambda u: -units[u].capacity_kw):
            place(u, keep_value=True)
    return assign


def medoids(prep: Prepared, assign: np.ndarray) -> list[int]:
    """Best anchor inside each bundle (least summed distance, all members within reach)."""
    out: list[int] = []
    for j, members in sorted(bundles_of(assign).items()):
        sites = [s for u in members for s in prep.units[u].members]
        best, best_d = j, math.inf
        for c in sites:
            d = sum(prep.pair_cost(u, c) for u in members)
            if d < best_d:
                best, best_d = c, d
        out.append(best)
    return out


def k_values(inst: BundlingInstance, prep: Prepared) -> list[int]:
    """Bundle counts worth trying, from the fewest the capacities allow upward."""
    lo, hi = inst.bundle_count_range
    fit = [u for u in range(len(prep.units)) if u not in prep.unfit]
    total = sum(prep.units[u].capacity_kw for u in fit)
    n_locked = len({prep.units[u].locked_bundle for u in fit if prep.units[u].locked_bundle})
    k_min = max(lo, n_locked, 1)
    if math.isfinite(inst.max_capacity_kw) and inst.max_capacity_kw > 0:
        k_min = max(k_min, math.ceil(total / inst.max_capacity_kw - 1e-9))
    k_max = min(hi, len(fit))
    if inst.min_capacity_kw > 0:
        k_max = min(k_max, int(total // inst.min_capacity_kw))
    if inst.max_sites is not None:
        k_min = max(k_min, math.ceil(len(inst.sites) / inst.max_sites / 1.0))
    if k_max < k_min:
        return [min(k_min, hi)] if hi > 0 else []
    if inst.bundle_cost_m > 0 and inst.bundle_count is None:
        k_max = min(k_max, max(k_min, 3 * k_min + 2))
    values = np.unique(np.round(np.geomspace(k_min, k_max, num=K_TRIES)).astype(int))
    return [int(v) for v in values]


def greedy(
    inst: BundlingInstance,
    prep: Prepared,
    *,
    seed: int = 0,
    stop: Callable[[], bool] | None = None,
    time_limit_s: float | None = None,
    on_solution: Callable[[np.ndarray], None] | None = None,
) -> np.ndarray | None:
    """Best valid greedy solution over a few bundle counts, or None when none was found (or stopped).

    Bundle counts are tried from the most to the fewest; after ``time_limit_s`` the best solution so far
    is returned if it bundles every unit that fits (the most kWp possible), so a large instance gets its
    answer quickly. ``on_solution`` hears of each better solution (the first one is the run's first
    feasible answer).
    """
    deadline = math.inf if time_limit_s is None else time.perf_counter() + time_limit_s
    rng = np.random.default_rng(seed)
    best: np.ndarray | None = None
    best_key = (math.inf, math.inf)
    ks = k_values(inst, prep)
    total = round(sum(u.capacity_kw for i, u in enumerate(prep.units) if i not in prep.unfit), 6)
    ks = sorted(ks, reverse=True)  # more bundles place every unit more surely; fewer cost less
    for k in ks:
        seeds = _seeds(inst, prep, k, rng)
        for _ in range(ROUNDS):
            if stop is not None and stop():
                return best
            if best is not None and best_key[0] <= -total + 1e-6 and time.perf_counter() > deadline:
                return best  # time is up and the best bundles every unit that fits
            assign = _assign(inst, prep, seeds)
            if is_valid(inst, prep, assign):
                key = solution_key(inst, prep, assign)
                if key < best_key:
                    best, best_key = assign, key
                    if on_solution is not None:
                        on_solution(best)
            new = medoids(prep, assign)
            if sorted(new) == sorted(seeds):
                break
            seeds = new
    return best
