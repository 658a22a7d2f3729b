"""Bankable bundles: site values (CNY) summed per bundle against ``min_value``, and ``same_group_only``.

The rule is the float one of optimiser/README.md ("Bankable bundles"): a bundle's summed site values are
at least ``min_value`` (to within ``VALUE_TOL``). CP-SAT takes values in whole fen (1/100 CNY), rounded so
its model is never looser than that rule: each value down, ``min_value`` up. When every value and
``min_value`` is a whole number of fen (the usual case: money figures) the two rules are the same, and
CP-SAT's bound and proofs hold for the instance; otherwise the model is tighter and only its solutions
are used (:func:`scaled_values` says which).

Feasibility reasoning that would not see these rules is cut short here too: :func:`prune` finds the units
that no bundle satisfying them can hold, so the rest of the run treats them as fitting nowhere, with the
reason.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy.spatial import cKDTree

VALUE_SCALE = 100  # CP-SAT values in fen
VALUE_TOL = 1e-6  # CNY: float sums within this of min_value count as reaching it
_FEN_TOL = 1e-6  # a scaled value this close to an integer is that integer (float noise of x * 100)


def _to_fen(value: float, *, down: bool) -> tuple[int, bool]:
    """``value`` CNY in fen, rounded down (``down``) or up; and whether it was a whole number of fen."""
    scaled = value * VALUE_SCALE
    nearest = round(scaled)
    if abs(scaled - nearest) <= max(_FEN_TOL, 4 * math.ulp(scaled)):
        return int(nearest), True
    return (math.floor(scaled) if down else math.ceil(scaled)), False


def scaled_values(values: Sequence[float], min_value: float) -> tuple[list[int], int, bool]:
    """Values (down) and ``min_value`` (up) in fen, and whether the integer rule equals the float rule."""
    out: list[int] = []
    exact = True
    for v in values:
        fen, whole = _to_fen(v, down=True)
        out.append(fen)
        exact &= whole
    low, whole = _to_fen(min_value, down=False)
    return out, low, exact and whole


def reaches(total: float, min_value: float | None) -> bool:
    """A bundle whose sites' values add up to ``total`` satisfies ``min_value``."""
    return min_value is None or total >= min_value - VALUE_TOL


def group_ids(labels: Sequence[tuple[str | None, ...]]) -> np.ndarray:
    """Per unit (its members' distinct group labels): an integer id shared by units of one group, -1 for a
    unit whose sites carry different groups (it can join no bundle under ``same_group_only``)."""
    ids: dict[str | None, int] = {}
    out = np.empty(len(labels), dtype=np.int64)
    for i, groups in enumerate(labels):
        out[i] = ids.setdefault(groups[0], len(ids)) if len(groups) == 1 else -1
    return out


def prune(
    first_xy: np.ndarray,
    cap: np.ndarray,
    value: np.ndarray,
    gid: np.ndarray | None,
    alive: np.ndarray,
    *,
    limit_m: float,
    min_value: float | None,
    min_capacity_kw: float,
) -> dict[int, str]:
    """Units (not yet unfit, ``alive``) that no bundle satisfying the rules can hold, with the reason.

    Sound with any candidate-anchor limit: two units of one bundle both lie within ``limit_m`` of its
    anchor, so their first sites are at most ``2 × limit_m`` apart; a unit's best bundle holds at most
    itself and every such unit (of its group under ``same_group_only``). With ``min_value``, its own
    value plus every positive value within reach must reach it; with ``same_group_only`` its group's kWp
    within reach must reach ``min_capacity_kw``. Repeated until nothing changes (a pruned unit no longer
    helps its neighbours).
    """
    n = len(cap)
    alive = alive.copy()
    out: dict[int, str] = {}
    same = np.zeros(n, dtype=np.int64) if gid is None else gid
    tree = cKDTree(first_xy) if math.isfinite(limit_m) and n else None
    near = tree.query_ball_point(first_xy, 2 * limit_m + 1e-6) if tree is not None else None
    check_cap = gid is not None and min_capacity_kw > 0
    while True:
        pos = np.where(alive, np.maximum(value, 0.0), 0.0)
        kw = np.where(alive, cap, 0.0)
        newly: dict[int, str] = {}
        for u in np.flatnonzero(alive).tolist():
            if near is None:
                mates = np.flatnonzero(same == same[u])
            else:
                idx = np.asarray(near[u], dtype=np.int64)
                mates = idx[same[idx] == same[u]]
            mates = mates[mates != u]
            best_value = value[u] + float(pos[mates].sum())
            if min_value is not None and best_value < min_value - VALUE_TOL:
                newly[u] = (
                    f"no bundle that can hold it reaches min_value {min_value:g} CNY (its value "
                    f"{value[u]:g} CNY plus every positive value that can share its bundle: "
                    f"{best_value:g} CNY)"
                )
            elif check_cap and cap[u] + float(kw[mates].sum()) < min_capacity_kw - 1e-9:
                newly[u] = (
                    f"its group's sites that can share its bundle add up to "
                    f"{cap[u] + float(kw[mates].sum()):g} kWp, below min_capacity_kw {min_capacity_kw:g}"
                )
        if not newly:
            return out
        out.update(newly)
        alive[list(newly)] = False
