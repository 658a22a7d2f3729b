"""A small district-like instance generator shared by the bundling search tests."""

from __future__ import annotations

from typing import Any

import numpy as np

from optimiser.bundling import BundlingInstance, Site


def district(n: int, seed: int, **limits: Any) -> BundlingInstance:
    """Clustered sites in a 3 x 2 km district, 20-800 kWp (the benchmark's generator, smaller)."""
    rng = np.random.default_rng(seed)
    n_clusters = max(3, n // 25)
    centres = rng.uniform([0, 0], [3000, 2000], size=(n_clusters, 2))
    spread = rng.uniform(80, 400, size=n_clusters)
    which = rng.integers(0, n_clusters, size=n)
    xy = np.clip(centres[which] + rng.normal(size=(n, 2)) * spread[which, None], [0, 0], [3000, 2000])
    cap = np.round(np.exp(rng.uniform(np.log(20), np.log(800), size=n)), 1)
    sites = tuple(
        Site(f"s{i}", float(x), float(y), float(c)) for i, ((x, y), c) in enumerate(zip(xy, cap, strict=True))
    )
    params: dict[str, Any] = {
        "min_capacity_kw": 1000,
        "max_capacity_kw": 2000,
        "max_sites": 30,
        "max_distance_m": 2000,
        "bundle_cost_m": 3000,
    }
    return BundlingInstance(sites, **(params | limits))
