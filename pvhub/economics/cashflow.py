"""Yearly cash flows of a PV system under each business model, and the figures people decide on.

Pure numbers: a system (its kWp per surface kind, its first year's energy, its usable area, the
tariff its owner pays and the share of the energy it uses itself) and the assumptions in, one cash
flow per party out, from year 0 (the investment) to the last year of life. NPV and IRR come from
numpy-financial; the cash flows, the payback and the LCOE are ours, because their conventions (who
owns the system after a contract's term, what counts as a cost) are the point of the model.

The business models, as the Chinese commercial rooftop market runs them:

- **EPC**: the owner pays for the system and keeps everything it gives: the purchases it avoids
  (energy used on site × its tariff), the surplus sold to the grid at the export price, any local
  subsidy, less O&M and the inverter replacement.
- **EMC** (合同能源管理): an investor pays for the system and sells the owner the PV energy it uses at
  the tariff less a discount; the investor also sells the surplus, takes the subsidy and pays O&M.
  The owner saves the discount. After the term the system passes to the owner, who then keeps
  everything as in EPC, to the end of life.
- **Roof lease**: an investor pays for the system, pays the owner rent per m² of usable area and
  sells all the energy to the grid at the export price (全额上网). After the term the system passes
  to the owner, as in EMC.

Energy degrades by a fixed share a year from year 2 (year 1 is the estimate). The LCOE is real and
levelised over the whole system whoever pays: (investment + discounted O&M, inverter and, in the
lease, rent) / discounted energy.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import numpy_financial as npf

from pvhub.economics.assumptions import TAX_NOTE, EconomicAssumptions

BUSINESS_MODELS = ("epc", "emc", "lease")
LINES = (
    "investment_cny",
    "avoided_purchase_cny",
    "pv_purchase_cny",
    "pv_sales_cny",
    "grid_sales_cny",
    "subsidy_cny",
    "rent_cny",
    "om_cny",
    "inverter_cny",
)
Lines = dict[str, np.ndarray]


@dataclass(frozen=True)
class SystemInputs:
    """One site's system (or one surface of it): what the cash flows need to know about it."""

    capacity_kwp_by_kind: Mapping[str, float]
    annual_kwh: float
    usable_area_m2: float
    tariff_cny_per_kwh: float
    self_use_share: float

    @property
    def capacity_kwp(self) -> float:
        return float(sum(self.capacity_kwp_by_kind.values()))

    @staticmethod
    def add(parts: Sequence[SystemInputs]) -> SystemInputs:
        """The surfaces of one site as one system (they share the site's tariff and self-use share)."""
        kinds: dict[str, float] = {}
        for part in parts:
            for kind, kwp in part.capacity_kwp_by_kind.items():
                kinds[kind] = kinds.get(kind, 0.0) + kwp
        return SystemInputs(
            capacity_kwp_by_kind=kinds,
            annual_kwh=sum(p.annual_kwh for p in parts),
            usable_area_m2=sum(p.usable_area_m2 for p in parts),
            tariff_cny_per_kwh=parts[0].tariff_cny_per_kwh,
            self_use_share=parts[0].self_use_share,
        )


@dataclass(frozen=True)
class Terms:
    """A contract's terms: the programme's defaults, or what a bid offers."""

    emc_discount: float
    emc_term_years: int
    lease_rent_cny_per_m2_year: float
    lease_term_years: int

    @classmethod
    def from_assumptions(cls, a: EconomicAssumptions) -> Terms:
        return cls(a.emc_discount, a.emc_term_years, a.lease_rent_cny_per_m2_year, a.lease_term_years)


@dataclass(frozen=True)
class Party:
    """One party's yearly cash flow (year 0 … life) by line, and the figures it decides on."""

    lines: Lines = field(repr=False)
    energy_kwh: np.ndarray = field(repr=False)
    discount_rate: float

    @property
    def net(self) -> np.ndarray:
        return np.sum([self.lines[name] for name in LINES], axis=0)

    @property
    def cash_flows(self) -> list[dict[str, float]]:
        """One row per year: the year, the system's energy, every line and the net."""
        net = self.net
        return [
            {
                "year": year,
                "energy_kwh": float(self.energy_kwh[year]),
                **{name: float(self.lines[name][year]) for name in LINES},
                "net_cny": float(net[year]),
            }
            for year in range(len(net))
        ]

    @property
    def npv_cny(self) -> float:
        return float(npf.npv(self.discount_rate, self.net))

    @property
    def irr(self) -> float | None:
        """The IRR, or None where none is defined (no investment, or the money never comes back)."""
        net = self.net
        if not (np.any(net < 0) and np.any(net > 0)):
            return None
        value = float(npf.irr(net))
        return None if not np.isfinite(value) else value

    @property
    def payback_years(self) -> float | None:
        return simple_payback(self.net)

    @property
    def investment_cny(self) -> float:
        return float(-self.lines["investment_cny"][0])

    @property
    def first_year_net_cny(self) -> float:
        net = self.net
        return float(net[1]) if len(net) > 1 else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "cash_flows": self.cash_flows,
            "npv_cny": self.npv_cny,
            "irr": self.irr,
            "payback_years": self.payback_years,
            "investment_cny": self.investment_cny,
            "first_year_net_cny": self.first_year_net_cny,
        }


