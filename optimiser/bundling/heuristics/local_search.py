"""Local search: shift and swap moves between nearby bundles, then re-anchoring each on its medoid.

It improves the greedy's solution before anything else runs, and the solution bundle elimination
leaves (the emptied bundles' units travel farther than they need to).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import numpy as np
from scipy.spatial import cKDTree

from optimiser.bundling.bankable import reaches
from optimiser.bundling.heuristics.greedy import NEAREST, medoids
from optimiser.bundling.instance import BundlingInstance
from optimiser.bundling.solution import bundles_of, is_valid, solution_key
from optimiser.bundling.units import Prepared


def local_search(
    inst: BundlingInstance,
    prep: Prepared,
    assign: np.ndarray,
    *,
    time_limit_s: float,
    stop: Callable[[], bool] | None = None,
) -> np.ndarray:
    """Improve a valid solution by shift and swap moves between nearby bundles, then re-anchoring.

    Bundled capacity never drops (units only move between bundles), every move keeps all limits, and the
    result is returned only if it is valid and no worse; otherwise ``assign`` itself.
    """
    deadline = time.perf_counter() + time_limit_s
    units = prep.units
    cur = assign.copy()
    cost_cache: dict[tuple[int, int], float] = {}

    def pc(u: int, j: int) -> float:
        key = (u, j)
        if key not in cost_cache:
            cost_cache[key] = prep.pair_cost(u, j)
        return cost_cache[key]

    max_sites = inst.max_sites if inst.max_sites is not None else math.inf
    mv = inst.min_value
    for _ in range(20):
        anchors = np.array(sorted(set(cur[cur >= 0].tolist())), dtype=np.int64)
        if len(anchors) < 2:
            break
        load = {int(j): 0.0 for j in anchors}
        size = {int(j): 0 for j in anchors}
        value = {int(j): 0.0 for j in anchors}  # CNY, for min_value
        for u in np.flatnonzero(cur >= 0).tolist():
            load[int(cur[u])] += units[u].capacity_kw
            size[int(cur[u])] += len(units[u].members)
            value[int(cur[u])] += units[u].value
        tree = cKDTree(prep.xy[anchors])
        improved = False
        members_of = {j: set(m) for j, m in bundles_of(cur).items()}
        for i, u in enumerate(np.flatnonzero(cur >= 0).tolist()):
            if time.perf_counter() > deadline or (stop is not None and i % 64 == 0 and stop()):
                break
            a = int(cur[u])
            if int(prep.unit_of_site[a]) == u:
                continue  # the anchor's own unit moves only with re-anchoring
            cu, su = units[u].capacity_kw, len(units[u].members)
            here = pc(u, a)
            near = anchors[
                np.atleast_1d(tree.query(prep.xy[units[u].members[0]], k=min(len(anchors), NEAREST))[1])
            ].tolist()
            for b in near:
                if b == a or pc(u, b) >= here or math.isinf(pc(u, b)):
                    continue
                if units[u].locked_bundle is not None and any(
                    units[v].locked_bundle is not None for v in members_of[b]
                ):
                    continue
                vu = units[u].value
                shift_ok = (
                    load[a] - cu >= inst.min_capacity_kw - 1e-9
                    and load[b] + cu <= inst.max_capacity_kw + 1e-9
                    and size[b] + su <= max_sites
                    and reaches(value[a] - vu, mv)
                    and reaches(value[b] + vu, mv)
                )
                if shift_ok:
                    cur[u] = b
                    members_of[a].discard(u)
                    members_of[b].add(u)
                    load[a] -= cu
                    load[b] += cu
                    size[a] -= su
                    size[b] += su
                    value[a] -= vu
                    value[b] += vu
                    improved = True
                    break
                # swap with a unit v of bundle b that is better off in a
                done = False
                for v in sorted(members_of[b]):
                    if int(prep.unit_of_site[b]) == v:
                        continue
                    if (units[u].locked_bundle is not None) or (units[v].locked_bundle is not None):
                        continue
                    gain = here + pc(v, b) - pc(u, b) - pc(v, a)
                    if gain <= 1e-9 or math.isinf(gain):
                        continue
                    cv, sv = units[v].capacity_kw, len(units[v].members)
                    la, lb = load[a] - cu + cv, load[b] - cv + cu
                    sa, sb = size[a] - su + sv, size[b] - sv + su
                    lo, hi = inst.min_capacity_kw - 1e-9, inst.max_capacity_kw + 1e-9
                    va, vb = value[a] - vu + units[v].value, value[b] - units[v].value + vu
                    ok = lo <= la <= hi and lo <= lb <= hi and sa <= max_sites and sb <= max_sites
                    if ok and reaches(va, mv) and reaches(vb, mv):
                        cur[u], cur[v] = b, a
                        members_of[a] ^= {u, v}
                        members_of[b] ^= {u, v}
                        load[a], load[b], size[a], size[b] = la, lb, sa, sb
                        value[a], value[b] = va, vb
                        improved = done = True
                        break
                if done:
                    break
        # re-anchor every bundle on its medoid
        groups = sorted(bundles_of(cur).items())
        for (old, members), new in zip(groups, medoids(prep, cur), strict=True):
            if new != old:
                cur[members] = new
                improved = True
        if not improved or time.perf_counter() > deadline or (stop is not None and stop()):
            break
    if is_valid(inst, prep, cur) and solution_key(inst, prep, cur) <= solution_key(inst, prep, assign):
        return cur
    return assign
