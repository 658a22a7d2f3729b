"""The cash flows of each business model against a case worked by hand, to the yuan.

The case: 10 kWp of roof at 1,000 CNY/kWp (10,000 CNY), 12,000 kWh in year 1 degrading 10 % a year,
three years of life, a 10 % discount rate; the owner pays 1.0 CNY/kWh and uses half the energy, the
surplus sells at 0.4; O&M 100 CNY a year, a 500 CNY inverter in year 2, 0.1 CNY/kWh subsidy in year 1.
Energy: 12,000, 10,800, 9,720 kWh; discounted: 10,909.09 + 8,925.62 + 7,302.78 = 27,137.49 kWh.
"""

from __future__ import annotations

import numpy as np
import numpy_financial as npf
import pytest

from pvhub.economics.assumptions import DEFAULTS, EconomicAssumptions
from pvhub.economics.cashflow import (
    LINES,
    SystemInputs,
    Terms,
    combine,
    compare,
    epc_batch,
    evaluate,
    owner_first_year_batch,
)

A = EconomicAssumptions(
    investment_cny_per_kwp={"roof": 1000.0, "curtain_wall": 4000.0, "corridor": 2000.0, "walkway": 2000.0},
    om_cny_per_kwp_year=10.0,
    inverter_replacement_cny_per_kwp=50.0,
    inverter_replacement_year=2,
    degradation_per_year=0.1,
    lifetime_years=3,
    discount_rate=0.1,
    export_price_cny_per_kwh=0.4,
    subsidy_cny_per_kwh=0.1,
    subsidy_years=1,
    emc_discount=0.2,
    emc_term_years=2,
    lease_rent_cny_per_m2_year=2.0,
    lease_term_years=2,
)
ROOF = SystemInputs(
    {"roof": 10.0}, annual_kwh=12_000.0, usable_area_m2=50.0, tariff_cny_per_kwh=1.0, self_use_share=0.5
)


def _nets(party) -> list[float]:  # type: ignore[no-untyped-def]
    return [round(row["net_cny"], 6) for row in party.cash_flows]


def test_epc_the_owner_invests_and_keeps_what_the_system_gives() -> None:
    e = evaluate("epc", ROOF, A)
    owner = e.parties["owner"]
    assert set(e.parties) == {"owner"}
    # year 1: 6,000 avoided + 2,400 surplus + 1,200 subsidy − 100 O&M; year 2: 5,400 + 2,160 − 100 − 500;
    # year 3: 4,860 + 1,944 − 100
    assert _nets(owner) == [-10_000, 9_500, 6_960, 6_704]
    assert owner.npv_cny == pytest.approx(9_425.24, abs=0.01)
    assert owner.irr == pytest.approx(0.629566, abs=1e-6)
    assert owner.payback_years == pytest.approx(1 + 500 / 6_960)
    # (10,000 + 100/1.1 + 600/1.21 + 100/1.331) / 27,137.49
    assert e.lcoe_cny_per_kwh == pytest.approx(10_661.9084 / 27_137.4906, abs=1e-6)
    assert e.investment_cny == 10_000 and e.annual_kwh == 12_000
    assert e.value_cny == owner.npv_cny


def test_emc_the_investor_sells_at_a_discount_and_hands_the_system_over_after_the_term() -> None:
    e = evaluate("emc", ROOF, A)
    investor, owner = e.parties["investor"], e.parties["owner"]
    # investor: 4,800 PV sales (6,000 × 0.8) + 2,400 surplus + 1,200 subsidy − 100; then 4,320 + 2,160 − 600
    assert _nets(investor) == [-10_000, 8_300, 5_880, 0]
    assert investor.npv_cny == pytest.approx(2_404.96, abs=0.01)
    assert investor.irr == pytest.approx(0.286909, abs=1e-6)
    assert investor.payback_years == pytest.approx(1 + 1_700 / 5_880)
    # owner: 20 % of 6,000 and of 5,400, then the system is its own in year 3
    assert _nets(owner) == [0, 1_200, 1_080, 6_704]
    assert owner.npv_cny == pytest.approx(7_020.29, abs=0.01)
    assert owner.irr is None and owner.payback_years is None and owner.investment_cny == 0
    assert owner.cash_flows[1]["pv_purchase_cny"] == pytest.approx(-4_800)
    assert e.lcoe_cny_per_kwh == pytest.approx(evaluate("epc", ROOF, A).lcoe_cny_per_kwh)
    assert e.value_cny == investor.npv_cny


