"""Bundling optimiser: every limit holds, small optima match brute force, reasons are given."""

from __future__ import annotations

import itertools
import json
import math
import random
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from optimiser.bundling import (
    BundlingInstance,
    BundlingProgress,
    BundlingResult,
    InstanceError,
    Site,
    parse_instance,
    solve_bundling,
)
from optimiser.bundling.bounds.subgradient import lagrangian_bound
from optimiser.bundling.heuristics import lns
from optimiser.bundling.heuristics.greedy import greedy
from optimiser.bundling.progress import PROGRESS_INTERVAL_S, Tracker
from optimiser.bundling.solution import is_valid, solution_key
from optimiser.bundling.units import prepare
from tests.optimiser.districts import district

ROOT = Path(__file__).resolve().parents[2]


def check_limits(inst: BundlingInstance, res: BundlingResult) -> None:
    """Assert that the result obeys every limit of the instance and that its figures add up."""
    sites = {s.id: s for s in inst.sites}
    placed = [s for b in res.bundles for s in b.sites]
    assert len(placed) == len(set(placed))
    assert set(placed) | {u.id for u in res.unbundled} == set(sites)
    assert not set(placed) & {u.id for u in res.unbundled}
    lo, hi = inst.bundle_count_range
    assert lo <= len(res.bundles) <= hi
    objective = 0.0
    for b in res.bundles:
        assert b.anchor in b.sites
        cap = sum(sites[s].capacity_kw for s in b.sites)
        assert cap == pytest.approx(b.capacity_kw)
        assert inst.min_capacity_kw - 1e-6 <= cap <= inst.max_capacity_kw + 1e-6
        if inst.max_sites is not None:
            assert len(b.sites) <= inst.max_sites
        a = sites[b.anchor]
        for s in b.sites:
            d = math.hypot(sites[s].x - a.x, sites[s].y - a.y)
            if inst.max_distance_m is not None:
                assert d <= inst.max_distance_m + 1e-6
            objective += d
        assert len({sites[s].locked_bundle for s in b.sites} - {None}) <= 1
    for group in {s.keep_with for s in inst.sites} - {None}:
        members = {s.id for s in inst.sites if s.keep_with == group}
        holders = [b.id for b in res.bundles if members & set(b.sites)]
        assert len(holders) <= 1 and (
            not holders or members <= set(next(b for b in res.bundles if b.id == holders[0]).sites)
        )
    for site in inst.sites:
        if site.locked_bundle is not None:
            assert any(b.id == site.locked_bundle and site.id in b.sites for b in res.bundles)
    if inst.require_all:
        assert not res.unbundled
    assert res.objective_m == pytest.approx(objective)
    assert res.cost_m == pytest.approx(objective + inst.bundle_cost_m * len(res.bundles))
    assert res.bundled_kw == pytest.approx(sum(b.capacity_kw for b in res.bundles))
    if res.bound_m is not None:
        assert res.bound_m <= res.cost_m + 1e-6
        assert res.gap is not None and 0 <= res.gap <= 1


def brute_force(inst: BundlingInstance) -> tuple[float, float]:
    """Best (bundled kWp, cost m) by enumerating anchor sets and every assignment to them."""
    n = len(inst.sites)
    s = inst.sites
    d = [[math.hypot(a.x - b.x, a.y - b.y) for b in s] for a in s]
    best = (-1.0, math.inf)
    lo, hi = inst.bundle_count_range
    for k in range(lo, min(hi, n) + 1):
        for anchors in itertools.combinations(range(n), k):
            others = [i for i in range(n) if i not in anchors]
            for choice in itertools.product([-1, *anchors], repeat=len(others)):
                assign = dict(zip(others, choice, strict=True)) | {a: a for a in anchors}
                ok = True
                for a in anchors:
                    members = [i for i in range(n) if assign[i] == a]
                    cap = sum(s[i].capacity_kw for i in members)
                    ok &= inst.min_capacity_kw <= cap <= inst.max_capacity_kw
                    ok &= inst.max_sites is None or len(members) <= inst.max_sites
                    ok &= inst.max_distance_m is None or all(d[i][a] <= inst.max_distance_m for i in members)
                for group in {x.keep_with for x in s} - {None}:
                    ok &= len({assign[i] for i in range(n) if s[i].keep_with == group}) == 1
                if not ok or (inst.require_all and -1 in choice):
                    continue
                bundled = sum(s[i].capacity_kw for i in range(n) if assign[i] >= 0)
                cost = sum(d[i][assign[i]] for i in range(n) if assign[i] >= 0) + inst.bundle_cost_m * k
                if (bundled, -cost) > (best[0], -best[1]):
                    best = (bundled, cost)
    return best


