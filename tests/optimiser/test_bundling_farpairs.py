"""The Lagrangian over nearby pairs plus far copies (optimiser/bundling/bounds/farpairs.py) is a bound."""

from __future__ import annotations

import numpy as np
import pytest

from optimiser.bundling import BundlingInstance, Site
from optimiser.bundling.bounds.farpairs import FarItems
from optimiser.bundling.bounds.lagrange import Lagrangian
from optimiser.bundling.units import prepare


def _district(n: int, seed: int) -> BundlingInstance:
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 3000, size=(n, 2))
    cap = np.exp(rng.uniform(np.log(20), np.log(800), size=n))
    sites = tuple(
        Site(f"s{i}", float(x), float(y), float(c)) for i, ((x, y), c) in enumerate(zip(xy, cap, strict=True))
    )
    return BundlingInstance(
        sites, min_capacity_kw=0, max_capacity_kw=2000, max_sites=12, max_distance_m=2000, bundle_cost_m=3000
    )


def _lagrangian(inst: BundlingInstance, radius: float | None) -> Lagrangian:
    prep = prepare(inst, None, radius_m=radius)
    units = set(range(len(prep.units)))
    return Lagrangian(inst, prep, required=units, optional=set(), min_bundled_kw=0.0, complete=False)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_far_copies_never_make_an_anchor_worth_more_than_with_every_pair(seed: int) -> None:
    """Same prices, fewer pairs plus far copies: each anchor's value and the bound can only fall."""
    inst = _district(150, seed)
    full, near = _lagrangian(inst, None), _lagrangian(inst, 400.0)
    assert near.has_far and not full.has_far
    assert len(near.pd) < len(full.pd) / 3
    rng = np.random.default_rng(seed)
    anchors = np.flatnonzero(full.can_open)
    for _ in range(4):
        pi = rng.uniform(0, 2500, size=full.n_units)  # well above the radius for most units
        a, b = near.evaluate(pi, exact=False), full.evaluate(pi, exact=False)
        finite = np.isfinite(b.value)
        assert np.all(a.value[finite] <= b.value[finite] + 1e-6)
        assert a.bound <= b.bound + 1e-6
        # the exact knapsacks of every anchor, far copies filling the room the nearby items leave
        rc_a, rc_b = near.pd - pi[near.pu], full.pd - pi[full.pu]
        dp_a, _, _ = near.knapsacks(anchors, rc_a, rc_a < 0, near.far_items(pi))
        dp_b, _, _ = full.knapsacks(anchors, rc_b, rc_b < 0)
        assert np.all(dp_a <= dp_b + 1e-6)
        assert np.any(dp_a < dp_b - 1.0)  # the far copies do enter somewhere at these prices


def test_far_items_dual_and_fractional_agree_with_a_direct_knapsack() -> None:
    rng = np.random.default_rng(7)
    v = -rng.uniform(1, 100, size=40)
    w = rng.uniform(1, 50, size=40)
    far = FarItems.build(v, w, np.arange(40))
    for room in (0.0, 13.0, 200.0, 5000.0):
        # the fractional knapsack by hand: best value per weight first
        order = np.argsort(v / w)
        left, direct = room, 0.0
        for i in order:
            take = min(1.0, left / w[i]) if left > 0 else 0.0
            direct += take * v[i]
            left -= take * w[i]
        assert far.fractional(np.array([room]))[0] == pytest.approx(direct)
        # weak duality: G(lam) - lam * room never exceeds it, and some lam reaches it
        lams = np.concatenate([[0.0], np.sort(-v / w)])
        duals = far.dual(lams) - lams * room
        assert np.all(duals <= direct + 1e-9)
        assert duals.max() == pytest.approx(direct)
