"""Register pages for owners (and the office): add a site by drawing it, add surfaces with a live
preview of their derived area, tilt and azimuth, and submit them for review."""

from __future__ import annotations

import json
import math
import re
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from starlette.datastructures import FormData
from starlette.responses import Response

from pvhub.accounts import service as accounts
from pvhub.core import policy
from pvhub.core.enums import Role
from pvhub.core.errors import DomainError, InvalidInput, Phrase
from pvhub.core.http import SessionDep
from pvhub.economics.assumptions import TARIFF_CLASSES
from pvhub.economics.settings import current_economics
from pvhub.register import service as register
from pvhub.register.api import exports as api_exports
from pvhub.register.enums import SITE_USES, BusinessModel
from pvhub.register.geometry import surface_shape
from pvhub.register.models import SiteCreate, SiteUpdate, SurfaceCreate
from web import csrf, i18n
from web.binding import bind, parse_number
from web.form_data import PageForm
from web.mapdata import from_display
from web.shell import LoggedIn, base_context
from web.templating import render

router = APIRouter(include_in_schema=False)

SITE_NUMBERS = ("height_m",)
SURFACE_NUMBERS = (
    "tilt_deg",
    "azimuth_deg",
    "usable_area_m2",
    "height_m",
    "height_from_m",
    "height_to_m",
    "shading_loss",
)


def _numbers(form: FormData, names: tuple[str, ...]) -> dict[str, float]:
    """Form fields as numbers; empty fields are left out, anything else that is not a number is an error."""
    values: dict[str, float] = {}
    for name in names:
        raw = str(form.get(name) or "").strip().replace(",", ".")
        if not raw:
            continue
        try:
            values[name] = float(raw)
        except ValueError:
            raise InvalidInput("{field}: {raw!r} is not a number.", raw=raw, field=name) from None
        if not math.isfinite(values[name]):  # "nan", "inf", 1e400
            raise InvalidInput("{field}: {raw!r} is not a number.", raw=raw, field=name)
    return values


def _geojson(form: FormData, name: str, datum: str = "wgs84") -> dict[str, Any] | None:
    """A shape drawn on the map (in the tiles' datum), as WGS84 GeoJSON."""
    raw = str(form.get(name) or "").strip()
    if not raw:
        return None
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        raise InvalidInput("The drawn shape could not be read; draw it again.", field=name) from None
    if not isinstance(value, dict):
        return None
    try:
        return from_display(value, datum)
    except (ValueError, TypeError, KeyError, AttributeError):
        raise InvalidInput("The drawn shape could not be read; draw it again.", field=name) from None


def _typed_ring(text: str) -> dict[str, Any] | None:
    """ "lon, lat" per line → a GeoJSON Polygon (closed for the user)."""
    points = [
        list(p)
        for p in _number_pairs(
            text, label=Phrase("Outline"), what=Phrase("longitude, latitude"), field="coordinates"
        )
    ]
    if not points:
        return None
    if points[0] != points[-1]:
        points.append(points[0])
    return {"type": "Polygon", "coordinates": [points]}


_PAIR_SEPARATORS = re.compile(r"[\s,;，；]+")


def _number_pairs(text: str, *, label: Phrase, what: Phrase, field: str) -> list[tuple[float, float]]:
    """Two numbers per line, as people type or paste them (spaces, tabs, commas — also full-width —
    or semicolons between); empty lines are skipped, any other line that is not two finite numbers
    is named in the error."""
    pairs = []
    for number, line in enumerate(text.splitlines(), start=1):
        parts = [p for p in _PAIR_SEPARATORS.split(line.strip()) if p]
        if not parts:
            continue
        try:
            a, b = (float(p) for p in parts)
        except ValueError:  # not numbers, or not two of them
            a = b = math.nan
        if not (math.isfinite(a) and math.isfinite(b)):
            raise InvalidInput(
                "{label}, line {line}: write {what}, not {text!r}.",
                label=label,
                line=number,
                what=what,
                text=line.strip(),
                field=field,
            )
        pairs.append((a, b))
    return pairs


@router.get("/sites/export.geojson")
def export_geojson(user: LoggedIn, session: SessionDep) -> Response:
    """The register as GeoJSON: the API's export, for the logged-in page user."""
    return api_exports.export_geojson(user=user, session=session)


@router.get("/sites/export.csv")
def export_csv(user: LoggedIn, session: SessionDep) -> Response:
    return api_exports.export_csv(user=user, session=session)


@router.get("/sites/new")
def new_site_form(request: Request, user: LoggedIn, session: SessionDep) -> Response:
    context = _site_form_context(request, user, session, {})
    context.update(_owner_choice(user, session))
    return render(request, "register/site_new.html", context)


