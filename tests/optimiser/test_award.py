"""Award optimiser: every rule holds, small optima match brute force, the cap yields only where it must."""

from __future__ import annotations

import itertools
import math
import random
from typing import Any

import pytest

from optimiser.award import AwardInstance, AwardResult, parse_instance, solve_award


def instance(
    lots: dict[str, float],
    suppliers: dict[str, float | None],
    bids: list[tuple[str, str, str, float, float]],
    **rules: Any,
) -> AwardInstance:
    """An instance from ``{lot: kWp}``, ``{supplier: kWp}`` and ``(bid, lot, supplier, CNY/W, score)``."""
    return parse_instance(
        {
            "lots": [{"id": k, "capacity_kw": v} for k, v in lots.items()],
            "suppliers": [{"id": k, "capacity_kw": v} for k, v in suppliers.items()],
            "bids": [
                {"id": b, "lot": lot, "supplier": s, "price_cny_per_w": p, "score": sc}
                for b, lot, s, p, sc in bids
            ],
            **rules,
        }
    )


def solve(inst: AwardInstance) -> AwardResult:
    res = solve_award(inst, time_limit_s=10, seed=0, num_workers=1)
    check_rules(inst, res)
    return res


def winners(res: AwardResult) -> dict[str, str]:
    return {a.lot: a.bid for a in res.awards}


def check_rules(inst: AwardInstance, res: AwardResult) -> None:
    """Assert that the result obeys every rule of the instance and that its figures add up."""
    assert res.status in {"optimal", "feasible"}
    bids = {b.id: b for b in inst.bids}
    lot_kw = {lot.id: lot.capacity_kw for lot in inst.lots}
    rejected = {r.bid for r in res.rejected_bids}
    assert rejected == {b.id for b in inst.bids if b.id in inst.excluded_bids or inst.above_ceiling(b)}
    lots = [a.lot for a in res.awards]
    assert len(lots) == len(set(lots))  # one winner per lot
    assert sorted(lots + [u.lot for u in res.unawarded]) == sorted(lot_kw)
    load: dict[str, float] = {}
    for a in res.awards:
        bid = bids[a.bid]
        assert (bid.lot, bid.supplier, bid.score) == (a.lot, a.supplier, a.score)
        assert a.bid not in rejected
        assert a.kw == lot_kw[a.lot]
        load[a.supplier] = load.get(a.supplier, 0.0) + a.kw
    for lot, bid in inst.fixed_awards.items():
        assert (winners(res).get(lot)) == bid
    cap = inst.share_cap * inst.total_kw
    for sup in inst.suppliers:
        awarded = load.get(sup.id, 0.0)
        if sup.capacity_kw is not None:
            assert awarded <= sup.capacity_kw + 1e-6
        row = next(s for s in res.suppliers if s.id == sup.id)
        assert row.awarded_kw == pytest.approx(awarded)
        assert row.over_cap_kw == pytest.approx(max(0.0, awarded - cap), abs=1e-3)
        relaxed = sum(a.kw for a in res.awards if a.supplier == sup.id and a.cap_relaxed)
        assert awarded - relaxed <= cap + 1e-3  # only the lots the cap is relaxed for exceed it
        if row.over_cap_kw == 0:
            assert relaxed == 0
    assert res.total_score == pytest.approx(sum(a.score for a in res.awards))
    assert res.awarded_kw == pytest.approx(sum(load.values()))