def simple_payback(net: np.ndarray) -> float | None:
    """Years until the cumulative net first turns from negative to ≥ 0, interpolated within the year
    (undiscounted); None when it never does, or never was negative (nothing to pay back)."""
    cumulative = np.cumsum(net)
    if not np.any(cumulative < 0):
        return None
    for year in range(1, len(net)):
        if cumulative[year - 1] < 0 <= cumulative[year]:
            return float(year - 1 + (-cumulative[year - 1]) / net[year])
    return None


@dataclass(frozen=True)
class Economics:
    """A system's economics under one business model: the parties' cash flows and the LCOE."""

    business_model: str
    assumptions: dict[str, Any]
    capacity_kwp: float
    parties: dict[str, Party]
    energy_kwh: np.ndarray = field(repr=False)
    system_cost_cny: np.ndarray = field(repr=False)  # per year, ≥ 0: investment, O&M, inverter, lease rent
    discount_rate: float = 0.0
    inputs: dict[str, float] | None = None  # the tariff and self-use share of one site (None: many sites)

    @property
    def investment_cny(self) -> float:
        return float(self.system_cost_cny[0])

    @property
    def annual_kwh(self) -> float:
        return float(self.energy_kwh[1]) if len(self.energy_kwh) > 1 else 0.0

    @property
    def lcoe_cny_per_kwh(self) -> float | None:
        factors = (1 + self.discount_rate) ** -np.arange(len(self.energy_kwh), dtype=float)
        energy = float(np.dot(self.energy_kwh, factors))
        return None if energy <= 0 else float(np.dot(self.system_cost_cny, factors)) / energy

    @property
    def investing_party(self) -> Party:
        """The party that invests: the owner in EPC, the investor in EMC and lease."""
        return self.parties["owner" if self.business_model == "epc" else "investor"]

    @property
    def value_cny(self) -> float:
        """The investing party's NPV: the site's contribution to a bundle's bankability."""
        return self.investing_party.npv_cny

    def to_dict(self) -> dict[str, Any]:
        return {
            "business_model": self.business_model,
            "assumptions": self.assumptions,
            "inputs": self.inputs,
            "capacity_kwp": self.capacity_kwp,
            "annual_kwh": self.annual_kwh,
            "investment_cny": self.investment_cny,
            "lcoe_cny_per_kwh": self.lcoe_cny_per_kwh,
            "parties": {name: party.to_dict() for name, party in self.parties.items()},
        }


@dataclass(frozen=True)
class _System:
    """The system's own yearly figures, whoever owns it; index = year (0 = investment)."""

    years: np.ndarray
    energy: np.ndarray
    investment: np.ndarray
    om: np.ndarray
    inverter: np.ndarray
    subsidy: np.ndarray


def _system(inputs: SystemInputs, a: EconomicAssumptions) -> _System:
    years = np.arange(a.lifetime_years + 1)
    energy = np.where(years >= 1, inputs.annual_kwh * (1 - a.degradation_per_year) ** (years - 1.0), 0.0)
    kwp = inputs.capacity_kwp
    investment = np.where(years == 0, -a.investment_cny(inputs.capacity_kwp_by_kind), 0.0)
    om = np.where(years >= 1, -a.om_cny_per_kwp_year * kwp, 0.0)
    replace_at = a.inverter_replacement_year
    inverter = np.where((years == replace_at) & (years >= 1), -a.inverter_replacement_cny_per_kwp * kwp, 0.0)
    subsidy = np.where((years >= 1) & (years <= a.subsidy_years), a.subsidy_cny_per_kwh * energy, 0.0)
    return _System(years, energy, investment, om, inverter, subsidy)


def _zeros(system: _System) -> Lines:
    return {name: np.zeros(len(system.years)) for name in LINES}


