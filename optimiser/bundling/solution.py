"""A solution and what every phase asks of it: its bundles, its (kWp, cost) key, whether it is valid.

A solution is an array ``assign`` over units: the anchor's site index, or -1 when the unit is unbundled.
Solutions compare lexicographically, more bundled kWp first, then less cost (optimiser/README.md).
"""

from __future__ import annotations

import math

import numpy as np

from optimiser.bundling.bankable import reaches
from optimiser.bundling.instance import BundlingInstance
from optimiser.bundling.units import Prepared


def bundles_of(assign: np.ndarray) -> dict[int, list[int]]:
    """Anchor site index -> its units, in O(n)."""
    out: dict[int, list[int]] = {}
    for u in np.flatnonzero(assign >= 0).tolist():
        out.setdefault(int(assign[u]), []).append(u)
    return out


def bundled_kw(prep: Prepared, assign: np.ndarray) -> float:
    """Bundled capacity of a solution in kWp."""
    return float(sum(prep.units[u].capacity_kw for u in np.flatnonzero(assign >= 0).tolist()))


def solution_key(inst: BundlingInstance, prep: Prepared, assign: np.ndarray) -> tuple[float, float]:
    """Lexicographic key to minimise: (-bundled kWp, cost in metres)."""
    bundled = sum(prep.units[u].capacity_kw for u in np.flatnonzero(assign >= 0))
    cost = sum(prep.pair_cost(int(u), int(assign[u])) for u in np.flatnonzero(assign >= 0))
    return -round(bundled, 6), cost + inst.bundle_cost_m * len(set(assign[assign >= 0].tolist()))


def is_valid(inst: BundlingInstance, prep: Prepared, assign: np.ndarray) -> bool:
    """Every limit of the instance holds (capacity, sites, distance, count, locks, anchors in own bundle,
    ``min_value`` and ``same_group_only``)."""
    lo, hi = inst.bundle_count_range
    anchors = set(assign[assign >= 0].tolist())
    if not lo <= len(anchors) <= hi:
        return False
    for ui, u in enumerate(prep.units):
        if (u.locked_bundle is not None or inst.require_all) and assign[ui] < 0:
            return False
    for j, members in bundles_of(assign).items():
        if assign[prep.unit_of_site[j]] != j:
            return False
        cap = sum(prep.units[u].capacity_kw for u in members)
        size = sum(len(prep.units[u].members) for u in members)
        locked = sum(prep.units[u].locked_bundle is not None for u in members)
        if not inst.min_capacity_kw - 1e-6 <= cap <= inst.max_capacity_kw + 1e-6 or locked > 1:
            return False
        if inst.max_sites is not None and size > inst.max_sites:
            return False
        if any(math.isinf(prep.pair_cost(int(u), j)) for u in members):
            return False  # distance, anchor, or (same_group_only) another group
        if not reaches(sum(prep.units[u].value for u in members), inst.min_value):
            return False
    return True
