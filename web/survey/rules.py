"""The survey rules page (office): the rules in force as a form, what each means, and their history.

Linked from the potential page ``/survey``, which states the rules in force and says when they changed
after the last run. A refusal shows the form again as it was typed, the message next to the field it
names (status 422). Rules live in :mod:`pvhub.survey.rules`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Depends, Request
from sqlmodel import Session, col, select
from starlette.responses import Response

from pvhub.accounts.models import User
from pvhub.core import policy
from pvhub.core.errors import N_, DomainError
from pvhub.core.http import SessionDep
from pvhub.survey import rules as survey_rules
from pvhub.survey import service as survey
from web import csrf, i18n
from web.binding import parse_number
from web.form_data import PageForm
from web.shell import LoggedIn, flash_back, page_context
from web.templating import render

router = APIRouter(include_in_schema=False)
PAGE = "/survey/rules"

#: Each rule's label in a form and in a refusal (``field.NAME``, see :func:`web.i18n.error_text`).
FIELD_LABELS = (
    N_("field.min_area_m2"),
    N_("field.band_height_m"),
    N_("field.opaque_share"),
    N_("field.wall_azimuth_min"),
    N_("field.wall_azimuth_max"),
    N_("field.roof_usable_ratio"),
)

#: What each rule means and why its default is what it is (the sources: pvhub.survey.rules and
#: gis.candidates.CandidateRules).
MEANINGS: dict[str, str] = {
    "min_area_m2": N_(
        "A roof face or facade band with less usable area is left out: too small for a useful array "
        "(10 m² carry about 2 kWp at the roof's module density of 180 W/m²)."
    ),
    "band_height_m": N_(
        "Facades are cut into horizontal bands this tall, because the top and the bottom of a tower's "
        "wall see different suns. Leave it empty for one band per storey."
    ),
    "opaque_share": N_(
        "The share of a facade band that can carry BIPV: spandrels, not vision glass. 0.30 because "
        "GB 50189-2015 §3.2.2 caps a public building's window-to-wall ratio in Shanghai at 0.70."
    ),
    "wall_azimuth_min": N_(
        "Walls facing between these two azimuths are surveyed (0° north, 90° east, 180° south, 270° "
        "west); the others face away from the sun. A first azimuth above the second wraps through north."
    ),
    "min_kwh_per_kwp": N_(
        "A candidate whose estimated specific yield is lower is left out, with its figure: a surface's "
        "cost per kWh grows as its yield falls."
    ),
    "roof_usable_ratio": N_(
        "A roof keeps at most this share of its gross area, besides its edge setback: a building file "
        "shows no plant rooms, stair heads, water tanks or access paths. 0.70 is the register's share "
        "for a roof entered without geometry."
    ),
}


def _shown(value: float | None) -> str:
    """A rule's value as the form shows it (``10`` not ``10.0``; empty for none)."""
    return "" if value is None else f"{value:g}"


def _context(
    request: Request, user: User, session: Session, typed: Mapping[str, str] | None = None
) -> dict[str, Any]:
    context = page_context(request, user, session)
    context["version"] = version = survey_rules.current_version(session)
    context["specs"] = survey_rules.RULE_SPECS
    context["meanings"] = MEANINGS
    current = version.rules.as_dict()
    context["values"] = dict(typed) if typed is not None else {k: _shown(v) for k, v in current.items()}
    context["history"] = history = survey_rules.rules_history(session, limit=20)
    ids = {v.set_by_id for v in history if v.set_by_id is not None}
    users = session.exec(select(User).where(col(User.id).in_(ids))).all() if ids else []
    context["set_by"] = {u.id: u.email for u in users}
    run = context["run"] = survey.latest_run(session=session)
    context["changed"] = survey_rules.changed_since(session, run.rules if run else None)
    return context


@router.get(PAGE)
def rules_page(request: Request, user: LoggedIn, session: SessionDep) -> Response:
    """The rules in force as a form, with their meaning and history."""
    policy.require(user, survey_rules.PERMISSION)  # the page edits; the potential map states the rules
    return render(request, "survey/rules.html", _context(request, user, session))


def _changes(typed: Mapping[str, str]) -> dict[str, float | None]:
    """The form's text as the service takes it: numbers as typed (thousands separators allowed), an
    empty optional rule as None; the ranges are the service's to check."""
    changes: dict[str, float | None] = {}
    for spec in survey_rules.RULE_SPECS:
        raw = typed.get(spec.name, "")
        changes[spec.name] = parse_number(raw, spec.name) if raw else None
    return changes


@router.post(PAGE, dependencies=[Depends(csrf.verify)])
def save_rules(request: Request, user: LoggedIn, session: SessionDep, form: PageForm) -> Response:
    """Store the rules as edited; a refusal shows the form again as typed, the message by its field."""
    policy.require(user, survey_rules.PERMISSION)  # a refusal here is a 403, not the form again
    typed = {spec.name: str(form.get(spec.name, "")).strip() for spec in survey_rules.RULE_SPECS}
    before = survey_rules.current_rules(session)
    try:
        after = survey_rules.set_rules(session, user, _changes(typed))
    except DomainError as exc:
        session.rollback()  # a refused edit stores nothing
        context = _context(request, user, session, typed)
        context.update(error=i18n.error_text(exc), error_field=exc.field)
        return render(request, "survey/rules.html", context, status_code=exc.status_code)
    if after == before:
        return flash_back(request, PAGE, message=i18n.gettext("Nothing changed: the rules are as they were."))
    said = i18n.gettext("The survey rules are saved; the next survey run uses them.")
    return flash_back(request, PAGE, message=said)