def test_lease_the_investor_pays_rent_and_sells_everything_to_the_grid() -> None:
    e = evaluate("lease", ROOF, A)
    investor, owner = e.parties["investor"], e.parties["owner"]
    # 12,000 × 0.4 + 1,200 − 100 − 100 rent (50 m² × 2); then 4,320 − 100 − 500 − 100
    assert _nets(investor) == [-10_000, 5_800, 3_620, 0]
    assert investor.npv_cny == pytest.approx(-1_735.54, abs=0.01)
    assert investor.irr == pytest.approx(-0.042093, abs=1e-6)
    assert investor.payback_years is None  # never paid back
    assert _nets(owner) == [0, 100, 100, 6_704]
    # rent is a cost of the system: (10,000 + 200/1.1 + 700/1.21 + 100/1.331) / 27,137.49
    assert e.lcoe_cny_per_kwh == pytest.approx(10_835.4621 / 27_137.4906, abs=1e-6)


def test_a_bids_terms_replace_the_default_terms() -> None:
    richer = evaluate(
        "emc",
        ROOF,
        A,
        Terms(emc_discount=0.5, emc_term_years=3, lease_rent_cny_per_m2_year=0, lease_term_years=1),
    )
    assert _nets(richer.parties["owner"]) == [0, 3_000, 2_700, 2_430]
    assert richer.assumptions["terms"]["emc_discount"] == 0.5


def test_every_row_has_every_line_and_the_net_is_their_sum() -> None:
    for e in compare(ROOF, DEFAULTS).values():
        for party in e.parties.values():
            rows = party.cash_flows
            assert len(rows) == DEFAULTS.lifetime_years + 1 and rows[0]["year"] == 0
            for row in rows:
                assert row["net_cny"] == pytest.approx(sum(row[name] for name in LINES))
            nets = [row["net_cny"] for row in rows]
            assert party.npv_cny == pytest.approx(float(npf.npv(DEFAULTS.discount_rate, nets)))


def test_combining_sites_sums_the_flows_and_recomputes_the_figures() -> None:
    wall = SystemInputs({"curtain_wall": 5.0}, 3_000.0, 40.0, 0.8, 0.9)
    both = combine([evaluate("emc", ROOF, A), evaluate("emc", wall, A)])
    assert both.investment_cny == 10_000 + 20_000
    alone = evaluate("emc", wall, A).parties["investor"]
    expected = [
        a + b for a, b in zip(_nets(evaluate("emc", ROOF, A).parties["investor"]), _nets(alone), strict=True)
    ]
    assert _nets(both.parties["investor"]) == pytest.approx(expected)
    assert both.inputs is None and both.capacity_kwp == 15
    with pytest.raises(ValueError, match="different business models"):
        combine([evaluate("emc", ROOF, A), evaluate("epc", wall, A)])


def test_the_vectorised_epc_payback_equals_the_cash_flow_model() -> None:
    rng = np.random.default_rng(3)
    kwp = rng.uniform(5, 500, 60)
    kwh = kwp * rng.uniform(300, 1_300, 60)
    tariff = rng.choice([0.617, 0.78, 0.85], 60)
    share = rng.uniform(0.3, 1.0, 60)
    invest = kwp * DEFAULTS.investment_cny_per_kwp["roof"]
    investment, payback = epc_batch(kwp, kwh, invest, tariff, share, DEFAULTS)
    for i in range(60):
        e = evaluate("epc", SystemInputs({"roof": kwp[i]}, kwh[i], 0.0, tariff[i], share[i]), DEFAULTS)
        expected = e.parties["owner"].payback_years
        assert investment[i] == pytest.approx(e.investment_cny)
        assert (np.isnan(payback[i]) and expected is None) or payback[i] == pytest.approx(expected)
    assert np.isnan(payback).any() and not np.isnan(payback).all()  # the range covers both cases


def test_an_unknown_model_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown business model 'ppa'"):
        evaluate("ppa", ROOF, A)


@pytest.mark.parametrize("assumptions", [DEFAULTS, A], ids=["defaults", "hand-worked"])
def test_the_owners_first_year_in_closed_form_equals_the_cash_flows(assumptions: EconomicAssumptions) -> None:
    rng = np.random.default_rng(5)
    n = 90
    models = np.array(["epc", "emc", "lease"] * (n // 3))
    kwp, area = rng.uniform(5, 500, n), rng.uniform(20, 3_000, n)
    kwh, tariff, share = kwp * rng.uniform(300, 1_300, n), rng.uniform(0.5, 1.2, n), rng.uniform(0.2, 1.0, n)
    batch = owner_first_year_batch(models, kwp, kwh, area, tariff, share, assumptions)
    for i in range(n):
        inputs = SystemInputs({"roof": kwp[i]}, kwh[i], area[i], tariff[i], share[i])
        expected = evaluate(str(models[i]), inputs, assumptions).parties["owner"].first_year_net_cny
        assert batch[i] == pytest.approx(expected)
