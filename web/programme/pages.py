"""The programme settings page (office only): the targets and their date, the district boundary, the
programme's weather year, the estimating assumptions per surface kind and the economic assumptions
(issue #20: shares in per cent on the form, fractions in the service), one form per section.

Handlers only read the form, call the service that owns the rule and flash what it did, naming the
field of a refusal. A change that outdates estimates (the weather year, the assumptions) says how many
and the page offers the existing re-estimate (``/estimates/run``). Rules live in
:mod:`pvhub.programme.service`, :mod:`pvhub.programme.assumptions`, :mod:`pvhub.weather.service`,
:mod:`pvhub.register.service`, :mod:`pvhub.estimates.service` and :mod:`pvhub.economics.settings`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from fastapi import APIRouter, Depends, Request
from fastapi import UploadFile as ReadableUpload
from sqlmodel import Session, col, select
from starlette.datastructures import FormData, UploadFile
from starlette.responses import Response

from pvhub.accounts.models import User
from pvhub.core import policy
from pvhub.core.errors import DomainError, InvalidInput
from pvhub.core.http import SessionDep
from pvhub.core.uploads import read_limited
from pvhub.economics import assumptions as economic_assumptions
from pvhub.economics import settings as economic_settings
from pvhub.estimates import service as estimates
from pvhub.programme import assumptions
from pvhub.programme import service as programme_service
from pvhub.programme.models import POLICY_TARGET_DATE, ProgrammeUpdate
from pvhub.register import service as register
from pvhub.weather import service as weather
from pvhub.weather.validation import FAR_KM
from pvhub.yieldengine.assumptions import SURFACE_KINDS
from web import csrf, i18n, mapdata
from web.binding import bind, parse_number
from web.form_data import PageForm
from web.shell import LoggedIn, flash_back, page_context
from web.templating import render

router = APIRouter(include_in_schema=False)
PAGE = "/programme/settings"
SECTIONS = ("targets", "boundary", "weather", "assumptions", "economics")
OUTSIDE_COLOUR = "#c0392b"  # a site outside the boundary: the error colour of the stylesheet
INSIDE_COLOUR = "#0f6e5a"
WEATHER_COLOUR = "#2f6fb3"  # where the weather year was recorded


@router.get(PAGE)
def settings_page(request: Request, user: LoggedIn, session: SessionDep) -> Response:
    policy.require(user, "programme:update")  # the page edits; owners and suppliers read the totals
    context = page_context(request, user, session)
    context["section"] = request.session.pop("programme_section", None)
    programme = context["programme"] = programme_service.get_programme(session=session)
    context["policy_date"] = POLICY_TARGET_DATE
    outside = register.sites_outside(session=session, boundary=programme.boundary)
    context["outside"] = outside
    context["markers"] = _boundary_markers(session, user, {s.id for s in outside})
    context["weather"] = year = weather.current_summary(session=session)
    if year.distance_km is not None and year.distance_km <= FAR_KM:  # a far one would zoom out the map
        context["markers"].append(
            {"kind": "weather", "lon": year.longitude, "lat": year.latitude, "colour": WEATHER_COLOUR}
            | {"name": i18n.gettext("Weather year"), "group": year.name, "anchor": True}
        )
    context["weather_history"] = weather.history(session=session)
    context["far_km"] = FAR_KM
    context["assumptions"] = assumptions.current_assumptions(session=session)
    context["assumption_history"] = assumptions.assumptions_history(session=session, limit=10)
    context["fields"] = assumptions.EDITABLE_FIELDS
    context["co2_field"] = assumptions.CO2_FIELD
    context["kinds"] = SURFACE_KINDS
    context["out_of_date"] = estimates.out_of_date_count(session=session)
    context.update(_economics_context(request, session))
    return render(request, "programme/settings.html", context)


# The fractions among the economic assumptions (no unit): the form shows and takes them in per cent.
PERCENT_FIELDS = frozenset(spec.name for spec in economic_assumptions.EDITABLE_FIELDS if not spec.unit)
ECONOMICS_TYPED = "economics_typed"  # session key: what was typed when a save was refused


def _economics_context(request: Request, session: Session) -> dict[str, Any]:
    """The economics section: every field with its value (fractions in %), unit, range, source and the
    versions saved, who saved each; after a refusal the values typed and the refused field."""
    current = economic_settings.current_economics(session=session)
    history = economic_settings.economics_history(session=session, limit=10)
    who = _emails(session, {h.set_by_id for h in history if h.set_by_id is not None})
    typed = request.session.pop(ECONOMICS_TYPED, None)
    shown = _economic_inputs(current.values)
    if isinstance(typed, dict):
        shown.update({k: str(v) for k, v in typed.items() if k in shown})
    return {
        "economics": current,
        "economics_inputs": shown,
        "economics_error_field": request.session.pop("economics_error_field", None),
        "economic_fields": [
            {
                "name": spec.name,
                "unit": "%" if spec.name in PERCENT_FIELDS else spec.unit,
                "range": _range_text(spec),
                "per": spec.per,
                # the sources hold "%" signs, so they are translated here rather than by the template
                "source": i18n.gettext(economic_assumptions.SOURCES.get(spec.name, "")),
            }
            for spec in economic_assumptions.EDITABLE_FIELDS
        ],
        "economics_history": [{"version": h, "by": who.get(h.set_by_id)} for h in history],
        "tax_note": i18n.gettext(economic_assumptions.TAX_NOTE),
        "tariff_classes": economic_assumptions.USE_TARIFF_CLASS,
    }


def _emails(session: Session, user_ids: set[int]) -> dict[int | None, str]:
    """Who saved each version, by e-mail as the weather year's history names them."""
    rows = session.exec(select(User.id, User.email).where(col(User.id).in_(user_ids))).all()
    return {uid: email for uid, email in rows}


