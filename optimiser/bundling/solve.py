"""Orchestrator: instance -> run state -> warm start, improve, cost phase, prove -> result.

Each phase is a function over the run's :class:`~optimiser.bundling.state.RunState`
(:mod:`optimiser.bundling.phases`); this module only orders them, turns a cancellation into its result
and makes sure the bound process of a large instance never outlives the run.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from optimiser.bundling.instance import BundlingInstance
from optimiser.bundling.phases.cost import cost_phase
from optimiser.bundling.phases.finish import cancelled_result, finish, infeasible_result, no_solution
from optimiser.bundling.phases.improve import improve
from optimiser.bundling.phases.prove import prove
from optimiser.bundling.phases.warm_start import refusal, warm_start
from optimiser.bundling.progress import BundlingProgress, Cancelled, Tracker
from optimiser.bundling.result import BundlingResult
from optimiser.bundling.state import RunState

RECOMMENDED_BUNDLE_COST_M = 3_000.0  # see optimiser/README.md, "Choosing bundle_cost_m"


def solve_bundling(
    inst: BundlingInstance,
    *,
    time_limit_s: float = 30.0,
    seed: int = 0,
    num_workers: int | None = None,
    candidate_anchors: int | None = None,
    on_progress: Callable[[BundlingProgress], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> BundlingResult:
    """Bundle the sites of ``inst``: most kWp first, then least cost (m). See optimiser/README.md.

    ``candidate_anchors`` keeps each unit's nearest anchors only (default: all anchors up to
    ``FULL_MODEL_SITES`` sites, else ``CANDIDATE_ANCHORS``; :mod:`optimiser.bundling.state`).
    ``num_workers`` defaults to all cores; one worker and a fixed ``seed`` give the same result every run.

    ``on_progress`` receives a :class:`BundlingProgress` at each phase change and at most about twice a
    second in between, the last one with phase ``"done"``. ``should_stop`` is polled about ten times a
    second; once it returns True the run ends soon with status ``unknown``, message ``"cancelled"`` and
    no bundles (a partial answer is never returned as if complete). Both may be called from a solver
    thread (see :mod:`optimiser.bundling.progress`).
    """
    start = time.perf_counter()
    tracker = Tracker(start, time_limit_s, on_progress, should_stop)
    state: RunState | None = None
    try:
        tracker.phase("greedy")
        state = RunState.prepare(
            inst,
            time_limit_s=time_limit_s,
            seed=seed,
            num_workers=num_workers,
            candidate_anchors=candidate_anchors,
            tracker=tracker,
            start=start,
        )
        result = _run(state)
    except Cancelled:
        result = cancelled_result(start)
    finally:
        if state is not None and state.background is not None:
            state.background.close()
    has_solution = result.status.has_solution
    tracker.done(
        result.cost_m if has_solution else None, result.bound_m, result.bundled_kw if has_solution else None
    )
    return result


def _run(state: RunState) -> BundlingResult:
    """The phases in order; a phase that finds the run over returns its result early."""
    reason = refusal(state)
    if reason is not None:
        return infeasible_result(reason, state.start)
    warm_start(state)
    improve(state)
    cost_phase(state)
    if state.assign is None:
        return no_solution(state)
    state.report(state.assign)
    state.tracker.phase("bound")
    prove(state)
    return finish(state)