def brute_force(inst: AwardInstance, *, share_cap_hard: bool = False) -> tuple[int, int, int, int] | None:
    """Best (kWp, -excess, score, -price) over every award, in Wp, centi-points and CNY (integer kWp)."""
    lot_w = {lot.id: round(lot.capacity_kw * 1000) for lot in inst.lots}
    cap_w = math.floor(inst.share_cap * sum(lot_w.values()) + 1e-6)
    options = []
    for lot in inst.lots:
        valid = [
            b
            for b in inst.bids
            if b.lot == lot.id and b.id not in inst.excluded_bids and not inst.above_ceiling(b)
        ]
        if lot.id in inst.fixed_awards:
            valid = [b for b in valid if b.id == inst.fixed_awards[lot.id]]
        options.append(([] if lot.id in inst.fixed_awards else [None]) + valid)
    best = None
    for choice in itertools.product(*options):
        load: dict[str, int] = {}
        for b in choice:
            if b is not None:
                load[b.supplier] = load.get(b.supplier, 0) + lot_w[b.lot]
        if any(
            s.capacity_kw is not None and load.get(s.id, 0) > round(s.capacity_kw * 1000)
            for s in inst.suppliers
        ):
            continue
        excess = sum(max(0, w - cap_w) for w in load.values())
        if share_cap_hard and excess:
            continue
        chosen = [b for b in choice if b is not None]
        key = (
            sum(load.values()),
            -excess,
            sum(round(b.score * 100) for b in chosen),
            -sum(round(b.price_cny_per_w * lot_w[b.lot]) for b in chosen),
        )
        best = key if best is None or key > best else best
    return best


def key_of(inst: AwardInstance, res: AwardResult) -> tuple[int, int, int, int]:
    bids = {b.id: b for b in inst.bids}
    over = sum(round(s.over_cap_kw * 1000) for s in res.suppliers)
    return (
        round(res.awarded_kw * 1000),
        -over,
        sum(round(a.score * 100) for a in res.awards),
        -sum(round(bids[a.bid].price_cny_per_w * a.kw * 1000) for a in res.awards),
    )


def random_instance(seed: int) -> AwardInstance:
    rng = random.Random(seed)
    lots = {f"L{i}": float(rng.choice([200, 500, 800, 1000, 1500])) for i in range(rng.randint(1, 5))}
    suppliers: dict[str, float | None] = {
        f"S{j}": rng.choice([None, 500.0, 1000.0, 1500.0, 2500.0, 5000.0]) for j in range(rng.randint(1, 4))
    }
    bids = []
    for lot in lots:
        for sup in suppliers:
            if rng.random() < 0.65:
                price = rng.randint(250, 400) / 100
                bids.append((f"b{len(bids)}", lot, sup, price, rng.randint(3000, 10000) / 100))
    rules: dict[str, Any] = {
        "share_cap": rng.choice([0.25, 0.4, 0.4, 0.6, 1.0]),
        "ceiling_cny_per_w": rng.choice([None, 3.6, 3.9]),
    }
    if bids and rng.random() < 0.3:
        rules["excluded_bids"] = [rng.choice(bids)[0]]
    inst = instance(lots, suppliers, bids, **rules)
    fixable = [b for b in inst.bids if b.id not in inst.excluded_bids and not inst.above_ceiling(b)]
    fixable = [b for b in fixable if (suppliers[b.supplier] or math.inf) >= lots[b.lot]]
    if fixable and rng.random() < 0.25:
        bid = rng.choice(fixable)
        inst = instance(lots, suppliers, bids, **rules, fixed_awards={bid.lot: bid.id})
    return inst


@pytest.mark.parametrize("seed", range(80))
def test_small_random_tenders_match_brute_force(seed: int) -> None:
    inst = random_instance(seed)
    res = solve(inst)
    assert res.status == "optimal"
    assert key_of(inst, res) == brute_force(inst)
    # the cap yields only where it would cost awarded kWp (or a fixed award alone breaks it)
    within_cap = brute_force(inst, share_cap_hard=True)
    if within_cap is not None and within_cap[0] == res.awarded_kw * 1000:
        assert not any(a.cap_relaxed for a in res.awards)
        assert all(s.over_cap_kw == 0 for s in res.suppliers)
        assert res.message is None
    else:
        assert any(a.cap_relaxed for a in res.awards)


