"""Finish: the run's :class:`BundlingResult`, whether it has an answer, none, or proved there is none."""

from __future__ import annotations

import time

import numpy as np

from optimiser.bundling.result import BundlingResult, Unbundled, make_bundles
from optimiser.bundling.solution import bundled_kw
from optimiser.bundling.state import RunState
from optimiser.status import SolveStatus

LEFT_OUT_OPTIMAL = (
    "left out of the optimal solution: no bundle can take it without breaking a limit or lowering the "
    "bundled capacity"
)
LEFT_OUT = "left out of the best solution found (not proven necessary)"


def finish(state: RunState) -> BundlingResult:
    """The answer's bundles, figures, bound and reasons for every site left out."""
    assert state.assign is not None
    inst, prep = state.inst, state.prep
    optimal = state.capacity_proven and state.cost_proven
    reason_left = LEFT_OUT_OPTIMAL if optimal else LEFT_OUT
    unbundled = [
        Unbundled(inst.sites[s].id, prep.unfit.get(u, reason_left))
        for u in np.flatnonzero(state.assign < 0).tolist()
        for s in prep.units[u].members
    ]
    greedy_cost = greedy_kw = None
    if state.base is not None:
        _, _, greedy_cost = make_bundles(inst, prep, state.base)
        greedy_kw = bundled_kw(prep, state.base)
    return BundlingResult(
        status=SolveStatus.OPTIMAL if optimal else SolveStatus.FEASIBLE,
        bundled_kw=state.bundled_kw,
        objective_m=state.objective_m,
        cost_m=state.cost_m,
        bound_m=state.bound_m,
        gap=state.gap,
        bundles=state.bundles,
        unbundled=sorted(unbundled, key=lambda x: x.id),
        wall_s=state.elapsed_s(),
        bound_note="; ".join(state.notes) or None,
        first_feasible_s=_first_feasible_s(state),
        greedy_cost_m=greedy_cost,
        greedy_bundled_kw=greedy_kw,
    )


def no_solution(state: RunState) -> BundlingResult:
    """No answer: ``infeasible`` when CP-SAT proved it on the complete model, else ``unknown``."""
    assert state.cost is not None
    statuses = (state.cost.status, state.capacity.status if state.capacity else None)
    infeasible = SolveStatus.INFEASIBLE in statuses
    inst = state.inst
    msg = (
        "no bundling satisfies every limit (bundle count, capacity, sites, distance, locks"
        + (", require_all" if inst.require_all else "")
        + (f", min_value {inst.min_value:g} CNY" if inst.min_value is not None else "")
        + (", same_group_only" if inst.same_group_only else "")
        + ")"
    )
    if infeasible and state.complete and not state.values_exact:
        # the model was tighter than the min_value rule (values not in whole fen): no proof
        return BundlingResult(
            SolveStatus.UNKNOWN,
            message=f"{msg} in CP-SAT's model, which rounds values to whole fen (tighter than the rule)",
            bound_note="no solution",
            wall_s=state.elapsed_s(),
        )
    if infeasible and state.complete:
        return infeasible_result(msg, state.start)
    return BundlingResult(
        SolveStatus.UNKNOWN,
        # CP-SAT's proof on the nearest anchors only is not one for the instance, but it is the answer
        message=f"{msg} with each site's {state.candidate_anchors} nearest anchors; the others were not tried"
        if infeasible
        else f"no solution found within {state.time_limit_s:g} s",
        bound_note="no solution",
        wall_s=state.elapsed_s(),
    )


def infeasible_result(message: str, start: float) -> BundlingResult:
    """The instance has no solution, for the reason ``message`` gives."""
    return BundlingResult(
        SolveStatus.INFEASIBLE,
        message=message,
        bound_note="instance infeasible",
        wall_s=time.perf_counter() - start,
    )


def cancelled_result(start: float) -> BundlingResult:
    """The run was asked to stop: no bundles, never a partial answer."""
    return BundlingResult(
        SolveStatus.UNKNOWN,
        message="cancelled",
        bound_note="run cancelled before it finished",
        wall_s=time.perf_counter() - start,
    )


def _first_feasible_s(state: RunState) -> float | None:
    """When the first valid solution was found: by the greedy, else the capacity or cost phase."""
    if state.first_found_s is not None:
        return state.first_found_s
    if state.capacity is not None and state.capacity.first_solution_s is not None:
        return state.capacity.first_solution_s
    return state.cost.first_solution_s if state.cost is not None else None
