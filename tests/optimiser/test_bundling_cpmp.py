"""Published capacitated p-median instances (../shared/data/cpmp): the optimiser meets their optima."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from optimiser.bundling import BundlingInstance, Site, solve_bundling

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
