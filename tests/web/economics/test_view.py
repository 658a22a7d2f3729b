"""The economics view model and formatting on their own (issue #20): real cash flows from
:func:`pvhub.economics.cashflow.evaluate`, drawn and tabled as the pages show them."""

from __future__ import annotations

import math
from collections.abc import Iterator

import pytest

from pvhub.economics.assumptions import DEFAULTS
from pvhub.economics.cashflow import SystemInputs, compare, evaluate
from web import i18n
from web.economics import format as money
from web.economics.view import (
    cash_flow_chart,
    cash_flow_tables,
    comparison_rows,
    investing_party,
    party_figures,
)

ROOF = SystemInputs({"roof": 100.0}, 105_000.0, 560.0, 0.85, 0.85)


@pytest.fixture
def english() -> Iterator[None]:
    before = i18n.current_locale()
    i18n.set_locale("en")
    yield
    i18n.set_locale(before)


def test_the_chart_draws_every_partys_net_to_scale_around_zero() -> None:
    result = evaluate("emc", ROOF, DEFAULTS)
    chart = cash_flow_chart(result)
    years = DEFAULTS.lifetime_years + 1
    assert len(chart.bars) == 2 * years
    for bar in chart.bars:
        net = result.parties[bar.party].cash_flows[bar.year]["net_cny"]
        assert bar.value == net
        # a positive bar stands on the zero line, a negative one hangs from it
        if net > 0:
            assert bar.y + bar.height == pytest.approx(chart.zero_y, abs=0.15)
        elif net < 0:
            assert bar.y == pytest.approx(chart.zero_y, abs=0.15)
    investor = [b for b in chart.bars if b.party == "investor"]
    scale = investor[0].height / abs(investor[0].value)  # year 0: the investment
    assert investor[1].height == pytest.approx(abs(investor[1].value) * scale, abs=0.2)
    assert set(chart.cumulative) == {"owner", "investor"}
    assert len(chart.cumulative["investor"].split()) == years


def test_the_tables_keep_the_lines_that_are_not_zero_and_sum_them() -> None:
    tables = {t.party: t for t in cash_flow_tables(evaluate("lease", ROOF, DEFAULTS))}
    assert "rent_cny" in tables["owner"].lines and "pv_purchase_cny" not in tables["owner"].lines
    assert (
        "investment_cny" in tables["investor"].lines
        and "avoided_purchase_cny" not in tables["investor"].lines
    )
    rows = tables["investor"].rows
    assert rows[-1]["cumulative_cny"] == pytest.approx(sum(r["net_cny"] for r in rows))


def test_who_invests_and_why_a_payback_is_missing() -> None:
    rows = comparison_rows(compare(ROOF, DEFAULTS))
    assert [r.model for r in rows] == ["epc", "emc", "lease"]
    assert rows[0].investor is None and rows[0].owner.payback_years is not None
    # in EMC and lease the owner puts nothing in: nothing to pay back
    assert rows[1].owner.payback_missing == "nothing_invested"
    assert investing_party(evaluate("lease", ROOF, DEFAULTS)).key == "investor"
    # a facade at a price that never pays back
    dear = SystemInputs({"curtain_wall": 100.0}, 30_000.0, 560.0, 0.85, 0.85)
    owner = party_figures(evaluate("epc", dear, DEFAULTS))[0]
    assert owner.payback_years is None and owner.payback_missing == "never"


def test_money_shares_and_years_read_in_both_languages(english: None) -> None:
    assert money.cny(1_234_567.4) == "CNY 1,234,567"
    assert money.cny(-350_504.0) == "−CNY 350,504"
    assert money.share(0.1149) == "11.5 %"
    assert money.years(7.34) == "7.3 years"
    assert money.cny(None) == money.years(None) == money.share(math.nan) == "—"
    i18n.set_locale("zh_CN")
    assert money.cny(1_234_567.4) == "123.5 万元"
    assert money.cny(9_800.0) == "9,800 元"
    assert money.years(7.34) == "7.3 年"
    assert money.cny_per_kwh(0.4155) == "0.4155 元/kWh"
    assert money.cny_per_kwh(0.85) == "0.85 元/kWh"