def _owning(system: _System, inputs: SystemInputs, a: EconomicAssumptions, years: np.ndarray) -> Lines:
    """The owner's lines in the years (a boolean mask) it owns and runs the system itself."""
    lines = _zeros(system)
    self_kwh = system.energy * inputs.self_use_share
    lines["avoided_purchase_cny"] = np.where(years, self_kwh * inputs.tariff_cny_per_kwh, 0.0)
    surplus_kwh = system.energy - self_kwh
    lines["grid_sales_cny"] = np.where(years, surplus_kwh * a.export_price_cny_per_kwh, 0.0)
    lines["subsidy_cny"] = np.where(years, system.subsidy, 0.0)
    lines["om_cny"] = np.where(years, system.om, 0.0)
    lines["inverter_cny"] = np.where(years, system.inverter, 0.0)
    return lines


def _added(first: Lines, second: Lines) -> Lines:
    return {name: first[name] + second[name] for name in LINES}


def _epc(
    system: _System, inputs: SystemInputs, a: EconomicAssumptions, terms: Terms
) -> tuple[dict[str, Lines], np.ndarray]:
    owner = _owning(system, inputs, a, system.years >= 1)
    owner["investment_cny"] = system.investment
    return {"owner": owner}, np.zeros(len(system.years))


def _emc(
    system: _System, inputs: SystemInputs, a: EconomicAssumptions, terms: Terms
) -> tuple[dict[str, Lines], np.ndarray]:
    during = (system.years >= 1) & (system.years <= terms.emc_term_years)
    after = system.years > terms.emc_term_years
    self_value = system.energy * inputs.self_use_share * inputs.tariff_cny_per_kwh
    paid = self_value * (1 - terms.emc_discount)
    investor = _owning(system, inputs, a, during)
    investor["avoided_purchase_cny"] = np.zeros(len(system.years))  # it sells that energy instead
    investor["pv_sales_cny"] = np.where(during, paid, 0.0)
    investor["investment_cny"] = system.investment
    owner = _owning(system, inputs, a, after)
    owner["avoided_purchase_cny"] = np.where(during | after, self_value, 0.0)
    owner["pv_purchase_cny"] = np.where(during, -paid, 0.0)
    return {"owner": owner, "investor": investor}, np.zeros(len(system.years))


def _lease(
    system: _System, inputs: SystemInputs, a: EconomicAssumptions, terms: Terms
) -> tuple[dict[str, Lines], np.ndarray]:
    during = (system.years >= 1) & (system.years <= terms.lease_term_years)
    after = system.years > terms.lease_term_years
    rent = np.where(during, terms.lease_rent_cny_per_m2_year * inputs.usable_area_m2, 0.0)
    investor = _zeros(system)
    investor["investment_cny"] = system.investment
    investor["grid_sales_cny"] = np.where(during, system.energy * a.export_price_cny_per_kwh, 0.0)
    investor["subsidy_cny"] = np.where(during, system.subsidy, 0.0)
    investor["om_cny"] = np.where(during, system.om, 0.0)
    investor["inverter_cny"] = np.where(during, system.inverter, 0.0)
    investor["rent_cny"] = -rent
    owner = _owning(system, inputs, a, after)
    owner["rent_cny"] = rent
    return {"owner": owner, "investor": investor}, rent


_MODELS = {"epc": _epc, "emc": _emc, "lease": _lease}


def evaluate(
    model: str, inputs: SystemInputs, assumptions: EconomicAssumptions, terms: Terms | None = None
) -> Economics:
    """The system's economics under one business model, at the given terms (default: the assumptions')."""
    if model not in _MODELS:
        raise ValueError(f"unknown business model {model!r}; expected one of {', '.join(BUSINESS_MODELS)}")
    terms = terms or Terms.from_assumptions(assumptions)
    system = _system(inputs, assumptions)
    lines, rent = _MODELS[model](system, inputs, assumptions, terms)
    rate = assumptions.discount_rate
    cost = -(system.investment + system.om + system.inverter) + rent
    return Economics(
        business_model=model,
        assumptions={**assumptions.plain, "terms": asdict(terms), "tax_note": TAX_NOTE},
        capacity_kwp=inputs.capacity_kwp,
        parties={name: Party(party, system.energy, rate) for name, party in lines.items()},
        energy_kwh=system.energy,
        system_cost_cny=cost,
        discount_rate=rate,
        inputs={
            "tariff_cny_per_kwh": inputs.tariff_cny_per_kwh,
            "self_use_share": inputs.self_use_share,
            "usable_area_m2": inputs.usable_area_m2,
        },
    )


def compare(inputs: SystemInputs, assumptions: EconomicAssumptions) -> dict[str, Economics]:
    """The system under each business model at the programme's default terms."""
    return {model: evaluate(model, inputs, assumptions) for model in BUSINESS_MODELS}


