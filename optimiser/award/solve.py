"""Orchestrator: screen the bids, greedy warm start, CP-SAT in lexicographic stages, result with reasons.

Stages, each holding the previous ones at their values:
1. most awarded kWp (supplier capacities hard, share cap ignored);
2. least kWp above the share cap, summed over suppliers (0 unless the cap would cost awarded kWp);
3. highest total score;
4. lowest total price of the EPC lots (a tie-break between equal scores);
5. best terms of the EMC and lease lots: the highest sum of each winning bid's discount or rent relative
   to the best valid one of its lot (the tie-break there, since they bid no price).
"""

from __future__ import annotations

import os
import time

from optimiser.award.instance import AwardInstance, Bid
from optimiser.award.model import AwardModel, limit_watts
from optimiser.award.reasons import rejected_bids, relaxed_lots, unawarded_lot
from optimiser.award.result import Award, AwardResult, SupplierLoad
from optimiser.status import SolveStatus

STAGES = ("kw", "excess", "score", "price", "terms")
MAXIMISED = {"kw": True, "excess": False, "score": True, "price": False, "terms": True}


def _greedy(model: AwardModel) -> frozenset[str]:
    """A valid award to start from: fixed awards, then lots largest first to the best bid that fits."""
    inst = model.inst
    capacity = {s.id: None if s.capacity_kw is None else limit_watts(s.capacity_kw) for s in inst.suppliers}
    load = dict.fromkeys(capacity, 0)
    chosen: set[str] = set()
    for bid_id in fixed_bids(inst):
        b = model.bids[bid_id]
        chosen.add(bid_id)
        load[b.supplier] += model.lot_w[b.lot]
    by_lot: dict[str, list[Bid]] = {}
    for b in model.bids.values():
        by_lot.setdefault(b.lot, []).append(b)
    for lot in sorted(set(by_lot) - set(inst.fixed_awards), key=lambda lot: -model.lot_w[lot]):
        w = model.lot_w[lot]
        for b in sorted(by_lot[lot], key=lambda b: (load[b.supplier] + w > model.cap_w, -b.score)):
            cap = capacity[b.supplier]
            if cap is None or load[b.supplier] + w <= cap:
                chosen.add(b.id)
                load[b.supplier] += w
                break
    return frozenset(chosen)


def fixed_bids(inst: AwardInstance) -> set[str]:
    """Bids that ``fixed_awards`` make win."""
    return {bid for bid in inst.fixed_awards.values() if bid is not None}


def _fixed_over_capacity(inst: AwardInstance) -> str | None:
    """A supplier whose fixed awards alone exceed its capacity: the instance has no valid award."""
    bids = {b.id: b for b in inst.bids}
    lot_kw = {lot.id: lot.capacity_kw for lot in inst.lots}
    for sup in inst.suppliers:
        lots = [
            lot for lot, bid in inst.fixed_awards.items() if bid is not None and bids[bid].supplier == sup.id
        ]
        total = sum(lot_kw[lot] for lot in lots)
        if sup.capacity_kw is not None and limit_watts(total) > limit_watts(sup.capacity_kw):
            names = ", ".join(repr(lot) for lot in lots)
            return (
                f"fixed_awards give supplier {sup.id!r} {total:g} kWp (lots {names}), "
                f"above its capacity of {sup.capacity_kw:g} kWp"
            )
    return None


def _staged(
    model: AwardModel, *, deadline: float, seed: int, workers: int
) -> tuple[frozenset[str] | None, bool]:
    """Run the stages; returns the winning bids (``None``: no solution) and whether every stage was proven."""
    chosen = _greedy(model)
    proven = True
    needed = {"excess": bool(model.excess), "price": model.has_prices, "terms": model.has_terms}
    stages = [s for s in STAGES if needed.get(s, True)]
    for k, stage in enumerate(stages):
        expr = getattr(model, f"{stage}_expr")()
        model.hint(chosen)
        left = (deadline - time.perf_counter()) / (len(stages) - k)
        res = model.solve(expr, maximize=MAXIMISED[stage], time_limit_s=left, seed=seed, num_workers=workers)
        if res.status == SolveStatus.INFEASIBLE:
            return None, True
        if res.chosen is None:
            proven = False  # time ran out: keep the award so far, hold it as this stage's value
        else:
            chosen = res.chosen
            proven = proven and res.status == SolveStatus.OPTIMAL
        model.hold(expr, model.value_of(chosen, stage), maximize=MAXIMISED[stage])
    return chosen, proven


