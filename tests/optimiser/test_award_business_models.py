"""Award optimiser: lots in a business model (issue #20). EPC bids carry a price per Wp (the ceiling and
the price tie-break apply to them); EMC and lease bids may omit it and carry ``terms``, echoed in the
award, whose discount or rent breaks ties between equal scores."""

from __future__ import annotations

from typing import Any

import pytest

from optimiser.award import AwardResult, InstanceError, parse_instance, solve_award


def solve(data: dict[str, Any]) -> AwardResult:
    return solve_award(parse_instance(data), time_limit_s=10, seed=0, num_workers=1)


def emc_bid(bid: str, supplier: str, discount: float, score: float, lot: str = "E") -> dict[str, Any]:
    terms = {"discount_pct": discount, "term_years": 20}
    return {"id": bid, "lot": lot, "supplier": supplier, "score": score, "terms": terms}


SUPPLIERS = [{"id": "S", "capacity_kw": None}, {"id": "T", "capacity_kw": None}]


def test_an_emc_lot_awards_by_score_and_echoes_the_winners_terms() -> None:
    res = solve(
        {
            "lots": [{"id": "E", "capacity_kw": 800, "business_model": "emc"}],
            "suppliers": SUPPLIERS,
            "bids": [emc_bid("s", "S", 12.0, 70.0), emc_bid("t", "T", 9.0, 85.0)],
            "share_cap": 1,
        }
    )
    assert res.status == "optimal"
    (award,) = res.awards
    assert (award.bid, award.business_model, award.price_cny_per_w) == ("t", "emc", None)
    assert award.terms == {"discount_pct": 9.0, "term_years": 20}
    assert res.to_dict()["awards"][0]["terms"] == {"discount_pct": 9.0, "term_years": 20}


def test_equal_scores_on_emc_and_lease_lots_go_to_the_better_terms_and_on_epc_lots_to_the_lower_price() -> (
    None
):
    res = solve(
        {
            "lots": [
                {"id": "P", "capacity_kw": 500},
                {"id": "E", "capacity_kw": 500, "business_model": "emc"},
                {"id": "L", "capacity_kw": 500, "business_model": "lease"},
            ],
            "suppliers": SUPPLIERS,
            "bids": [
                {"id": "p1", "lot": "P", "supplier": "S", "price_cny_per_w": 3.2, "score": 80},
                {"id": "p2", "lot": "P", "supplier": "T", "price_cny_per_w": 3.1, "score": 80},
                emc_bid("e1", "S", 15.0, 80),
                emc_bid("e2", "T", 10.0, 80),
                {"id": "l1", "lot": "L", "supplier": "S", "score": 80, "terms": {"rent_cny_per_m2_year": 6}},
                {"id": "l2", "lot": "L", "supplier": "T", "score": 80, "terms": {"rent_cny_per_m2_year": 8}},
            ],
            "share_cap": 1,
        }
    )
    assert {a.lot: a.bid for a in res.awards} == {"P": "p2", "E": "e1", "L": "l2"}
    assert res.status == "optimal"


def test_the_ceiling_applies_to_epc_lots_only() -> None:
    res = solve(
        {
            "lots": [
                {"id": "P", "capacity_kw": 500},
                {"id": "E", "capacity_kw": 500, "business_model": "emc"},
            ],
            "suppliers": SUPPLIERS,
            "bids": [
                {"id": "p", "lot": "P", "supplier": "S", "price_cny_per_w": 4.5, "score": 90},
                {**emc_bid("e", "T", 11.0, 90), "price_cny_per_w": 4.5},
            ],
            "ceiling_cny_per_w": 4.0,
            "share_cap": 1,
        }
    )
    assert [r.bid for r in res.rejected_bids] == ["p"]
    assert {a.lot: a.bid for a in res.awards} == {"E": "e"}
    assert res.unawarded[0].code == "no_valid_bids"


@pytest.mark.parametrize(
    ("lot", "bid", "message"),
    [
        (
            {"id": "P", "capacity_kw": 500},
            {"id": "b", "lot": "P", "supplier": "S", "score": 80},
            "bid 'b': missing field 'price_cny_per_w' (lot 'P' is epc)",
        ),
        (
            {"id": "E", "capacity_kw": 500, "business_model": "ppa"},
            {"id": "b", "lot": "E", "supplier": "S", "score": 80},
            "lot 'E': field 'business_model' must be one of epc, emc, lease, got 'ppa'",
        ),
        (
            {"id": "E", "capacity_kw": 500, "business_model": "emc"},
            emc_bid("b", "S", 120.0, 80),
            "bid 'b': terms.discount_pct must be a finite number > 0 and < 100 (lot 'E' is emc), got 120.0",
        ),
        (
            {"id": "L", "capacity_kw": 500, "business_model": "lease"},
            {"id": "b", "lot": "L", "supplier": "S", "score": 80, "terms": {"rent_cny_per_m2_year": "8"}},
            "bid 'b': terms.rent_cny_per_m2_year must be a finite number > 0",
        ),
        (
            {"id": "L", "capacity_kw": 500, "business_model": "lease"},
            {"id": "b", "lot": "L", "supplier": "S", "score": 80, "terms": "rent 8"},
            "bid 'b': field 'terms' must be an object or null",
        ),
    ],
)
def test_bad_business_model_fields_are_refused_naming_the_element(
    lot: dict[str, Any], bid: dict[str, Any], message: str
) -> None:
    with pytest.raises(InstanceError) as exc:
        parse_instance({"lots": [lot], "suppliers": SUPPLIERS, "bids": [bid]})
    assert message in str(exc.value)


def test_a_lot_without_a_business_model_is_epc_as_before() -> None:
    inst = parse_instance(
        {
            "lots": [{"id": "P", "capacity_kw": 500, "business_model": None}],
            "suppliers": SUPPLIERS,
            "bids": [{"id": "b", "lot": "P", "supplier": "S", "price_cny_per_w": 3.0, "score": 80}],
        }
    )
    assert inst.lots[0].business_model == "epc"
    assert solve_award(inst, time_limit_s=5, num_workers=1).awards[0].business_model == "epc"
