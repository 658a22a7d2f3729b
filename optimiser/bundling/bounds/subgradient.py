"""Subgradient search for good Lagrangian prices, and the Lagrangian bound it gives.

Every price vector gives a valid bound (:mod:`optimiser.bundling.bounds.lagrange`); the search steps the
prices along the subgradient with Polyak steps aimed between the best bound and the incumbent's cost.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import numpy as np

from optimiser.bundling.bounds.lagrange import Lagrangian
from optimiser.bundling.instance import BundlingInstance
from optimiser.bundling.units import Prepared

STALL = 40  # evaluations without improvement before the step factor is halved
LARGE_PAIRS = 1_000_000  # above this many pairs an exact evaluation is slow: the fast stage gets more
LARGE_FAST_SHARE = 0.8
FAST_SHARE = 0.4  # share of the search time spent on the fast fractional evaluation first
TARGET = 1.0  # Polyak target: best bound + TARGET * (upper - best)
EXACT_THETA = 0.1  # first step factor of the exact stage (it starts near the best prices)


def lagrangian_bound(
    inst: BundlingInstance,
    prep: Prepared,
    *,
    required: set[int],
    optional: set[int] | None = None,
    min_bundled_kw: float = 0.0,
    complete: bool = True,
    start_pi: np.ndarray | None = None,
    upper: float,
    time_limit_s: float,
    stop: Callable[[], bool] | None = None,
    on_bound: Callable[[float], None] | None = None,
    upper_now: Callable[[], float] | None = None,
) -> tuple[float | None, str | None]:
    """Best bound found within the time limit, or ``(None, reason)``."""
    lag = Lagrangian(
        inst,
        prep,
        required=required,
        optional=optional or set(),
        min_bundled_kw=min_bundled_kw,
        complete=complete,
    )
    report = None if on_bound is None else (lambda b: on_bound(b - 1e-7 * abs(b)))
    best, _ = search(
        lag,
        start_pi=start_pi,
        upper=upper,
        time_limit_s=time_limit_s,
        stop=stop,
        on_bound=report,
        upper_now=upper_now,
    )
    if not math.isfinite(best):
        return None, "Lagrangian bound not computed"
    return max(0.0, best - 1e-7 * abs(best)), None


def _better_start(lag: Lagrangian, pi: np.ndarray, rho: float) -> np.ndarray:
    """``pi`` or the bundle cost spread over kWp (``bundle_cost_m / max_capacity_kw`` per kWp), whichever
    gives the better fractional bound.

    A solution's cost shares price every unit of a dense area high, so thousands of anchors look
    profitable and the first bound is hugely negative (10,000 district sites: about -2.5e9 m, several
    seconds of steps to recover); the spread prices make every full bundle worth about nothing, which
    starts the search at the bin-packing bound.
    """
    if lag.inst.bundle_cost_m <= 0 or not math.isfinite(lag.inst.max_capacity_kw) or lag.max_cap <= 0:
        return pi
    spread = lag.clamp(lag.inst.bundle_cost_m / lag.max_cap * lag.cap, rho)
    if lag.evaluate(spread, rho, exact=False).bound > lag.evaluate(pi, rho, exact=False).bound:
        return spread
    return pi


def search(
    lag: Lagrangian,
    *,
    start_pi: np.ndarray | None,
    upper: float,
    time_limit_s: float,
    stop: Callable[[], bool] | None = None,
    on_bound: Callable[[float], None] | None = None,
    max_iter: int = 5000,
    upper_now: Callable[[], float] | None = None,
) -> tuple[float, np.ndarray]:
    """Subgradient search: Polyak steps toward ``upper``, the step factor halved after stalls.

    ``upper_now``, when given, is asked before every step for a better upper bound (the cost of a
    solution found meanwhile, see :mod:`optimiser.bundling.bounds.background`).

    A first stage uses the fast fractional evaluation (``FAST_SHARE`` of the time at most) to bring the
    prices near the LP's best; the second evaluates the knapsacks exactly from the best prices so far.
    Every evaluation is a valid bound, so the best of both stages is returned.
    """
    start = time.perf_counter()
    deadline = start + time_limit_s
    pi = np.zeros(lag.n_units) if start_pi is None else start_pi.astype(float).copy()
    rho = 0.0
    if lag.opt.any():
        rho = float(np.max(np.where(lag.cap > 0, pi / np.maximum(lag.cap, 1e-9), 0.0), initial=0.0))
    pi = _better_start(lag, lag.clamp(pi, rho), rho)
    best, best_pi, best_rho = -math.inf, pi.copy(), rho
    fast = FAST_SHARE if len(lag.pd) <= LARGE_PAIRS else LARGE_FAST_SHARE
    for exact, share, theta in ((False, fast, 1.0), (True, 1.0, EXACT_THETA)):
        stage_end = start + share * time_limit_s
        pi, rho, stall, stage_best = best_pi.copy(), best_rho, 0, -math.inf
        for it in range(max_iter):
            now = time.perf_counter()
            if (it >= 1 and now > min(stage_end, deadline)) or (stop is not None and stop()):
                break
            if upper_now is not None:
                upper = min(upper, upper_now())
            ev = lag.evaluate(pi, rho, exact=exact)
            if not math.isfinite(ev.bound):
                break
            if not math.isfinite(stage_best) or ev.bound > stage_best + 1e-9 * max(1.0, abs(stage_best)):
                stage_best, stall = ev.bound, 0
                if ev.bound > best:
                    best, best_pi, best_rho = ev.bound, pi.copy(), rho
                    if on_bound is not None:
                        on_bound(best)
            else:
                stall += 1
                if stall >= STALL:
                    theta, stall = theta / 2, 0
                    if theta < 1e-4:
                        break
            norm = float(ev.subgradient @ ev.subgradient) + (ev.rho_subgradient**2 if lag.opt.any() else 0.0)
            if upper - ev.bound <= 1e-7 * max(1.0, upper) or norm < 1e-12:
                break
            # aim between the best bound and the upper bound: aiming at a distant upper bound overshoots
            gap = best + TARGET * (upper - best) - ev.bound if math.isfinite(best) else upper - ev.bound
            gap = max(gap, 1e-6 * max(1.0, upper))
            step = theta * gap / norm
            pi = pi + step * ev.subgradient
            if lag.opt.any():
                rho = max(0.0, rho + step * ev.rho_subgradient)
            pi = lag.clamp(pi, rho)
    return best, best_pi
