"""The state of one bundling run: what the phases read and write, from the prepared data to the answer.

:func:`optimiser.bundling.solve.solve_bundling` prepares it, then hands it to each phase in turn
(:mod:`optimiser.bundling.phases`); a phase reads what the earlier ones wrote and adds its own part, so
every figure the result reports has one place where it is decided.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

import numpy as np

from optimiser.bundling.bankable import scaled_values
from optimiser.bundling.bounds.background import BoundProcess
from optimiser.bundling.bounds.fixing import Fixing
from optimiser.bundling.instance import BundlingInstance
from optimiser.bundling.model import BundlingModel, PhaseResult
from optimiser.bundling.progress import Tracker
from optimiser.bundling.result import Bundle
from optimiser.bundling.solution import bundled_kw, solution_key
from optimiser.bundling.units import Prepared, prepare

FULL_MODEL_SITES = 400  # up to this many sites CP-SAT sees every anchor and its own bound is valid
CANDIDATE_ANCHORS = 25  # nearest anchors per unit kept in larger models
BOUND_SHARE = 0.25  # share of the time limit kept for the lower bound
SMALL_BOUND_SHARE = 0.1  # the same with a complete model, whose CP-SAT bound is valid too


@dataclass
class RunState:
    """One run: its settings and prepared data, then what each phase found (``None`` until it ran).

    Times are ``time.perf_counter()`` values; costs in metres, capacities in kWp. A solution is an array
    over units (see :mod:`optimiser.bundling.solution`).
    """

    inst: BundlingInstance
    prep: Prepared
    tracker: Tracker
    start: float
    time_limit_s: float
    seed: int
    workers: int  # CP-SAT workers; two or more also start the bound process of a large instance
    candidate_anchors: int | None  # nearest anchors kept per unit; None: every anchor (complete model)
    deadline: float  # end of the search phases: the time after it is the bound's
    required: set[int]  # units every solution bundles (all with require_all, else the locked ones)
    # CP-SAT's integer min_value rule is the instance's (whole fen): its bounds and proofs hold
    values_exact: bool = True
    # warm start and improvement
    first_found_s: float | None = None  # when the greedy found its first valid solution (s into the run)
    base: np.ndarray | None = None  # the greedy's solution, the baseline the result reports
    warm: np.ndarray | None = None  # the heuristics' best solution
    background: BoundProcess | None = None  # the bound process of a large instance
    # capacity and cost phases
    pairs: list[dict[int, float]] = field(default_factory=list)  # per unit: candidate anchor -> m
    model: BundlingModel | None = None
    hint: np.ndarray | None = None  # the best solution the cost phase starts from
    capacity: PhaseResult | None = None  # the capacity phase, when the most kWp was not known
    capacity_proven: bool = False  # the bundled kWp is proven the most possible
    cost: PhaseResult | None = None
    scale: int = 1  # the model's distance scale: its bound divided by it is in metres
    fixing: Fixing | None = None  # what reduced-cost fixing dropped, when the cost phase used it
    # the answer and its proof
    assign: np.ndarray | None = None
    bundles: list[Bundle] = field(default_factory=list)
    objective_m: float = 0.0  # summed distances
    cost_m: float = 0.0  # summed distances plus the bundle cost per bundle
    bundled_kw: float = 0.0
    bound_m: float | None = None
    gap: float | None = None
    cost_proven: bool = False  # the cost is proven least at the answer's bundled kWp
    notes: list[str] = field(default_factory=list)  # what the bound could and could not look at

    @classmethod
    def prepare(
        cls,
        inst: BundlingInstance,
        *,
        time_limit_s: float,
        seed: int,
        num_workers: int | None,
        candidate_anchors: int | None,
        tracker: Tracker,
        start: float,
    ) -> RunState:
        """Settings and units: a complete model up to ``FULL_MODEL_SITES`` sites, nearest anchors above."""
        n = len(inst.sites)
        small = candidate_anchors is None and n <= FULL_MODEL_SITES
        deadline = start + time_limit_s * (1.0 - (SMALL_BOUND_SHARE if small else BOUND_SHARE))
        if candidate_anchors is None and n > FULL_MODEL_SITES:
            candidate_anchors = CANDIDATE_ANCHORS
        prep = prepare(inst, candidate_anchors)
        tracker.check()
        locked = {u for u, unit in enumerate(prep.units) if unit.locked_bundle is not None}
        return cls(
            inst=inst,
            prep=prep,
            tracker=tracker,
            start=start,
            time_limit_s=time_limit_s,
            seed=seed,
            workers=num_workers or os.cpu_count() or 1,
            candidate_anchors=candidate_anchors,
            deadline=deadline,
            required=set(range(len(prep.units))) if inst.require_all else set(locked),
            values_exact=inst.min_value is None or scaled_values(prep.unit_value.tolist(), inst.min_value)[2],
        )

    @property
    def complete(self) -> bool:
        """The model holds every feasible anchor of every unit, so CP-SAT's bound is the instance's."""
        return self.candidate_anchors is None

    @property
    def fit(self) -> set[int]:
        """Units of positive kWp that fit some bundle (bundling them all is the most kWp possible)."""
        return self.prep.fit

    def bundles_all_fit(self, assign: np.ndarray | None) -> bool:
        """``assign`` bundles every unit that fits: its kWp is the most possible."""
        return assign is not None and all(assign[u] >= 0 for u in self.fit)

    def report(self, assign: np.ndarray) -> None:
        """Tell the progress tracker of a solution (it keeps the best)."""
        self.tracker.solution(solution_key(self.inst, self.prep, assign)[1], bundled_kw(self.prep, assign))

    def elapsed_s(self) -> float:
        """Seconds since the run started."""
        return time.perf_counter() - self.start
