"""Published capacitated p-median instances (../shared/data/cpmp): the optimiser meets their optima."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from optimiser.bundling import BundlingInstance, Site, solve_bundling
from optimiser.bundling.bounds.fixing import cost_phase_prices, reduced_cost_fixing
from optimiser.bundling.model import BundlingModel
from optimiser.bundling.result import BundlingResult
from optimiser.bundling.units import Prepared, prepare
from optimiser.status import SolveStatus

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "cpmp"


def load_cpmp(name: str) -> tuple[BundlingInstance, dict[str, Any]]:
    path = DATA / f"{name}.json"
    if not path.exists():
        pytest.skip(f"{path} not present")
    raw = json.loads(path.read_text())
    sites = tuple(Site(str(p["id"]), p["x"], p["y"], p["demand"]) for p in raw["points"])
    inst = BundlingInstance(sites, max_capacity_kw=raw["capacity"], bundle_count=raw["p"], require_all=True)
    return inst, raw


def test_pmedcap1_01_reaches_the_published_optimum() -> None:
    inst, raw = load_cpmp("pmedcap1-01")
    res = solve_bundling(inst, time_limit_s=12)
    assert res.status in {"optimal", "feasible"} and not res.unbundled
    assert len(res.bundles) == raw["p"]
    assert all(b.capacity_kw <= raw["capacity"] for b in res.bundles)
    # the file states its optimum with truncated distances (euclidean_floor) and with real ones
    assert raw["distance_rule"] == "euclidean_floor"
    xy = {s.id: (s.x, s.y) for s in inst.sites}
    truncated = sum(math.floor(math.dist(xy[s], xy[b.anchor])) for b in res.bundles for s in b.sites)
    assert truncated >= raw["optimal"]  # no assignment beats the published truncated optimum
    real_opt = float(raw["optimal_real_distance"])
    assert res.cost_m == pytest.approx(real_opt, rel=0.01)
    assert res.bound_m is not None and res.bound_m <= real_opt + 0.01  # the bound is a true lower bound
    assert res.bound_m <= res.cost_m + 1e-6


def _assignment(inst: BundlingInstance, prep: Prepared, res: BundlingResult) -> np.ndarray:
    idx = {s.id: i for i, s in enumerate(inst.sites)}
    out = np.full(len(prep.units), -1, dtype=np.int64)
    for b in res.bundles:
        for s in b.sites:
            out[prep.unit_of_site[idx[s]]] = idx[b.anchor]
    return out


# pmedcap1-11..20 (100 points, p = 10): those proven optimal fastest here (one worker, 3-15 s)
@pytest.mark.parametrize("name", ["pmedcap1-11", "pmedcap1-13"])
def test_pmedcap1_100_points_are_proven_optimal_and_meet_the_published_optimum(name: str) -> None:
    inst, raw = load_cpmp(name)
    res = solve_bundling(inst, time_limit_s=60, num_workers=1)
    assert res.status == "optimal" and not res.unbundled and len(res.bundles) == raw["p"]
    assert all(b.capacity_kw <= raw["capacity"] + 1e-9 for b in res.bundles)
    assert res.bound_m is not None and res.bound_m <= res.cost_m + 1e-6
    assert res.gap is not None and res.gap < 1e-4  # proven to the model's distance resolution
    # the file's optimum uses truncated distances; real distances cost at least as much
    assert raw["distance_rule"] == "euclidean_floor"
    assert res.cost_m >= raw["optimal"]
    # the published optimum itself: the same fixing and model on truncated distances reach it exactly
    prep = prepare(inst)
    floored = dataclasses.replace(prep, dists=[np.floor(d) for d in prep.dists])
    incumbent = _assignment(inst, prep, res)
    upper = float(sum(np.floor(prep.pair_cost(u, int(j))) for u, j in enumerate(incumbent.tolist())))
    required = set(range(len(prep.units)))
    lag, pi, bound = cost_phase_prices(inst, floored, required=required, upper=upper, time_limit_s=3)
    assert bound <= raw["optimal"] + 1e-6
    fixing = reduced_cost_fixing(lag, pi, upper, incumbent)
    pairs = [
        {j: d for j, d in zip(a.tolist(), d.tolist(), strict=True) if (u, j) not in fixing.pairs}
        for u, (a, d) in enumerate(zip(floored.anchors, floored.dists, strict=True))
    ]
    for j in fixing.anchors:
        pairs[int(prep.unit_of_site[j])].pop(j, None)
    model = BundlingModel(inst, floored, pairs, required=required)
    model.minimize_cost()
    model.hint(incumbent)
    out = model.solve(time_limit_s=60, seed=0, num_workers=1, linearization_level=2)
    assert out.status == SolveStatus.OPTIMAL
    assert out.objective / model.scale == pytest.approx(raw["optimal"])