def _owner_choice(user: Any, session: Any) -> dict[str, Any]:
    """The owner drop-down of a new site, for whoever may register sites for others (the office):
    its site is the chosen owner's (``SiteCreate.organisation_id``); an owner's is always its own."""
    if not policy.can(user, "site:create_for_others"):
        return {}
    return {"owners": accounts.list_organisations(session=session, kind=Role.owner)}


def _site_fields(form: FormData, values: dict[str, str], datum: str) -> dict[str, Any]:
    """The site form's fields as service input; the outline drawn (or typed) only when there is one."""
    fields: dict[str, Any] = {
        "name": values.get("name", "").strip(),
        "address": values.get("address", "").strip(),
        "subdistrict": values.get("subdistrict", "").strip(),
        "use": values.get("use", "office"),
        "business_model": values.get("business_model", "epc"),
        **_numbers(form, SITE_NUMBERS),
    }
    footprint = _geojson(form, "footprint", datum) or _typed_ring(values.get("coordinates", ""))
    if footprint is not None:
        fields["footprint"] = footprint
    if "horizon" in values:  # on the form: empty means an open horizon (and removes a stored one)
        fields["horizon"] = horizon_from_text(values["horizon"])
    if "self_use_share" in values:  # typed in %; empty returns the site to its tariff class's default
        fields["self_use_share"] = share_from_percent(values["self_use_share"], "self_use_share")
    return fields


def share_from_percent(text: str, field: str) -> float | None:
    """A share typed in % (0–100) as the fraction the service takes; None when left empty."""
    value = parse_number(text.replace("%", ""), field)
    if value is None:
        return None
    if not 0 <= value <= 100:
        raise InvalidInput(
            "{field}: {value} is not a share in per cent; enter 0 to 100.", field=field, value=value
        )
    return round(value / 100, 6)


def percent_text(share: float | None) -> str:
    """A stored fraction as the form shows it, in %; empty for none."""
    return "" if share is None else f"{share * 100:g}"


def horizon_from_text(text: str) -> dict[str, list[float]] | None:
    """A horizon typed as one ``azimuth elevation`` pair per line (degrees), as the API's
    ``horizon``; None when empty. The model checks the ranges and the order."""
    pairs = _number_pairs(
        text, label=Phrase("Horizon"), what=Phrase("azimuth and elevation in degrees"), field="horizon"
    )
    if not pairs:
        return None
    return {"azimuth_deg": [a for a, _ in pairs], "elevation_deg": [e for _, e in pairs]}


def horizon_to_text(horizon: dict[str, Any] | None) -> str:
    """A stored horizon as the form shows it, one ``azimuth elevation`` pair per line."""
    if not horizon:
        return ""
    pairs = zip(horizon.get("azimuth_deg", []), horizon.get("elevation_deg", []), strict=False)
    return "\n".join(f"{a:g} {e:g}" for a, e in pairs)


def _site_form_context(request: Request, user: Any, session: Any, values: dict[str, Any]) -> dict[str, Any]:
    context = base_context(request, user, session)
    context.update(
        values=values,
        uses=SITE_USES,
        business_models=[m.value for m in BusinessModel],
        subdistricts=register.known_subdistricts(session=session),
        markers=[],
        self_use_defaults=_self_use_defaults(session),
    )
    return context


def _self_use_defaults(session: Any) -> dict[str, float]:
    """Per tariff class, the self-use share (%) a site gets when the form leaves it empty."""
    shares = current_economics(session=session).values.self_use_share
    return {name: round(shares.get(name, 0.0) * 100, 1) for name in TARIFF_CLASSES}


@router.post("/sites/new", dependencies=[Depends(csrf.verify)])
def create_site(request: Request, user: LoggedIn, session: SessionDep, form: PageForm) -> Response:
    """Register a site: an owner's own, or (the office) the chosen owner's; the audit log names the
    user who registered it. A refusal shows the form again as it was filled, the message by its field."""
    values = {k: str(v) for k, v in form.items() if isinstance(v, str)}
    try:
        fields = _site_fields(form, values, request.app.state.settings.map_tile_crs)
        # only the owner is read from the form as it is (an id, parsed by bind); the rest as above
        chosen = {k: values[k] for k in ("organisation_id",) if k in values}
        data = bind(SiteCreate, chosen, **fields)
        site = register.create_site(session=session, actor=user, data=data)
    except DomainError as exc:
        session.rollback()  # a refused site leaves nothing behind
        context = _site_form_context(request, user, session, values)
        context.update(_owner_choice(user, session), error=i18n.error_text(exc), error_field=exc.field)
        context["markers"] = _drawn_outline(form, request.app.state.settings.map_tile_crs)
        return render(request, "register/site_new.html", context, status_code=exc.status_code)
    return RedirectResponse(f"/sites/{site.id}", status_code=303)


