"""Warm start: refuse what is infeasible at once, then the greedy's solution and its local search."""

from __future__ import annotations

import numpy as np

from optimiser.bundling.heuristics.greedy import greedy
from optimiser.bundling.heuristics.local_search import local_search
from optimiser.bundling.state import RunState

GREEDY_SHARE = 0.2  # share of the time limit after which the greedy returns its best so far
LOCAL_SEARCH_SHARE = 0.1  # share of the time limit for improving the greedy warm start


def refusal(state: RunState) -> str | None:
    """Why the instance has no solution, when its data says so: a unit locked to two bundles, or a unit
    that must be bundled (locked, or every unit under ``require_all``) but fits no bundle."""
    prep = state.prep
    if prep.conflicts:
        return "; ".join(prep.conflicts)
    blocked = sorted(u for u in state.required if u in prep.unfit)
    if blocked:
        why = "require_all" if state.inst.require_all else "locked_bundle"
        return f"{why}: " + "; ".join(prep.unfit[u] for u in blocked)
    return None


def warm_start(state: RunState) -> None:
    """``state.base`` (the greedy's solution) and ``state.warm`` (after the local search); both stay
    None when the greedy found no valid solution."""
    tracker = state.tracker

    def found(assign: np.ndarray) -> None:
        if state.first_found_s is None:
            state.first_found_s = state.elapsed_s()
        state.report(assign)

    state.base = greedy(
        state.inst,
        state.prep,
        seed=state.seed,
        stop=tracker.stopped,
        time_limit_s=GREEDY_SHARE * state.time_limit_s,
        on_solution=found,
    )
    tracker.check()
    tracker.phase("local_search")
    if state.base is not None:
        state.warm = local_search(
            state.inst,
            state.prep,
            state.base,
            time_limit_s=LOCAL_SEARCH_SHARE * state.time_limit_s,
            stop=tracker.stopped,
        )
