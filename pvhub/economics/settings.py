"""The economic assumptions in force: the office's latest version, or the defaults; with history.

As with the yield assumptions (:mod:`pvhub.programme.assumptions`), each edit adds a whole version,
so the rows are the history and the latest is in force. Economics are computed on read from the
estimates and the version in force, so an edit changes every figure at once and rewrites nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from pvhub.core import audit, policy
from pvhub.core.actor import Actor
from pvhub.core.errors import InvalidInput
from pvhub.core.ranges import checked_number
from pvhub.economics.assumptions import DEFAULTS, EDITABLE_FIELDS, EconomicAssumptions, FieldSpec
from pvhub.economics.models import EconomicSettings

_SPECS = {spec.name: spec for spec in EDITABLE_FIELDS}


@dataclass(frozen=True)
class ConfiguredEconomics:
    """The assumptions in force and which stored version they are (None: the defaults)."""

    values: EconomicAssumptions
    version_id: int | None = None
    set_at: datetime | None = None
    set_by_id: int | None = None

    @property
    def is_default(self) -> bool:
        return self.version_id is None


def _from_row(row: EconomicSettings) -> ConfiguredEconomics:
    return ConfiguredEconomics(EconomicAssumptions.from_dict(row.values), row.id, row.set_at, row.set_by_id)


def current_economics(*, session: Session) -> ConfiguredEconomics:
    """The latest stored version, or the defaults while the office has stored none."""
    row = session.exec(select(EconomicSettings).order_by(col(EconomicSettings.id).desc())).first()
    return ConfiguredEconomics(DEFAULTS) if row is None else _from_row(row)


def economics_history(*, session: Session, limit: int = 50) -> list[ConfiguredEconomics]:
    """Stored versions, newest first."""
    rows = session.exec(select(EconomicSettings).order_by(col(EconomicSettings.id).desc()).limit(limit))
    return [_from_row(row) for row in rows]


def _checked(field: str, spec: FieldSpec, value: Any) -> float | int:
    """One value against its range; InvalidInput names the field (``tariff_cny_per_kwh.office``)."""
    number = checked_number(field, value, minimum=spec.minimum, maximum=spec.maximum, unit=spec.unit)
    if spec.integer and number != int(number):
        raise InvalidInput("{field}: must be a whole number of years.", field=field)
    return int(number) if spec.integer else number


def _edited(current: dict[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    values = dict(current)
    for name, value in changes.items():
        spec = _SPECS.get(name)
        if spec is None:
            raise InvalidInput("{field}: not an economic assumption.", field=name)
        if not spec.per:
            values[name] = _checked(name, spec, value)
            continue
        if not isinstance(value, Mapping):
            raise InvalidInput(
                "{field}: expected one value per {keys}.", field=name, keys=", ".join(spec.per)
            )
        merged = dict(values[name])
        for key, item in value.items():
            if key not in spec.per:
                raise InvalidInput(
                    "{field}: unknown key {key}; expected one of {keys}.",
                    field=name,
                    key=key,
                    keys=", ".join(spec.per),
                )
            merged[key] = _checked(f"{name}.{key}", spec, item)
        values[name] = merged
    return values


def set_economics(*, session: Session, actor: Actor, changes: Mapping[str, Any]) -> ConfiguredEconomics:
    """Store a new version: the current one with these edits (office only), audited.

    Only the fields given change (a per-kind or per-class field may name some of its keys). Nothing
    is stored when any value is refused, and an edit that changes nothing stores nothing.
    """
    policy.require(actor, "programme:update")
    current = current_economics(session=session)
    before = current.values.as_dict()
    after = EconomicAssumptions.from_dict(_edited(before, changes)).as_dict()
    if after == before:
        return current
    row = EconomicSettings(values=after, set_by_id=actor.id)
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=actor,
        entity="economics",
        entity_id=row.id,
        action="update",
        before=before,
        after=after,
    )
    return _from_row(row)