def _drawn_outline(form: FormData, datum: str) -> list[dict[str, Any]]:
    """The outline drawn before a refusal, as a map marker (WGS84), so the form shows it again; none
    when it was not drawn or cannot be read (that refusal is said by the field)."""
    try:
        outline = _geojson(form, "footprint", datum)
    except DomainError:
        return []
    if outline is None or outline.get("type") != "Polygon":
        return []
    lon, lat = outline["coordinates"][0][0]
    return [{"lon": lon, "lat": lat, "footprint": outline}]


@router.get("/sites/{site_id}/edit")
def edit_site_form(request: Request, site_id: int, user: LoggedIn, session: SessionDep) -> Response:
    site = register.get_site(session=session, user=user, site_id=site_id)
    values = {
        **site.model_dump(),
        "footprint": json.dumps(site.footprint) if site.footprint else "",
        "horizon": horizon_to_text(site.horizon),
        "self_use_share": percent_text(site.self_use_share),
    }
    context = _site_form_context(request, user, session, values)
    context.update(site=site, markers=[{"lon": site.lon, "lat": site.lat, "footprint": site.footprint}])
    return render(request, "register/site_new.html", context)


@router.post("/sites/{site_id}/edit", dependencies=[Depends(csrf.verify)])
def edit_site(
    request: Request, site_id: int, user: LoggedIn, session: SessionDep, form: PageForm
) -> Response:
    """Change a site's details; a newly drawn outline replaces the old one (and moves its location)."""
    values = {k: str(v) for k, v in form.items() if isinstance(v, str)}
    try:
        changes = _site_fields(form, values, request.app.state.settings.map_tile_crs)
        register.update_site(
            session=session, actor=user, site_id=site_id, changes=bind(SiteUpdate, {}, **changes)
        )
    except DomainError as exc:
        site = register.get_site(session=session, user=user, site_id=site_id)
        context = _site_form_context(request, user, session, values)
        context.update(
            site=site,
            error=i18n.error_text(exc),
            error_field=exc.field,
            markers=[{"lon": site.lon, "lat": site.lat, "footprint": site.footprint}],
        )
        return render(request, "register/site_new.html", context, status_code=422)
    return RedirectResponse(f"/sites/{site_id}", status_code=303)


def _surface_values(form: FormData, site_id: int, datum: str) -> dict[str, Any]:
    return {
        "site_id": site_id,
        "kind": str(form.get("kind") or "roof"),
        "geometry": _geojson(form, "geometry", datum),
        **_numbers(form, SURFACE_NUMBERS),
    }


@router.post("/sites/{site_id}/surfaces/preview", dependencies=[Depends(csrf.verify)])
def preview_surface(
    request: Request, site_id: int, user: LoggedIn, session: SessionDep, form: PageForm
) -> Response:
    """Live preview: the area, tilt and azimuth pvhub will store for what was drawn and typed."""
    register.get_site(session=session, user=user, site_id=site_id)
    context: dict[str, Any] = {}
    try:
        values = _surface_values(form, site_id, request.app.state.settings.map_tile_crs)
        if values["geometry"] is None and "tilt_deg" not in values:
            context["hint"] = True
        else:
            data = bind(SurfaceCreate, {}, **values)
            context["shape"] = surface_shape(data.kind, data.model_dump())
    except DomainError as exc:
        context["error"] = i18n.error_text(exc)
    except ValueError as exc:  # what the geometry library itself refuses, in its own words
        context["error"] = str(exc).splitlines()[-1] if str(exc) else "invalid input"
    return render(request, "register/surface_preview.html", context)


@router.post("/sites/{site_id}/surfaces", dependencies=[Depends(csrf.verify)])
def add_surface(
    request: Request, site_id: int, user: LoggedIn, session: SessionDep, form: PageForm
) -> Response:
    try:
        data = bind(
            SurfaceCreate, {}, **_surface_values(form, site_id, request.app.state.settings.map_tile_crs)
        )
        register.create_surface(session=session, actor=user, data=data)
    except DomainError as exc:
        request.session["flash_error"] = i18n.error_text(exc)
    except ValueError as exc:  # what the geometry library itself refuses, in its own words
        request.session["flash_error"] = str(exc).splitlines()[-1]
    return RedirectResponse(f"/sites/{site_id}#surfaces", status_code=303)


@router.post("/surfaces/{surface_id}/submit", dependencies=[Depends(csrf.verify)])
def submit_surface(request: Request, surface_id: int, user: LoggedIn, session: SessionDep) -> Response:
    surface = register.submit_surface(session=session, actor=user, surface_id=surface_id)
    return RedirectResponse(f"/sites/{surface.site_id}#surfaces", status_code=303)
