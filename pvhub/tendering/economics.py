"""What a lot is worth, shown to bidders beside it (issue #20, "Bundles … tenders show them to bidders").

A lot's sites are evaluated as one system under the lot's business model at the programme's default
terms and assumptions (:func:`pvhub.economics.service.sites_economics`; the assumptions are public at
``GET /api/v1/programme/economics`` so a bidder can check the figures). The figures are today's
estimates of the lot's approved surfaces, not frozen with the lot: the office may revise the
assumptions, and the page says they are estimates at the default terms, not what is bid.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import Session

from pvhub.economics.cashflow import Economics
from pvhub.economics.service import groups_economics
from pvhub.tendering.models import TenderLot


@dataclass(frozen=True)
class LotEconomics:
    """A lot's investment, LCOE, the investing party's IRR and the owners' first-year saving or income.

    ``investor_irr`` is the IRR of the party that invests: the owners in EPC, the investor in EMC and
    lease (a fraction, None when undefined). ``owners_cny_per_year`` is the owners' net in year 1:
    their saving (EPC, EMC) or rent income (lease).
    """

    business_model: str
    capacity_kwp: float
    investment_cny: float
    lcoe_cny_per_kwh: float | None
    investor_irr: float | None
    owners_cny_per_year: float
    discount_rate: float


def _site_ids(lot: TenderLot) -> list[int]:
    return [int(s["site_id"]) for s in (lot.snapshot or {}).get("sites", []) if s.get("site_id")]


def _figures(found: Economics) -> LotEconomics:
    return LotEconomics(
        business_model=found.business_model,
        capacity_kwp=found.capacity_kwp,
        investment_cny=found.investment_cny,
        lcoe_cny_per_kwh=found.lcoe_cny_per_kwh,
        investor_irr=found.investing_party.irr,
        owners_cny_per_year=found.parties["owner"].first_year_net_cny,
        discount_rate=found.discount_rate,
    )


def lot_economics(*, session: Session, lot: TenderLot) -> LotEconomics | None:
    """The lot's economics (module docstring), or None when none of its sites has an estimate."""
    return lots_economics(session=session, lots=[lot]).get(lot.id or 0)


def lots_economics(*, session: Session, lots: Sequence[TenderLot]) -> dict[int, LotEconomics]:
    """Each lot's economics (module docstring) by lot id, in one read of all their sites; lots
    without an estimated site are left out."""
    groups = {lot.id: _site_ids(lot) for lot in lots if lot.id is not None}
    models = {lot.id: lot.business_model.value for lot in lots if lot.id is not None}
    found = groups_economics(session=session, groups=groups, models=models)
    return {lot_id: _figures(economics) for lot_id, economics in found.items()}
