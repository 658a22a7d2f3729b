"""The estimating assumptions in force: configuration the office edits, with its history.

DESIGN promises that the per-kind assumptions (module power density, mounting and temperature model,
losses, inverter, albedo, IAM) and the CO2 factor are configuration with sensible defaults. The
defaults live with the pure engine (:data:`pvhub.yieldengine.DEFAULT_ASSUMPTIONS`); an office edit
adds an :class:`~pvhub.programme.models.AssumptionSettings` row holding the whole set, so the rows are
the history and the latest is in force. An edit never rewrites estimates: each estimate records the
assumptions it used, and the estimates' configuration key (``pvhub.estimates.config``) tells which of
them the edit has outdated.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from datetime import datetime
from typing import Any

from pvlib.temperature import TEMPERATURE_MODEL_PARAMETERS
from sqlmodel import Session, col, select

from pvhub.core import audit, policy
from pvhub.core.actor import Actor
from pvhub.core.errors import InvalidInput
from pvhub.core.ranges import checked_number
from pvhub.programme.models import AssumptionSettings
from pvhub.yieldengine import DEFAULT_ASSUMPTIONS, DEFAULT_CO2_T_PER_MWH, SURFACE_KINDS, KindAssumptions


@dataclass(frozen=True)
class FieldSpec:
    """One editable assumption: its unit and the range a form and the service accept."""

    name: str
    unit: str
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()


#: What the office may edit per surface kind. The ranges bound what is physically sensible, not what
#: is typical: a 400 W/m² module density or a 2.5 DC/AC ratio is odd but real; beyond them is a typo.
EDITABLE_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("power_density_w_m2", "W/m²", 1.0, 400.0),
    FieldSpec("mounting", "", choices=tuple(sorted(TEMPERATURE_MODEL_PARAMETERS["sapm"]))),
    FieldSpec("gamma_pdc", "1/°C", -0.01, 0.0),
    FieldSpec("losses_pct", "%", 0.0, 60.0),
    FieldSpec("eta_inv_nom", "", 0.8, 1.0),
    FieldSpec("dc_ac_ratio", "", 0.5, 2.5),
    FieldSpec("albedo", "", 0.0, 1.0),
    FieldSpec("iam_model", "", choices=("physical", "ashrae")),
)
CO2_FIELD = FieldSpec("co2_t_per_mwh", "tCO₂/MWh", 0.0, 2.0)
_SPECS = {spec.name: spec for spec in EDITABLE_FIELDS}


@dataclass(frozen=True)
class ConfiguredAssumptions:
    """The assumptions in force: per kind, the CO2 factor, and which stored version (None: defaults)."""

    kinds: dict[str, KindAssumptions]
    co2_t_per_mwh: float
    version_id: int | None = None
    set_at: datetime | None = None
    set_by_id: int | None = None

    @property
    def is_default(self) -> bool:
        return self.version_id is None

    def as_dict(self) -> dict[str, Any]:
        """Plain data (no ``kind`` repeated inside each kind), as stored and audited."""
        return {"kinds": _kinds_data(self.kinds), "co2_t_per_mwh": self.co2_t_per_mwh}


DEFAULTS = ConfiguredAssumptions(kinds=dict(DEFAULT_ASSUMPTIONS), co2_t_per_mwh=DEFAULT_CO2_T_PER_MWH)


def _kinds_data(kinds: Mapping[str, KindAssumptions]) -> dict[str, dict[str, Any]]:
    return {kind: {k: v for k, v in asdict(a).items() if k != "kind"} for kind, a in kinds.items()}


def _from_row(row: AssumptionSettings) -> ConfiguredAssumptions:
    """A stored version; a kind or field it lacks (stored before it existed) keeps its default."""
    known = {f.name for f in fields(KindAssumptions)} - {"kind"}
    kinds = {
        kind: replace(default, **{k: v for k, v in (row.kinds.get(kind) or {}).items() if k in known})
        for kind, default in DEFAULT_ASSUMPTIONS.items()
    }
    return ConfiguredAssumptions(kinds, float(row.co2_t_per_mwh), row.id, row.set_at, row.set_by_id)


def current_assumptions(*, session: Session) -> ConfiguredAssumptions:
    """The latest stored version, or the engine's defaults while the office has stored none."""
    row = session.exec(select(AssumptionSettings).order_by(col(AssumptionSettings.id).desc())).first()
    return DEFAULTS if row is None else _from_row(row)


def assumptions_history(*, session: Session, limit: int = 50) -> list[ConfiguredAssumptions]:
    """Stored versions, newest first."""
    rows = session.exec(select(AssumptionSettings).order_by(col(AssumptionSettings.id).desc()).limit(limit))
    return [_from_row(row) for row in rows]


def _checked_value(kind: str, name: str, value: Any) -> Any:
    """One edited value, checked against its :class:`FieldSpec`; InvalidInput names the field."""
    field = f"kinds.{kind}.{name}"
    spec = _SPECS.get(name)
    if spec is None:
        raise InvalidInput("{field}: not an editable assumption.", field=field)
    if spec.choices:
        if value not in spec.choices:
            raise InvalidInput("{field}: must be one of {choices}.", field=field, choices=list(spec.choices))
        return value
    return _checked_number(field, spec, value)


def _checked_number(field: str, spec: FieldSpec, value: Any) -> float:
    return checked_number(field, value, minimum=spec.minimum, maximum=spec.maximum, unit=spec.unit)


def _edited_kinds(
    current: Mapping[str, KindAssumptions], edits: Mapping[str, Mapping[str, Any]]
) -> dict[str, KindAssumptions]:
    kinds = dict(current)
    for kind, changes in edits.items():
        if kind not in SURFACE_KINDS:
            raise InvalidInput(
                "kinds: unknown surface kind {kind}; expected one of {kinds}.",
                kind=kind,
                kinds=list(SURFACE_KINDS),
                field="kinds",
            )
        checked = {name: _checked_value(kind, name, value) for name, value in changes.items()}
        kinds[kind] = replace(kinds[kind], **checked)
    return kinds


def set_assumptions(
    *,
    session: Session,
    actor: Actor,
    kinds: Mapping[str, Mapping[str, Any]] | None = None,
    co2_t_per_mwh: float | None = None,
) -> ConfiguredAssumptions:
    """Store a new version: the current one with these edits (office only), audited.

    Only the fields given change. Nothing is stored when any value is refused, and an edit that
    changes nothing stores nothing (the history shows changes, not saves).
    """
    policy.require(actor, "programme:update")
    current = current_assumptions(session=session)
    edited = _edited_kinds(current.kinds, kinds or {})
    co2 = (
        current.co2_t_per_mwh
        if co2_t_per_mwh is None
        else _checked_number("co2_t_per_mwh", CO2_FIELD, co2_t_per_mwh)
    )
    proposed = ConfiguredAssumptions(edited, co2)
    if proposed.as_dict() == current.as_dict():
        return current
    row = AssumptionSettings(kinds=proposed.as_dict()["kinds"], co2_t_per_mwh=co2, set_by_id=actor.id)
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=actor,
        entity="assumptions",
        entity_id=row.id,
        action="update",
        before=current.as_dict(),
        after=proposed.as_dict(),
    )
    return _from_row(row)
