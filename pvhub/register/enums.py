"""The register's closed vocabularies: kinds of surface, review states, business models."""

from __future__ import annotations

from enum import StrEnum


class SurfaceKind(StrEnum):
    roof = "roof"
    curtain_wall = "curtain_wall"
    corridor = "corridor"
    walkway = "walkway"


class SurfaceStatus(StrEnum):
    """Review status, then the construction stage once the surface is awarded."""

    draft = "draft"
    submitted = "submitted"
    approved = "approved"
    rejected = "rejected"
    withdrawn = "withdrawn"


class BusinessModel(StrEnum):
    """The owner's preferred business model, shown to bidders."""

    epc = "epc"  # owner-financed
    emc = "emc"  # energy-management contract (合同能源管理), tariff discount
    lease = "lease"  # roof lease, rent per m²


#: What a building is used for, as the register's forms offer it (the field is free text of up to 30
#: characters, so an import may name another use).
SITE_USES: tuple[str, ...] = (
    "office",
    "residential",
    "retail",
    "school",
    "hospital",
    "government",
    "hotel",
    "industrial",
    "parking",
    "transport",
)