def combine(parts: Sequence[Economics]) -> Economics:
    """Several systems (the sites of a bundle) as one: every line summed year by year, then the
    figures recomputed from the sums (an IRR is not an average of IRRs). All parts share one
    business model and one set of assumptions."""
    if not parts:
        raise ValueError("nothing to combine")
    first = parts[0]
    if any(p.business_model != first.business_model for p in parts):
        raise ValueError("the parts have different business models")
    names = sorted({name for p in parts for name in p.parties})
    energy = np.sum([p.energy_kwh for p in parts], axis=0)
    years = len(first.energy_kwh)
    parties = {}
    for name in names:
        lines = {line: np.zeros(years) for line in LINES}
        for part in parts:
            if name in part.parties:
                lines = _added(lines, part.parties[name].lines)
        parties[name] = Party(lines, energy, first.discount_rate)
    return Economics(
        business_model=first.business_model,
        assumptions=first.assumptions,
        capacity_kwp=sum(p.capacity_kwp for p in parts),
        parties=parties,
        energy_kwh=energy,
        system_cost_cny=np.sum([p.system_cost_cny for p in parts], axis=0),
        discount_rate=first.discount_rate,
        inputs=first.inputs if len(parts) == 1 else None,
    )


def epc_batch(
    capacity_kwp: np.ndarray,
    annual_kwh: np.ndarray,
    investment_cny: np.ndarray,
    tariff_cny_per_kwh: np.ndarray,
    self_use_share: np.ndarray,
    assumptions: EconomicAssumptions,
) -> tuple[np.ndarray, np.ndarray]:
    """EPC payback of many systems at once (the potential map's tens of thousands of candidates):
    the same cash flow as :func:`evaluate` ("epc"), as an (n, years) matrix. Returns the investment
    and the simple payback in years (NaN where it is never reached)."""
    a = assumptions
    years = np.arange(1, a.lifetime_years + 1)
    degrade = (1 - a.degradation_per_year) ** (years - 1.0)
    energy = np.asarray(annual_kwh, float)[:, None] * degrade[None, :]
    share = np.asarray(self_use_share, float)[:, None]
    value_per_kwh = (
        share * np.asarray(tariff_cny_per_kwh, float)[:, None] + (1 - share) * a.export_price_cny_per_kwh
    )
    subsidy = np.where(years <= a.subsidy_years, a.subsidy_cny_per_kwh, 0.0)[None, :]
    kwp = np.asarray(capacity_kwp, float)[:, None]
    costs = (
        a.om_cny_per_kwp_year * kwp
        + np.where(years == a.inverter_replacement_year, a.inverter_replacement_cny_per_kwp, 0.0)[None, :]
        * kwp
    )
    net = energy * (value_per_kwh + subsidy) - costs
    investment = np.asarray(investment_cny, float)
    cumulative = -investment[:, None] + np.cumsum(net, axis=1)
    before = np.concatenate([-investment[:, None], cumulative[:, :-1]], axis=1)
    crossing = (before < 0) & (cumulative >= 0)
    first = np.argmax(crossing, axis=1)
    found = crossing[np.arange(len(first)), first] & (investment > 0)
    rows = np.arange(len(first))
    payback = first + (-before[rows, first]) / np.where(found, net[rows, first], 1.0)
    return investment, np.where(found, payback, np.nan)


def owner_first_year_batch(
    models: np.ndarray,
    capacity_kwp: np.ndarray,
    annual_kwh: np.ndarray,
    usable_area_m2: np.ndarray,
    tariff_cny_per_kwh: np.ndarray,
    self_use_share: np.ndarray,
    assumptions: EconomicAssumptions,
) -> np.ndarray:
    """The owner's net in year 1 of many systems at once, each under its own business model (the
    dashboard's "yearly saving to owners" over thousands of sites): the same figure as
    ``evaluate(model, …).parties["owner"].first_year_net_cny``, in closed form for year 1."""
    a = assumptions
    energy = np.asarray(annual_kwh, float)
    share = np.asarray(self_use_share, float)
    tariff = np.asarray(tariff_cny_per_kwh, float)
    kwp = np.asarray(capacity_kwp, float)
    subsidy = a.subsidy_cny_per_kwh if a.subsidy_years >= 1 else 0.0
    inverter = a.inverter_replacement_cny_per_kwp if a.inverter_replacement_year == 1 else 0.0
    owning = (
        energy * (share * tariff + (1 - share) * a.export_price_cny_per_kwh + subsidy)
        - (a.om_cny_per_kwp_year + inverter) * kwp
    )
    emc = energy * share * tariff * a.emc_discount if a.emc_term_years >= 1 else owning
    lease = (
        a.lease_rent_cny_per_m2_year * np.asarray(usable_area_m2, float)
        if a.lease_term_years >= 1
        else owning
    )
    models = np.asarray(models)
    return np.where(models == "emc", emc, np.where(models == "lease", lease, owning))
