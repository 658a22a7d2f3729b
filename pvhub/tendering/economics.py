"""What a lot is worth, shown to bidders beside it (issue #20, "Bundles … tenders show them to bidders").

A lot's sites are evaluated as one system under the lot's business model at the programme's default
terms and assumptions (:func:`pvhub.economics.service.sites_economics`; the assumptions are public at
``GET /api/v1/programme/economics`` so a bidder can check the figures). The figures are today's
estimates of the lot's approved surfaces, not frozen with the lot: the office may revise the
assumptions, and the page says they are estimates at the default terms, not what is bid.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from pvhub.economics.service import sites_economics
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


def lot_economics(*, session: Session, lot: TenderLot) -> LotEconomics | None:
    """The lot's economics (module docstring), or None when none of its sites has an estimate."""
    site_ids = [int(s["site_id"]) for s in (lot.snapshot or {}).get("sites", []) if s.get("site_id")]
    model = lot.business_model.value
    found = sites_economics(session=session, site_ids=site_ids, model=model)
    if found is None:
        return None
    investing = found.parties["owner" if model == "epc" else "investor"]
    return LotEconomics(
        business_model=model,
        capacity_kwp=found.capacity_kwp,
        investment_cny=found.investment_cny,
        lcoe_cny_per_kwh=found.lcoe_cny_per_kwh,
        investor_irr=investing.irr,
        owners_cny_per_year=found.parties["owner"].first_year_net_cny,
        discount_rate=found.discount_rate,
    )
