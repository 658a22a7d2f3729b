"""Bundling benchmark: district-like generated instances of 100, 1,000 and 10,000 sites.

Sites are clustered (neighbourhoods) in a 6 km x 4 km area with capacities of 20-800 kWp; bundles must
hold 1,000-2,000 kWp, at most 30 sites, within 2 km of their anchor, with the recommended bundle cost.
For each size it prints the time to the first feasible solution, the final status, cost, bound and gap,
the ratio of the cost to the greedy baseline measured in the same run, and the machine's load average
(on a shared machine CP-SAT gets fewer cycles than its workers ask for, which changes the figures).

    python benchmarks/bundling.py            # 100 and 1,000 sites at 60 s, 10,000 sites at 300 s
    python benchmarks/bundling.py --quick    # 100 and 1,000 sites at 10 s
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from optimiser.bundling import RECOMMENDED_BUNDLE_COST_M, BundlingInstance, Site, solve_bundling


def district(n: int, seed: int = 0) -> BundlingInstance:
    """Clustered sites in a 6 x 4 km district; capacities log-uniform in 20-800 kWp."""
    rng = np.random.default_rng(seed)
    n_clusters = max(3, n // 25)
    centres = rng.uniform([0, 0], [6000, 4000], size=(n_clusters, 2))
    spread = rng.uniform(80, 400, size=n_clusters)
    which = rng.integers(0, n_clusters, size=n)
    xy = centres[which] + rng.normal(size=(n, 2)) * spread[which, None]
    xy = np.clip(xy, [0, 0], [6000, 4000])
    cap = np.round(np.exp(rng.uniform(np.log(20), np.log(800), size=n)), 1)
    sites = tuple(
        Site(f"s{i}", float(x), float(y), float(c)) for i, ((x, y), c) in enumerate(zip(xy, cap, strict=True))
    )
    return BundlingInstance(
        sites,
        min_capacity_kw=1000,
        max_capacity_kw=2000,
        max_sites=30,
        max_distance_m=2000,
        bundle_cost_m=RECOMMENDED_BUNDLE_COST_M,
    )


def run(n: int, time_limit: float, seed: int, workers: int | None = None) -> dict[str, object]:
    inst = district(n, seed)
    res = solve_bundling(inst, time_limit_s=time_limit, seed=seed, num_workers=workers)
    total = sum(s.capacity_kw for s in inst.sites)
    return {
        "sites": n,
        "time_limit_s": time_limit,
        "workers": workers or os.cpu_count(),
        "status": res.status,
        "first_feasible_s": round(res.first_feasible_s or float("nan"), 2),
        "bundled_share": round(res.bundled_kw / total, 4),
        "bundles": len(res.bundles),
        "mean_bundle_kw": round(res.bundled_kw / max(1, len(res.bundles)), 1),
        "cost_m": round(res.cost_m, 1),
        "bound_m": None if res.bound_m is None else round(res.bound_m, 1),
        "gap": None if res.gap is None else round(res.gap, 4),
        "greedy_bundled_share": round((res.greedy_bundled_kw or 0) / total, 4),
        "cost_vs_greedy": None if not res.greedy_cost_m else round(res.cost_m / res.greedy_cost_m, 4),
        "wall_s": round(res.wall_s, 1),
        "load_1m_after": round(os.getloadavg()[0], 1),  # the machine is shared: how busy it was
        "bound_note": res.bound_note,
    }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="100 and 1,000 sites, 10 s each")
    p.add_argument("--sizes", type=int, nargs="*", help="site counts (default 100 1000 10000)")
    p.add_argument(
        "--time-limit", type=float, default=None, help="seconds per run (default 60; 300 at 10,000)"
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--workers", type=int, default=None, help="CP-SAT workers (default: all cores)")
    args = p.parse_args()
    sizes = args.sizes or ([100, 1000] if args.quick else [100, 1000, 10000])
    for n in sizes:
        limit = args.time_limit or (10.0 if args.quick else 300.0 if n >= 10000 else 60.0)
        print(json.dumps(run(n, limit, args.seed, args.workers)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
