"""Bankable bundles: per-site ``value`` with ``min_value``, per-site ``group`` with ``same_group_only``.

Small instances are checked against an enumeration of every partition of the sites (one block left
unbundled, the others bundles with their best anchor); larger ones for the rules on every bundle.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from optimiser.bundling import (
    BundlingInstance,
    BundlingResult,
    InstanceError,
    Site,
    bankable,
    parse_instance,
    solve_bundling,
)
from optimiser.bundling.cli import main as cli_main
from optimiser.bundling.heuristics.eliminate import eliminate_bundles
from optimiser.bundling.heuristics.greedy import greedy
from optimiser.bundling.heuristics.local_search import local_search
from optimiser.bundling.heuristics.recreate import ruin_recreate
from optimiser.bundling.solution import bundles_of, is_valid
from optimiser.bundling.units import prepare
from tests.optimiser.districts import district


def partitions(items: list[int]) -> Iterator[list[list[int]]]:
    """Every set partition of ``items`` (Bell(n) of them)."""
    if not items:
        yield []
        return
    head, rest = items[0], items[1:]
    for part in partitions(rest):
        yield [[head], *part]
        for i in range(len(part)):
            yield [*part[:i], [head, *part[i]], *part[i + 1 :]]


def block_cost(inst: BundlingInstance, block: list[int]) -> float:
    """Least summed distance of a block to one of its own sites within every limit (inf if none is)."""
    s = inst.sites
    best = math.inf
    for a in block:
        d = [math.hypot(s[i].x - s[a].x, s[i].y - s[a].y) for i in block]
        if inst.max_distance_m is None or max(d) <= inst.max_distance_m + 1e-9:
            best = min(best, sum(d))
    return best


def block_ok(inst: BundlingInstance, block: list[int]) -> bool:
    """The block is a bundle but for its anchor's distances (capacity, sites, value, group, locks)."""
    s = [inst.sites[i] for i in block]
    cap = sum(x.capacity_kw for x in s)
    ok = inst.min_capacity_kw - 1e-9 <= cap <= inst.max_capacity_kw + 1e-9
    ok &= inst.max_sites is None or len(block) <= inst.max_sites
    ok &= inst.min_value is None or sum(x.value for x in s) >= inst.min_value - 1e-6
    ok &= not inst.same_group_only or len({x.group for x in s}) == 1
    return ok and len({x.locked_bundle for x in s} - {None}) <= 1


def brute_force(inst: BundlingInstance) -> tuple[float, float] | None:
    """Best (bundled kWp, cost m) over every solution, or None when there is none (partition enumeration)."""
    n = len(inst.sites)
    out = n  # the element standing for "unbundled"
    best: tuple[float, float] | None = None
    lo, hi = inst.bundle_count_range
    for part in partitions(list(range(n + 1))):
        blocks = [b for b in part if out not in b]
        left = next(b for b in part if out in b)
        if not lo <= len(blocks) <= hi:
            continue
        if any(inst.sites[i].locked_bundle is not None or inst.require_all for i in left if i != out):
            continue
        where = {i: k for k, b in enumerate(part) for i in b}
        keeps = {x.keep_with for x in inst.sites} - {None}
        if any(len({where[i] for i, x in enumerate(inst.sites) if x.keep_with == g}) > 1 for g in keeps):
            continue
        if not all(block_ok(inst, b) for b in blocks):
            continue
        cost = sum(block_cost(inst, b) for b in blocks) + inst.bundle_cost_m * len(blocks)
        if math.isinf(cost):
            continue
        kw = sum(inst.sites[i].capacity_kw for b in blocks for i in b)
        if best is None or (round(kw, 6), -cost) > (round(best[0], 6), -best[1]):
            best = (kw, cost)
    return best