def solve_award(
    inst: AwardInstance, *, time_limit_s: float = 10.0, seed: int = 0, num_workers: int | None = None
) -> AwardResult:
    """Propose the winning bid per lot of one tender. See optimiser/README.md, "Award".

    ``time_limit_s`` bounds the whole run (all stages); ``num_workers`` defaults to all cores; one worker
    and a fixed ``seed`` give the same result every run that finishes within the time limit.
    """
    start = time.perf_counter()
    rejected = rejected_bids(inst)
    result = AwardResult(
        SolveStatus.UNKNOWN,
        total_kw=inst.total_kw,
        share_cap=inst.share_cap,
        rejected_bids=rejected,
        tender=inst.tender,
    )
    problem = _fixed_over_capacity(inst)
    if problem is not None:
        result.status, result.message = SolveStatus.INFEASIBLE, problem
        result.wall_s = time.perf_counter() - start
        return result
    out = {r.bid for r in rejected}
    model = AwardModel(inst, [b for b in inst.bids if b.id not in out])
    if model.bids:
        chosen, proven = _staged(
            model, deadline=start + time_limit_s, seed=seed, workers=num_workers or os.cpu_count() or 1
        )
    else:
        chosen, proven = frozenset(), True
    if chosen is None:
        result.status, result.message = SolveStatus.INFEASIBLE, "the fixed awards cannot all hold"
    else:
        result.status = SolveStatus.OPTIMAL if proven else SolveStatus.FEASIBLE
        _fill(result, model, chosen)
    result.wall_s = time.perf_counter() - start
    return result


def _fill(result: AwardResult, model: AwardModel, chosen: frozenset[str]) -> None:
    """Awards, supplier loads, relaxed lots and the reasons for unawarded lots of a solution."""
    inst = model.inst
    order = {lot.id: k for k, lot in enumerate(inst.lots)}
    winners = sorted((model.bids[i] for i in chosen), key=lambda b: order[b.lot])
    load = {s.id: 0 for s in inst.suppliers}
    lots_of: dict[str, list[tuple[int, int, str]]] = {}
    for b in winners:
        load[b.supplier] += model.lot_w[b.lot]
        lots_of.setdefault(b.supplier, []).append((model.lot_w[b.lot], order[b.lot], b.lot))
    over = {s: w - model.cap_w for s, w in load.items() if w > model.cap_w}
    relaxed = relaxed_lots(lots_of, over)
    fixed = fixed_bids(inst)
    lot_kw = {lot.id: lot.capacity_kw for lot in inst.lots}
    result.awards = [
        Award(
            b.lot,
            b.id,
            b.supplier,
            b.score,
            lot_kw[b.lot],
            b.price_cny_per_w,
            b.lot in relaxed,
            b.id in fixed,
            inst.models[b.lot],
            None if b.terms is None else dict(b.terms),
        )
        for b in winners
    ]
    result.total_score = sum((a.score for a in result.awards), 0.0)
    result.awarded_kw = sum((a.kw for a in result.awards), 0.0)
    cap_kw = inst.share_cap * inst.total_kw
    result.suppliers = [
        SupplierLoad(
            s.id,
            sum((a.kw for a in result.awards if a.supplier == s.id), 0.0),
            s.capacity_kw,
            cap_kw,
            over.get(s.id, 0) / 1000,
        )
        for s in inst.suppliers
    ]
    free: dict[str, int | None] = {
        s.id: None if s.capacity_kw is None else limit_watts(s.capacity_kw) - load[s.id]
        for s in inst.suppliers
    }
    won = {b.lot for b in winners}
    for lot in inst.lots:
        if lot.id not in won:
            valid = [b for b in model.bids.values() if b.lot == lot.id]
            rej = [r for r in result.rejected_bids if r.lot == lot.id]
            result.unawarded.append(unawarded_lot(inst, lot.id, model.lot_w[lot.id], valid, rej, free))
    if relaxed:
        names = ", ".join(repr(lot) for lot in sorted(relaxed, key=order.__getitem__))
        result.message = (
            f"share cap of {inst.share_cap * 100:g}% ({cap_kw:g} kWp) relaxed for lot(s) {names}: "
            "the most kWp the suppliers' capacities allow cannot be awarded within it"
        )
