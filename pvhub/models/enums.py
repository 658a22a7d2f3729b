"""The domain's closed vocabularies."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """A user's role; the organisation kind matches it."""

    office = "office"
    owner = "owner"
    supplier = "supplier"


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


class RunStatus(StrEnum):
    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"
    cancelled = "cancelled"


class BundleStatus(StrEnum):
    draft = "draft"
    locked = "locked"
    published = "published"


class TenderStatus(StrEnum):
    draft = "draft"
    published = "published"
    opened = "opened"
    awarded = "awarded"
    cancelled = "cancelled"


class BidStatus(StrEnum):
    submitted = "submitted"
    needs_confirmation = "needs_confirmation"
    withdrawn = "withdrawn"


class AwardStatus(StrEnum):
    proposed = "proposed"
    publicised = "publicised"
    confirmed = "confirmed"
    declined = "declined"


class ObjectionStatus(StrEnum):
    """A bidder's objection during the publicity period: open until the office answers it."""

    open = "open"
    answered = "answered"


class MilestoneKind(StrEnum):
    """State Grid procedure for distributed PV, in order."""

    design_approved = "design_approved"
    grid_application = "grid_application"
    access_scheme_confirmed = "access_scheme_confirmed"
    installation_started = "installation_started"
    installed = "installed"
    metering_and_contracts = "metering_and_contracts"
    grid_connected = "grid_connected"
    accepted = "accepted"


class MilestoneStatus(StrEnum):
    planned = "planned"
    reported = "reported"
    confirmed = "confirmed"
    sent_back = "sent_back"