def check_rules(inst: BundlingInstance, res: BundlingResult) -> None:
    """Every bundle reaches min_value and (same_group_only) holds one group; the figures add up."""
    sites = {s.id: s for s in inst.sites}
    placed = [s for b in res.bundles for s in b.sites]
    assert len(placed) == len(set(placed))
    assert set(placed) | {u.id for u in res.unbundled} == set(sites)
    for b in res.bundles:
        assert b.sites, "a bundle is never empty"
        if inst.min_value is not None:
            assert sum(sites[s].value for s in b.sites) >= inst.min_value - 1e-6
        if inst.same_group_only:
            assert len({sites[s].group for s in b.sites}) == 1
        cap = sum(sites[s].capacity_kw for s in b.sites)
        assert inst.min_capacity_kw - 1e-6 <= cap <= inst.max_capacity_kw + 1e-6
    if res.bound_m is not None:
        assert res.bound_m <= res.cost_m + 1e-6


def valued_sites(n: int, seed: int, *, groups: int = 0, spread: float = 800.0) -> tuple[Site, ...]:
    """Sites with values in whole yuan, some negative (facades), and optional group labels (one null)."""
    rng = random.Random(seed)
    labels: list[str | None] = [None, *(f"g{k}" for k in range(1, groups))] if groups else [None]
    return tuple(
        Site(
            f"s{i}",
            rng.uniform(0, spread),
            rng.uniform(0, spread),
            float(rng.randint(20, 400)),
            value=float(rng.randint(-300, 250) * 1000),
            group=rng.choice(labels),
        )
        for i in range(n)
    )


CASES = [
    {"min_capacity_kw": 200, "max_capacity_kw": 900, "min_value": 0.0},
    {"min_capacity_kw": 0, "max_capacity_kw": 1200, "bundle_cost_m": 300.0, "min_value": 50_000.0},
    {"min_capacity_kw": 150, "max_capacity_kw": 1000, "max_distance_m": 500.0, "min_value": -20_000.0},
    {"min_capacity_kw": 100, "max_capacity_kw": 1500, "same_group_only": True, "groups": 2},
    {"min_capacity_kw": 100, "max_capacity_kw": 900, "min_value": 0.0, "same_group_only": True, "groups": 3},
    {"min_capacity_kw": 0, "max_capacity_kw": 2000, "bundle_count": 2, "min_value": 0.0},
]


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("seed", [3, 4])
def test_small_instances_match_the_enumeration_and_are_proven(case: dict[str, float], seed: int) -> None:
    params = dict(case)
    groups = int(params.pop("groups", 0))
    inst = BundlingInstance(valued_sites(7, seed, groups=groups), **params)  # type: ignore[arg-type]
    res = solve_bundling(inst, time_limit_s=10, num_workers=1, seed=0)
    best = brute_force(inst)
    assert best is not None
    check_rules(inst, res)
    assert res.status == "optimal"
    assert res.bundled_kw == pytest.approx(best[0])
    assert res.cost_m == pytest.approx(best[1], abs=1e-3)


def test_eight_sites_with_keep_with_and_a_lock_match_the_enumeration() -> None:
    sites = list(valued_sites(8, 11, groups=2))
    sites[1] = replace(sites[1], keep_with="campus", group=sites[2].group)
    sites[2] = replace(sites[2], keep_with="campus")
    sites[5] = replace(sites[5], locked_bundle="draft-1", value=400_000.0)
    inst = BundlingInstance(
        tuple(sites), min_capacity_kw=100, max_capacity_kw=1000, min_value=0.0, same_group_only=True
    )
    res = solve_bundling(inst, time_limit_s=10, num_workers=1)
    best = brute_force(inst)
    assert best is not None
    check_rules(inst, res)
    assert res.status == "optimal"
    assert (res.bundled_kw, res.cost_m) == pytest.approx(best, abs=1e-3)
    assert any(b.id == "draft-1" and "s5" in b.sites for b in res.bundles)


