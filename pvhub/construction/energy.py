"""Measured energy of commissioned surfaces: monthly meter readings by CSV upload or API, all or nothing.

A row is ``surface_id``, ``month`` (``YYYY-MM``) and ``energy_kwh`` (AC energy delivered in that
calendar month, kWh). CSV headers may be English or Chinese (表面编号, 月份, 发电量), with a unit in
brackets allowed (``发电量(kWh)``); UTF-8 (BOM optional) or GB18030. Every problem is reported at
once with its index — the CSV line number (header = line 1) or the 0-based position in a JSON
list — its field and the reason; if there is any, nothing is written.

Rules: the surface must be grid-connected (confirmed) and the reader allowed to report for it (the
office; the supplier that built it; the site's owner); the month must be complete (before the
current one) and not before the month of connection; the energy must be a finite number ≥ 0 and no
more than the installed kWp could deliver running flat out all month (a unit mistake, Wh for kWh,
shows here). A month already stored for a surface is replaced (a meter correction) and counted as
such.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlmodel import Session, col, select

from pvhub.accounts.models import User
from pvhub.construction.models import Construction, MeasuredEnergy
from pvhub.construction.service import GRID_CONNECTED_RANK, today_in
from pvhub.core import audit, policy
from pvhub.core.enums import Role
from pvhub.core.errors import FieldName
from pvhub.core.ids import MAX_ID, ascii_id
from pvhub.estimates.models import Estimate
from pvhub.register.imports.csv_format import decode
from pvhub.register.imports.rows import Index, Problem
from pvhub.register.models import Site, Surface

FIELD_ALIASES: Mapping[str, tuple[str, ...]] = {
    "surface_id": ("surface_id", "surface", "表面编号", "表面id"),
    "month": ("month", "period", "月份"),
    "energy_kwh": ("energy_kwh", "energy", "kwh", "发电量", "电量"),
}
_ALIAS = {alias.lower(): name for name, aliases in FIELD_ALIASES.items() for alias in aliases}
_UNIT = re.compile(r"\s*[（(][^)）]*[)）]\s*$")
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
MAX_ROWS = 100_000


@dataclass
class EnergyReport:
    """What an import did (or, with errors, would not do): rows stored, of which replaced, and errors."""

    ok: bool
    stored: int = 0
    replaced: int = 0
    errors: list[Problem] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "stored": self.stored,
            "replaced": self.replaced,
            "errors": [{"index": e.index, "field": e.field, "message": e.message} for e in self.errors],
        }


@dataclass(frozen=True)
class _Row:
    index: Index
    surface_id: int
    year: int
    month: int
    energy_kwh: float


def _header_field(name: str) -> str | None:
    return _ALIAS.get(_UNIT.sub("", name.strip().lstrip("\ufeff")).strip().lower())


def read_csv(content: bytes) -> tuple[list[tuple[Index, dict[str, Any]]], list[Problem]]:
    """CSV bytes → (line number, {field: text}) rows, or the file's problems."""
    text, problem = decode(content)
    if problem is not None or text is None:
        return [], [problem or Problem(None, "file", "the file could not be read")]
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if not header:
        return [], [Problem(None, "file", "the file is empty: expected a header surface_id,month,energy_kwh")]
    fields = [_header_field(name) for name in header]
    missing = [name for name in FIELD_ALIASES if name not in fields]
    if missing:
        return [], [
            Problem(1, name, "column {name} is missing from the header", name=FieldName(name))
            for name in missing
        ]
    rows: list[tuple[Index, dict[str, Any]]] = []
    for line, values in enumerate(reader, start=2):
        if not any(v.strip() for v in values):
            continue
        rows.append((line, {f: v for f, v in zip(fields, values, strict=False) if f is not None}))
    return rows, []


def _parse(index: Index, raw: Mapping[str, Any], errors: list[Problem]) -> _Row | None:
    before = len(errors)
    surface_id = raw.get("surface_id")
    if isinstance(surface_id, str):  # a CSV cell: ASCII digits only, as pvhub writes ids
        surface_id = ascii_id(surface_id) or surface_id
    if not isinstance(surface_id, int) or isinstance(surface_id, bool) or not 1 <= surface_id <= MAX_ID:
        errors.append(Problem(index, "surface_id", "not a surface id: {value!r}", value=surface_id))
    month_text = str(raw.get("month") or "").strip()
    match = _MONTH.match(month_text)
    year = month = 0
    if match is None or not 1 <= int(match.group(2)) <= 12:
        errors.append(Problem(index, "month", "not a month in the form YYYY-MM: {value!r}", value=month_text))
    else:
        year, month = int(match.group(1)), int(match.group(2))
    energy = raw.get("energy_kwh")
    try:
        value = float(energy.strip().replace(",", "")) if isinstance(energy, str) else energy
    except ValueError:
        value = None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        errors.append(Problem(index, "energy_kwh", "not an energy in kWh ≥ 0: {value!r}", value=energy))
        value = None
    if len(errors) > before or value is None:
        return None
    assert isinstance(surface_id, int)
    return _Row(index, surface_id, year, month, float(value))


