"""Ids as the database holds them and as forms, links and files write them.

Every id column is an INTEGER: PostgreSQL's holds at most 2**31 - 1 (SQLite's more), so
:data:`MAX_ID` bounds every id pvhub reads, and a larger one is refused as input rather than sent to
the database. An id is written with the ASCII digits 0–9 and nothing else: ``str.isdigit()`` also
takes '²', '٣' or the full-width '１' — ``int()`` then fails on the first and reads the others — and
no id pvhub writes into a page or a file holds one. :func:`ascii_id` reads one strictly and
:func:`parse_id` refuses anything else with a message naming the field, so a form's hidden or
chosen ids are never silently dropped nor turned into a server error.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Annotated

from pydantic import Field, Strict

from pvhub.core.errors import InvalidInput

MAX_ID = 2**31 - 1
_ASCII_ID = re.compile(r"[0-9]{1,10}")

# An id in an API body: a JSON integer (not "3", not true) within the database's range.
Id = Annotated[int, Strict(), Field(ge=1, le=MAX_ID)]


def ascii_id(raw: object) -> int | None:
    """``raw`` read as an id — ASCII digits, spaces around allowed, 1 to :data:`MAX_ID` — or None."""
    if not isinstance(raw, str):
        return None
    text = raw.strip()
    if _ASCII_ID.fullmatch(text) is None:
        return None
    value = int(text)
    return value if 1 <= value <= MAX_ID else None


def parse_id(raw: object, field: str) -> int:
    """``raw`` as an id (see :func:`ascii_id`); :class:`InvalidInput` naming ``field`` otherwise."""
    value = ascii_id(raw)
    if value is None:
        raise InvalidInput(
            "{field}: {value!r} is not an id (a whole number from 1 to {max_id}, in the digits 0–9).",
            field=field,
            value=str(raw)[:40],
            max_id=MAX_ID,
        )
    return value


def parse_ids(raws: Iterable[object], field: str) -> list[int]:
    """Every one of ``raws`` as an id, in order; the first that is not one is refused (none dropped)."""
    return [parse_id(raw, field) for raw in raws]
