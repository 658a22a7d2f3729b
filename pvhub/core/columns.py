"""Types shared by the models: UTC-aware timestamps, string-backed enums, and the text a user writes."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Annotated, Any

import sqlalchemy as sa
from pydantic import AfterValidator, AllowInfNan, Strict
from sqlalchemy.types import TypeDecorator


def no_nul(value: str) -> str:
    """Refuse a NUL character: PostgreSQL cannot store it, and no legitimate text holds one."""
    if "\x00" in value:
        raise ValueError("must not contain a NUL character")
    return value


# Text a user writes, in every input model (register, tenders, construction, accounts, ...): a JSON
# string (not a number), without NUL. A lone surrogate is refused by pydantic itself (pvhub.core.text).
Text = Annotated[str, Strict(), AfterValidator(no_nul)]

# Numbers and flags in input models: accept 3 and 3.5, refuse true/false, "3", NaN and ±Infinity
# (which JSON does not have either).
Number = Annotated[float, Strict(), AllowInfNan(False)]
Integer = Annotated[int, Strict()]
Flag = Annotated[bool, Strict()]


def utcnow() -> datetime:
    """Now, time-zone aware (UTC)."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC and always returns aware datetimes, also on SQLite (which drops the zone)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pvhub stores only time-zone-aware times")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def enum_column(enum_cls: type[enum.Enum]) -> sa.Enum:
    """A portable enum column storing the member *values* as VARCHAR with a CHECK constraint.

    Non-native so adding a member later is a plain migration on both SQLite and PostgreSQL.
    """
    return sa.Enum(
        enum_cls,
        native_enum=False,
        length=32,
        values_callable=lambda members: [m.value for m in members],
        create_constraint=True,
        name=f"ck_{enum_cls.__name__.lower()}",
        validate_strings=True,
    )