def random_sites(n: int, seed: int, *, spread: float = 1000.0) -> tuple[Site, ...]:
    rng = random.Random(seed)
    return tuple(
        Site(f"s{i}", rng.uniform(0, spread), rng.uniform(0, spread), float(rng.randint(20, 400)))
        for i in range(n)
    )


@pytest.mark.parametrize(
    "params",
    [
        {"min_capacity_kw": 300, "max_capacity_kw": 700},
        {"min_capacity_kw": 0, "max_capacity_kw": 900, "bundle_cost_m": 400.0},
        {"min_capacity_kw": 200, "max_capacity_kw": 1000, "max_sites": 3, "max_distance_m": 600.0},
        {"min_capacity_kw": 100, "max_capacity_kw": 2000, "bundle_count": 2},
        {"min_capacity_kw": 500, "max_capacity_kw": 600, "max_distance_m": 500.0},
    ],
)
@pytest.mark.parametrize("seed", [1, 2])
def test_tiny_instance_matches_brute_force(params: dict[str, float], seed: int) -> None:
    inst = BundlingInstance(random_sites(7, seed), **params)  # type: ignore[arg-type]
    res = solve_bundling(inst, time_limit_s=10, num_workers=1)
    check_limits(inst, res)
    bundled, cost = brute_force(inst)
    assert res.status == "optimal"
    assert res.bundled_kw == pytest.approx(bundled)
    assert res.cost_m == pytest.approx(cost, abs=1e-3)
    assert res.bound_m is not None and res.bound_m == pytest.approx(cost, rel=1e-4, abs=1e-2)


def test_keep_with_group_matches_brute_force() -> None:
    base = random_sites(7, 5)
    sites = tuple(
        Site(s.id, s.x, s.y, s.capacity_kw, keep_with="campus" if i in (0, 3, 5) else None)
        for i, s in enumerate(base)
    )
    inst = BundlingInstance(sites, min_capacity_kw=300, max_capacity_kw=900)
    res = solve_bundling(inst, time_limit_s=10, num_workers=1)
    check_limits(inst, res)
    bundled, cost = brute_force(inst)
    assert (res.bundled_kw, res.cost_m) == pytest.approx((bundled, cost), abs=1e-3)


def test_a_demonstration_cluster_stays_together_even_when_far_apart() -> None:
    sites = (
        *random_sites(30, 3, spread=3000),
        Site("demo-a", 0, 0, 150, keep_with="demo"),
        Site("demo-b", 2900, 2900, 150, keep_with="demo"),
    )
    inst = BundlingInstance(sites, min_capacity_kw=500, max_capacity_kw=1500, max_sites=10)
    res = solve_bundling(inst, time_limit_s=4)
    check_limits(inst, res)
    assert res.bundled_kw > 0.8 * sum(s.capacity_kw for s in sites)


def test_locked_sites_stay_in_their_named_bundle_which_takes_in_others() -> None:
    sites = (
        *random_sites(20, 4),
        Site("L1", 100, 100, 200, locked_bundle="draft-7"),
        Site("L2", 900, 900, 100, locked_bundle="draft-7"),
        Site("M1", 500, 500, 100, locked_bundle="draft-8"),
    )
    inst = BundlingInstance(sites, min_capacity_kw=800, max_capacity_kw=1500)
    res = solve_bundling(inst, time_limit_s=4)
    check_limits(inst, res)
    by_id = {b.id: b for b in res.bundles}
    assert {"L1", "L2"} <= set(by_id["draft-7"].sites)
    assert "M1" in by_id["draft-8"].sites
    assert len(by_id["draft-7"].sites) > 2 or len(by_id["draft-8"].sites) > 1


