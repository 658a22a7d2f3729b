"""The potential map (the district's solar cadastre): the office's ``/survey`` and the public ``/potential``.

The office's page filters, ranks and pages the buildings, runs the survey as a job, selects buildings
(in the table or by clicking them on the map) and offers them to an owner organisation; a building's
drill-down shows its candidates with a section sketch of its bands. The public page is the same map
and ranking without owners, names or addresses. Rules live in :mod:`pvhub.survey`.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from sqlmodel import Session, col, select
from starlette.responses import Response

from pvhub.accounts.models import Organisation, User
from pvhub.core import policy
from pvhub.core.enums import Role
from pvhub.core.errors import DomainError
from pvhub.core.http import SessionDep
from pvhub.core.ids import parse_id
from pvhub.economics.settings import current_economics
from pvhub.jobs.deps import StartJob
from pvhub.survey import grouping, offers, potential
from pvhub.survey import rules as survey_rules
from pvhub.survey import service as survey
from pvhub.survey.potential import KINDS, OWNER_STATES, SECTORS, PotentialFilters
from web import csrf, i18n
from web.economics import format as money
from web.economics.potential import building_money, kind_money
from web.form_data import PageForm
from web.shade_scale import shade_layer, shade_legend
from web.shell import LoggedIn, PageUser, base_context, flash_back, follow_job, page_context
from web.survey import reasons, stock_words
from web.survey.sketch import section_sketch
from web.templating import render

router = APIRouter(include_in_schema=False)

#: Five classes of a building's kWp, light to dark: ColorBrewer's sequential "YlOrRd" (5 classes),
#: colorbrewer2.org (Cynthia Brewer, Penn State), chosen for being legible to colour-blind readers.
COLOURS = ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026")
#: Above this many buildings the map draws a dot per building instead of its footprint.
SHAPES_UP_TO = 2000


def _filters(request: Request, *, public: bool) -> tuple[PotentialFilters, str | None]:
    """The filters the query string asks for, or none and the refusal in the reader's language."""
    q = request.query_params
    try:
        minimum = q.get("min_kwh_per_kwp") or None
        return PotentialFilters(
            kind=q.get("kind") or None,
            subdistrict=q.get("subdistrict") or None,
            orientation=q.get("orientation") or None,
            min_kwh_per_kwp=float(minimum) if minimum is not None else None,
            owner_status=None if public else (q.get("owner_status") or None),
            sort=q.get("sort") or "kwp",
        ), None
    except ValueError:
        return PotentialFilters(), i18n.gettext("The minimum kWh/kWp must be a number.")
    except DomainError as exc:
        return PotentialFilters(), i18n.error_text(exc)


def _page_number(request: Request) -> int:
    raw = request.query_params.get("page", "1")
    return int(raw) if raw.isascii() and raw.isdigit() and 0 < int(raw) < 100_000 else 1


