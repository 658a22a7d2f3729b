"""The states of tenders, bids, awards and objections."""

from __future__ import annotations

from enum import StrEnum


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