def test_a_site_too_big_for_any_bundle_is_left_out_with_the_reason() -> None:
    sites = (*random_sites(8, 6), Site("huge", 10, 10, 5000))
    res = solve_bundling(BundlingInstance(sites, min_capacity_kw=300, max_capacity_kw=1000), time_limit_s=5)
    reasons = {u.id: u.reason for u in res.unbundled}
    assert "exceeds max_capacity_kw" in reasons["huge"]
    assert res.status == "optimal"


def test_a_group_out_of_reach_is_left_out_with_the_reason() -> None:
    sites = (
        *random_sites(8, 7),
        Site("g1", 0, 0, 100, keep_with="g"),
        Site("g2", 5000, 0, 100, keep_with="g"),
    )
    inst = BundlingInstance(sites, min_capacity_kw=0, max_capacity_kw=2000, max_distance_m=1500)
    res = solve_bundling(inst, time_limit_s=5)
    check_limits(inst, res)
    reasons = {u.id: u.reason for u in res.unbundled}
    assert "keep_with group 'g'" in reasons["g1"] and "max_distance_m" in reasons["g2"]


def test_require_all_is_infeasible_and_names_the_site() -> None:
    sites = (*random_sites(8, 8), Site("huge", 10, 10, 5000))
    inst = BundlingInstance(sites, max_capacity_kw=1000, require_all=True)
    res = solve_bundling(inst, time_limit_s=5)
    assert res.status == "infeasible"
    assert res.message is not None and "'huge'" in res.message and res.bundles == []


def test_require_all_infeasible_by_counting_is_reported() -> None:
    inst = BundlingInstance(random_sites(7, 9), max_capacity_kw=500, bundle_count=1, require_all=True)
    res = solve_bundling(inst, time_limit_s=5)
    assert res.status == "infeasible" and res.message


def test_require_all_without_a_warm_start_on_a_large_instance_answers() -> None:
    """Above 400 sites, when the greedy finds nothing under require_all, CP-SAT still runs and the result
    says what happened (it used to fail on an assertion, shown in the app as "Unexpected error")."""
    inst = district(450, 4, min_capacity_kw=20_000, max_capacity_kw=30_000, require_all=True)
    res = solve_bundling(inst, time_limit_s=4, num_workers=1)
    assert res.status in {"unknown", "infeasible"} and res.bundles == []
    assert res.message is not None
    assert "no solution found" in res.message or "nearest anchors; the others were not tried" in res.message


def test_require_all_bundles_everything_when_possible() -> None:
    inst = BundlingInstance(random_sites(40, 10), min_capacity_kw=400, max_capacity_kw=1500, require_all=True)
    res = solve_bundling(inst, time_limit_s=4)
    check_limits(inst, res)
    assert res.status in {"optimal", "feasible"} and not res.unbundled


def test_capacitated_p_median_100_sites_10_bundles_gets_a_small_proven_gap() -> None:
    sites = random_sites(100, 11, spread=5000)
    total = sum(s.capacity_kw for s in sites)
    inst = BundlingInstance(sites, max_capacity_kw=total / 10 * 1.2, bundle_count=10, require_all=True)
    res = solve_bundling(inst, time_limit_s=8, num_workers=1, seed=1)
    check_limits(inst, res)
    assert res.status in {"optimal", "feasible"}
    assert res.gap is not None and res.gap < 0.10


def test_one_worker_and_a_fixed_seed_reproduce_the_result() -> None:
    inst = BundlingInstance(
        random_sites(60, 12, spread=4000),
        min_capacity_kw=500,
        max_capacity_kw=1500,
        max_sites=8,
        bundle_cost_m=1000,
    )
    a = solve_bundling(inst, time_limit_s=3, num_workers=1, seed=7)
    b = solve_bundling(inst, time_limit_s=3, num_workers=1, seed=7)
    check_limits(inst, a)
    assert a.bundles == b.bundles and a.cost_m == b.cost_m


