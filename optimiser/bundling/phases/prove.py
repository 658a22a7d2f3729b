"""Prove: a lower bound on the answer's cost, valid for the instance at the answer's bundled kWp.

The candidates are reduced-cost fixing's Lagrangian bound, CP-SAT's bound on a complete model (capped by
fixing's incumbent cost, since the reduced model holds only the solutions up to it), and otherwise the
bound process of a large instance or the LP and Lagrangian bounds computed now, in the time left
(:mod:`optimiser.bundling.bounds.instance_bounds`). The best of them is the run's bound.
"""

from __future__ import annotations

import time

from optimiser.bundling.bounds.instance_bounds import instance_bounds
from optimiser.bundling.result import gap_of
from optimiser.bundling.state import RunState
from optimiser.status import SolveStatus

PROVEN_GAP = 1e-6  # a gap this small proves the cost: it is below the model's distance resolution


def prove(state: RunState) -> None:
    """Set ``state.bound_m``, ``state.gap``, ``state.cost_proven`` and the bound's notes."""
    assert state.cost is not None and state.assign is not None
    cost, fixing = state.cost_m, state.fixing
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
    if not state.values_exact:
        notes.append(
            "some values or min_value are not whole fen, so CP-SAT's model is tighter than the min_value "
            "rule and its bound is not used"
        )
    elif state.complete and state.cost.assign is not None:
        cp_bound = state.cost.bound / state.scale
        bounds.append(cp_bound if fixing is None else min(cp_bound, fixing.upper))
        state.tracker.bound(bounds[-1])
    elif not state.complete:
        notes.append("CP-SAT saw only the nearest candidate anchors, so its bound is not used")
    cp_proven = state.complete and state.values_exact and state.cost.status == SolveStatus.OPTIMAL
    cp_gap = gap_of(cost, min(cost, max(bounds))) if bounds else None
    if state.background is not None:
        outcome = state.background.result()
        bounds += outcome.bounds
        notes += outcome.notes
    elif not cp_proven and fixing is None and (cp_gap is None or cp_gap > PROVEN_GAP):
        more, more_notes = instance_bounds(
            state.inst,
            state.prep,
            state.assign,
            complete=state.complete,
            required=state.required,
            fit=state.fit,
            cost=cost,
            bundled=state.bundled_kw,
            time_limit_s=max(1.0, state.time_limit_s - (time.perf_counter() - state.start)),
            tracker=state.tracker,
        )
        bounds += more
        notes += more_notes
    state.bound_m = min(cost, max(bounds)) if bounds else None
    state.gap = gap_of(cost, state.bound_m)
    state.cost_proven = cp_proven or (state.gap is not None and state.gap <= PROVEN_GAP)
    state.notes = notes
