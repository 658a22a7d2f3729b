"""The economic assumptions: what a kWp costs, what a kWh is worth, and the contracts' default terms.

Pure data (no database): :mod:`pvhub.economics.settings` stores the office's versions of it, and
:mod:`pvhub.economics.cashflow` turns it into cash flows. Every figure is a programme default meant
to be replaced by the office's own quotes and bills; :data:`SOURCES` says where each default comes
from, so a bidder reading them on a tender can check them.

Money is in real terms (today's yuan, no inflation), so the discount rate is a real rate too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from functools import cached_property
from typing import Any

SURFACE_KINDS = ("roof", "curtain_wall", "corridor", "walkway")
TARIFF_CLASSES = ("commercial", "office", "public", "residential")

#: The register's site uses (``pvhub.register.enums.SITE_USES``) mapped onto the tariff classes the
#: owner is billed under. Retail, hotels, industry and car parks pay the general commercial and
#: industrial tariff (一般工商业); schools, hospitals, government and transport buildings are public
#: institutions; a use the register does not know is taken as commercial.
USE_TARIFF_CLASS: dict[str, str] = {
    "office": "office",
    "retail": "commercial",
    "hotel": "commercial",
    "industrial": "commercial",
    "parking": "commercial",
    "school": "public",
    "hospital": "public",
    "government": "public",
    "transport": "public",
    "residential": "residential",
}

TAX_NOTE = (
    "Cash flows are before income tax, with no depreciation tax shield; prices and costs include VAT, "
    "which is not modelled separately; all figures are in real terms (no inflation), so the discount "
    "rate is a real rate."
)


def tariff_class(use: str) -> str:
    """The tariff class a site of this use is billed under (commercial when the use is unknown)."""
    return USE_TARIFF_CLASS.get(use.strip().lower(), "commercial")


@dataclass(frozen=True)
class EconomicAssumptions:
    """Everything the cash flows rest on; see :data:`SOURCES` for each default."""

    investment_cny_per_kwp: dict[str, float] = field(
        default_factory=lambda: {
            "roof": 3500.0,
            "curtain_wall": 9000.0,
            "corridor": 5000.0,
            "walkway": 5000.0,
        }
    )
    om_cny_per_kwp_year: float = 45.0
    inverter_replacement_cny_per_kwp: float = 150.0
    inverter_replacement_year: int = 13
    degradation_per_year: float = 0.004
    lifetime_years: int = 25
    discount_rate: float = 0.06
    tariff_cny_per_kwh: dict[str, float] = field(
        default_factory=lambda: {"commercial": 0.85, "office": 0.85, "public": 0.78, "residential": 0.617}
    )
    self_use_share: dict[str, float] = field(
        default_factory=lambda: {"commercial": 0.9, "office": 0.85, "public": 0.75, "residential": 0.6}
    )
    export_price_cny_per_kwh: float = 0.4155
    subsidy_cny_per_kwh: float = 0.0
    subsidy_years: int = 0
    emc_discount: float = 0.15
    emc_term_years: int = 20
    lease_rent_cny_per_m2_year: float = 8.0
    lease_term_years: int = 20

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON, as stored, audited and returned by the API (a fresh copy)."""
        return asdict(self)

    @cached_property
    def plain(self) -> dict[str, Any]:
        """:meth:`as_dict` made once and shared by every result computed under these assumptions
        (a bundle's hundreds of site evaluations); read it, never change it."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EconomicAssumptions:
        """A stored version; a field or key it lacks (stored before it existed) keeps its default."""
        base = cls()
        changes: dict[str, Any] = {}
        for f in fields(cls):
            if f.name not in data:
                continue
            default = getattr(base, f.name)
            value = data[f.name]
            if isinstance(default, dict):
                changes[f.name] = {**default, **{k: float(v) for k, v in dict(value).items() if k in default}}
            else:
                changes[f.name] = type(default)(value)
        return replace(base, **changes)

    def investment_cny(self, capacity_kwp_by_kind: Mapping[str, float]) -> float:
        """The investment in a system of these kWp per surface kind."""
        return sum(kwp * self.investment_cny_per_kwp[kind] for kind, kwp in capacity_kwp_by_kind.items())


DEFAULTS = EconomicAssumptions()

#: Where each default comes from. Figures are rounded programme defaults, not quotes.
SOURCES: dict[str, str] = {
    "investment_cny_per_kwp": (
        "Roof: CPIA's roadmap (中国光伏产业发展路线图 2023–2024) puts the initial investment of "
        "commercial and industrial distributed PV at about 3.2 CNY/W in 2023; 3.5 allows for "
        "city-centre access and roof works. Curtain wall: BIPV facades cost several times a roof "
        "system (IEA PVPS Task 15); 9.0 CNY/W "
        "is a planning figure. Corridors and walkways need their own steel canopy: 5.0 CNY/W."
    ),
    "om_cny_per_kwp_year": (
        "CPIA roadmap: operation and maintenance of distributed PV about 0.04–0.05 CNY/W a year."
    ),
    "inverter_replacement_cny_per_kwp": (
        "String inverters cost about 0.15 CNY/W to replace and are warranted for 10–12 years, so one "
        "replacement in year 13."
    ),
    "inverter_replacement_year": "One replacement after a 10–12 year inverter warranty.",
    "degradation_per_year": (
        "Module warranties (and CPIA's roadmap) allow about 0.4 % a year after the first year; the first "
        "year is the estimate itself."
    ),
    "lifetime_years": "25 years: the usual linear power warranty of modules.",
    "discount_rate": (
        "A real rate of 6 percent: a usual hurdle rate of Chinese investors in commercial rooftop PV."
    ),
    "tariff_cny_per_kwh": (
        "Indicative averages of Shanghai's time-of-use tariffs over the daylight hours PV produces in; "
        "residential: the first tier of Shanghai's residential tariff, 0.617 CNY/kWh. Replace them with the "
        "district's own bills."
    ),
    "self_use_share": (
        "Share of the PV energy used on site: high where the building works by day all week "
        "(commercial, offices), lower for schools (holidays) and homes."
    ),
    "export_price_cny_per_kwh": (
        "Shanghai's coal-fired benchmark price for surplus fed to the grid, 0.4155 CNY/kWh."
    ),
    "subsidy_cny_per_kwh": "No local subsidy by default; set the rate and years of a scheme that applies.",
    "subsidy_years": "Years the local subsidy is paid for, from year 1.",
    "emc_discount": (
        "合同能源管理 contracts usually give the owner a discount of 10–20 percent on its tariff for the PV "
        "energy it uses."
    ),
    "emc_term_years": "EMC terms are usually 20–25 years; afterwards the system passes to the owner.",
    "lease_rent_cny_per_m2_year": (
        "Roof rents in eastern China are usually 5–15 CNY per m² a year (usable area); afterwards the system "
        "passes to the owner."
    ),
    "lease_term_years": "Roof leases usually run 20–25 years.",
}


@dataclass(frozen=True)
class FieldSpec:
    """One editable assumption: its unit and the range the service accepts; ``per`` lists the keys of a
    per-kind or per-class field. The ranges bound what is sensible, not what is typical."""

    name: str
    unit: str
    minimum: float
    maximum: float
    per: tuple[str, ...] = ()
    integer: bool = False


EDITABLE_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("investment_cny_per_kwp", "CNY/kWp", 500.0, 50_000.0, SURFACE_KINDS),
    FieldSpec("om_cny_per_kwp_year", "CNY/kWp/a", 0.0, 1_000.0),
    FieldSpec("inverter_replacement_cny_per_kwp", "CNY/kWp", 0.0, 5_000.0),
    FieldSpec("inverter_replacement_year", "a", 0, 40, integer=True),
    FieldSpec("degradation_per_year", "", 0.0, 0.05),
    FieldSpec("lifetime_years", "a", 5, 40, integer=True),
    FieldSpec("discount_rate", "", 0.0, 0.3),
    FieldSpec("tariff_cny_per_kwh", "CNY/kWh", 0.0, 5.0, TARIFF_CLASSES),
    FieldSpec("self_use_share", "", 0.0, 1.0, TARIFF_CLASSES),
    FieldSpec("export_price_cny_per_kwh", "CNY/kWh", 0.0, 5.0),
    FieldSpec("subsidy_cny_per_kwh", "CNY/kWh", 0.0, 5.0),
    FieldSpec("subsidy_years", "a", 0, 40, integer=True),
    FieldSpec("emc_discount", "", 0.0, 0.99),
    FieldSpec("emc_term_years", "a", 1, 40, integer=True),
    FieldSpec("lease_rent_cny_per_m2_year", "CNY/m²/a", 0.0, 1_000.0),
    FieldSpec("lease_term_years", "a", 1, 40, integer=True),
)