def test_best_score_wins_each_lot_when_no_limit_binds() -> None:
    inst = instance(
        {"A": 500, "B": 500, "C": 500},
        {"S": None, "T": None, "U": None},
        [
            ("a1", "A", "S", 3.0, 90),
            ("a2", "A", "T", 2.9, 80),
            ("b1", "B", "T", 3.0, 85),
            ("b2", "B", "U", 3.0, 70),
            ("c1", "C", "U", 3.0, 60),
            ("c2", "C", "S", 3.0, 55),
        ],
    )
    res = solve(inst)
    assert res.status == "optimal" and winners(res) == {"A": "a1", "B": "b1", "C": "c1"}
    assert res.total_score == 235 and res.awarded_kw == 1500 and res.unawarded == []


def test_share_cap_spreads_lots_without_relaxing_when_others_can_take_them() -> None:
    # S scores best everywhere, but 40% of 1,500 kWp is 600: S may hold only one 500 kWp lot
    inst = instance(
        {"A": 500, "B": 500, "C": 500},
        {"S": None, "T": None, "U": None},
        [
            ("a1", "A", "S", 3, 95),
            ("a2", "A", "T", 3, 70),
            ("b1", "B", "S", 3, 90),
            ("b2", "B", "T", 3, 80),
            ("c1", "C", "U", 3, 60),
        ],
    )
    res = solve(inst)
    assert winners(res) == {"A": "a1", "B": "b2", "C": "c1"}  # 95 + 80 beats 70 + 90
    assert not any(a.cap_relaxed for a in res.awards) and res.message is None


def test_a_single_lot_tender_relaxes_the_cap_for_its_lot_and_says_so() -> None:
    inst = instance({"A": 1200}, {"S": 5000, "T": 5000}, [("s", "A", "S", 3.1, 88), ("t", "A", "T", 3.0, 91)])
    res = solve(inst)
    [award] = res.awards
    assert award.bid == "t" and award.cap_relaxed
    t = next(s for s in res.suppliers if s.id == "T")
    assert t.cap_kw == pytest.approx(480) and t.over_cap_kw == pytest.approx(720)
    assert res.message is not None and "relaxed for lot(s) 'A'" in res.message


def test_the_cap_is_relaxed_by_as_little_as_possible() -> None:
    # A is 70% of the tender: whoever wins it exceeds the cap. S would take both lots (100%), so A goes to T
    # (70%) and B, which only S bids for, to S (30%).
    inst = instance(
        {"A": 700, "B": 300},
        {"S": None, "T": None},
        [("a_s", "A", "S", 3.0, 90), ("a_t", "A", "T", 3.0, 80), ("b_s", "B", "S", 3.0, 85)],
    )
    res = solve(inst)
    assert winners(res) == {"A": "a_t", "B": "b_s"}
    assert [a.lot for a in res.awards if a.cap_relaxed] == ["A"]
    assert sum(s.over_cap_kw for s in res.suppliers) == pytest.approx(300)


def test_relaxed_lots_are_the_fewest_that_cover_the_excess() -> None:
    # only S bids: it wins all three lots (1,000 kWp), 600 kWp above the 400 kWp cap; its largest lots
    # (500 and 300 kWp) cover that excess, the 200 kWp one stays within the cap
    inst = instance(
        {"A": 200, "B": 500, "C": 300},
        {"S": None},
        [("a", "A", "S", 3, 80), ("b", "B", "S", 3, 80), ("c", "C", "S", 3, 80)],
    )
    res = solve(inst)
    assert len(res.awards) == 3
    assert {a.lot for a in res.awards if a.cap_relaxed} == {"B", "C"}


def test_capacity_is_never_exceeded_and_the_lot_says_why() -> None:
    inst = instance(
        {"A": 800, "B": 600},
        {"S": 1000, "T": 500},
        [("a", "A", "S", 3, 90), ("b_s", "B", "S", 3, 95), ("b_t", "B", "T", 3, 99)],
        share_cap=1.0,
    )
    res = solve(inst)
    # S can take one lot; A (800 kWp) to S gives more kWp than B; T's 500 kWp is too small for B
    assert winners(res) == {"A": "a"}
    [lot] = res.unawarded
    assert lot.lot == "B" and lot.code == "capacity"
    assert "'S' 200 of 1000 kWp free" in lot.reason and "'T' 500 of 500 kWp free" in lot.reason