def test_large_model_uses_candidate_anchors_and_still_gives_a_valid_answer() -> None:
    inst = BundlingInstance(
        random_sites(500, 13, spread=6000),
        min_capacity_kw=800,
        max_capacity_kw=2000,
        max_sites=20,
        max_distance_m=2000,
        bundle_cost_m=5000,
    )
    res = solve_bundling(inst, time_limit_s=6)
    check_limits(inst, res)
    assert res.status in {"optimal", "feasible"}
    assert res.bundled_kw > 0.9 * sum(s.capacity_kw for s in inst.sites)
    assert res.greedy_cost_m is not None and res.cost_m <= res.greedy_cost_m + 1e-6


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "missing field 'sites'"),
        ({"sites": [{"id": "a", "x": 0, "y": 0}]}, "missing field 'capacity_kw'"),
        ({"sites": [{"x": 0, "y": 0, "capacity_kw": 1}]}, "missing field 'id'"),
        ({"sites": [{"id": "a", "x": 0, "y": 0, "capacity_kw": -5}]}, "capacity_kw must be"),
        (
            {
                "sites": [
                    {"id": "a", "x": 0, "y": 0, "capacity_kw": 1},
                    {"id": "a", "x": 1, "y": 0, "capacity_kw": 1},
                ]
            },
            "duplicate site id 'a'",
        ),
        ({"sites": [], "min_capacity_kw": 10, "max_capacity_kw": 5}, "above max_capacity_kw"),
        ({"sites": [], "min_bundles": 3, "max_bundles": 2}, "above max_bundles"),
        ({"sites": [{"id": "a", "x": "east", "y": 0, "capacity_kw": 1}]}, "must be a number"),
    ],
)
def test_bad_instances_are_refused_with_a_clear_message(data: dict[str, object], message: str) -> None:
    with pytest.raises(InstanceError, match=message):
        parse_instance(data)


def test_a_unit_locked_to_two_bundles_is_infeasible() -> None:
    sites = (
        Site("a", 0, 0, 100, keep_with="g", locked_bundle="x"),
        Site("b", 10, 0, 100, keep_with="g", locked_bundle="y"),
    )
    res = solve_bundling(BundlingInstance(sites), time_limit_s=2)
    assert res.status == "infeasible" and res.message is not None and "'g'" in res.message


def test_empty_instance_gives_zero_cost_and_zero_gap() -> None:
    res = solve_bundling(BundlingInstance(()), time_limit_s=2)
    assert res.status == "optimal" and res.cost_m == 0 and res.gap == 0


@pytest.mark.parametrize(
    "params",
    [
        {"min_capacity_kw": 0, "max_capacity_kw": 900, "bundle_cost_m": 300.0, "max_sites": 4},
        {"min_capacity_kw": 400, "max_capacity_kw": 900, "bundle_cost_m": 300.0},
        {"min_capacity_kw": 200, "max_capacity_kw": 2000, "bundle_count": 2},
    ],
)
def test_lagrangian_bound_never_exceeds_the_brute_force_optimum(params: dict[str, float]) -> None:
    for seed in (1, 2, 3):
        inst = BundlingInstance(random_sites(7, seed), require_all=True, **params)  # type: ignore[arg-type]
        _, optimum = brute_force(inst)
        assert math.isfinite(optimum)  # these draws are feasible: each one is checked, none passed over
        prep = prepare(inst)
        bound, why = lagrangian_bound(
            inst,
            prep,
            required=set(range(len(prep.units))),
            start_pi=np.zeros(len(prep.units)),
            upper=optimum,
            time_limit_s=1,
        )
        assert why is None and bound is not None
        assert 0 <= bound <= optimum + 1e-6
        # the search gets close: the set-partitioning bound of such tiny instances is nearly exact
        assert bound >= 0.7 * optimum
        # only the pairs within 300 m, the others as far copies: still a valid bound
        near = prepare(inst, None, radius_m=300.0)
        capped, why = lagrangian_bound(
            inst,
            near,
            required=set(range(len(near.units))),
            complete=False,
            start_pi=np.full(len(near.units), 1000.0),
            upper=optimum,
            time_limit_s=0.5,
        )
        assert why is None and capped is not None and capped <= optimum + 1e-6


