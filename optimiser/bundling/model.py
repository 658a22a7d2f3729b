"""CP-SAT model of bundling: one Boolean per (unit, candidate anchor) and one per anchor.

Data in (units and their candidate pairs) -> variables -> one method per constraint family -> the
objective of the phase (the model owns them: most kWp, least cost, or least cost with more kWp first)
-> :meth:`BundlingModel.solve` with a time limit and a seed -> :class:`PhaseResult` with a mapped status.

Distances enter the objective as ``floor(d * scale)`` integers, so the solver's best bound divided by
``scale`` is a lower bound on the real-distance cost of the same model. That bound is valid for the
instance only when the model holds *every* feasible anchor of every unit (``complete``).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
from ortools.sat.python import cp_model

from optimiser.bundling.bankable import scaled_values
from optimiser.bundling.instance import BundlingInstance
from optimiser.bundling.progress import Tracker
from optimiser.bundling.units import Prepared
from optimiser.status import SolveStatus, from_cp_sat

CAP_SCALE = 1000  # capacities handled to 0.001 kWp


@dataclass
class PhaseResult:
    """Outcome of one phase (a CP-SAT solve, or a search standing in for one); ``assign`` is None when no
    solution was found. ``objective`` and ``bound`` are in the model's integer units."""

    status: SolveStatus
    assign: np.ndarray | None
    objective: float  # in the model's integer units
    bound: float
    first_solution_s: float | None


class _Solutions(cp_model.CpSolverSolutionCallback):
    """Time of the first solution; live figures for the progress tracker; stops when cancelled."""

    def __init__(
        self, start: float, tracker: Tracker | None, phase: str, scale: int, bound_valid: bool, cap: float
    ) -> None:
        super().__init__()
        self.start, self.tracker, self.phase, self.scale = start, tracker, phase, scale
        self.bound_valid = bound_valid
        self.cap = cap  # see BundlingModel.solve's bound_cap
        self.first: float | None = None

    def on_solution_callback(self) -> None:
        if self.first is None:
            self.first = time.perf_counter() - self.start
        if self.tracker is None:
            return
        if self.tracker.stopped():
            self.stop_search()
            return
        if self.phase == "capacity":
            self.tracker.solution(None, self.objective_value / CAP_SCALE)
        else:
            self.tracker.solution(self.objective_value / self.scale, None)
            if self.bound_valid:
                self.tracker.bound(min(self.best_objective_bound / self.scale, self.cap))


def candidate_pairs(prep: Prepared) -> list[dict[int, float]]:
    """Per unit, its candidate anchors (site index) and its summed distance to each (m)."""
    return [
        dict(zip(a.tolist(), d.tolist(), strict=True)) for a, d in zip(prep.anchors, prep.dists, strict=True)
    ]


def distance_scale(max_distance: float) -> int:
    """Power of ten that keeps the largest pair distance near 10^6 integer units."""
    if max_distance <= 0:
        return 1000
    return int(10 ** min(6, max(0, math.floor(math.log10(1e6 / max_distance)))))


