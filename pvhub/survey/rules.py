"""The survey's rules: which surfaces become candidates, settings the office edits, with their history.

Issue #18 makes the thresholds (minimum area, minimum specific yield) settings and the band height,
the opaque share and the walls' azimuth range configurable. They are kept as the estimating
assumptions are (:mod:`pvhub.programme.assumptions`): an office edit adds a
:class:`~pvhub.survey.models.SurveyRuleSettings` row holding the whole set, the rows are the history
and the latest is in force; while there is none, :data:`DEFAULT_RULES` are. An edit never rewrites a
survey: the rules decide which candidates exist at all, and each run records the rules it used
(``SurveyRun.rules``), so a change shows on the potential page as "run the survey again"
(:func:`changed_since`), not as out-of-date estimates.

Who sets them: whoever may run the survey (``survey:run``, the office), since the rules are what a run
is made of. Anybody may read the rules in force: the public potential map states them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from gis.candidates import CandidateRules
from pvhub.core import audit, policy
from pvhub.core.actor import Actor
from pvhub.core.errors import InvalidInput
from pvhub.survey.models import SurveyRuleSettings

PERMISSION = "survey:run"


@dataclass(frozen=True)
class SurveyRules:
    """What the survey keeps as a candidate.

    ``min_area_m2``: a face or band under this usable area is skipped (too small to carry a useful
    array; 10 m² holds about 2 kWp at the roof kind's default density). ``band_height_m``: facades are
    cut into horizontal bands this tall (None: one band per storey), because the top and the bottom
    of a tower's wall see different suns. ``opaque_share``: the part of a facade band that can carry
    BIPV (spandrels, not vision glass); 0.30 as :class:`gis.candidates.CandidateRules` derives it from
    GB 50189-2015 §3.2.2 (window-to-wall ratio at most 0.70).
    ``wall_azimuth_min``/``wall_azimuth_max``: walls facing outside this range (pvlib
    azimuth, 90 = east, 270 = west; min > max wraps through north) are skipped as facing away from the
    sun. ``min_kwh_per_kwp``: a candidate whose estimated specific yield is lower is skipped with its
    figure. ``roof_usable_ratio``: a roof keeps at most this share of its gross area, besides its
    setback (a building file shows no plant rooms, stair heads or access paths); 0.70 is the
    register's own ratio for a roof entered without geometry (see :class:`gis.candidates.CandidateRules`).
    """

    min_area_m2: float = 10.0
    band_height_m: float | None = None
    opaque_share: float = 0.30
    wall_azimuth_min: float = 90.0
    wall_azimuth_max: float = 270.0
    min_kwh_per_kwp: float = 600.0
    roof_usable_ratio: float = 0.70

    def as_dict(self) -> dict[str, Any]:
        """The rules as a run records them."""
        return asdict(self)

    def candidate_rules(self) -> CandidateRules:
        """The geometric part of these rules, as :func:`gis.candidates.derive_candidates` takes it."""
        return CandidateRules(
            min_area_m2=self.min_area_m2,
            band_height_m=self.band_height_m,
            opaque_share=self.opaque_share,
            wall_azimuth_range=(self.wall_azimuth_min, self.wall_azimuth_max),
            roof_usable_ratio=self.roof_usable_ratio,
        )


#: The rules while the office has stored none.
DEFAULT_RULES = SurveyRules()


@dataclass(frozen=True)
class RuleSpec:
    """One editable rule: its unit and the range the form, the API and the service accept.

    The ranges bound what is sensible, not what is typical, so a typo is caught: a candidate of
    1,000 m² minimum would leave only the largest roofs; a band under 1 m is narrower than a module
    row and one over 20 m spans several storeys of any tower; 1,500 kWh/kWp is above what any
    surface yields in Shanghai. ``optional``: the rule may be empty (None).
    """

    name: str
    unit: str
    minimum: float
    maximum: float
    optional: bool = False


RULE_SPECS: tuple[RuleSpec, ...] = (
    RuleSpec("min_area_m2", "m²", 0.0, 1000.0),
    RuleSpec("band_height_m", "m", 1.0, 20.0, optional=True),
    RuleSpec("opaque_share", "", 0.0, 1.0),
    RuleSpec("wall_azimuth_min", "°", 0.0, 360.0),
    RuleSpec("wall_azimuth_max", "°", 0.0, 360.0),
    RuleSpec("min_kwh_per_kwp", "kWh/kWp", 0.0, 1500.0),
    RuleSpec("roof_usable_ratio", "", 0.1, 1.0),
)
SPECS = {spec.name: spec for spec in RULE_SPECS}


@dataclass(frozen=True)
class RulesVersion:
    """A stored version of the rules (or the defaults: ``version_id`` None), when and by whom set."""

    rules: SurveyRules
    version_id: int | None = None
    set_at: datetime | None = None
    set_by_id: int | None = None

    @property
    def is_default(self) -> bool:
        return self.version_id is None


def _from_row(row: SurveyRuleSettings) -> RulesVersion:
    values = {f.name: getattr(row, f.name) for f in fields(SurveyRules)}
    return RulesVersion(SurveyRules(**values), row.id, row.set_at, row.set_by_id)


def current_version(session: Session) -> RulesVersion:
    """The latest stored version, or the defaults while the office has stored none."""
    row = session.exec(select(SurveyRuleSettings).order_by(col(SurveyRuleSettings.id).desc())).first()
    return RulesVersion(DEFAULT_RULES) if row is None else _from_row(row)


def current_rules(session: Session) -> SurveyRules:
    """The rules in force."""
    return current_version(session).rules


def rules_history(session: Session, limit: int = 50) -> list[RulesVersion]:
    """Stored versions, newest first (empty while the defaults are in force)."""
    query = select(SurveyRuleSettings).order_by(col(SurveyRuleSettings.id).desc()).limit(limit)
    return [_from_row(row) for row in session.exec(query)]


def checked_value(name: str, value: Any) -> float | None:
    """One rule's value checked against its :class:`RuleSpec`; InvalidInput names the field and range."""
    spec = SPECS.get(name)
    if spec is None:
        raise InvalidInput(
            "{field}: not a survey rule; expected one of {names}.", field=name, names=list(SPECS)
        )
    if value is None and spec.optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidInput("{field}: must be a number.", field=name)
    if spec.minimum <= value <= spec.maximum:
        return float(value)
    bounds = {"value": f"{value:g}", "minimum": f"{spec.minimum:g}", "maximum": f"{spec.maximum:g}"}
    if not spec.unit:  # a share: no unit to name
        raise InvalidInput("{field}: {value} is outside {minimum} … {maximum}.", field=name, **bounds)
    raise InvalidInput(
        "{field}: {value} is outside {minimum} … {maximum} {unit}.", field=name, unit=spec.unit, **bounds
    )


def set_rules(session: Session, actor: Actor, changes: Mapping[str, Any]) -> SurveyRules:
    """Store a new version: the rules in force with these changes (office only), audited.

    Only the rules given change. Nothing is stored when any value is refused, and an edit that changes
    nothing stores nothing (the history shows changes, not saves).
    """
    policy.require(actor, PERMISSION)
    current = current_rules(session)
    checked: dict[str, Any] = {name: checked_value(name, value) for name, value in changes.items()}
    proposed = replace(current, **checked)
    if proposed == current:
        return current
    row = SurveyRuleSettings(**proposed.as_dict(), set_by_id=actor.id)
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=actor,
        entity="survey_rules",
        entity_id=row.id,
        action="update",
        before=current.as_dict(),
        after=proposed.as_dict(),
    )
    return proposed


def recorded(rules: Mapping[str, Any]) -> SurveyRules:
    """The rules a run recorded (``SurveyRun.rules``); a rule it lacks (recorded before the rule
    existed) counts as its default."""
    known = {f.name for f in fields(SurveyRules)}
    return replace(DEFAULT_RULES, **{k: v for k, v in rules.items() if k in known})


def changed_since(session: Session, run_rules: Mapping[str, Any] | None) -> bool:
    """Whether the rules in force differ from those a run used (``SurveyRun.rules``; None: no run)."""
    if run_rules is None:
        return False
    return recorded(run_rules) != current_rules(session)