def _range_text(spec: economic_assumptions.FieldSpec) -> str:
    scale = 100 if spec.name in PERCENT_FIELDS else 1
    return f"{spec.minimum * scale:g} … {spec.maximum * scale:g}"


def _economic_inputs(values: economic_assumptions.EconomicAssumptions) -> dict[str, str]:
    """Each input's text, keyed by its form name (``tariff_cny_per_kwh.office``)."""
    data = values.as_dict()
    shown: dict[str, str] = {}
    for spec in economic_assumptions.EDITABLE_FIELDS:
        scale = 100 if spec.name in PERCENT_FIELDS else 1
        items = [(f"{spec.name}.{k}", data[spec.name][k]) for k in spec.per] or [(spec.name, data[spec.name])]
        shown.update({name: f"{round(value * scale, 6):g}" for name, value in items})
    return shown


def _economics_form(form: FormData) -> dict[str, Any]:
    """The form's values as :func:`set_economics` takes them (fractions from per cent); a value that is
    not a number, or a per-cent value out of its range, is refused naming its field."""
    changes: dict[str, Any] = {}
    for spec in economic_assumptions.EDITABLE_FIELDS:
        names = [f"{spec.name}.{k}" for k in spec.per] or [spec.name]
        for name in names:
            value = parse_number(str(form.get(name, "")), name, integer=spec.integer)
            if value is None:
                continue
            if spec.name in PERCENT_FIELDS:
                if not spec.minimum * 100 <= value <= spec.maximum * 100:
                    raise InvalidInput(
                        "{field}: {value} is outside {range} (per cent).",
                        field=name,
                        value=value,
                        range=_range_text(spec),
                    )
                value = round(value / 100, 8)
            if spec.per:
                changes.setdefault(spec.name, {})[name.split(".", 1)[1]] = value
            else:
                changes[spec.name] = value
    return changes


@router.post(f"{PAGE}/economics", dependencies=[Depends(csrf.verify)])
def set_economics(request: Request, user: LoggedIn, session: SessionDep, form: PageForm) -> Response:
    """Save the economic assumptions as a new version; a refusal keeps what was typed and marks the field."""
    request.session["programme_section"] = "economics"
    try:
        before = economic_settings.current_economics(session=session)
        after = economic_settings.set_economics(session=session, actor=user, changes=_economics_form(form))
    except DomainError as exc:
        session.rollback()
        request.session[ECONOMICS_TYPED] = {k: str(v) for k, v in form.items() if isinstance(v, str)}
        request.session["economics_error_field"] = exc.field
        return flash_back(request, f"{PAGE}#economics", error=i18n.error_text(exc))
    if after.version_id == before.version_id:
        said = i18n.gettext("Nothing changed: the economic assumptions are as they were.")
    else:
        said = i18n.gettext("The economic assumptions are saved; every economic figure now uses them.")
    return flash_back(request, f"{PAGE}#economics", message=said)


def _boundary_markers(session: Session, user: User, outside: set[int]) -> list[dict[str, Any]]:
    """Every site as a dot, those outside the boundary in the error colour."""
    label = i18n.gettext("outside the boundary")
    markers = []
    for marker in mapdata.overview(register.site_markers(session=session, user=user)):
        out = marker.get("id") in outside
        markers.append(
            {**marker, "footprint": None, "colour": OUTSIDE_COLOUR if out else INSIDE_COLOUR}
            | ({"group": label} if out else {})
        )
    return markers


def _act(request: Request, session: Session, section: str, change: Callable[[], str]) -> Response:
    """Run a change and flash what it says in its section, or roll back and flash the refusal."""
    request.session["programme_section"] = section
    try:
        said = change()
    except DomainError as exc:
        session.rollback()
        return flash_back(request, f"{PAGE}#{section}", error=i18n.error_text(exc))
    return flash_back(request, f"{PAGE}#{section}", message=said)


