"""An :class:`~pvhub.economics.cashflow.Economics` as the surface and site pages show it: the figures of
each party, the three business models side by side, the yearly cash flow as a chart and as a table.

The chart is drawn on the server as SVG (the CSP allows no inline script; see :mod:`web.charts`):
a bar per party and year for the year's net cash flow, and a line per party for the cumulative sum,
whose crossing of zero is the simple payback. The numbers come straight from the cash flows, so the
chart, the table and the API say the same.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pvhub.core.errors import N_, InvalidInput
from pvhub.economics.cashflow import LINES, Economics, Party
from pvhub.register.enums import BusinessModel

MODELS = tuple(m.value for m in BusinessModel)
#: The parties in the order the pages list them: who invests comes first where there is an investor.
PARTY_ORDER = ("investor", "owner")
#: The words the panel shows through ``_("party." ~ key)`` and ``_("line." ~ name)``, marked for Babel.
WORDS = (
    N_("party.owner"),
    N_("party.investor"),
    N_("line.investment_cny"),
    N_("line.avoided_purchase_cny"),
    N_("line.pv_purchase_cny"),
    N_("line.pv_sales_cny"),
    N_("line.grid_sales_cny"),
    N_("line.subsidy_cny"),
    N_("line.rent_cny"),
    N_("line.om_cny"),
    N_("line.inverter_cny"),
)


def chosen_model(raw: str | None, default: str) -> str:
    """The model the page shows: the query's ``?model=`` when it names one, else the site's own."""
    return raw if raw in MODELS else default


def why_no_payback(party: Party) -> str | None:
    """Why a party's payback is missing: ``nothing_invested`` or ``never`` (within the system's life)."""
    if party.payback_years is not None:
        return None
    return "nothing_invested" if party.investment_cny <= 0 else "never"


@dataclass(frozen=True)
class PartyFigures:
    """One party's headline figures."""

    key: str
    npv_cny: float
    irr: float | None
    payback_years: float | None
    payback_missing: str | None
    investment_cny: float
    first_year_net_cny: float


def party_figures(economics: Economics) -> list[PartyFigures]:
    """Each party of the result, the investor first."""
    order = sorted(economics.parties, key=lambda k: PARTY_ORDER.index(k) if k in PARTY_ORDER else 9)
    return [
        PartyFigures(
            key=key,
            npv_cny=p.npv_cny,
            irr=p.irr,
            payback_years=p.payback_years,
            payback_missing=why_no_payback(p),
            investment_cny=p.investment_cny,
            first_year_net_cny=p.first_year_net_cny,
        )
        for key in order
        for p in (economics.parties[key],)
    ]


def investing_party(economics: Economics) -> PartyFigures:
    """The figures of the party that invests: the owner in EPC, the investor in EMC and lease."""
    figures = {f.key: f for f in party_figures(economics)}
    return figures.get("investor") or figures["owner"]


@dataclass(frozen=True)
class ComparisonRow:
    """One business model in the side-by-side table."""

    model: str
    investment_cny: float
    lcoe_cny_per_kwh: float | None
    owner: PartyFigures
    investor: PartyFigures | None


def comparison_rows(comparison: Mapping[str, Economics]) -> list[ComparisonRow]:
    """The three models in their enum order (EPC, EMC, lease)."""
    rows = []
    for model in MODELS:
        if model not in comparison:
            continue
        figures = {f.key: f for f in party_figures(comparison[model])}
        rows.append(
            ComparisonRow(
                model=model,
                investment_cny=comparison[model].investment_cny,
                lcoe_cny_per_kwh=comparison[model].lcoe_cny_per_kwh,
                owner=figures["owner"],
                investor=figures.get("investor"),
            )
        )
    return rows


@dataclass(frozen=True)
class CashFlowTable:
    """A party's cash flows: the lines that are not zero in any year, years as rows."""

    party: str
    lines: list[str]
    rows: list[dict[str, float]]


def cash_flow_tables(economics: Economics) -> list[CashFlowTable]:
    """One table per party; a row's ``cumulative_cny`` is the running sum of its net."""
    tables = []
    for figures in party_figures(economics):
        flows = economics.parties[figures.key].cash_flows
        lines = [line for line in LINES if any(abs(row.get(line, 0.0)) >= 0.005 for row in flows)]
        running = 0.0
        rows = []
        for row in flows:
            running += row["net_cny"]
            rows.append({**row, "cumulative_cny": running})
        tables.append(CashFlowTable(party=figures.key, lines=lines, rows=rows))
    return tables


