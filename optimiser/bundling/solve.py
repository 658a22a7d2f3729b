"""Orchestrator: prepare units, greedy warm start, CP-SAT (lexicographic in two phases), bound, result."""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable

import numpy as np

from optimiser.bundling.background import BoundJob, BoundProcess
from optimiser.bundling.bounds import instance_bounds
from optimiser.bundling.eliminate import eliminate_bundles
from optimiser.bundling.fixing import Fixing, cost_phase_prices, reduced_cost_fixing
from optimiser.bundling.greedy import greedy, is_valid, local_search, solution_key
from optimiser.bundling.instance import BundlingInstance
from optimiser.bundling.lns import improve
from optimiser.bundling.model import BundlingModel, PhaseResult
from optimiser.bundling.progress import BundlingProgress, Cancelled, Tracker
from optimiser.bundling.recreate import ruin_recreate
from optimiser.bundling.result import BundlingResult, Unbundled, gap_of, make_bundles
from optimiser.bundling.units import Prepared, prepare

FULL_MODEL_SITES = 400  # up to this many sites CP-SAT sees every anchor and its own bound is valid
CANDIDATE_ANCHORS = 25  # nearest anchors per unit kept in larger models
GREEDY_SHARE = 0.2  # share of the time limit after which the greedy returns its best so far
LOCAL_SEARCH_SHARE = 0.1  # share of the time limit for improving the greedy warm start
ELIMINATE_SHARE = 0.15  # share of the time limit for removing bundles after the local search (at most)
RECREATE_SHARE = 0.3  # share of the time limit for ruin and recreate above FULL_MODEL_SITES (at most)
BOUND_SHARE = 0.25  # share of the time limit kept for the lower bound
SMALL_BOUND_SHARE = 0.1  # the same with a complete model, whose CP-SAT bound is valid too
TARGET_GAP = 0.005  # first fixing is against the Lagrangian bound plus this share (see README)
SLICE_SHARE = 0.03  # first CP-SAT run between fixings (doubled after each run without progress)
FIXING_SHARE = 0.1  # share of the time limit for the prices of reduced-cost fixing
PROVE_LINEARIZATION = 2  # CP-SAT linearization level of the complete cost phase (see README)
RECOMMENDED_BUNDLE_COST_M = 3_000.0  # see optimiser/README.md, "Choosing bundle_cost_m"
BACKGROUND_END = 0.96  # with the bound in a second process, both end at this share of the time limit