def roof_and_facade(
    roof_value: float, *, min_value: float | None, min_capacity_kw: float
) -> BundlingInstance:
    """A good roof and a BIPV facade 120 m away whose NPV at the hurdle rate is negative."""
    return BundlingInstance(
        (
            Site("roof", 0.0, 0.0, 300.0, value=roof_value),
            Site("facade", 120.0, 0.0, 250.0, value=-200_000.0),
        ),
        min_capacity_kw=min_capacity_kw,
        max_capacity_kw=2000.0,
        min_value=min_value,
    )


def test_a_poor_facade_rides_with_a_good_roof_under_min_value() -> None:
    # the bundle needs the facade's kWp (550 >= 500) and its value 500,000 - 200,000 >= 0 is bankable
    res = solve_bundling(roof_and_facade(500_000.0, min_value=0.0, min_capacity_kw=500), num_workers=1)
    assert res.status == "optimal"
    assert [sorted(b.sites) for b in res.bundles] == [["facade", "roof"]]


def test_a_facade_that_sinks_the_bundle_stays_out_with_the_reason() -> None:
    # with a weaker roof the pair is worth -100,000 CNY: the roof goes alone, the facade stays out
    res = solve_bundling(roof_and_facade(100_000.0, min_value=0.0, min_capacity_kw=0), num_workers=1)
    assert res.status == "optimal"
    assert [b.sites for b in res.bundles] == [["roof"]]
    (out,) = res.unbundled
    assert out.id == "facade" and "min_value 0" in out.reason and "-100000 CNY" in out.reason
    # without min_value both are bundled (the most kWp)
    plain = solve_bundling(roof_and_facade(100_000.0, min_value=None, min_capacity_kw=0), num_workers=1)
    assert plain.bundled_kw == pytest.approx(550.0)


def test_no_bankable_bundle_leaves_both_out_and_says_why() -> None:
    # 550 kWp are needed for the minimum, but together they are worth -100,000 CNY
    res = solve_bundling(roof_and_facade(100_000.0, min_value=0.0, min_capacity_kw=500), num_workers=1)
    assert res.status == "optimal" and not res.bundles
    reasons = {u.id: u.reason for u in res.unbundled}
    assert "reaches min_value" in reasons["facade"]
    assert reasons["roof"].startswith("left out of the optimal solution")


def test_a_bundle_cannot_be_bankable_by_being_empty() -> None:
    # require_all with a negative site out of every other site's reach: no bundle may hold it
    sites = (Site("a", 0, 0, 100, value=-1.0), Site("b", 5000, 0, 100, value=10.0))
    inst = BundlingInstance(sites, min_value=0.0, require_all=True, max_distance_m=1000.0)
    res = solve_bundling(inst, num_workers=1)
    assert res.status == "infeasible"
    assert res.message is not None and "site 'a'" in res.message and "min_value" in res.message


def test_same_group_only_never_mixes_groups_and_null_is_a_group() -> None:
    sites = (
        Site("emc1", 0, 0, 300, group="emc"),
        Site("epc1", 10, 0, 300, group="epc"),
        Site("emc2", 20, 0, 300, group="emc"),
        Site("n1", 30, 0, 300),
        Site("n2", 40, 0, 300),
        Site("epc2", 2000, 0, 300, group="epc"),
    )
    inst = BundlingInstance(sites, min_capacity_kw=500, max_capacity_kw=2000, same_group_only=True)
    res = solve_bundling(inst, num_workers=1)
    check_rules(inst, res)
    assert res.status == "optimal"
    assert sorted(sorted(b.sites) for b in res.bundles) == [["emc1", "emc2"], ["epc1", "epc2"], ["n1", "n2"]]
    # without the rule one bundle takes everything (least cost: no bundle cost, but fewer far anchors)
    mixed = solve_bundling(replace(inst, same_group_only=False), num_workers=1)
    assert any(len({s[:3] for s in b.sites}) > 1 for b in mixed.bundles)