# --- the chart -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    """One party's net cash flow of one year."""

    party: str
    year: int
    value: float
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class CashFlowChart:
    """Bars and cumulative lines in a ``width`` × ``height`` viewBox; ``zero_y`` is the baseline."""

    width: int
    height: int
    left: float
    right: float
    zero_y: float
    bars: list[Bar]
    cumulative: dict[str, str]
    y_ticks: list[tuple[float, float]]
    x_ticks: list[tuple[float, int]]


LEFT, RIGHT_PAD, TOP, BOTTOM_PAD = 70.0, 8.0, 10.0, 22.0


def cash_flow_chart(economics: Economics, *, width: int = 960, height: int = 280) -> CashFlowChart:
    """Scale every party's yearly net and cumulative sum into one frame that always holds zero."""
    parties = [f.key for f in party_figures(economics)]
    flows = {p: economics.parties[p].cash_flows for p in parties}
    nets = {p: [row["net_cny"] for row in flows[p]] for p in parties}
    sums = {p: _running(nets[p]) for p in parties}
    values = [v for p in parties for v in (*nets[p], *sums[p])] or [0.0]
    lo, hi = min(0.0, *values), max(0.0, *values)
    if hi - lo < 1e-9:
        hi = lo + 1.0
    right, bottom = width - RIGHT_PAD, height - BOTTOM_PAD
    years = max((len(v) for v in nets.values()), default=1)
    slot = (right - LEFT) / years
    bar_w = slot * 0.8 / max(len(parties), 1)

    def y(v: float) -> float:
        return TOP + (bottom - TOP) * (hi - v) / (hi - lo)

    bars = []
    for i, party in enumerate(parties):
        for row, net in zip(flows[party], nets[party], strict=True):
            x = LEFT + slot * row["year"] + slot * 0.1 + bar_w * i
            top, base = y(max(net, 0.0)), y(min(net, 0.0))
            bars.append(
                Bar(
                    party,
                    int(row["year"]),
                    net,
                    round(x, 1),
                    round(top, 1),
                    round(bar_w, 1),
                    round(base - top, 1),
                )
            )
    cumulative = {
        p: " ".join(f"{LEFT + slot * (k + 0.5):.1f},{y(v):.1f}" for k, v in enumerate(sums[p]))
        for p in parties
    }
    step = 5 if years > 12 else 1
    return CashFlowChart(
        width=width,
        height=height,
        left=LEFT,
        right=right,
        zero_y=round(y(0.0), 1),
        bars=bars,
        cumulative=cumulative,
        y_ticks=[(round(y(v), 1), v) for v in _ticks(lo, hi)],
        x_ticks=[(round(LEFT + slot * (k + 0.5), 1), k) for k in range(0, years, step)],
    )


def _running(values: Sequence[float]) -> list[float]:
    out, total = [], 0.0
    for v in values:
        total += v
        out.append(total)
    return out


def _ticks(lo: float, hi: float) -> list[float]:
    """About five round values between ``lo`` and ``hi`` (1, 2 or 5 times a power of ten apart)."""
    raw = (hi - lo) / 5
    power = 10 ** len(str(int(raw))) / 10 if raw >= 1 else 1.0
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = -(-lo // step) * step
    out, v = [], first
    while v <= hi + 1e-9:
        out.append(v)
        v += step
    return out


def economics_view(economics: Economics, comparison: Mapping[str, Economics]) -> dict[str, Any]:
    """What the economics partial needs: the chosen model's figures, chart and tables, and the three."""
    return {
        "economics": economics,
        "parties": party_figures(economics),
        "comparison": comparison_rows(comparison),
        "chart": cash_flow_chart(economics),
        "tables": cash_flow_tables(economics),
        "models": MODELS,
    }


def page_economics(
    load: Callable[[str | None], Economics], compare_all: Callable[[], Mapping[str, Economics]], model: str
) -> dict[str, Any] | None:
    """The panel's context for a surface or site: ``load(model)`` and ``compare_all()`` call the
    service; None when there is nothing estimated yet (the service refuses with InvalidInput)."""
    try:
        return economics_view(load(model), compare_all())
    except InvalidInput:
        return None
