"""CP-SAT model of winner determination: a Boolean per valid bid, one method per constraint family.

Quantities enter as integers: kWp as whole Wp, scores in millionths of a point, prices in whole CNY, an
EMC or lease bid's discount or rent in millionths of the best one of its lot.
The share cap is soft: a supplier's awarded Wp above it is an ``excess`` variable, which the staged
objective (see :mod:`optimiser.award.solve`) keeps at the least the most awarded kWp requires.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from ortools.sat.python import cp_model

from optimiser.award.instance import AwardInstance, Bid
from optimiser.status import SolveStatus, from_cp_sat

W_PER_KW = 1000
SCORE_SCALE = 1_000_000  # scores compared to 1e-6 of a point


def watts(kw: float) -> int:
    """A lot's kWp in whole Wp; at least 1 so every lot counts in the awarded kWp."""
    return max(1, round(kw * W_PER_KW))


def limit_watts(kw: float) -> int:
    """A limit in kWp as whole Wp, rounded down so the integer limit never exceeds the real one."""
    return math.floor(kw * W_PER_KW + 1e-6)


@dataclass(frozen=True)
class StageResult:
    """One stage's status, chosen bid ids (``None`` without a solution) and objective value."""

    status: SolveStatus
    chosen: frozenset[str] | None
    objective: int