def test_lagrangian_bound_at_a_lower_bundled_capacity_stays_below_the_optimum() -> None:
    for seed in (4, 5):
        inst = BundlingInstance(
            random_sites(7, seed), min_capacity_kw=500, max_capacity_kw=700, bundle_cost_m=200.0
        )
        bundled, optimum = brute_force(inst)
        prep = prepare(inst)
        bound, why = lagrangian_bound(
            inst,
            prep,
            required=set(),
            optional=set(range(len(prep.units))),
            min_bundled_kw=bundled,
            start_pi=np.full(len(prep.units), 100.0),
            upper=optimum,
            time_limit_s=1,
        )
        assert why is None and bound is not None
        assert 0 <= bound <= optimum + 1e-6


def test_command_line_prints_json_and_uses_exit_codes(tmp_path: Path) -> None:
    good = tmp_path / "good.json"
    good.write_text(
        json.dumps(
            {
                "sites": [
                    {
                        "id": s.id,
                        "x": s.x,
                        "y": s.y,
                        "capacity_kw": s.capacity_kw,
                        "keep_with": None,
                        "locked_bundle": None,
                    }
                    for s in random_sites(12, 14)
                ],
                "bundle_count": None,
                "min_bundles": None,
                "max_bundles": None,
                "min_capacity_kw": 300,
                "max_capacity_kw": 1200,
                "max_sites": 5,
                "max_distance_m": None,
                "bundle_cost_m": 500,
                "require_all": False,
            }
        )
    )
    run = [sys.executable, "-m", "optimiser", "bundle"]
    out = subprocess.run(
        [*run, str(good), "--time-limit", "3", "--workers", "1", "--seed", "3"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["status"] == "optimal" and result["gap"] == pytest.approx(0, abs=1e-4)
    assert {"bundled_kw", "objective_m", "cost_m", "bound_m", "bundles", "unbundled", "wall_s"} <= set(result)
    infeasible = json.loads(good.read_text()) | {
        "require_all": True,
        "min_capacity_kw": 0,
        "max_capacity_kw": 100,
    }
    good.write_text(json.dumps(infeasible))
    out = subprocess.run(
        [*run, str(good), "--time-limit", "2"], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert out.returncode == 0 and json.loads(out.stdout)["status"] == "infeasible"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"sites": [{"id": "a", "x": 0, "y": 0, "capacity_kw": -1}]}))
    out = subprocess.run([*run, str(bad)], capture_output=True, text=True, cwd=ROOT, check=False)
    assert out.returncode == 2 and "capacity_kw" in out.stderr and out.stdout == ""
    out = subprocess.run(
        [*run, str(tmp_path / "missing.json")], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert out.returncode == 2 and "cannot read instance" in out.stderr


def test_a_zero_kwp_site_far_away_is_left_out_at_no_cost() -> None:
    sites = (*random_sites(6, 15), Site("empty", 900, 900, 0.0))
    inst = BundlingInstance(sites, min_capacity_kw=0, max_capacity_kw=800, bundle_cost_m=100)
    res = solve_bundling(inst, time_limit_s=5, num_workers=1)
    check_limits(inst, res)
    bundled, cost = brute_force(inst)
    assert res.status == "optimal"
    assert (res.bundled_kw, res.cost_m) == pytest.approx((bundled, cost), abs=1e-3)


def test_progress_is_reported_in_order_and_ends_done() -> None:
    inst = BundlingInstance(
        random_sites(60, 16, spread=4000),
        min_capacity_kw=500,
        max_capacity_kw=1500,
        max_sites=8,
        bundle_cost_m=1000,
    )
    reports: list[BundlingProgress] = []
    res = solve_bundling(inst, time_limit_s=3, num_workers=1, on_progress=reports.append)
    check_limits(inst, res)
    assert reports[0].phase == "greedy" and reports[-1].phase == "done"
    assert reports[-1].fraction == 1.0
    assert reports[-1].best_cost_m == pytest.approx(res.cost_m)
    assert reports[-1].bundled_kw == pytest.approx(res.bundled_kw)
    assert reports[-1].bound_m == res.bound_m
    assert {"local_search", "cost", "bound"} <= {r.phase for r in reports}
    elapsed = [r.elapsed_s for r in reports]
    fraction = [r.fraction for r in reports]
    assert elapsed == sorted(elapsed) and fraction == sorted(fraction)
    assert all(0 <= f <= 1 for f in fraction)
    assert res.bound_m is not None  # so that the bound phase reported one for the loop below to check
    for r in reports:  # a reported bound is a valid bound: never above the final solution's cost
        assert r.bound_m is None or r.bound_m <= res.cost_m + 1e-6
    # throttled: within one phase, reports at least ~0.5 s apart (a run this short may change phase before
    # a second report; test_reports_within_a_phase_are_throttled makes sure of one)
    for a, b in itertools.pairwise(reports):
        if a.phase == b.phase and b.phase != "done":
            assert b.elapsed_s - a.elapsed_s >= 0.45


def test_reports_within_a_phase_are_throttled() -> None:
    """New solutions every 50 ms for 1.3 s: a report at the phase change, then one per 0.5 s at most."""
    reports: list[BundlingProgress] = []
    start = time.perf_counter()
    tracker = Tracker(start, 10.0, reports.append, None)
    tracker.phase("local_search")
    cost = 10_000.0
    while time.perf_counter() - start < 1.3:
        cost -= 1.0
        tracker.solution(cost, 500.0)
        time.sleep(0.05)
    assert [r.phase for r in reports] == ["local_search"] * len(reports)
    assert 2 <= len(reports) <= 3  # at 0 s, then at most at 0.5 s and 1.0 s: not one per solution
    gaps = [b.elapsed_s - a.elapsed_s for a, b in itertools.pairwise(reports)]
    assert all(gap >= PROGRESS_INTERVAL_S - 1e-3 for gap in gaps), gaps
    tracker.phase("cost")  # a phase change is reported at once
    assert reports[-1].phase == "cost" and reports[-1].best_cost_m == cost


def test_should_stop_cancels_quickly_without_partial_bundles() -> None:
    inst = BundlingInstance(
        random_sites(300, 17, spread=6000),
        min_capacity_kw=800,
        max_capacity_kw=2000,
        max_sites=20,
        bundle_cost_m=3000,
    )
    t0 = time.perf_counter()
    phases: list[str] = []
    res = solve_bundling(
        inst,
        time_limit_s=30,
        should_stop=lambda: time.perf_counter() - t0 > 1.0,
        on_progress=lambda p: phases.append(p.phase),
    )
    wall = time.perf_counter() - t0
    assert res.status == "unknown" and res.message == "cancelled"
    assert res.bundles == [] and res.bound_m is None and res.bundled_kw == 0
    # not a speed check: a cancelled run must end long before its 30 s limit, on any machine
    assert wall < 15.0
    assert phases[-1] == "done"
    # asked at once: stops before any work
    res = solve_bundling(inst, time_limit_s=30, should_stop=lambda: True)
    assert res.status == "unknown" and res.message == "cancelled" and res.bundles == []


def test_region_search_keeps_every_limit_and_never_gets_worse(monkeypatch: pytest.MonkeyPatch) -> None:
    # small regions on a small instance, so the sweep over several regions runs within a unit test
    monkeypatch.setattr(lns, "WHOLE_UNITS", 40)
    monkeypatch.setattr(lns, "REGION_UNITS", 50)
    monkeypatch.setattr(lns, "SUB_MIN_S", 0.3)
    inst = BundlingInstance(
        random_sites(250, 18, spread=5000),
        min_capacity_kw=600,
        max_capacity_kw=1500,
        max_sites=12,
        max_distance_m=2000,
        bundle_cost_m=2000,
    )
    prep = prepare(inst, 25)
    start = greedy(inst, prep, seed=0)
    assert start is not None
    seen: list[tuple[float, float]] = []
    out = lns.region_search(
        inst,
        prep,
        start,
        deadline=time.perf_counter() + 3,
        seed=0,
        workers=1,
        fixed_units=set(),
        on_improve=lambda a: seen.append(solution_key(inst, prep, a)),
    )
    assert is_valid(inst, prep, out)
    assert solution_key(inst, prep, out) <= solution_key(inst, prep, start)
    assert seen == sorted(seen, reverse=True)  # each accepted step is better than the last