def test_most_kwp_comes_before_score() -> None:
    # S (1,000 kWp a year) scores higher on the small lot, but the large lot gives the programme more kWp
    inst = instance(
        {"small": 400, "large": 1000},
        {"S": 1000},
        [("s", "small", "S", 3, 99), ("l", "large", "S", 3, 50)],
        share_cap=1.0,
    )
    assert winners(solve(inst)) == {"large": "l"}


def test_bids_above_the_ceiling_never_win_and_say_so() -> None:
    inst = instance(
        {"A": 500, "B": 500},
        {"S": None, "T": None},
        [("a_s", "A", "S", 3.8, 99), ("a_t", "A", "T", 3.4, 60), ("b_s", "B", "S", 3.7, 95)],
        ceiling_cny_per_w=3.5,
        share_cap=1.0,
    )
    res = solve(inst)
    assert winners(res) == {"A": "a_t"}
    assert {(r.bid, r.code) for r in res.rejected_bids} == {
        ("a_s", "above_ceiling"),
        ("b_s", "above_ceiling"),
    }
    assert "3.8 CNY/W is above the ceiling of 3.5 CNY/W" in next(
        r.reason for r in res.rejected_bids if r.bid == "a_s"
    )
    [lot] = res.unawarded
    assert (lot.lot, lot.code) == ("B", "no_valid_bids") and "1 above the ceiling" in lot.reason


def test_a_price_at_the_ceiling_derived_from_a_total_is_valid() -> None:
    price = 1_750_000.0 / (500.0 * 1000) * (1 + 1e-15)  # 3.5 CNY/W with rounding noise
    inst = instance({"A": 500}, {"S": None}, [("a", "A", "S", price, 70)], ceiling_cny_per_w=3.5)
    assert winners(solve(inst)) == {"A": "a"}


def test_lots_without_bids_and_tenders_without_lots() -> None:
    res = solve(instance({"A": 500, "B": 300}, {"S": 100}, [("b", "B", "S", 3, 80)]))
    assert res.status == "optimal" and res.awards == []
    assert {(u.lot, u.code) for u in res.unawarded} == {("A", "no_bids"), ("B", "capacity")}
    empty = solve(instance({}, {}, []))
    assert empty.status == "optimal" and empty.total_score == 0 and empty.unawarded == []


def test_all_bids_excluded_or_above_the_ceiling() -> None:
    inst = instance(
        {"A": 500},
        {"S": None, "T": None},
        [("s", "A", "S", 3.0, 90), ("t", "A", "T", 4.0, 80)],
        ceiling_cny_per_w=3.5,
        excluded_bids={"s": "withdrawn"},
    )
    res = solve(inst)
    assert res.awards == [] and res.unawarded[0].code == "no_valid_bids"
    assert "1 above the ceiling of 3.5 CNY/W, 1 excluded" in res.unawarded[0].reason
    assert {(r.bid, r.code, r.reason) for r in res.rejected_bids} == {
        ("s", "excluded", "withdrawn"),
        ("t", "above_ceiling", "price 4 CNY/W is above the ceiling of 3.5 CNY/W"),
    }