class AwardModel:
    """Variables and constraints over the valid bids of one instance; objectives are set per stage."""

    def __init__(self, inst: AwardInstance, valid: Iterable[Bid]) -> None:
        self.inst = inst
        self.model = cp_model.CpModel()
        self.bids = {b.id: b for b in valid}
        self.lot_w = {lot.id: watts(lot.capacity_kw) for lot in inst.lots}
        self.cap_w = limit_watts(inst.share_cap * sum(self.lot_w.values()) / W_PER_KW)
        self.x = {b: self.model.new_bool_var(f"x[{b}]") for b in self.bids}
        self.best_term: dict[str, float] = {}
        for b in self.bids.values():
            term = b.term() if inst.models[b.lot] != "epc" else None
            if term is not None:
                self.best_term[b.lot] = max(self.best_term.get(b.lot, term), term)
        self.excess: dict[str, cp_model.IntVar] = {}
        self._one_winner_per_lot()
        self._fixed_awards()
        self._supplier_capacity()
        self._share_cap()

    def _load(self, supplier: str) -> list[tuple[int, cp_model.IntVar]]:
        return [(self.lot_w[b.lot], self.x[i]) for i, b in self.bids.items() if b.supplier == supplier]

    def _one_winner_per_lot(self) -> None:
        by_lot: dict[str, list[cp_model.IntVar]] = {}
        for i, b in self.bids.items():
            by_lot.setdefault(b.lot, []).append(self.x[i])
        for xs in by_lot.values():
            self.model.add_at_most_one(xs)

    def _fixed_awards(self) -> None:
        for lot, bid in self.inst.fixed_awards.items():
            if bid is not None:
                self.model.add(self.x[bid] == 1)
            else:
                for i, b in self.bids.items():
                    if b.lot == lot:
                        self.model.add(self.x[i] == 0)

    def _supplier_capacity(self) -> None:
        for sup in self.inst.suppliers:
            terms = self._load(sup.id)
            if sup.capacity_kw is None or sum(w for w, _ in terms) <= limit_watts(sup.capacity_kw):
                continue
            self.model.add(sum(w * x for w, x in terms) <= limit_watts(sup.capacity_kw))

    def _share_cap(self) -> None:
        for sup in self.inst.suppliers:
            terms = self._load(sup.id)
            most = sum(w for w, _ in terms)
            if most <= self.cap_w:
                continue
            excess = self.model.new_int_var(0, most - self.cap_w, f"excess[{sup.id}]")
            self.model.add(sum(w * x for w, x in terms) <= self.cap_w + excess)
            self.excess[sup.id] = excess

    # --- stage objectives ---------------------------------------------------------------------------------

    def kw_expr(self) -> cp_model.LinearExprT:
        """Awarded Wp."""
        return sum(self.lot_w[b.lot] * self.x[i] for i, b in self.bids.items())

    def excess_expr(self) -> cp_model.LinearExprT:
        """Total Wp awarded above the share cap, over all suppliers."""
        return sum(self.excess.values())

    def score_expr(self) -> cp_model.LinearExprT:
        """Total score of the winning bids, in millionths of a point."""
        return sum(round(b.score * SCORE_SCALE) * self.x[i] for i, b in self.bids.items())

    def _price(self, b: Bid) -> int:
        """An EPC bid's total in whole CNY (CNY/Wp times the lot's Wp); 0 for EMC and lease bids."""
        if b.price_cny_per_w is None or self.inst.models[b.lot] != "epc":
            return 0
        return round(b.price_cny_per_w * self.lot_w[b.lot])

    def _terms(self, b: Bid) -> int:
        """An EMC or lease bid's discount or rent relative to the best of its lot's valid bids, in
        millionths (1,000,000 = the best); 0 for EPC bids and bids without the term."""
        term = b.term() if self.inst.models[b.lot] != "epc" else None
        best = self.best_term.get(b.lot)
        if term is None or not best:
            return 0
        return round(SCORE_SCALE * term / best)

    @property
    def has_prices(self) -> bool:
        """Whether any valid bid is an EPC bid with a price (else the price stage has nothing to do)."""
        return any(self._price(b) for b in self.bids.values())

    @property
    def has_terms(self) -> bool:
        """Whether any valid bid is an EMC or lease bid with its term."""
        return any(self._terms(b) for b in self.bids.values())

    def price_expr(self) -> cp_model.LinearExprT:
        """Total price of the winning EPC bids in CNY (CNY/Wp times the lot's Wp)."""
        return sum(self._price(b) * self.x[i] for i, b in self.bids.items())

    def terms_expr(self) -> cp_model.LinearExprT:
        """Sum over the winning EMC and lease bids of their term relative to the best in the lot."""
        return sum(self._terms(b) * self.x[i] for i, b in self.bids.items())

    def value_of(self, chosen: Iterable[str], stage: str) -> int:
        """A stage's objective value for a set of winning bids, as the model counts it."""
        ids = set(chosen)
        bids = [self.bids[i] for i in ids]
        if stage == "kw":
            return sum(self.lot_w[b.lot] for b in bids)
        if stage == "excess":
            return sum(self._excess_of(ids).values())
        if stage == "score":
            return sum(round(b.score * SCORE_SCALE) for b in bids)
        if stage == "terms":
            return sum(self._terms(b) for b in bids)
        return sum(self._price(b) for b in bids)

    def _excess_of(self, chosen: set[str]) -> dict[str, int]:
        load: dict[str, int] = {}
        for i in chosen:
            b = self.bids[i]
            load[b.supplier] = load.get(b.supplier, 0) + self.lot_w[b.lot]
        return {s: max(0, load.get(s, 0) - self.cap_w) for s in self.excess}

    def hint(self, chosen: Iterable[str]) -> None:
        """Start the next search from a known award."""
        ids = set(chosen)
        self.model.clear_hints()
        for i, var in self.x.items():
            self.model.add_hint(var, i in ids)
        for s, value in self._excess_of(ids).items():
            self.model.add_hint(self.excess[s], value)

    def solve(
        self, expr: cp_model.LinearExprT, *, maximize: bool, time_limit_s: float, seed: int, num_workers: int
    ) -> StageResult:
        """Optimise one stage's objective over the current constraints."""
        if maximize:
            self.model.maximize(expr)
        else:
            self.model.minimize(expr)
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = max(0.01, time_limit_s)
        solver.parameters.random_seed = seed
        solver.parameters.num_workers = num_workers
        code = solver.solve(self.model)
        if code == cp_model.MODEL_INVALID:
            raise RuntimeError(f"award model invalid: {self.model.validate()}")
        status = from_cp_sat(code)
        if not status.has_solution:
            return StageResult(status, None, 0)
        chosen = frozenset(i for i, var in self.x.items() if solver.boolean_value(var))
        return StageResult(status, chosen, round(solver.objective_value))

    def hold(self, expr: cp_model.LinearExprT, value: int, *, maximize: bool) -> None:
        """Keep a finished stage's objective at least as good as ``value`` in the later stages."""
        self.model.add(expr >= value if maximize else expr <= value)