class BundlingModel:
    """Variables, then one method per constraint family, then the objective (CP-SAT samples' layout)."""

    def __init__(
        self,
        inst: BundlingInstance,
        prep: Prepared,
        pairs: list[dict[int, float]],
        *,
        required: set[int],
        count_range: tuple[int, int] | None = None,
        scale: int | None = None,
    ) -> None:
        """``count_range`` overrides the instance's bundle count (a neighbourhood holds only some bundles);
        ``scale`` the distance scale (a reduced model keeps its complete model's)."""
        self.inst, self.prep, self.pairs = inst, prep, pairs
        self.required = set(required)
        self.count_range = inst.bundle_count_range if count_range is None else count_range
        self.model = cp_model.CpModel()
        units = prep.units
        mentioned = sorted({j for cand in pairs for j in cand})
        opens = [j for j in mentioned if prep.anchor_ok[j] and j in pairs[int(prep.unit_of_site[j])]]
        self.y = {j: self.model.new_bool_var(f"open_{j}") for j in opens}
        self.x: dict[tuple[int, int], cp_model.IntVar] = {}
        for u, cand in enumerate(pairs):
            for j in cand:
                if j in self.y:
                    self.x[u, j] = self.model.new_bool_var(f"x_{u}_{j}")
        self.by_unit: dict[int, list[tuple[int, cp_model.IntVar]]] = {u: [] for u in range(len(units))}
        self.by_anchor: dict[int, list[tuple[int, cp_model.IntVar]]] = {j: [] for j in self.y}
        for (u, j), var in self.x.items():
            self.by_unit[u].append((j, var))
            self.by_anchor[j].append((u, var))
        max_d = max((d for cand in pairs for d in cand.values()), default=1.0)
        self.scale = distance_scale(max_d) if scale is None else scale
        self.dist = {(u, j): math.floor(pairs[u][j] * self.scale) for (u, j) in self.x}
        self.cap = [round(u.capacity_kw * CAP_SCALE) for u in units]
        self._assignment(required)
        self._anchor_in_own_bundle()
        self._capacity()
        self._site_count()
        self._bundle_count()
        self._one_lock_per_bundle()
        self._value()

    def _assignment(self, required: set[int]) -> None:
        for u, row in self.by_unit.items():
            total = sum(v for _, v in row)
            if u in required:
                self.model.add(total == 1)
            elif row:
                self.model.add(total <= 1)

    def _anchor_in_own_bundle(self) -> None:
        for j, open_j in self.y.items():
            self.model.add(self.x[int(self.prep.unit_of_site[j]), j] == open_j)
            for _, var in self.by_anchor[j]:
                self.model.add_implication(var, open_j)

    def _capacity(self) -> None:
        lo = math.ceil(self.inst.min_capacity_kw * CAP_SCALE - 1e-6)
        hi = (
            math.inf
            if math.isinf(self.inst.max_capacity_kw)
            else math.floor(self.inst.max_capacity_kw * CAP_SCALE + 1e-6)
        )
        for j, open_j in self.y.items():
            load = sum(self.cap[u] * v for u, v in self.by_anchor[j])
            if lo > 0:
                self.model.add(load >= lo * open_j)
            if math.isfinite(hi):
                self.model.add(load <= int(hi) * open_j)

    def _site_count(self) -> None:
        if self.inst.max_sites is None:
            return
        for j, open_j in self.y.items():
            size = sum(len(self.prep.units[u].members) * v for u, v in self.by_anchor[j])
            self.model.add(size <= self.inst.max_sites * open_j)

    def _bundle_count(self) -> None:
        lo, hi = self.count_range
        count = sum(self.y.values())
        if lo > 0:
            self.model.add(count >= lo)
        if hi < len(self.y):
            self.model.add(count <= hi)

    def _one_lock_per_bundle(self) -> None:
        for j in self.y:
            locked = [v for u, v in self.by_anchor[j] if self.prep.units[u].locked_bundle is not None]
            if len(locked) > 1:
                self.model.add(sum(locked) <= 1)

    def _value(self) -> None:
        """Bankable bundles: each open bundle's values (fen, rounded down) reach ``min_value`` (fen, up).

        Never looser than the float rule (:mod:`optimiser.bundling.bankable`); a closed bundle holds no
        unit, so it is not "bankable" by being empty: the row reads 0 >= 0.
        """
        if self.inst.min_value is None:
            return
        fen, low, _ = scaled_values(self.prep.unit_value.tolist(), self.inst.min_value)
        for j, open_j in self.y.items():
            total = sum(fen[u] * v for u, v in self.by_anchor[j])
            self.model.add(total >= low * open_j)

    # --- objectives -----------------------------------------------------------------------------------

    def bundled_expr(self) -> cp_model.LinearExprT:
        """Bundled capacity in units of 1 / ``CAP_SCALE`` kWp."""
        return sum(self.cap[u] * v for (u, _), v in self.x.items())

    def cost_expr(self) -> cp_model.LinearExprT:
        """Cost in units of 1 / ``scale`` m: the scaled distances plus the scaled bundle cost per bundle."""
        per_bundle = math.floor(self.inst.bundle_cost_m * self.scale)
        return sum(self.dist[k] * v for k, v in self.x.items()) + per_bundle * sum(self.y.values())

    def maximize_capacity(self) -> None:
        """The capacity phase: most bundled kWp."""
        self.model.maximize(self.bundled_expr())

    def hold_capacity(self, value: int) -> None:
        """Keep the bundled capacity at least ``value`` (model units) in the phases after the capacity one."""
        self.model.add(self.bundled_expr() >= value)

    def minimize_cost(self) -> None:
        """The cost phase: least cost at the bundled capacity the constraints hold."""
        self.model.minimize(self.cost_expr())

    def minimize_cost_more_kw_first(self, optional: list[int], region_units: int) -> None:
        """Least cost, but first the most kWp of the ``optional`` units (a region of the region search).

        Each 0.001 kWp bundled weighs more than any cost difference among the ``region_units`` units of
        the model could, so one objective is lexicographic: no second solve is needed.
        """
        cost = self.cost_expr()
        if not optional:
            self.model.minimize(cost)
            return
        weight = sum(max(row.values(), default=0.0) for row in self.pairs if row) * self.scale
        weight += self.inst.bundle_cost_m * self.scale * (region_units + 1) + 1
        w = math.ceil(weight)
        gain = [-w * self.cap[u] * v for u in optional for _, v in self.by_unit[u]]
        self.model.minimize(cp_model.LinearExpr.sum([cost, *gain]))

    def hint(self, assign: np.ndarray | None) -> None:
        """Start the next solve from a known solution (none: clear the hints)."""
        self.model.clear_hints()
        if assign is None:
            return
        for (u, j), var in self.x.items():
            self.model.add_hint(var, int(assign[u] == j))
        for j, var in self.y.items():
            self.model.add_hint(var, int(assign[int(self.prep.unit_of_site[j])] == j))

    def solve(
        self,
        *,
        time_limit_s: float,
        seed: int,
        num_workers: int,
        tracker: Tracker | None = None,
        phase: str = "cost",
        bound_valid: bool = False,
        bound_cap: float | None = None,
        linearization_level: int | None = None,
    ) -> PhaseResult:
        """Solve the current objective; ``tracker`` gets live figures and may stop the search.

        ``bound_valid``: CP-SAT's bound on this model is a valid bound for the instance (complete model,
        cost phase), so it may be reported as progress; otherwise only solutions are reported.
        ``bound_cap`` (m): the model was reduced by fixing against an incumbent of that cost, so the
        instance's bound is the model's bound capped there. ``linearization_level`` 2 puts the
        capacity rows with their anchor links into CP-SAT's LP (measured: what proves small models).
        """
        cap = math.inf if bound_cap is None else bound_cap
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = max(0.01, time_limit_s)
        solver.parameters.random_seed = seed
        solver.parameters.num_workers = num_workers
        if linearization_level is not None:
            solver.parameters.linearization_level = linearization_level
        callback = _Solutions(time.perf_counter(), tracker, phase, self.scale, bound_valid, cap)
        if tracker is None:
            code = solver.solve(self.model, callback)
        else:
            if bound_valid and phase == "cost":
                solver.best_bound_callback = lambda b: tracker.bound(min(b / self.scale, cap))
            with tracker.watch(solver):
                code = solver.solve(self.model, callback)
        status = from_cp_sat(code)
        if not status.has_solution:
            return PhaseResult(status, None, math.nan, math.nan, None)
        assign = np.full(len(self.prep.units), -1, dtype=np.int64)
        for (u, j), var in self.x.items():
            if solver.boolean_value(var):
                assign[u] = j
        bound = solver.best_objective_bound
        return PhaseResult(status, assign, solver.objective_value, bound, callback.first)
