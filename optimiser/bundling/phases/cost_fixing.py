"""The cost phase proven by reduced-cost fixing (complete model, every unit that fits bundled).

Lagrangian prices are searched first; then CP-SAT runs on models reduced by fixing against a target cost
``T`` (:mod:`optimiser.bundling.bounds.fixing`): every solution of cost <= ``T`` is in the model (and the
incumbent), so ``min(model bound, T)`` bounds the instance and a model optimum <= ``T`` is the instance's
optimum. ``T`` starts just above the Lagrangian bound (small models, short runs that find good
solutions), rises when a run improves nothing, and at the incumbent's cost one run proves the rest.
"""

from __future__ import annotations

import math
import time

import numpy as np

from optimiser.bundling.bounds.fixing import Fixing, cost_phase_prices, reduced_cost_fixing
from optimiser.bundling.model import BundlingModel, PhaseResult
from optimiser.bundling.solution import solution_key
from optimiser.bundling.state import RunState
from optimiser.bundling.units import Prepared
from optimiser.status import SolveStatus

TARGET_GAP = 0.005  # first fixing is against the Lagrangian bound plus this share (see README)
SLICE_SHARE = 0.03  # first CP-SAT run between fixings (doubled after each run without progress)
FIXING_SHARE = 0.1  # share of the time limit for the prices of reduced-cost fixing
PROVE_LINEARIZATION = 2  # CP-SAT linearization level of the complete cost phase (see README)
END_SHARE = 0.98  # the fixing runs end at this share of the time limit: a little is left for the result


def cost_with_fixing(
    state: RunState, model: BundlingModel, incumbent: np.ndarray
) -> tuple[PhaseResult, Fixing]:
    """Cost phase on the complete ``model``, every unit that fits required (the bundled kWp is fixed).

    The returned bound is in the model's integer units, already valid for the instance; the
    :class:`Fixing` says what the last reduction dropped and against which incumbent cost.
    """
    inst, prep, tracker = state.inst, state.prep, state.tracker
    deadline = state.start + END_SHARE * state.time_limit_s

    def run(m: BundlingModel, limit: float, cap: float | None = None) -> PhaseResult:
        return m.solve(
            time_limit_s=limit,
            seed=state.seed,
            num_workers=state.workers,
            tracker=tracker,
            phase="cost",
            bound_valid=True,
            bound_cap=cap,
            linearization_level=PROVE_LINEARIZATION,
        )

    best = incumbent
    upper = solution_key(inst, prep, best)[1]
    lag, pi, lag_bound = cost_phase_prices(
        inst,
        prep,
        required=model.required,
        upper=upper,
        time_limit_s=min(FIXING_SHARE * state.time_limit_s, max(0.05, deadline - time.perf_counter())),
        stop=tracker.stopped,
        on_bound=tracker.bound,
    )
    tracker.check()
    bound = -math.inf  # best valid bound from CP-SAT so far, in metres
    first: float | None = None
    slice_s = max(1.0, SLICE_SHARE * state.time_limit_s)
    status = SolveStatus.FEASIBLE
    # fix against a target below the incumbent: the model keeps every solution up to the target
    target = min(upper, lag_bound * (1 + TARGET_GAP) + 1e-9)
    fixing = Fixing(bound=lag_bound, upper=upper)
    while time.perf_counter() < deadline:
        fixing = reduced_cost_fixing(lag, pi, target, best)
        fixing.bound = max(lag_bound, fixing.bound - 1e-7 * abs(fixing.bound))
        reduced = BundlingModel(
            inst, prep, _without(state.pairs, fixing, prep), required=model.required, scale=model.scale
        )
        reduced.minimize_cost()
        reduced.hint(best)
        out = run(reduced, min(slice_s, deadline - time.perf_counter()), target)
        tracker.check()
        if out.assign is None:
            slice_s = math.inf  # too short even for a first solution
            continue
        if first is None:
            first = out.first_solution_s
        # every solution outside the model costs more than the target
        bound = max(bound, min(out.bound / model.scale, target))
        improved = solution_key(inst, prep, out.assign) < solution_key(inst, prep, best)
        if improved:
            best = out.assign
            upper = solution_key(inst, prep, best)[1]
        if out.status == SolveStatus.OPTIMAL and out.bound / model.scale <= target:
            best, status = out.assign, SolveStatus.OPTIMAL
            break
        if target >= upper:
            slice_s = math.inf  # fixed against the incumbent itself: prove in one run
        elif out.status == SolveStatus.OPTIMAL or not improved:
            # nothing (more) below the target: raise it, up to the incumbent
            gap = max(2 * (target - lag_bound), TARGET_GAP * abs(lag_bound))
            target = min(upper, max(bound, lag_bound) + gap)
            if target >= upper:
                slice_s = math.inf
        target = min(target, upper)
    fixing.upper = upper
    scaled = math.floor(bound * model.scale) if math.isfinite(bound) else -math.inf
    return PhaseResult(status, best, math.nan, scaled, first), fixing


def _without(pairs: list[dict[int, float]], fixing: Fixing, prep: Prepared) -> list[dict[int, float]]:
    """The unit-anchor pairs minus those reduced-cost fixing dropped (a closed anchor's own pair too)."""
    out = [{j: d for j, d in cand.items() if (u, j) not in fixing.pairs} for u, cand in enumerate(pairs)]
    for j in fixing.anchors:
        out[int(prep.unit_of_site[j])].pop(j, None)
    return out