def test_a_keep_with_group_of_two_groups_is_left_out_or_infeasible_when_locked() -> None:
    sites = (
        Site("a", 0, 0, 300, keep_with="campus", group="emc"),
        Site("b", 10, 0, 300, keep_with="campus", group="lease"),
        Site("c", 20, 0, 600, group="emc"),
    )
    res = solve_bundling(BundlingInstance(sites, same_group_only=True), num_workers=1)
    reasons = {u.id: u.reason for u in res.unbundled}
    assert set(reasons) == {"a", "b"}
    assert "different groups ('emc', 'lease')" in reasons["a"]
    locked = tuple(replace(s, locked_bundle="B-draft") if s.id == "a" else s for s in sites)
    res = solve_bundling(BundlingInstance(locked, same_group_only=True), num_workers=1)
    assert res.status == "infeasible"
    assert res.message is not None and "different groups" in res.message


def test_a_group_too_small_for_the_minimum_is_left_out_with_the_reason() -> None:
    sites = (
        Site("a", 0, 0, 400, group="x"),
        Site("b", 50, 0, 400, group="x"),
        Site("lone", 25, 0, 300, group="y"),
    )
    res = solve_bundling(BundlingInstance(sites, min_capacity_kw=600, same_group_only=True), num_workers=1)
    assert res.status == "optimal"
    (out,) = res.unbundled
    assert out.id == "lone" and "300 kWp, below min_capacity_kw 600" in out.reason


def test_values_not_in_whole_fen_are_never_loosened_and_not_claimed_proven_by_cp_sat() -> None:
    # a third of a yuan cannot be held in fen: CP-SAT rounds down, so its model is tighter than the rule
    sites = tuple(replace(s, value=s.value + 1 / 3) for s in valued_sites(7, 5))
    inst = BundlingInstance(sites, min_capacity_kw=200, max_capacity_kw=900, min_value=0.0)
    res = solve_bundling(inst, time_limit_s=5, num_workers=1)
    check_rules(inst, res)
    best = brute_force(inst)
    assert best is not None and res.bundled_kw == pytest.approx(best[0])
    assert res.cost_m == pytest.approx(best[1], abs=1e-3)
    assert res.bound_note is not None and "not whole fen" in res.bound_note


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"value": "1e6"}, "site 's': field 'value' must be a number"),
        ({"value": 1e12}, "site 's': value must be a finite number of CNY"),
        ({"value": float("nan")}, "site 's': value must be a finite number"),
        ({"group": 7}, "site 's': field 'group' must be a string or null"),
        ({"min_value": "zero"}, "field 'min_value' must be a number"),
        ({"min_value": float("inf")}, "min_value must be a finite number"),
        ({"same_group_only": "yes"}, "field 'same_group_only' must be true or false"),
    ],
)
def test_bad_values_and_groups_are_refused_naming_the_field(data: dict[str, object], message: str) -> None:
    site = {"id": "s", "x": 0, "y": 0, "capacity_kw": 10}
    top = {k: v for k, v in data.items() if k in ("min_value", "same_group_only")}
    site |= {k: v for k, v in data.items() if k not in top}
    with pytest.raises(InstanceError, match=message.replace("(", r"\(")):
        parse_instance({"sites": [site]} | top)


def test_absent_fields_keep_the_old_contract() -> None:
    inst = parse_instance({"sites": [{"id": "a", "x": 0, "y": 0, "capacity_kw": 1, "value": None}]})
    assert inst.sites[0].value == 0.0 and inst.sites[0].group is None
    assert inst.min_value is None and inst.same_group_only is False


