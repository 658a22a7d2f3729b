"""The LP relaxation of the full instance (every feasible anchor, real distances): a bound and prices.

Solved with HiGHS through :func:`scipy.optimize.linprog`. Variables ``x[u, j]`` (unit ``u`` in the bundle
anchored at site ``j``) and ``y[j]`` (bundle at ``j`` open) lie in [0, 1]; every constraint of the integer
model is kept, including the strong linking ``x[u, j] <= y[j]``, and the bundled capacity must reach the
capacity the solution achieved, so the bound holds "at the achieved bundled capacity".
"""

from __future__ import annotations

import math

import numpy as np
from scipy import sparse
from scipy.optimize import linprog

from optimiser.bundling.instance import BundlingInstance
from optimiser.bundling.units import Prepared

LP_PAIRS = 60_000  # callers solve the LP (for its bound or its duals) up to this many unit-anchor pairs
MAX_PAIRS = 400_000  # beyond this the LP takes longer than a bundling run should


def lp_relaxation(
    inst: BundlingInstance,
    full: Prepared,
    *,
    min_bundled_kw: float,
    required: set[int],
    time_limit_s: float = 60.0,
) -> tuple[float | None, str | None, np.ndarray | None]:
    """The LP value, or the reason it has none, and the duals of the units' assignment rows.

    The value is a bound only when ``full`` holds every feasible anchor; the duals are useful prices
    either way (they start the Lagrangian search).
    """
    units = full.units
    pu = np.concatenate([np.full(len(a), u) for u, a in enumerate(full.anchors)] + [np.zeros(0)]).astype(int)
    pj = np.concatenate([*full.anchors, np.zeros(0, dtype=np.int64)]).astype(int)
    pd = np.concatenate([*full.dists, np.zeros(0)])
    n_pairs = len(pu)
    if not units:
        return 0.0, None, np.zeros(0)
    if n_pairs > MAX_PAIRS:
        return None, f"LP relaxation not attempted: {n_pairs} unit-anchor pairs exceed {MAX_PAIRS}", None
    opens = np.unique(pj[full.unit_of_site[pj] == pu])
    keep = np.isin(pj, opens)
    pu, pj, pd = pu[keep], pj[keep], pd[keep]
    n_pairs = len(pu)
    col_y = {j: n_pairs + k for k, j in enumerate(opens.tolist())}
    n_var = n_pairs + len(opens)
    ycol = np.array([col_y[int(j)] for j in pj], dtype=int)
    cap = np.array([u.capacity_kw for u in units])
    size = np.array([len(u.members) for u in units], dtype=float)
    rows: list[sparse.coo_matrix] = []
    rhs: list[np.ndarray] = []
    eq_rows: list[sparse.coo_matrix] = []
    eq_rhs: list[np.ndarray] = []
    pair_idx = np.arange(n_pairs)

    def block(r: np.ndarray, c: np.ndarray, v: np.ndarray, m: int) -> sparse.coo_matrix:
        return sparse.coo_matrix((v, (r, c)), shape=(m, n_var))

    # each unit at most once, or exactly once when required
    req = np.array([u in required for u in range(len(units))], dtype=bool)
    a = block(pu, pair_idx, np.ones(n_pairs), len(units))
    a = a.tocsr()
    eq_rows.append(a[req].tocoo())
    eq_rhs.append(np.ones(int(req.sum())))
    rows.append(a[~req].tocoo())
    rhs.append(np.ones(int((~req).sum())))
    # x[u, j] <= y[j]; the anchor's own unit equals y[j]
    own = full.unit_of_site[pj] == pu
    link = ~own
    k = int(link.sum())
    rows.append(
        block(
            np.concatenate([np.arange(k), np.arange(k)]),
            np.concatenate([pair_idx[link], ycol[link]]),
            np.concatenate([np.ones(k), -np.ones(k)]),
            k,
        )
    )
    rhs.append(np.zeros(k))
    k = int(own.sum())
    eq_rows.append(
        block(
            np.concatenate([np.arange(k), np.arange(k)]),
            np.concatenate([pair_idx[own], ycol[own]]),
            np.concatenate([np.ones(k), -np.ones(k)]),
            k,
        )
    )
    eq_rhs.append(np.zeros(k))
    # capacity, site count and one locked unit per anchor
    anchor_row = {j: r for r, j in enumerate(opens.tolist())}
    ar = np.array([anchor_row[int(j)] for j in pj], dtype=int)
    m = len(opens)
    ycols = np.array([col_y[int(j)] for j in opens.tolist()], dtype=int)
    if math.isfinite(inst.max_capacity_kw):
        rows.append(
            block(
                np.concatenate([ar, np.arange(m)]),
                np.concatenate([pair_idx, ycols]),
                np.concatenate([cap[pu], -np.full(m, inst.max_capacity_kw)]),
                m,
            )
        )
        rhs.append(np.zeros(m))
    if inst.min_capacity_kw > 0:
        rows.append(
            block(
                np.concatenate([ar, np.arange(m)]),
                np.concatenate([pair_idx, ycols]),
                np.concatenate([-cap[pu], np.full(m, inst.min_capacity_kw)]),
                m,
            )
        )
        rhs.append(np.zeros(m))
    if inst.max_sites is not None:
        rows.append(
            block(
                np.concatenate([ar, np.arange(m)]),
                np.concatenate([pair_idx, ycols]),
                np.concatenate([size[pu], -np.full(m, float(inst.max_sites))]),
                m,
            )
        )
        rhs.append(np.zeros(m))
    locked = np.array([units[u].locked_bundle is not None for u in pu], dtype=bool)
    if locked.any():
        rows.append(block(ar[locked], pair_idx[locked], np.ones(int(locked.sum())), m))
        rhs.append(np.ones(m))
    # bundle count and bundled capacity
    lo, hi = inst.bundle_count_range
    rows.append(block(np.zeros(m, dtype=int), ycols, np.ones(m), 1))
    rhs.append(np.array([float(hi)]))
    rows.append(block(np.zeros(m, dtype=int), ycols, -np.ones(m), 1))
    rhs.append(np.array([-float(lo)]))
    rows.append(block(np.zeros(n_pairs, dtype=int), pair_idx, -cap[pu], 1))
    rhs.append(np.array([-(min_bundled_kw - 1e-6)]))
    c = np.concatenate([pd, np.full(m, inst.bundle_cost_m)])
    res = linprog(
        c,
        A_ub=sparse.vstack(rows).tocsr(),
        b_ub=np.concatenate(rhs),
        A_eq=sparse.vstack(eq_rows).tocsr(),
        b_eq=np.concatenate(eq_rhs),
        bounds=(0, 1),
        method="highs",
        options={"time_limit": time_limit_s},
    )
    if res.status == 2:
        return math.inf, None, None  # no fractional solution reaches that capacity: nothing does
    if res.status != 0:
        return None, f"LP relaxation not solved: {res.message}", None
    duals = np.zeros(len(units))
    duals[req] = res.eqlin.marginals[: int(req.sum())]
    duals[~req] = res.ineqlin.marginals[: int((~req).sum())]
    # HiGHS is exact to its feasibility tolerance; shave a relative 1e-7 so round-off cannot overstate it
    return max(0.0, float(res.fun) - 1e-7 * abs(float(res.fun)) - 1e-6), None, duals