def _out_of_date(session: Session) -> str:
    session.flush()
    count = estimates.out_of_date_count(session=session)
    said = "%(num)s estimate is out of date." if count == 1 else "%(num)s estimates are out of date."
    return i18n.gettext(said) % {"num": f"{count:,}"}


@router.post(f"{PAGE}/targets", dependencies=[Depends(csrf.verify)])
def set_targets(request: Request, user: LoggedIn, session: SessionDep, form: PageForm) -> Response:
    def change() -> str:
        changes = bind(ProgrammeUpdate, form)
        programme_service.update_programme(session=session, actor=user, changes=changes)
        return i18n.gettext("The targets are saved.")

    return _act(request, session, "targets", change)


def _upload(request: Request, form: FormData, name: str) -> tuple[str, bytes]:
    upload = form.get(name)
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise InvalidInput("{field}: choose a file to upload.", field=name)
    limit = int(request.app.state.settings.max_upload_mb * 1e6)
    # the form's upload is Starlette's class, which FastAPI's only annotates for its schema
    return upload.filename, read_limited(cast(ReadableUpload, upload), limit)


@router.post(f"{PAGE}/boundary", dependencies=[Depends(csrf.verify)])
def set_boundary(request: Request, user: LoggedIn, session: SessionDep, form: PageForm) -> Response:
    def change() -> str:
        _name, content = _upload(request, form, "boundary")
        geojson = programme_service.read_boundary_file(content)
        programme = programme_service.set_boundary(session=session, actor=user, geojson=geojson)
        outside = register.sites_outside(session=session, boundary=programme.boundary)
        said = (
            "The district boundary is set; %(num)s registered site lies outside it."
            if len(outside) == 1
            else "The district boundary is set; %(num)s registered sites lie outside it."
        )
        return i18n.gettext(said) % {"num": f"{len(outside):,}"}

    return _act(request, session, "boundary", change)


def _confirmed(form: FormData) -> bool:
    return str(form.get("confirm_far", "")).lower() in ("1", "true", "on", "yes")


@router.post(f"{PAGE}/weather", dependencies=[Depends(csrf.verify)])
def upload_weather(request: Request, user: LoggedIn, session: SessionDep, form: PageForm) -> Response:
    def change() -> str:
        filename, content = _upload(request, form, "file")
        weather.set_programme_weather(
            session=session, actor=user, filename=filename, content=content, confirm_far=_confirmed(form)
        )
        return _weather_set(session)

    return _act(request, session, "weather", change)


@router.post(f"{PAGE}/weather/pvgis", dependencies=[Depends(csrf.verify)])
def fetch_pvgis(request: Request, user: LoggedIn, session: SessionDep, form: PageForm) -> Response:
    def change() -> str:
        url = request.app.state.settings.pvgis_url
        weather.fetch_pvgis(session=session, actor=user, confirm_far=_confirmed(form), url=url)
        return _weather_set(session)

    return _act(request, session, "weather", change)


def _weather_set(session: Session) -> str:
    session.flush()
    year = weather.current_summary(session=session)
    said = i18n.gettext("The programme's weather year is now {name} (SHA-256 {sha256}).").format(
        name=year.name, sha256=year.sha256
    )
    return f"{said} {_out_of_date(session)}"


@router.post(f"{PAGE}/assumptions", dependencies=[Depends(csrf.verify)])
def set_assumptions(request: Request, user: LoggedIn, session: SessionDep, form: PageForm) -> Response:
    def change() -> str:
        before = assumptions.current_assumptions(session=session)
        kinds, co2 = _assumption_form(form)
        after = assumptions.set_assumptions(session=session, actor=user, kinds=kinds, co2_t_per_mwh=co2)
        if after.version_id == before.version_id:
            return i18n.gettext("Nothing changed: the assumptions are as they were.")
        return f"{i18n.gettext('The assumptions are saved.')} {_out_of_date(session)}"

    return _act(request, session, "assumptions", change)


def _assumption_form(form: FormData) -> tuple[dict[str, dict[str, Any]], float | None]:
    """The form's values as the service takes them (``kinds.<kind>.<field>`` inputs); a number that
    is not one is refused naming its field, the ranges are the service's to check."""
    kinds: dict[str, dict[str, Any]] = {}
    for kind in SURFACE_KINDS:
        for spec in assumptions.EDITABLE_FIELDS:
            name = f"kinds.{kind}.{spec.name}"
            raw = str(form.get(name, "")).strip()
            if not raw:
                continue
            kinds.setdefault(kind, {})[spec.name] = raw if spec.choices else parse_number(raw, name)
    co2 = parse_number(str(form.get("co2_t_per_mwh", "")), "co2_t_per_mwh")
    return kinds, co2
