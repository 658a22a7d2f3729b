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


EXACT_REACH_UNITS = 2000  # up to this many units the reach is the exact 2 x max_distance_m disc


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
    helps its neighbours). Any superset of the reach keeps it sound: above ``EXACT_REACH_UNITS`` units it
    is the 3 × 3 cells of side ``2 × limit_m`` around the unit (O(n) instead of a disc query per unit).
    """
    alive = alive.copy()
    out: dict[int, str] = {}
    same = np.zeros(len(cap), dtype=np.int64) if gid is None else gid
    check_cap = gid is not None and min_capacity_kw > 0
    reach = _Reach(first_xy, same, limit_m)
    while True:
        pos = np.where(alive, np.maximum(value, 0.0), 0.0)
        kw = np.where(alive, cap, 0.0)
        short_value = (value < min_value - VALUE_TOL) if min_value is not None else np.zeros(len(cap), bool)
        short_cap = (cap < min_capacity_kw - 1e-9) if check_cap else np.zeros(len(cap), bool)
        todo = np.flatnonzero(alive & (short_value | short_cap))
        pos_near, kw_near = reach.sums(todo, pos, kw)
        newly: dict[int, str] = {}
        for i, u in enumerate(todo.tolist()):
            best_value = value[u] + pos_near[i]
            slack = VALUE_TOL + 1e-9 * (abs(value[u]) + pos_near[i])  # float error of the sums
            if min_value is not None and best_value < min_value - slack:
                newly[u] = (
                    f"no bundle that can hold it reaches min_value {min_value:g} CNY (its value "
                    f"{value[u]:g} CNY plus every positive value near enough to share its bundle: "
                    f"{best_value:g} CNY)"
                )
            elif check_cap and cap[u] + kw_near[i] < min_capacity_kw - 1e-9:
                newly[u] = (
                    f"its group's sites near enough to share its bundle add up to "
                    f"{cap[u] + kw_near[i]:g} kWp, below min_capacity_kw {min_capacity_kw:g}"
                )
        if not newly:
            return out
        out.update(newly)
        alive[list(newly)] = False


class _Reach:
    """Sums over the other units of a unit's group that may share a bundle with it (a superset)."""

    def __init__(self, xy: np.ndarray, group: np.ndarray, limit_m: float) -> None:
        self.xy, self.group, self.limit = xy, group, limit_m
        self.tree = cKDTree(xy) if math.isfinite(limit_m) and len(xy) <= EXACT_REACH_UNITS else None

    def sums(self, units: np.ndarray, pos: np.ndarray, kw: np.ndarray) -> tuple[list[float], list[float]]:
        """Per unit of ``units``: the summed ``pos`` and ``kw`` of the others within reach, in its group."""
        if not len(units):
            return [], []
        if not math.isfinite(self.limit):  # no distance limit: the whole group
            gp = np.bincount(self.group + 1, weights=pos)
            gk = np.bincount(self.group + 1, weights=kw)
            g = self.group[units] + 1
            return (gp[g] - pos[units]).tolist(), (gk[g] - kw[units]).tolist()
        if self.tree is not None:
            out_p, out_k = [], []
            hits = self.tree.query_ball_point(self.xy[units], 2 * self.limit + 1e-6)
            for u, idx in zip(units.tolist(), hits, strict=True):
                near = np.asarray(idx, dtype=np.int64)
                near = near[(self.group[near] == self.group[u]) & (near != u)]
                out_p.append(float(pos[near].sum()))
                out_k.append(float(kw[near].sum()))
            return out_p, out_k
        cell = np.floor(self.xy / max(2 * self.limit, 1e-9)).astype(np.int64)
        sum_p: dict[tuple[int, int, int], float] = {}
        sum_k: dict[tuple[int, int, int], float] = {}
        for (cx, cy), g, p, k in zip(
            cell.tolist(), self.group.tolist(), pos.tolist(), kw.tolist(), strict=True
        ):
            sum_p[cx, cy, g] = sum_p.get((cx, cy, g), 0.0) + p
            sum_k[cx, cy, g] = sum_k.get((cx, cy, g), 0.0) + k
        out_p, out_k = [], []
        for u in units.tolist():
            cx, cy = cell[u].tolist()
            g = int(self.group[u])
            keys = [(cx + dx, cy + dy, g) for dx in (-1, 0, 1) for dy in (-1, 0, 1)]
            out_p.append(sum(sum_p.get(key, 0.0) for key in keys) - float(pos[u]))
            out_k.append(sum(sum_k.get(key, 0.0) for key in keys) - float(kw[u]))
        return out_p, out_k
