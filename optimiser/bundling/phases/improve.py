"""Improve the warm start: fewer, fuller bundles, then (large instances) ruin and recreate.

A large instance whose warm start bundles every unit that fits also starts its lower bound here, in a
second process that runs beside the heuristics (:mod:`optimiser.bundling.bounds.background`).
"""

from __future__ import annotations

import time

import numpy as np

from optimiser.bundling.bounds.background import BoundJob, BoundProcess
from optimiser.bundling.heuristics.eliminate import eliminate_bundles
from optimiser.bundling.heuristics.local_search import local_search
from optimiser.bundling.heuristics.recreate import ruin_recreate
from optimiser.bundling.phases.warm_start import LOCAL_SEARCH_SHARE
from optimiser.bundling.solution import solution_key
from optimiser.bundling.state import RunState

ELIMINATE_SHARE = 0.15  # share of the time limit for removing bundles after the local search (at most)
RECREATE_SHARE = 0.3  # share of the time limit for ruin and recreate above FULL_MODEL_SITES (at most)
BACKGROUND_END = 0.96  # with the bound in a second process, both end at this share of the time limit


def improve(state: RunState) -> None:
    """Improve ``state.warm`` (nothing to do without one); start the bound process where it applies."""
    if not state.complete and state.workers >= 2 and state.bundles_all_fit(state.warm):
        end = state.start + BACKGROUND_END * state.time_limit_s
        state.background = _start_bound(state, end)
        state.deadline = end
    if state.warm is None:
        return
    state.tracker.phase("eliminate")
    state.warm = _eliminate(state, state.warm)
    state.report(state.warm)
    if not state.complete:
        state.tracker.phase("recreate")
        state.warm = ruin_recreate(
            state.inst,
            state.prep,
            state.warm,
            deadline=min(state.deadline, time.perf_counter() + RECREATE_SHARE * state.time_limit_s),
            seed=state.seed,
            stop=state.tracker.stopped,
            on_improve=state.report,
        )


def _start_bound(state: RunState, end: float) -> BoundProcess:
    """Start the bound of a solution that bundles every unit that fits, in a second process until ``end``.

    Every later solution bundles them all too (solutions only get better: more kWp, then less cost), so
    the bound stays valid for the final one.
    """
    assert state.warm is not None
    bundled, cost = solution_key(state.inst, state.prep, state.warm)
    job = BoundJob(
        inst=state.inst,
        candidate_anchors=state.candidate_anchors,
        assign=state.warm,
        required=state.required,
        fit=state.fit,
        cost=cost,
        bundled=-bundled,
        ends_at=time.time() + (end - time.perf_counter()),
    )
    process = BoundProcess(job, state.tracker)
    state.tracker.on_best = process.offer
    return process


def _eliminate(state: RunState, warm: np.ndarray) -> np.ndarray:
    """Fewer, fuller bundles (the local search's moves never empty one), then the local search again.

    The second local search shortens the distances the emptied bundles' units now travel (0.4 % of
    the cost at 10,000 sites); it is skipped when no bundle was removed.
    """
    out = eliminate_bundles(
        state.inst,
        state.prep,
        warm,
        deadline=min(state.deadline, time.perf_counter() + ELIMINATE_SHARE * state.time_limit_s),
        stop=state.tracker.stopped,
        seed=state.seed,
    )
    if out is warm:
        return warm
    state.report(out)
    limit = min(LOCAL_SEARCH_SHARE * state.time_limit_s, state.deadline - time.perf_counter())
    return local_search(state.inst, state.prep, out, time_limit_s=max(0.0, limit), stop=state.tracker.stopped)
