"""The left-out pairs of a Lagrangian over nearby pairs only, as one shared set of "far items".

Large instances generate only the unit-anchor pairs within a radius. A left-out pair ``(u, j)`` has
distance ``d[u, j] >= cut[u]``, so its reduced cost ``d[u, j] - pi[u]`` is at least ``cut[u] - pi[u]``,
whichever anchor it is. Offering every anchor, besides its own nearby pairs, a copy of every unit ``u``
with ``pi[u] > cut[u]`` at reduced cost ``cut[u] - pi[u]`` therefore gives each anchor more choice than
it really has: its knapsack value can only fall, and the bound stays valid. (A unit may be both a nearby
item and a far copy at one anchor; that too only adds choice.)

This replaces capping each price at ``cut[u]`` (which made every left-out pair harmless, but held the
price of a large unit, whose share of a bundle's cost is well above the radius, far below its worth).
The far items are the same for every anchor, so they are handled in closed form:

* against a fractional knapsack, by weak duality: for any ``lam >= 0`` the union's value is at least
  ``near(lam) + G(lam)`` with ``G(lam) = sum over far items of min(0, v + lam * w)``; at the nearby
  knapsack's own critical ratio ``lam`` the first term is its exact value;
* against the integer knapsack over a capacity grid, as the fractional knapsack of the far items over
  the room the nearby items leave, tabulated once per evaluation on the grid.

Nothing here is specific to an anchor, so each evaluation costs one sort of the far items.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class FarItems:
    """Far copies for one price vector, on one weight (kWp or sites)."""

    threshold: np.ndarray  # per far item, -v / w ascending (inf for weightless items)
    units: np.ndarray  # unit of each far item, in the same order
    suffix_v: np.ndarray  # sum of v over items i.. (length n + 1)
    suffix_w: np.ndarray  # sum of w over items i.. (length n + 1)
    curve_w: np.ndarray  # cumulative weight, most negative ratio first, starting at 0
    curve_v: np.ndarray  # cumulative value at those weights
    weightless: float  # value of far items without weight (always taken)

    @classmethod
    def build(cls, v: np.ndarray, w: np.ndarray, units: np.ndarray) -> FarItems:
        """Far items of value ``v`` (< 0) and weight ``w`` (>= 0) belonging to ``units``."""
        heavy = w > 0
        t = np.where(heavy, -v / np.where(heavy, w, 1.0), math.inf)
        order = np.argsort(t, kind="stable")
        t, vs, ws, us = t[order], v[order], w[order], units[order]
        suffix_v = np.concatenate([np.cumsum(vs[::-1])[::-1], [0.0]])
        suffix_w = np.concatenate([np.cumsum(ws[::-1])[::-1], [0.0]])
        # the fractional knapsack's value as a function of room: best ratio (largest threshold) first
        hv, hw = v[heavy], w[heavy]
        by_ratio = np.argsort(hv / hw, kind="stable") if len(hv) else np.zeros(0, dtype=np.int64)
        curve_w = np.concatenate([[0.0], np.cumsum(hw[by_ratio])])
        curve_v = np.concatenate([[0.0], np.cumsum(hv[by_ratio])])
        return cls(t, us, suffix_v, suffix_w, curve_w, curve_v, float(v[~heavy].sum()))

    def dual(self, lam: np.ndarray) -> np.ndarray:
        """``G(lam)`` for each entry of ``lam`` (``inf`` allowed: only the weightless items count)."""
        k = np.searchsorted(self.threshold, lam, side="right")  # items with threshold > lam from k on
        lam_f = np.where(np.isfinite(lam), lam, 0.0)
        heavy_w = np.where(np.isfinite(lam), self.suffix_w[k], 0.0)
        out = self.suffix_v[k] + lam_f * heavy_w
        return np.where(np.isfinite(lam), out, self.weightless)

    def taken(self, lams: np.ndarray) -> np.ndarray:
        """Per far item: at how many of the anchors with critical ratios ``lams`` it is taken."""
        return np.searchsorted(np.sort(lams), self.threshold, side="left").astype(float)

    def fractional(self, room: np.ndarray) -> np.ndarray:
        """The far items' fractional knapsack value for each room (weight units)."""
        if len(self.curve_w) == 1:
            return np.full(np.shape(room), self.weightless)
        return self.weightless + np.interp(np.maximum(room, 0.0), self.curve_w, self.curve_v)
