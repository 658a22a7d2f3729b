"""Bundle elimination: valid, never worse, removes bundles that can be emptied, respects locks."""

from __future__ import annotations

import dataclasses
import math
import time
from typing import Any

import numpy as np
import pytest

from optimiser.bundling import BundlingInstance, Site
from optimiser.bundling.heuristics.eliminate import eliminate_bundles
from optimiser.bundling.heuristics.greedy import greedy
from optimiser.bundling.heuristics.local_search import local_search
from optimiser.bundling.solution import bundles_of, is_valid, solution_key
from optimiser.bundling.units import Prepared, prepare
from tests.optimiser.districts import district

FOREVER = 3600.0  # the search ends by itself when a pass gains nothing; no test depends on the clock


def eliminate(inst: BundlingInstance, prep: Prepared, assign: np.ndarray) -> np.ndarray:
    return eliminate_bundles(inst, prep, assign, deadline=time.perf_counter() + FOREVER, seed=0)


def check_no_worse(inst: BundlingInstance, prep: Prepared, before: np.ndarray, after: np.ndarray) -> None:
    assert is_valid(inst, prep, after)
    kw_before, cost_before = solution_key(inst, prep, before)
    kw_after, cost_after = solution_key(inst, prep, after)
    assert kw_after <= kw_before  # keys are -kWp: at least as much bundled
    assert cost_after <= cost_before + 1e-6
    assert np.array_equal(after >= 0, before >= 0)  # no unit is unbundled or newly bundled


@pytest.mark.parametrize(
    ("n", "seed", "limits"),
    [
        (300, 0, {}),
        (500, 1, {}),
        (400, 2, {"max_sites": 6}),
        (300, 3, {"min_capacity_kw": 500, "max_capacity_kw": 1500, "max_distance_m": 600}),
        (300, 4, {"min_bundles": 34}),  # the greedy has 35, elimination alone 33
    ],
)
def test_greedy_result_stays_valid_and_gets_no_worse(n: int, seed: int, limits: dict[str, float]) -> None:
    inst = district(n, seed, **limits)
    prep = prepare(inst, 25)
    start = greedy(inst, prep, seed=0)
    assert start is not None
    start = local_search(inst, prep, start, time_limit_s=FOREVER)
    out = eliminate(inst, prep, start)
    check_no_worse(inst, prep, start, out)
    assert len(bundles_of(out)) >= inst.bundle_count_range[0]


def test_it_removes_bundles_from_the_greedy_of_a_district() -> None:
    inst = district(500, 5)
    prep = prepare(inst, 25)
    start = greedy(inst, prep, seed=0)
    assert start is not None
    out = eliminate(inst, prep, start)
    check_no_worse(inst, prep, start, out)
    assert len(bundles_of(out)) < len(bundles_of(start))


def split_clusters(
    locks: tuple[str | None, str | None] = (None, None),
) -> tuple[BundlingInstance, np.ndarray]:
    """Four clusters of ten 100 kWp sites, each split into two half bundles that fit in one.

    In the first cluster the first site of each half carries ``locks``.
    """
    sites: list[Site] = []
    assign: list[int] = []
    for c in range(4):
        cx = 5000.0 * c
        for i in range(10):
            lock = locks[i // 5] if c == 0 and i % 5 == 0 else None
            sites.append(Site(f"c{c}s{i}", cx + 20.0 * i, 10.0 * (i % 3), 100.0, locked_bundle=lock))
            assign.append(10 * c + 5 * (i // 5))  # sites 0-4 anchored on site 0, 5-9 on site 5
    inst = BundlingInstance(
        tuple(sites),
        min_capacity_kw=400,
        max_capacity_kw=1200,
        max_sites=12,
        max_distance_m=1000,
        bundle_cost_m=3000,
    )
    return inst, np.array(assign, dtype=np.int64)


def site_units(prep: Prepared, by_site: np.ndarray) -> np.ndarray:
    """A per-site assignment as a per-unit one (each unit's sites share a bundle)."""
    return np.array([by_site[u.members[0]] for u in prep.units], dtype=np.int64)


def test_split_bundles_are_merged() -> None:
    inst, by_site = split_clusters()
    prep = prepare(inst)
    start = site_units(prep, by_site)
    assert is_valid(inst, prep, start) and len(bundles_of(start)) == 8
    out = eliminate(inst, prep, start)
    check_no_worse(inst, prep, start, out)
    assert len(bundles_of(out)) == 4


def test_two_locked_bundles_never_merge_but_others_do() -> None:
    inst, by_site = split_clusters(("L1", "L2"))
    prep = prepare(inst)
    start = site_units(prep, by_site)
    assert is_valid(inst, prep, start)
    out = eliminate(inst, prep, start)
    check_no_worse(inst, prep, start, out)
    assert len(bundles_of(out)) == 5  # the locked cluster keeps both halves
    locked = {u.locked_bundle: int(out[i]) for i, u in enumerate(prep.units) if u.locked_bundle}
    assert locked["L1"] != locked["L2"]


def test_a_locked_half_takes_in_the_other_half() -> None:
    inst, by_site = split_clusters(("L1", None))
    prep = prepare(inst)
    start = site_units(prep, by_site)
    out = eliminate(inst, prep, start)
    check_no_worse(inst, prep, start, out)
    assert len(bundles_of(out)) == 4
    lock_unit = next(i for i, u in enumerate(prep.units) if u.locked_bundle == "L1")
    cluster = [i for i, u in enumerate(prep.units) if inst.sites[u.members[0]].id.startswith("c0")]
    assert {int(out[i]) for i in cluster} == {int(out[lock_unit])}


@pytest.mark.parametrize("limits", [{"bundle_count": 8}, {"min_bundles": 6}, {"bundle_cost_m": 0.0}])
def test_the_bundle_count_range_and_a_zero_bundle_cost_are_respected(limits: dict[str, Any]) -> None:
    inst, by_site = split_clusters()
    inst = dataclasses.replace(inst, **limits)
    prep = prepare(inst)
    start = site_units(prep, by_site)
    out = eliminate(inst, prep, start)
    check_no_worse(inst, prep, start, out)
    expected = {"bundle_count": 8, "min_bundles": 6, "bundle_cost_m": 8}
    assert len(bundles_of(out)) == expected[next(iter(limits))]


def test_a_keep_with_group_moves_as_one() -> None:
    inst, by_site = split_clusters()
    sites = list(inst.sites)
    for i in (6, 7, 8):  # three sites of the first cluster's second half go together
        sites[i] = Site(sites[i].id, sites[i].x, sites[i].y, sites[i].capacity_kw, keep_with="g")
    inst = dataclasses.replace(inst, sites=tuple(sites))
    prep = prepare(inst)
    start = site_units(prep, by_site)
    out = eliminate(inst, prep, start)
    check_no_worse(inst, prep, start, out)
    assert len(bundles_of(out)) == 4
    assert not math.isinf(solution_key(inst, prep, out)[1])