def _infeasible(message: str, start: float) -> BundlingResult:
    return BundlingResult(
        "infeasible", message=message, bound_note="instance infeasible", wall_s=time.perf_counter() - start
    )


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
    ``FULL_MODEL_SITES`` sites, else ``CANDIDATE_ANCHORS``). ``num_workers`` defaults to all cores;
    one worker and a fixed ``seed`` give the same result every run.

    ``on_progress`` receives a :class:`BundlingProgress` at each phase change and at most about twice a
    second in between, the last one with phase ``"done"``. ``should_stop`` is polled about ten times a
    second; once it returns True the run ends soon with status ``unknown``, message ``"cancelled"`` and
    no bundles (a partial answer is never returned as if complete). Both may be called from a solver
    thread (see :mod:`optimiser.bundling.progress`).
    """
    start = time.perf_counter()
    tracker = Tracker(start, time_limit_s, on_progress, should_stop)
    background: list[BoundProcess] = []  # the bound process, when one was started
    try:
        result = _solve(
            inst,
            time_limit_s=time_limit_s,
            seed=seed,
            num_workers=num_workers,
            candidate_anchors=candidate_anchors,
            tracker=tracker,
            start=start,
            background=background,
        )
    except Cancelled:
        result = BundlingResult(
            "unknown",
            message="cancelled",
            bound_note="run cancelled before it finished",
            wall_s=time.perf_counter() - start,
        )
    finally:
        for process in background:
            process.close()
    has_solution = result.status in ("optimal", "feasible")
    tracker.done(
        result.cost_m if has_solution else None, result.bound_m, result.bundled_kw if has_solution else None
    )
    return result


def _solve(
    inst: BundlingInstance,
    *,
    time_limit_s: float,
    seed: int,
    num_workers: int | None,
    candidate_anchors: int | None,
    tracker: Tracker,
    start: float,
    background: list[BoundProcess],
) -> BundlingResult:
    tracker.phase("greedy")
    small = candidate_anchors is None and len(inst.sites) <= FULL_MODEL_SITES
    deadline = start + time_limit_s * (1.0 - (SMALL_BOUND_SHARE if small else BOUND_SHARE))
    workers = num_workers or os.cpu_count() or 1
    n = len(inst.sites)
    if candidate_anchors is None and n > FULL_MODEL_SITES:
        candidate_anchors = CANDIDATE_ANCHORS
    prep = prepare(inst, candidate_anchors)
    tracker.check()
    complete = candidate_anchors is None
    if prep.conflicts:
        return _infeasible("; ".join(prep.conflicts), start)
    locked = {u for u, unit in enumerate(prep.units) if unit.locked_bundle is not None}
    required = set(range(len(prep.units))) if inst.require_all else set(locked)
    blocked = sorted(u for u in required if u in prep.unfit)
    if blocked:
        why = "require_all" if inst.require_all else "locked_bundle"
        return _infeasible(f"{why}: " + "; ".join(prep.unfit[u] for u in blocked), start)

    found: list[float] = []  # time of the greedy's first valid solution

    def greedy_found(a: np.ndarray) -> None:
        if not found:
            found.append(time.perf_counter() - start)
        tracker.solution(solution_key(inst, prep, a)[1], _kw(prep, a))

    base = greedy(
        inst,
        prep,
        seed=seed,
        stop=tracker.stopped,
        time_limit_s=GREEDY_SHARE * time_limit_s,
        on_solution=greedy_found,
    )
    tracker.check()
    tracker.phase("local_search")
    warm = (
        None
        if base is None
        else local_search(
            inst, prep, base, time_limit_s=LOCAL_SEARCH_SHARE * time_limit_s, stop=tracker.stopped
        )
    )
    # units of positive kWp that fit some bundle: bundling all of them is the most kWp possible
    fit = {u for u in range(len(prep.units)) if u not in prep.unfit and prep.units[u].capacity_kw > 0}
    if not complete and workers >= 2 and warm is not None and all(warm[u] >= 0 for u in fit):
        end = start + BACKGROUND_END * time_limit_s
        background.append(_start_bound(inst, prep, warm, candidate_anchors, required, fit, end, tracker))
        deadline = end
    if warm is not None:
        tracker.phase("eliminate")
        warm = _eliminate(
            inst, prep, warm, time_limit_s=time_limit_s, deadline=deadline, seed=seed, tracker=tracker
        )
        tracker.solution(solution_key(inst, prep, warm)[1], _kw(prep, warm))
        if not complete:
            tracker.phase("recreate")
            warm = ruin_recreate(
                inst,
                prep,
                warm,
                deadline=min(deadline, time.perf_counter() + RECREATE_SHARE * time_limit_s),
                seed=seed,
                stop=tracker.stopped,
                on_improve=lambda a: tracker.solution(solution_key(inst, prep, a)[1], _kw(prep, a)),
            )
    max_reached = warm is not None and all(warm[u] >= 0 for u in fit)
    pairs: list[dict[int, float]] = [
        dict(zip(a.tolist(), d.tolist(), strict=True)) for a, d in zip(prep.anchors, prep.dists, strict=True)
    ]
    if warm is not None:
        for u in np.flatnonzero(warm >= 0).tolist():
            pairs[u].setdefault(int(warm[u]), prep.pair_cost(u, int(warm[u])))

    phase1_proven = inst.require_all or max_reached
    phase1: PhaseResult | None = None
    hint = warm
    scale = 1
    model: BundlingModel | None = None
    fixing: Fixing | None = None
    if phase1_proven:
        if complete or hint is None:  # without a warm start a large instance needs the model too
            cost_required = required | (fit if max_reached else set())
            model = BundlingModel(inst, prep, pairs, required=cost_required)
    else:
        model = BundlingModel(inst, prep, pairs, required=required)
        model.model.maximize(model.bundled_expr())
        model.hint(warm)
        tracker.phase("capacity")
        phase1 = model.solve(
            time_limit_s=(deadline - time.perf_counter()) / 3,
            seed=seed,
            num_workers=workers,
            tracker=tracker,
            phase="capacity",
        )
        tracker.check()
        if phase1.assign is not None:
            hint = phase1.assign
            phase1_proven = complete and phase1.status == "OPTIMAL"
            model.model.add(model.bundled_expr() >= round(phase1.objective))
        elif warm is not None:
            model.model.add(model.bundled_expr() >= sum(model.cap[u] for u in np.flatnonzero(warm >= 0)))
    if tracker.phase_name != "cost":  # fixing may have entered it already
        tracker.phase("cost")
    if complete and model is not None and phase1 is None and hint is not None and is_valid(inst, prep, hint):
        # every unit that fits is bundled: the cost phase alone, proven with reduced-cost fixing
        phase2, fixing = _cost_with_fixing(
            inst,
            prep,
            model,
            pairs,
            hint,
            start=start,
            time_limit_s=time_limit_s,
            seed=seed,
            workers=workers,
            tracker=tracker,
        )
        scale = model.scale
    elif complete and model is not None:
        model.model.minimize(model.cost_expr())
        model.hint(hint)
        scale = model.scale
        phase2 = model.solve(
            time_limit_s=deadline - time.perf_counter(),
            seed=seed,
            num_workers=workers,
            tracker=tracker,
            phase="cost",
            bound_valid=True,
        )
    elif hint is not None:
        # large instance: neighbourhood search around the incumbent instead of one restricted model
        better = improve(
            inst,
            prep,
            hint,
            deadline=deadline,
            seed=seed,
            workers=max(1, workers - len(background)),  # the bound process has a core of its own
            fixed_units=required,
            on_improve=lambda a: tracker.solution(solution_key(inst, prep, a)[1], _kw(prep, a)),
            stop=tracker.stopped,
        )
        phase2 = PhaseResult("NEIGHBOURHOOD_SEARCH", better, math.nan, math.nan, None)
    else:
        assert model is not None
        model.model.minimize(model.cost_expr())
        phase2 = model.solve(
            time_limit_s=deadline - time.perf_counter(),
            seed=seed,
            num_workers=workers,
            tracker=tracker,
            phase="cost",
        )
    tracker.check()

    assign = phase2.assign
    if assign is None:
        assign = hint if hint is not None and is_valid(inst, prep, hint) else None
    elif warm is not None and solution_key(inst, prep, warm) < solution_key(inst, prep, assign):
        assign = warm
    first = phase2.first_solution_s
    if phase1 is not None and phase1.first_solution_s is not None:
        first = phase1.first_solution_s
    if found:
        first = found[0]
    if assign is None:
        infeasible = "INFEASIBLE" in (phase2.status, phase1.status if phase1 else "")
        msg = (
            "no bundling satisfies every limit (bundle count, capacity, sites, distance, locks"
            + (", require_all" if inst.require_all else "")
            + ")"
        )
        if infeasible and complete:
            return _infeasible(msg, start)
        return BundlingResult(
            "unknown",
            # CP-SAT's proof on the nearest anchors only is not one for the instance, but it is the answer
            message=f"{msg} with each site's {candidate_anchors} nearest anchors; the others were not tried"
            if infeasible
            else f"no solution found within {time_limit_s:g} s",
            bound_note="no solution",
            wall_s=time.perf_counter() - start,
        )
    tracker.solution(solution_key(inst, prep, assign)[1], _kw(prep, assign))
    tracker.phase("bound")
    return _finish(
        inst,
        prep,
        assign,
        phase1_proven,
        phase2,
        scale,
        complete,
        required,
        start,
        first,
        base,
        time_limit_s,
        tracker,
        fixing,
        background[0] if background else None,
    )


def _start_bound(
    inst: BundlingInstance,
    prep: Prepared,
    warm: np.ndarray,
    candidate_anchors: int | None,
    required: set[int],
    fit: set[int],
    end: float,
    tracker: Tracker,
) -> BoundProcess:
    """Start the bound of a solution that bundles every unit that fits, in a second process until ``end``.

    Every later solution bundles them all too (solutions only get better: more kWp, then less cost), so
    the bound stays valid for the final one.
    """
    bundled, cost = solution_key(inst, prep, warm)
    job = BoundJob(
        inst=inst,
        candidate_anchors=candidate_anchors,
        assign=warm,
        complete=False,
        required=required,
        fit=fit,
        cost=cost,
        bundled=-bundled,
        ends_at=time.time() + (end - time.perf_counter()),
    )
    process = BoundProcess(job, tracker)
    tracker.on_best = process.offer
    return process


def _eliminate(
    inst: BundlingInstance,
    prep: Prepared,
    warm: np.ndarray,
    *,
    time_limit_s: float,
    deadline: float,
    seed: int,
    tracker: Tracker,
) -> np.ndarray:
    """Fewer, fuller bundles (the local search's moves never empty one), then the local search again.

    The second local search shortens the distances the emptied bundles' units now travel (0.4 % of
    the cost at 10,000 sites); it is skipped when no bundle was removed.
    """
    out = eliminate_bundles(
        inst,
        prep,
        warm,
        deadline=min(deadline, time.perf_counter() + ELIMINATE_SHARE * time_limit_s),
        stop=tracker.stopped,
        seed=seed,
    )
    if out is warm:
        return warm
    tracker.solution(solution_key(inst, prep, out)[1], _kw(prep, out))
    limit = min(LOCAL_SEARCH_SHARE * time_limit_s, deadline - time.perf_counter())
    return local_search(inst, prep, out, time_limit_s=max(0.0, limit), stop=tracker.stopped)


def _cost_with_fixing(
    inst: BundlingInstance,
    prep: Prepared,
    model: BundlingModel,
    pairs: list[dict[int, float]],
    incumbent: np.ndarray,
    *,
    start: float,
    time_limit_s: float,
    seed: int,
    workers: int,
    tracker: Tracker,
) -> tuple[PhaseResult, Fixing | None]:
    """Cost phase on the complete model, every unit that fits required (the bundled kWp is fixed).

    Lagrangian prices are searched first; then CP-SAT runs on models reduced by fixing against a target
    cost ``T`` (:mod:`optimiser.bundling.fixing`): every solution of cost <= ``T`` is in the model (and
    the incumbent), so ``min(model bound, T)`` bounds the instance and a model optimum <= ``T`` is the
    instance's optimum. ``T`` starts just above the Lagrangian bound (small models, short runs that find
    good solutions), rises when a run improves nothing, and at the incumbent's cost one run proves the
    rest. The returned bound is in the model's integer units, already valid for the instance.
    """
    deadline = start + 0.98 * time_limit_s  # a little left for the result

    def run(m: BundlingModel, limit: float, cap: float | None = None) -> PhaseResult:
        return m.solve(
            time_limit_s=limit,
            seed=seed,
            num_workers=workers,
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
        time_limit_s=min(FIXING_SHARE * time_limit_s, max(0.05, deadline - time.perf_counter())),
        stop=tracker.stopped,
        on_bound=tracker.bound,
    )
    tracker.check()
    bound = -math.inf  # best valid bound from CP-SAT so far, in metres
    first: float | None = None
    slice_s = max(1.0, SLICE_SHARE * time_limit_s)
    status = "FEASIBLE"
    # fix against a target below the incumbent: the model keeps every solution up to the target
    target = min(upper, lag_bound * (1 + TARGET_GAP) + 1e-9)
    fixing = Fixing(bound=lag_bound, upper=upper)
    while time.perf_counter() < deadline:
        fixing = reduced_cost_fixing(lag, pi, target, best)
        fixing.bound = max(lag_bound, fixing.bound - 1e-7 * abs(fixing.bound))
        reduced = BundlingModel(
            inst, prep, _without(pairs, fixing, prep), required=model.required, scale=model.scale
        )
        reduced.model.minimize(reduced.cost_expr())
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
        if out.status == "OPTIMAL" and out.bound / model.scale <= target:
            best, status = out.assign, "OPTIMAL"
            break
        if target >= upper:
            slice_s = math.inf  # fixed against the incumbent itself: prove in one run
        elif out.status == "OPTIMAL" or not improved:
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


def _kw(prep: Prepared, assign: np.ndarray) -> float:
    return float(sum(prep.units[u].capacity_kw for u in np.flatnonzero(assign >= 0).tolist()))


def _finish(
    inst: BundlingInstance,
    prep: Prepared,
    assign: np.ndarray,
    phase1_proven: bool,
    phase2: PhaseResult,
    scale: int,
    complete: bool,
    required: set[int],
    start: float,
    first: float | None,
    base: np.ndarray | None,
    time_limit_s: float,
    tracker: Tracker,
    fixing: Fixing | None,
    background: BoundProcess | None,
) -> BundlingResult:
    bundles, objective, cost = make_bundles(inst, prep, assign)
    bundled = sum(b.capacity_kw for b in bundles)
    bounds: list[float] = []
    notes: list[str] = []
    if fixing is not None:
        # solutions outside the reduced model cost more than fixing.upper: the bound is capped there
        bounds.append(fixing.bound)
        notes.append(
            f"reduced-cost fixing dropped {len(fixing.pairs)} of {fixing.total_pairs} pairs and "
            f"{len(fixing.anchors)} anchors (Lagrangian bound {fixing.bound:.6g} m, incumbent "
            f"{fixing.upper:.6g} m)"
        )
    if complete and phase2.assign is not None:
        cp_bound = phase2.bound / scale
        bounds.append(cp_bound if fixing is None else min(cp_bound, fixing.upper))
        tracker.bound(bounds[-1])
    elif not complete:
        notes.append("CP-SAT saw only the nearest candidate anchors, so its bound is not used")
    fit = {u for u in range(len(prep.units)) if u not in prep.unfit and prep.units[u].capacity_kw > 0}
    cp_proven = complete and phase2.status == "OPTIMAL"
    cp_gap = gap_of(cost, min(cost, max(bounds))) if bounds else None
    if background is not None:
        outcome = background.result()
        bounds += outcome.bounds
        notes += outcome.notes
    elif not cp_proven and fixing is None and (cp_gap is None or cp_gap > 1e-6):
        remaining = max(1.0, time_limit_s - (time.perf_counter() - start))
        more, more_notes = instance_bounds(
            inst,
            prep,
            assign,
            complete=complete,
            required=required,
            fit=fit,
            cost=cost,
            bundled=bundled,
            time_limit_s=remaining,
            tracker=tracker,
        )
        bounds += more
        notes += more_notes
    bound = min(cost, max(bounds)) if bounds else None
    gap = gap_of(cost, bound)
    proven_cost = (complete and phase2.status == "OPTIMAL") or (gap is not None and gap <= 1e-6)
    optimal = phase1_proven and proven_cost
    reason_left = (
        "left out of the optimal solution: no bundle can take it without breaking a limit or "
        "lowering the bundled capacity"
        if optimal and phase1_proven
        else "left out of the best solution found (not proven necessary)"
    )
    unbundled = [
        Unbundled(inst.sites[s].id, prep.unfit.get(u, reason_left))
        for u in np.flatnonzero(assign < 0).tolist()
        for s in prep.units[u].members
    ]
    greedy_cost = greedy_kw = None
    if base is not None:
        _, _, greedy_cost = make_bundles(inst, prep, base)
        greedy_kw = sum(prep.units[u].capacity_kw for u in np.flatnonzero(base >= 0).tolist())
    return BundlingResult(
        status="optimal" if optimal else "feasible",
        bundled_kw=bundled,
        objective_m=objective,
        cost_m=cost,
        bound_m=bound,
        gap=gap,
        bundles=bundles,
        unbundled=sorted(unbundled, key=lambda x: x.id),
        wall_s=time.perf_counter() - start,
        bound_note="; ".join(notes) or None,
        first_feasible_s=first,
        greedy_cost_m=greedy_cost,
        greedy_bundled_kw=greedy_kw,
    )
