"""Lagrangian lower bound for large instances, when every bundleable unit is bundled.

Relaxing "each required unit in exactly one bundle" with multipliers ``lam`` (any sign, they price
equalities) leaves one problem per anchor: open it at ``bundle_cost_m`` plus its own unit, and take in
other units of negative reduced cost ``d[u, j] - lam[u]``. Each anchor problem is relaxed further to a
fractional knapsack (on capacity, and separately on site count; the larger of the two values is still a
lower bound); minimum capacity and lock rules are dropped. Every ``lam`` gives a valid bound
``sum(lam) + sum of the best anchor values``; subgradient steps search for a good one.

Multipliers are clamped to ``radius``: a pair farther than that has non-negative reduced cost and can
never lower an anchor's value, so only pairs within ``radius`` need to be generated; the bound stays
valid for the full instance (all anchors, real distances).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import numpy as np
from scipy.spatial import cKDTree

from optimiser.bundling.instance import BundlingInstance
from optimiser.bundling.units import Prepared

PAIR_BUDGET = 4_000_000


def _pairs(prep: Prepared, radius: float, required: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    ok = np.flatnonzero(prep.anchor_ok)
    tree = cKDTree(prep.xy[ok])
    pu_l, pj_l, pd_l = [], [], []
    for u in np.flatnonzero(required).tolist():
        members = list(prep.units[u].members)
        hits = ok[np.array(tree.query_ball_point(prep.xy[members[0]], radius), dtype=np.int64)]
        hits = hits[prep.unit_of_site[hits] != u]
        d = np.zeros(len(hits))
        reach = np.ones(len(hits), dtype=bool)
        for s in members:
            ds = np.hypot(prep.xy[hits, 0] - prep.xy[s, 0], prep.xy[hits, 1] - prep.xy[s, 1])
            reach &= ds <= prep.limit_m + 1e-9
            d += ds
        pu_l.append(np.full(int(reach.sum()), u))
        pj_l.append(hits[reach])
        pd_l.append(d[reach])
    if not pu_l:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0)
    return np.concatenate(pu_l), np.concatenate(pj_l).astype(np.int64), np.concatenate(pd_l)


def _knapsack(
    pj: np.ndarray, rc: np.ndarray, w: np.ndarray, room: np.ndarray, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per-anchor fractional knapsack of items with negative ``rc``; values and item fractions."""
    ratio = np.where(w > 0, rc / np.where(w > 0, w, 1), -np.inf)
    order = np.lexsort((ratio, pj))
    jj, ww = pj[order], w[order]
    cs = np.cumsum(ww)
    first = np.ones(len(jj), dtype=bool)
    first[1:] = jj[1:] != jj[:-1]
    start = np.maximum.accumulate(np.where(first, np.arange(len(jj)), 0))
    before = cs - ww - (cs - ww)[start]
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = np.where(ww > 0, np.clip((room[jj] - before) / ww, 0.0, 1.0), 1.0)
    frac_out = np.empty_like(frac)
    frac_out[order] = frac
    return np.bincount(jj, weights=rc[order] * frac, minlength=n), frac_out


