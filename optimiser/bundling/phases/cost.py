"""Capacity and cost phases: the most kWp, then the least cost at that kWp, and the run's answer.

When the warm start already bundles every unit that fits (or ``require_all`` holds) the most kWp is
known, and only the cost phase runs. Otherwise CP-SAT first maximises the bundled kWp on a third of the
time left, and the cost phase holds it. The cost phase is CP-SAT on the complete model (proven by
reduced-cost fixing when the kWp is known, :mod:`optimiser.bundling.phases.cost_fixing`), or, above
``FULL_MODEL_SITES``, the region search around the incumbent instead of one restricted model.
"""

from __future__ import annotations

import math
import time

import numpy as np

from optimiser.bundling.heuristics.lns import region_search
from optimiser.bundling.model import BundlingModel, PhaseResult, candidate_pairs
from optimiser.bundling.phases.cost_fixing import cost_with_fixing
from optimiser.bundling.result import make_bundles
from optimiser.bundling.solution import is_valid, solution_key
from optimiser.bundling.state import RunState
from optimiser.status import SolveStatus


def cost_phase(state: RunState) -> None:
    """Run the capacity phase where needed and the cost phase; set ``state.assign`` and its bundles."""
    inst, prep = state.inst, state.prep
    state.pairs = candidate_pairs(prep)
    if state.warm is not None:  # the warm start's own pairs, in case they are not among the nearest
        for u in np.flatnonzero(state.warm >= 0).tolist():
            state.pairs[u].setdefault(int(state.warm[u]), prep.pair_cost(u, int(state.warm[u])))
    max_reached = state.bundles_all_fit(state.warm)
    state.capacity_proven = inst.require_all or max_reached
    state.hint = state.warm
    if not state.capacity_proven:
        _capacity_phase(state)
    elif state.complete or state.hint is None:  # without a warm start a large instance needs the model too
        required = state.required | (state.fit if max_reached else set())
        state.model = BundlingModel(inst, prep, state.pairs, required=required)
    state.tracker.phase("cost")
    state.cost = _cost(state)
    state.tracker.check()
    _answer(state)


def _capacity_phase(state: RunState) -> None:
    """CP-SAT maximises the bundled kWp; later phases hold the kWp found (or the warm start's)."""
    model = BundlingModel(state.inst, state.prep, state.pairs, required=state.required)
    state.model = model
    model.maximize_capacity()
    model.hint(state.warm)
    state.tracker.phase("capacity")
    state.capacity = model.solve(
        time_limit_s=(state.deadline - time.perf_counter()) / 3,
        seed=state.seed,
        num_workers=state.workers,
        tracker=state.tracker,
        phase="capacity",
    )
    state.tracker.check()
    if state.capacity.assign is not None:
        state.hint = state.capacity.assign
        # a model tighter than the min_value rule (values not in whole fen) proves nothing for the instance
        state.capacity_proven = (
            state.complete and state.values_exact and state.capacity.status == SolveStatus.OPTIMAL
        )
        model.hold_capacity(round(state.capacity.objective))
    elif state.warm is not None:
        model.hold_capacity(sum(model.cap[u] for u in np.flatnonzero(state.warm >= 0)))


def _cost(state: RunState) -> PhaseResult:
    """The cost phase that fits the model: fixing, plain CP-SAT, or the region search."""
    model, hint = state.model, state.hint
    if state.complete and model is not None:
        state.scale = model.scale
        fixable = state.capacity is None and state.values_exact
        if fixable and hint is not None and is_valid(state.inst, state.prep, hint):
            # every unit that fits is bundled: the cost phase alone, proven with reduced-cost fixing
            result, state.fixing = cost_with_fixing(state, model, hint)
            return result
        model.minimize_cost()
        model.hint(hint)
        return _solve(state, model, bound_valid=state.values_exact)
    if hint is not None:
        # large instance: neighbourhood search around the incumbent instead of one restricted model
        better = region_search(
            state.inst,
            state.prep,
            hint,
            deadline=state.deadline,
            seed=state.seed,
            workers=max(1, state.workers - (1 if state.background else 0)),  # the bound has a core
            fixed_units=state.required,
            on_improve=state.report,
            stop=state.tracker.stopped,
        )
        return PhaseResult(SolveStatus.FEASIBLE, better, math.nan, math.nan, None)
    assert model is not None
    model.minimize_cost()
    return _solve(state, model, bound_valid=False)


def _solve(state: RunState, model: BundlingModel, *, bound_valid: bool) -> PhaseResult:
    return model.solve(
        time_limit_s=state.deadline - time.perf_counter(),
        seed=state.seed,
        num_workers=state.workers,
        tracker=state.tracker,
        phase="cost",
        bound_valid=bound_valid,
    )


def _answer(state: RunState) -> None:
    """The best of the cost phase's solution, the warm start and the hint; its bundles and figures."""
    assert state.cost is not None
    inst, prep, hint = state.inst, state.prep, state.hint
    assign = state.cost.assign
    if assign is None:
        assign = hint if hint is not None and is_valid(inst, prep, hint) else None
    elif state.warm is not None and solution_key(inst, prep, state.warm) < solution_key(inst, prep, assign):
        assign = state.warm
    state.assign = assign
    if assign is not None:
        state.bundles, state.objective_m, state.cost_m = make_bundles(inst, prep, assign)
        state.bundled_kw = sum(b.capacity_kw for b in state.bundles)