def test_a_winner_who_declines_passes_the_lot_to_the_next_best_feasible_bid() -> None:
    lots = {"A": 500, "B": 500, "C": 500}
    suppliers: dict[str, float | None] = {"S": 1000, "T": 1000, "U": 500}
    bids = [
        ("a_s", "A", "S", 3, 95),
        ("a_t", "A", "T", 3, 90),
        ("a_u", "A", "U", 3, 85),
        ("b_t", "B", "T", 3, 90),
        ("b_u", "B", "U", 3, 50),
        ("c_u", "C", "U", 3, 80),
        ("c_s", "C", "S", 3, 40),
    ]
    first = solve(instance(lots, suppliers, bids, share_cap=1.0))
    assert winners(first) == {"A": "a_s", "B": "b_t", "C": "c_u"}
    # S declines lot A: re-run with its bid excluded and the other awards fixed
    again = solve(
        instance(
            lots,
            suppliers,
            bids,
            share_cap=1.0,
            excluded_bids={"a_s": "declined by the supplier"},
            fixed_awards={"B": "b_t", "C": "c_u"},
        )
    )
    # U (85) is at capacity with C, so A goes to T (90, room for 500 kWp more)
    assert winners(again) == {"A": "a_t", "B": "b_t", "C": "c_u"}
    assert [a.fixed for a in again.awards] == [False, True, True]
    assert next(r for r in again.rejected_bids if r.bid == "a_s").reason == "declined by the supplier"


def test_a_lot_fixed_to_null_stays_unawarded() -> None:
    inst = instance(
        {"A": 500, "B": 500},
        {"S": None},
        [("a", "A", "S", 3, 90), ("b", "B", "S", 3, 90)],
        share_cap=1.0,
        fixed_awards={"B": None},
    )
    res = solve(inst)
    assert winners(res) == {"A": "a"}
    assert [(u.lot, u.code) for u in res.unawarded] == [("B", "kept_unawarded")]


def test_fixed_awards_above_a_suppliers_capacity_are_infeasible_and_named() -> None:
    inst = instance(
        {"A": 500, "B": 500},
        {"S": 800},
        [("a", "A", "S", 3, 90), ("b", "B", "S", 3, 90)],
        fixed_awards={"A": "a", "B": "b"},
    )
    res = solve_award(inst, time_limit_s=5, num_workers=1)
    assert res.status == "infeasible" and res.awards == []
    assert res.message is not None and "supplier 'S'" in res.message and "capacity of 800 kWp" in res.message


def test_equal_scores_go_to_the_lower_price() -> None:
    inst = instance({"A": 500}, {"S": None, "T": None}, [("s", "A", "S", 3.2, 80), ("t", "A", "T", 3.1, 80)])
    assert winners(solve(inst)) == {"A": "t"}


def test_one_worker_and_a_fixed_seed_reproduce_the_result() -> None:
    rng = random.Random(7)
    lots = {f"L{i}": float(rng.randint(3, 20) * 100) for i in range(25)}
    suppliers: dict[str, float | None] = {f"S{j}": float(rng.randint(10, 60) * 100) for j in range(10)}
    bids = [
        (f"b{k}", lot, sup, rng.randint(280, 380) / 100, rng.randint(5000, 9000) / 100)
        for k, (lot, sup) in enumerate(itertools.product(lots, suppliers))
        if rng.random() < 0.5
    ]
    inst = instance(lots, suppliers, bids, ceiling_cny_per_w=3.6)
    runs = [solve_award(inst, time_limit_s=10, seed=3, num_workers=1) for _ in range(2)]
    assert runs[0].status == "optimal"
    check_rules(inst, runs[0])
    first, second = (r.to_dict() for r in runs)
    first.pop("wall_s"), second.pop("wall_s")
    assert first == second


def test_to_dict_holds_the_contracts_keys() -> None:
    res = solve(instance({"A": 500}, {"S": None}, [("a", "A", "S", 3, 90)], tender="T-2025-01"))
    data = res.to_dict()
    assert set(data) == {
        "status",
        "total_score",
        "awarded_kw",
        "total_kw",
        "share_cap",
        "awards",
        "unawarded",
        "rejected_bids",
        "suppliers",
        "wall_s",
        "message",
        "tender",
    }
    assert data["tender"] == "T-2025-01"
    assert set(data["awards"][0]) == {
        "lot",
        "bid",
        "supplier",
        "score",
        "kw",
        "price_cny_per_w",
        "cap_relaxed",
        "fixed",
        "business_model",
        "terms",
    }
    assert set(data["suppliers"][0]) == {"id", "awarded_kw", "capacity_kw", "cap_kw", "over_cap_kw"}