def lagrangian_bound(
    inst: BundlingInstance,
    prep: Prepared,
    *,
    required: set[int],
    start_lam: np.ndarray,
    upper: float,
    time_limit_s: float,
    stop: Callable[[], bool] | None = None,
) -> tuple[float | None, str | None]:
    """Best Lagrangian bound found within the time limit, or ``(None, reason)``."""
    n_units, n = len(prep.units), len(inst.sites)
    req = np.zeros(n_units, dtype=bool)
    req[list(required)] = True
    lo, hi = inst.bundle_count_range
    radius = prep.limit_m if math.isfinite(prep.limit_m) else 0.0
    if radius <= 0:
        radius = float(np.ptp(prep.xy, axis=0).max()) if n else 0.0
    # shrink the radius until the pairs fit the memory budget
    ok = np.flatnonzero(prep.anchor_ok)
    tree = cKDTree(prep.xy[ok]) if len(ok) else None
    if tree is None or not req.any():
        return (inst.bundle_cost_m * lo, None) if not req.any() else (None, "no site can anchor a bundle")
    sample = prep.xy[[prep.units[u].members[0] for u in np.flatnonzero(req)[:500]]]
    while radius > 1e-9:
        est = float(np.mean(tree.query_ball_point(sample, radius, return_length=True))) * req.sum()
        if est <= PAIR_BUDGET:
            break
        radius *= 0.7
    pu, pj, pd = _pairs(prep, radius, req)
    deadline = time.perf_counter() + time_limit_s
    cap = np.array([u.capacity_kw for u in prep.units])
    size = np.array([len(u.members) for u in prep.units], dtype=float)
    own_u = prep.unit_of_site
    own_d = np.array([prep.pair_cost(int(own_u[j]), j) if prep.anchor_ok[j] else 0.0 for j in range(n)])
    max_cap = inst.max_capacity_kw if math.isfinite(inst.max_capacity_kw) else np.inf
    room_cap = np.where(prep.anchor_ok, max_cap - cap[own_u], -1.0)
    room_sites = np.where(prep.anchor_ok, (inst.max_sites or np.inf) - size[own_u], -1.0)
    lam = np.clip(np.where(req, start_lam, 0.0), -radius, radius)
    # implied minimum bundle count: the required capacity and sites must fit somewhere
    if math.isfinite(inst.max_capacity_kw) and inst.max_capacity_kw > 0:
        lo = max(lo, math.ceil(cap[req].sum() / inst.max_capacity_kw - 1e-9))
    if inst.max_sites:
        lo = max(lo, math.ceil(size[req].sum() / inst.max_sites - 1e-9))
    best = -math.inf
    theta, stall = 1.0, 0
    for it in range(2000):
        if (it >= 3 and time.perf_counter() > deadline) or (stop is not None and stop()):
            break
        rc = pd - lam[pu]
        neg = rc < 0
        val_c, frac_c = _knapsack(pj[neg], rc[neg], cap[pu[neg]], room_cap, n)
        val_s, frac_s = _knapsack(pj[neg], rc[neg], size[pu[neg]], room_sites, n)
        use_s = val_s > val_c
        value = np.maximum(val_c, val_s)
        own_term = np.where(req[own_u], lam[own_u], 0.0)
        v = np.where(prep.anchor_ok, inst.bundle_cost_m + own_d - own_term + value, np.inf)
        order = np.argsort(v, kind="stable")
        k = int(np.clip(np.count_nonzero(v < 0), lo, min(hi, len(ok))))
        opened = order[:k]
        if k and not np.isfinite(v[opened]).all():
            return None, "bundle count cannot be met in the relaxation"
        bound = float(lam[req].sum() + v[opened].sum())
        if not math.isfinite(best) or bound > best + 1e-9 * max(1.0, abs(best)):
            best, stall = bound, 0
        else:
            stall += 1
            if stall >= 30:
                theta, stall = theta / 2, 0
                if theta < 1e-4:
                    break
        is_open = np.zeros(n, dtype=bool)
        is_open[opened] = True
        frac = np.where(use_s[pj[neg]], frac_s, frac_c)
        g = req.astype(float)
        g -= np.bincount(own_u[opened], minlength=n_units) * req
        sel = is_open[pj[neg]]
        g -= np.bincount(pu[neg][sel], weights=frac[sel], minlength=n_units) * req
        norm = float(g @ g)
        if norm < 1e-12 or upper - bound <= 1e-9 * max(1.0, upper):
            break
        lam = np.clip(lam + theta * (upper - bound) / norm * g, -radius, radius)
    if not math.isfinite(best):
        return None, "Lagrangian bound not computed"
    return max(0.0, best - 1e-7 * abs(best)), None
