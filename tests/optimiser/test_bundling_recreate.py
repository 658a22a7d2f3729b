"""Ruin and recreate: valid, same kWp, never costlier, respects locks and a fixed count, deterministic."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from optimiser.bundling import BundlingInstance
from optimiser.bundling.heuristics.greedy import greedy
from optimiser.bundling.heuristics.local_search import local_search
from optimiser.bundling.heuristics.recreate import ruin_recreate
from optimiser.bundling.solution import bundled_kw, bundles_of, is_valid, solution_key
from optimiser.bundling.units import Prepared, prepare
from tests.optimiser.districts import district

FOREVER = 3600.0  # the searches here stop on their iteration cap; no test depends on the clock
ITERATIONS = 150


def warm_start(inst: BundlingInstance) -> tuple[Prepared, np.ndarray]:
    prep = prepare(inst, 25)
    base = greedy(inst, prep, seed=0)
    assert base is not None
    return prep, local_search(inst, prep, base, time_limit_s=FOREVER)


def run(inst: BundlingInstance, prep: Prepared, assign: np.ndarray, seed: int = 0) -> np.ndarray:
    return ruin_recreate(inst, prep, assign, deadline=1e18, seed=seed, max_iterations=ITERATIONS)


@pytest.mark.parametrize(("n", "seed"), [(300, 1), (400, 2), (500, 3)])
def test_valid_same_kw_never_costlier(n: int, seed: int) -> None:
    inst = district(n, seed)
    prep, warm = warm_start(inst)
    out = run(inst, prep, warm, seed)
    assert is_valid(inst, prep, out)
    assert bundled_kw(prep, out) >= bundled_kw(prep, warm) - 1e-6
    assert solution_key(inst, prep, out) <= solution_key(inst, prep, warm)


def test_improves_a_local_search_optimum() -> None:
    inst = district(400, 5)
    prep, warm = warm_start(inst)
    out = run(inst, prep, warm)
    assert solution_key(inst, prep, out)[1] < solution_key(inst, prep, warm)[1]


def test_locks_respected() -> None:
    base = district(400, 4)
    sites = list(base.sites)
    # ten locked bundles of two sites each, and a few keep_with pairs (multi-site units)
    for i in range(10):
        for s in (i * 37, i * 37 + 1):
            sites[s] = dataclasses.replace(sites[s], locked_bundle=f"L{i}")
    for i in range(5):
        s = 200 + 7 * i
        sites[s] = dataclasses.replace(sites[s], keep_with=f"K{i}")
        sites[s + 3] = dataclasses.replace(sites[s + 3], keep_with=f"K{i}")
    inst = dataclasses.replace(base, sites=tuple(sites))
    prep, warm = warm_start(inst)
    assert is_valid(inst, prep, warm)
    out = run(inst, prep, warm)
    assert is_valid(inst, prep, out)
    assert solution_key(inst, prep, out) <= solution_key(inst, prep, warm)
    locked = [u for u, unit in enumerate(prep.units) if unit.locked_bundle is not None]
    assert all(out[u] >= 0 for u in locked)
    for members in bundles_of(out).values():
        assert sum(prep.units[u].locked_bundle is not None for u in members) <= 1
    assert len({int(out[u]) for u in locked}) == len(locked)  # two locked bundles never merge


def test_fixed_bundle_count_respected() -> None:
    inst = district(350, 6)
    prep, warm = warm_start(inst)
    count = len(bundles_of(warm))
    fixed = dataclasses.replace(inst, bundle_count=count)
    assert is_valid(fixed, prep, warm)
    out = run(fixed, prep, warm)
    assert is_valid(fixed, prep, out)
    assert len(bundles_of(out)) == count
    assert solution_key(fixed, prep, out) <= solution_key(fixed, prep, warm)


def test_deterministic_for_seed_and_iteration_cap() -> None:
    inst = district(300, 7)
    prep, warm = warm_start(inst)
    a = run(inst, prep, warm, seed=11)
    b = run(inst, prep, warm, seed=11)
    assert np.array_equal(a, b)


def test_invalid_or_empty_input_returned_unchanged() -> None:
    inst = district(300, 8)
    prep = prepare(inst, 25)
    empty = np.full(len(prep.units), -1, dtype=np.int64)
    assert ruin_recreate(inst, prep, empty, deadline=1e18, max_iterations=5) is empty
