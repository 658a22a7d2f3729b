"""Vocabularies every domain shares: who a user is, how far a background run got."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """A user's role; the organisation kind matches it."""

    office = "office"
    owner = "owner"
    supplier = "supplier"


class RunStatus(StrEnum):
    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"
    cancelled = "cancelled"
