"""The economics' API shapes, shared by the surface, site and bundle endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from pvhub.core.columns import Number, Text
from pvhub.economics.cashflow import Economics

ModelName = Literal["epc", "emc", "lease"]


class CashFlowRow(BaseModel):
    """One year of one party's cash flow, CNY (costs negative); year 0 is the investment."""

    year: int
    energy_kwh: float = Field(description="The system's AC energy that year, kWh")
    investment_cny: float
    avoided_purchase_cny: float = Field(
        description="Purchases the owner avoids: energy used on site × tariff"
    )
    pv_purchase_cny: float = Field(description="What the owner pays the investor for PV energy (EMC)")
    pv_sales_cny: float = Field(description="What the investor sells the owner PV energy for (EMC)")
    grid_sales_cny: float = Field(description="Energy fed to the grid × the export price")
    subsidy_cny: float
    rent_cny: float = Field(description="Roof rent: paid by the investor, received by the owner (lease)")
    om_cny: float
    inverter_cny: float
    net_cny: float


class PartyPublic(BaseModel):
    cash_flows: list[CashFlowRow]
    npv_cny: float = Field(description="NPV at the assumptions' (real) discount rate, CNY")
    irr: float | None = Field(description="Internal rate of return, fraction; null when undefined")
    payback_years: float | None = Field(
        description="Simple (undiscounted) payback, years; null when never reached or nothing invested"
    )
    investment_cny: float
    first_year_net_cny: float


class EconomicsPublic(BaseModel):
    """A surface's, site's or bundle's economics under one business model."""

    business_model: ModelName
    assumptions: dict[str, Any] = Field(
        description=(
            "The economic assumptions used, with the contract terms and the tax note; "
            "discount_rate is a fraction"
        )
    )
    inputs: dict[str, float] | None = Field(
        description="The site's tariff (CNY/kWh), self-use share and usable area; null for several sites"
    )
    capacity_kwp: float
    annual_kwh: float = Field(description="Year-1 AC energy, kWh")
    investment_cny: float
    lcoe_cny_per_kwh: float | None = Field(description="Real levelised cost of energy; null without energy")
    parties: dict[str, PartyPublic] = Field(description='"owner" always; "investor" for emc and lease')

    @classmethod
    def of(cls, economics: Economics) -> EconomicsPublic:
        return cls.model_validate(economics.to_dict())


class EconomicSettingsPublic(BaseModel):
    values: dict[str, Any] = Field(description="Every economic assumption; shares and rates as fractions")
    sources: dict[str, str] = Field(description="Where each default comes from")
    tax_note: str
    default: bool = Field(description="True while the office has stored no version")
    version_id: int | None
    set_at: datetime | None


class EconomicSettingsUpdate(BaseModel):
    """Edits: only the fields given change (per-kind and per-class fields by key); each is range-checked."""

    investment_cny_per_kwp: dict[Text, Number] | None = Field(default=None, max_length=8)
    om_cny_per_kwp_year: Number | None = None
    inverter_replacement_cny_per_kwp: Number | None = None
    inverter_replacement_year: Number | None = None
    degradation_per_year: Number | None = None
    lifetime_years: Number | None = None
    discount_rate: Number | None = None
    tariff_cny_per_kwh: dict[Text, Number] | None = Field(default=None, max_length=8)
    self_use_share: dict[Text, Number] | None = Field(default=None, max_length=8)
    export_price_cny_per_kwh: Number | None = None
    subsidy_cny_per_kwh: Number | None = None
    subsidy_years: Number | None = None
    emc_discount: Number | None = None
    emc_term_years: Number | None = None
    lease_rent_cny_per_m2_year: Number | None = None
    lease_term_years: Number | None = None