def breaks(values: list[float]) -> list[float]:
    """Quintile class breaks of the buildings' kWp (4 inner breaks; equal classes when few differ)."""
    if not values:
        return []
    ordered = sorted(values)
    return [round(ordered[min(len(ordered) - 1, (len(ordered) * k) // 5)], 1) for k in range(1, 5)]


def class_of(value: float, cuts: list[float]) -> int:
    """The class (0–4) of a building's kWp."""
    return int(sum(value >= c for c in cuts))


def colour_of(value: float, cuts: list[float]) -> str:
    """The class colour of a building's kWp."""
    return COLOURS[class_of(value, cuts)]


def _map_markers(
    doc: dict[str, Any], cuts: list[float], public: bool, money_of: tuple[Any, Any] | None = None
) -> list[dict[str, Any]]:
    """The buildings as map markers: footprint (few buildings) or dot, class colour, plain text;
    ``money_of`` (investment and EPC payback arrays, in the features' order) adds them to the text."""
    shapes = len(doc["features"]) <= SHAPES_UP_TO
    out = []
    for i, feature in enumerate(doc["features"]):
        p = feature["properties"]
        footprint = feature["geometry"] if shapes and feature["geometry"]["type"] != "Point" else None
        label = f"{p['kwp']:,.0f} kWp · {p['annual_mwh']:,.0f} MWh · {p['kwh_per_kwp']:,.0f} kWh/kWp"
        if money_of is not None:
            label += " · " + _money_words(float(money_of[0][i]), float(money_of[1][i]))
        name = None if public else (p.get("name") or None)
        out.append(
            {
                "id": p["building_id"],
                "lon": round(p["lon"], 6),
                "lat": round(p["lat"], 6),
                "footprint": footprint,
                "colour": colour_of(p["kwp"], cuts),
                "label": f"{name} · {label}" if name else label,
                "shading_loss": p.get("shading_loss"),  # the "Building shade" layer (issue #19)
            }
        )
    return out


def _money_words(investment: float, payback: float) -> str:
    """A building's investment and EPC payback as the popup's plain text (issue #20)."""
    return i18n.gettext("investment %(cny)s, payback (EPC) %(years)s") % {
        "cny": money.cny(investment),
        "years": money.years(payback) if payback == payback else i18n.gettext("never"),  # NaN: never
    }


def _potential_context(
    request: Request, user: User | None, session: Session, *, public: bool
) -> dict[str, Any]:
    context = page_context(request, user, session) if user else base_context(request, None, session)
    filters, refusal = _filters(request, public=public)
    context["filter_error"] = refusal
    context["filters"] = filters
    context["result"] = result = potential.potential(
        session=session, filters=filters, page=_page_number(request), public=public
    )
    doc = potential.map_features(session=session, filters=filters, public=public)
    cuts = breaks([f["properties"]["kwp"] for f in doc["features"]])
    assumptions = current_economics(session=session).values
    map_money = building_money([f["properties"] for f in doc["features"]], assumptions)
    context["markers"] = _map_markers(doc, cuts, public, map_money)
    investment, payback = building_money([b.__dict__ for b in result.items], assumptions)
    context["money"] = {  # issue #20: the table's investment and EPC payback (None: never paid back)
        b.building_id: (float(investment[i]), None if payback[i] != payback[i] else float(payback[i]))
        for i, b in enumerate(result.items)
    }
    context["legend"] = _legend(cuts)
    context["shade_legend"] = shade_legend()
    context["shade_layer"] = shade_layer(i18n.gettext("Potential (kWp)"))
    context["classes"] = {item.building_id: class_of(item.kwp, cuts) for item in result.items}
    context["kinds"], context["sectors"], context["owner_states"] = KINDS, list(SECTORS), OWNER_STATES
    context["subdistricts"] = potential.subdistricts(session=session)
    context["rules"] = survey_rules.current_rules(session)
    context["run"] = run = survey.latest_run(session=session)
    context["rules_changed"] = survey_rules.changed_since(session, run.rules if run else None)
    context["public"] = public
    context["query"] = {k: v for k, v in request.query_params.items() if k != "page" and v}
    return context


def _legend(cuts: list[float]) -> list[dict[str, Any]]:
    """The legend's classes: colour and the kWp range it stands for."""
    if not cuts:
        return []
    edges = [0.0, *cuts]
    out = []
    for i, colour in enumerate(COLOURS):
        upper = f"{cuts[i]:,.0f}" if i < len(cuts) else ""
        text = f"{edges[i]:,.0f} – {upper}" if upper else f"≥ {edges[i]:,.0f}"
        out.append({"cls": i, "colour": colour, "text": text + " kWp"})
    return out


@router.get("/survey")
def survey_page(request: Request, user: LoggedIn, session: SessionDep) -> Response:
    """The office's potential map: filters, totals, the map, the ranked table, run and offer."""
    policy.require(user, "survey:read")
    context = _potential_context(request, user, session, public=False)
    context["owners"] = session.exec(
        select(Organisation).where(Organisation.kind == Role.owner).order_by(col(Organisation.name))
    ).all()
    return render(request, "survey/potential.html", context)


@router.get("/potential")
def public_potential_page(request: Request, user: PageUser, session: SessionDep) -> Response:
    """The public potential map: no login, no owners, names nor addresses."""
    context = _potential_context(request, None, session, public=True)
    context["user"] = user
    return render(request, "survey/potential_public.html", context)


@router.post("/survey/run", dependencies=[Depends(csrf.verify)])
def run_survey(request: Request, user: LoggedIn, session: SessionDep, start_job: StartJob) -> Response:
    """Run the survey as a job; the job page shows its progress."""
    try:
        job = survey.request_survey(session=session, actor=user)
    except DomainError as exc:
        session.rollback()
        return flash_back(request, "/survey", error=i18n.error_text(exc))
    return follow_job(request, user, session, start_job, job.id)


@router.post("/survey/offer", dependencies=[Depends(csrf.verify)])
def offer(request: Request, user: LoggedIn, session: SessionDep, form: PageForm) -> Response:
    """Offer the selected buildings to the chosen owner organisation."""
    try:
        ids = [parse_id(v, field="building_ids") for v in form.getlist("building_ids")]
        org = parse_id(form.get("organisation_id"), field="organisation_id")
        made = offers.offer_buildings(session=session, actor=user, building_ids=ids, organisation_id=org)
    except DomainError as exc:
        session.rollback()
        return flash_back(request, "/survey", error=i18n.error_text(exc))
    one, many = i18n.gettext("%(num)s building offered."), i18n.gettext("%(num)s buildings offered.")
    said = one if len(made) == 1 else many
    return flash_back(request, "/survey", message=said % {"num": len(made)})


@router.get("/survey/buildings/{building_id}")
def building_page(request: Request, building_id: int, user: PageUser, session: SessionDep) -> Response:
    """A building's drill-down: candidates with bands, skipped parts with reasons, owner and offers."""
    office = policy.can(user, "survey:read")
    context = page_context(request, user, session) if user else base_context(request, None, session)
    context["detail"] = detail = potential.building_detail(
        session=session, building_id=building_id, public=not office
    )
    context["office"] = office
    context["faces"] = faces = grouping.group_candidates(detail.candidates)
    investment, payback = kind_money(
        [(f.kind, f.kwp, f.annual_mwh * 1000.0) for f in faces],
        detail.building.use,
        current_economics(session=session).values,
    )
    context["face_money"] = [  # issue #20: each face's investment and EPC payback (None: never)
        (float(inv), None if pb != pb else float(pb)) for inv, pb in zip(investment, payback, strict=True)
    ]
    context["skipped_lines"] = [reasons.skipped_line(g) for g in grouping.group_skipped(detail.skipped)]
    context["sketch"] = section_sketch(detail.building, detail.candidates)
    b = detail.building
    context["note"] = stock_words.translate(b.note) if b.note else ""
    context["markers"] = [
        {"id": b.id, "lon": b.lon, "lat": b.lat, "footprint": b.footprint, "colour": COLOURS[3], "label": ""}
    ]
    return render(request, "survey/building.html", context)


@router.get("/survey/export.geojson")
def export_geojson(request: Request, user: LoggedIn, session: SessionDep) -> Response:
    policy.require(user, "survey:read")
    return _geojson(request, public=False, session=session)


@router.get("/survey/export.csv")
def export_csv(request: Request, user: LoggedIn, session: SessionDep) -> Response:
    policy.require(user, "survey:read")
    return _csv(request, public=False, session=session)


@router.get("/potential/export.geojson")
def public_geojson(request: Request, session: SessionDep) -> Response:
    return _geojson(request, public=True, session=session)


@router.get("/potential/export.csv")
def public_csv(request: Request, session: SessionDep) -> Response:
    return _csv(request, public=True, session=session)


def _geojson(request: Request, *, public: bool, session: Session) -> Response:
    filters, _refusal = _filters(request, public=public)
    doc = potential.map_features(session=session, filters=filters, public=public)
    return JSONResponse(
        doc,
        media_type="application/geo+json",
        headers={"Content-Disposition": 'attachment; filename="pvhub-potential.geojson"'},
    )


def _csv(request: Request, *, public: bool, session: Session) -> Response:
    filters, _refusal = _filters(request, public=public)
    return Response(
        potential.candidates_csv(session=session, filters=filters, public=public),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="pvhub-candidates.csv"'},
    )