def _reportable(session: Session, actor: User, surface_ids: list[int]) -> dict[int, tuple[date, float]]:
    """Grid-connected surfaces ``actor`` may report for → (connection date, kWp)."""
    query = (
        select(Construction, Site.organisation_id, Estimate.capacity_kwp)
        .join(Surface, col(Surface.id) == col(Construction.surface_id))
        .join(Site, col(Site.id) == col(Surface.site_id))
        .join(Estimate, col(Estimate.surface_id) == col(Surface.id), isouter=True)
        .where(col(Construction.surface_id).in_(surface_ids), Construction.stage_rank >= GRID_CONNECTED_RANK)
    )
    out = {}
    for item, owner_org, estimate_kwp in session.exec(query).all():
        allowed = (
            actor.role == Role.office
            or (actor.role == Role.supplier and item.supplier_id == actor.organisation_id)
            or (actor.role == Role.owner and owner_org == actor.organisation_id)
        )
        if allowed and item.connected_on is not None:
            kwp = item.installed_kwp if item.installed_kwp is not None else (estimate_kwp or 0.0)
            out[item.surface_id] = (item.connected_on, float(kwp))
    return out


def _days_in(year: int, month: int) -> int:
    following = date(year + month // 12, month % 12 + 1, 1)
    return (following - date(year, month, 1)).days


def _check(rows: list[_Row], allowed: dict[int, tuple[date, float]], today: date) -> list[Problem]:
    errors: list[Problem] = []
    seen: dict[tuple[int, int, int], Index] = {}
    for row in rows:
        key = (row.surface_id, row.year, row.month)
        label = f"{row.year:04d}-{row.month:02d}"
        if key in seen:
            errors.append(
                Problem(
                    row.index,
                    "month",
                    "surface {surface_id} {month} also appears at {other}",
                    surface_id=row.surface_id,
                    month=label,
                    other=seen[key],
                )
            )
            continue
        seen[key] = row.index
        if row.surface_id not in allowed:
            errors.append(
                Problem(
                    row.index,
                    "surface_id",
                    "no grid-connected surface {surface_id} you may report for",
                    surface_id=row.surface_id,
                )
            )
            continue
        connected_on, kwp = allowed[row.surface_id]
        if (row.year, row.month) >= (today.year, today.month):
            errors.append(Problem(row.index, "month", "{month} is not a complete month yet", month=label))
        elif (row.year, row.month) < (connected_on.year, connected_on.month):
            errors.append(
                Problem(
                    row.index,
                    "month",
                    "{month} is before the grid connection ({connected_on})",
                    month=label,
                    connected_on=connected_on.isoformat(),
                )
            )
        elif kwp > 0 and row.energy_kwh > kwp * 24 * _days_in(row.year, row.month):
            errors.append(
                Problem(
                    row.index,
                    "energy_kwh",
                    "{energy:g} kWh is more than {kwp:g} kWp can deliver in {month} (check the unit)",
                    energy=row.energy_kwh,
                    kwp=kwp,
                    month=label,
                )
            )
    return errors


def import_rows(
    session: Session,
    *,
    actor: User,
    rows: Sequence[tuple[Index, Mapping[str, Any]]],
    source: str,
    today: date | None = None,
) -> EnergyReport:
    """Validate every row, then store all of them or none; audited."""
    policy.require(actor, "energy:import")
    if len(rows) > MAX_ROWS:
        return EnergyReport(
            ok=False,
            errors=[Problem(None, "file", "more than {limit:,} rows: split the file", limit=MAX_ROWS)],
        )
    if not rows:
        return EnergyReport(ok=False, errors=[Problem(None, "file", "no rows to import")])
    errors: list[Problem] = []
    parsed = [row for index, raw in rows if (row := _parse(index, raw, errors)) is not None]
    allowed = _reportable(session, actor, sorted({row.surface_id for row in parsed}))
    errors += _check(parsed, allowed, today or today_in())
    if errors:
        return EnergyReport(ok=False, errors=sorted(errors, key=lambda e: str(e.index).zfill(12)))
    existing = {
        (m.surface_id, m.year, m.month): m
        for m in session.exec(
            select(MeasuredEnergy).where(col(MeasuredEnergy.surface_id).in_(list(allowed)))
        ).all()
    }
    now = datetime.now(UTC)
    replaced = 0
    for row in parsed:
        stored = existing.get((row.surface_id, row.year, row.month))
        if stored is not None:
            replaced += 1
            stored.energy_kwh, stored.source, stored.imported_at, stored.imported_by_id = (
                row.energy_kwh,
                source,
                now,
                actor.id,
            )
            session.add(stored)
        else:
            session.add(
                MeasuredEnergy(
                    surface_id=row.surface_id,
                    year=row.year,
                    month=row.month,
                    energy_kwh=row.energy_kwh,
                    source=source,
                    imported_by_id=actor.id,
                    imported_at=now,
                )
            )
    session.flush()
    audit.record(
        session,
        actor=actor,
        entity="measured_energy",
        entity_id="import",
        action="import",
        after={"source": source, "rows": len(parsed), "replaced": replaced, "surfaces": len(allowed)},
    )
    return EnergyReport(ok=True, stored=len(parsed), replaced=replaced)


def import_csv(session: Session, *, actor: User, content: bytes, today: date | None = None) -> EnergyReport:
    """Import a CSV file of monthly readings, all or nothing."""
    policy.require(actor, "energy:import")
    rows, problems = read_csv(content)
    if problems:
        return EnergyReport(ok=False, errors=problems)
    return import_rows(session, actor=actor, rows=rows, source="csv", today=today)


def measured_for(session: Session, surface_id: int) -> list[MeasuredEnergy]:
    """A surface's stored months, oldest first."""
    query = (
        select(MeasuredEnergy)
        .where(MeasuredEnergy.surface_id == surface_id)
        .order_by(col(MeasuredEnergy.year), col(MeasuredEnergy.month))
    )
    return list(session.exec(query).all())
