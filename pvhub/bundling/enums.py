"""The life of a bundle: drafted by a run, locked by the office, published to tender."""

from __future__ import annotations

from enum import StrEnum


class BundleStatus(StrEnum):
    draft = "draft"
    locked = "locked"
    published = "published"
