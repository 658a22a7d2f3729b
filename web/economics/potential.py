"""Investment and EPC payback of the potential map's buildings (issue #20), all at once.

The map holds tens of thousands of buildings, so their cash flows go through
:func:`pvhub.economics.cashflow.epc_batch` as one matrix, never a Python loop over years. A building
is priced as the owner investing (EPC), at its use's tariff class and that class's self-use share.
The survey sums candidates per building as roof, curtain-wall and the rest (corridors and walkways
together), so the rest is priced at the mean of the corridor and walkway prices per kWp: with the
defaults both are the same.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from pvhub.economics.assumptions import EconomicAssumptions, tariff_class
from pvhub.economics.cashflow import epc_batch


def building_money(
    buildings: Sequence[Mapping[str, Any]], a: EconomicAssumptions
) -> tuple[np.ndarray, np.ndarray]:
    """Each building's investment (CNY) and EPC payback (years, NaN = never) from its ``kwp``,
    ``roof_kwp``, ``facade_kwp``, ``annual_mwh`` and ``use``."""
    n = len(buildings)
    if n == 0:
        return np.zeros(0), np.zeros(0)
    kwp = np.fromiter((b["kwp"] for b in buildings), float, n)
    roof = np.fromiter((b["roof_kwp"] for b in buildings), float, n)
    facade = np.fromiter((b["facade_kwp"] for b in buildings), float, n)
    other = np.maximum(kwp - roof - facade, 0.0)
    prices = a.investment_cny_per_kwp
    other_price = (prices["corridor"] + prices["walkway"]) / 2
    investment = roof * prices["roof"] + facade * prices["curtain_wall"] + other * other_price
    classes = [tariff_class(str(b.get("use") or "")) for b in buildings]
    tariff = np.fromiter((a.tariff_cny_per_kwh[c] for c in classes), float, n)
    share = np.fromiter((a.self_use_share[c] for c in classes), float, n)
    annual_kwh = np.fromiter((b["annual_mwh"] for b in buildings), float, n) * 1000.0
    return epc_batch(kwp, annual_kwh, investment, tariff, share, a)


def kind_money(
    parts: Sequence[tuple[str, float, float]], use: str, a: EconomicAssumptions
) -> tuple[np.ndarray, np.ndarray]:
    """Investment and EPC payback of parts of one building given as (surface kind, kWp, annual kWh):
    the faces of a building's drill-down, at its use's tariff and self-use share."""
    n = len(parts)
    if n == 0:
        return np.zeros(0), np.zeros(0)
    kwp = np.fromiter((p[1] for p in parts), float, n)
    price = np.fromiter((a.investment_cny_per_kwp.get(p[0], 0.0) for p in parts), float, n)
    annual_kwh = np.fromiter((p[2] for p in parts), float, n)
    cls = tariff_class(use or "")
    tariff, share = np.full(n, a.tariff_cny_per_kwh[cls]), np.full(n, a.self_use_share[cls])
    return epc_batch(kwp, annual_kwh, kwp * price, tariff, share, a)