def test_command_line_reads_the_new_fields(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = {
        "sites": [
            {"id": "roof", "x": 0, "y": 0, "capacity_kw": 300, "value": 500000, "group": "epc"},
            {"id": "facade", "x": 120, "y": 0, "capacity_kw": 250, "value": -200000, "group": "epc"},
            {"id": "other", "x": 60, "y": 0, "capacity_kw": 250, "value": 900000, "group": "emc"},
        ],
        "min_capacity_kw": 500,
        "min_value": 0,
        "same_group_only": True,
    }
    path = tmp_path / "inst.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    assert cli_main([str(path), "--workers", "1", "--time-limit", "5"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["status"] == "optimal"
    assert [sorted(b["sites"]) for b in out["bundles"]] == [["facade", "roof"]]
    assert [u["id"] for u in out["unbundled"]] == ["other"]


def valued_district(n: int, seed: int, **limits: object) -> BundlingInstance:
    """The district generator with values (a fifth negative, as facades and shaded walkways) and groups."""
    base = district(n, seed, **limits)
    rng = np.random.default_rng(seed + 100)
    value = np.round(rng.normal(1500.0, 1500.0, size=n) * np.array([s.capacity_kw for s in base.sites]))
    group = rng.choice(["epc", "emc"], size=n, p=[0.7, 0.3])
    sites = tuple(
        replace(s, value=float(v), group=str(g)) for s, v, g in zip(base.sites, value, group, strict=True)
    )
    return replace(base, sites=sites)


def test_every_heuristic_keeps_the_rules_on_a_district() -> None:
    inst = valued_district(120, 7, min_value=0.0, same_group_only=True)
    prep = prepare(inst)
    start = greedy(inst, prep, seed=0)
    assert start is not None and is_valid(inst, prep, start)
    steps = [
        local_search(inst, prep, start, time_limit_s=2.0),
        eliminate_bundles(inst, prep, start, deadline=float("inf")),
        ruin_recreate(inst, prep, start, deadline=float("inf"), max_iterations=60, seed=1),
    ]
    for out in steps:
        assert is_valid(inst, prep, out)
        for members in bundles_of(out).values():
            assert sum(prep.units[u].value for u in members) >= 0
            assert len({inst.sites[s].group for u in members for s in prep.units[u].members}) == 1


def test_a_large_instance_keeps_the_rules() -> None:
    # above 400 sites: candidate anchors, ruin and recreate, region search (a time-cut run: no replay)
    inst = valued_district(450, 3, min_value=0.0, same_group_only=True)
    res = solve_bundling(inst, time_limit_s=6, num_workers=1, seed=2)
    check_rules(inst, res)
    assert res.status in ("feasible", "optimal") and res.bundles


def test_one_worker_and_a_seed_reproduce_a_small_run() -> None:
    sites = valued_sites(8, 9, groups=2)
    inst = BundlingInstance(sites, min_capacity_kw=100, min_value=0.0, same_group_only=True)
    runs = [solve_bundling(inst, time_limit_s=5, num_workers=1, seed=3).to_dict() for _ in range(2)]
    for r in runs:
        r.pop("wall_s"), r.pop("first_feasible_s")
    assert runs[0] == runs[1]


def test_the_coarse_reach_of_large_instances_prunes_only_what_the_exact_one_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rng = np.random.default_rng(1)
    n = 1500
    xy, cap = rng.uniform(0, 6000, (n, 2)), rng.uniform(20, 800, n)
    value, gid = rng.normal(0, 1, n) * 1e5, rng.integers(0, 3, n)
    xy[0], value[0] = (-10_000.0, -10_000.0), -5.0  # alone, far from everyone: pruned by both
    args = (xy, cap, value, gid, np.ones(n, dtype=bool))
    limits = {"limit_m": 300.0, "min_value": 0.0, "min_capacity_kw": 1000.0}
    exact = bankable.prune(*args, **limits)  # type: ignore[arg-type]
    monkeypatch.setattr(bankable, "EXACT_REACH_UNITS", 0)
    coarse = bankable.prune(*args, **limits)  # type: ignore[arg-type]
    assert 0 in coarse and set(coarse) <= set(exact) and len(exact) > len(coarse)
