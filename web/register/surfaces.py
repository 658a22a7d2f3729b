"""The surface page: a surface's estimate (figures, monthly chart, the assumptions it used), its
staleness, the office's one-click re-estimate and its per-surface assumption (shading loss).

Who may open it is who may read the surface (the site's owner, the office); the buttons follow
:mod:`pvhub.core.policy`. Re-estimating reuses the estimate job and its progress page.
"""

from __future__ import annotations

import math
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from sqlmodel import Session
from starlette.responses import Response

from gis.shading import DEFAULT_RADIUS_M
from pvhub.accounts.models import User
from pvhub.core import policy
from pvhub.core.errors import InvalidInput
from pvhub.core.http import SessionDep
from pvhub.economics import service as economics
from pvhub.economics.cashflow import Economics
from pvhub.estimates import service as estimates
from pvhub.estimates import sunpath
from pvhub.jobs.deps import StartJob
from pvhub.programme.assumptions import current_assumptions
from pvhub.register import service as register
from pvhub.register.enums import SurfaceStatus
from pvhub.register.models import Site, Surface
from pvhub.survey import stock as building_stock
from web import charts, csrf, i18n, shade_scale
from web.economics import view as economics_view
from web.form_data import PageForm
from web.shell import LoggedIn, base_context, follow_job
from web.templating import render

router = APIRouter(include_in_schema=False)

COMPASS = ("N", "NE", "E", "SE", "S", "SW", "W", "NW")


def compass(azimuth_deg: float) -> str:
    """The 8-point compass direction a surface faces (pvlib azimuth: 0 = north, 180 = south)."""
    return COMPASS[int(((azimuth_deg % 360.0) + 22.5) // 45.0) % 8]


def _markers(site: Site, surface: Surface) -> list[dict[str, Any]]:
    """The site's outline and, when drawn, the surface itself, for the map."""
    markers: list[dict[str, Any]] = [
        {"id": site.id, "name": site.name, "lon": site.lon, "lat": site.lat, "footprint": site.footprint}
    ]
    if surface.geometry:
        name = i18n.gettext(f"kind.{surface.kind.value}")
        markers.append(
            {
                "name": name,
                "kind": surface.kind.value,
                "geometry": surface.geometry,
                "lon": site.lon,
                "lat": site.lat,
                "shading_loss": register.shading_in_force(surface),  # the "Building shade" layer
            }
        )
    return markers


def _surface_context(request: Request, user: User, session: Session, surface_id: int) -> dict[str, Any]:
    surface = register.get_surface(session=session, user=user, surface_id=surface_id)
    site = register.get_site(session=session, user=user, site_id=surface.site_id)
    row = estimates.estimates_for(session=session, surface_ids=[surface_id]).get(surface_id)
    context = base_context(request, user, session)
    tz = ZoneInfo(request.app.state.settings.timezone)
    configured = current_assumptions(session=session)
    defaults = {
        **configured.kinds[surface.kind.value].as_dict(),
        "co2_t_per_mwh": configured.co2_t_per_mwh,
    }
    context.update(
        surface=surface,
        site=site,
        title=i18n.gettext(f"kind.{surface.kind.value}")
        + (f" · {surface.name}" if surface.name else f" #{surface.id}"),
        estimate=row,
        stale=row is not None and bool(estimates.outdated(session=session, estimate_ids=[row.id])),
        used=row.assumptions if row is not None else None,
        computed_at=row.computed_at.astimezone(tz).strftime("%Y-%m-%d %H:%M") if row else None,
        timezone=request.app.state.settings.timezone,
        monthly=list(row.monthly_kwh) if row is not None else [],
        defaults=defaults,
        planned={
            **defaults,
            **{
                k: v
                for k, v in (
                    ("power_density_w_m2", surface.power_density_w_m2),
                    ("losses_pct", surface.losses_pct),
                )
                if v is not None
            },
        },
        facing=compass(surface.azimuth_deg),
        can_estimate=policy.can(user, "estimate:run") and surface.status == SurfaceStatus.approved,
        can_set_assumptions=policy.can(user, "surface:set_assumptions")
        and surface.status != SurfaceStatus.withdrawn,
        flash_error=request.session.pop("flash_error", None),
        markers=_markers(site, surface),
        shade_layer=shade_scale.shade_layer(i18n.gettext("Surface kinds")),
        shade_legend=shade_scale.shade_legend(),
    )
    context.update(_sun_and_shade(session, site, surface, request.app.state.settings.timezone))
    context.update(_economics(request, user, session, site, surface_id))
    return context


def _economics(request: Request, user: User, session: Session, site: Site, surface_id: int) -> dict[str, Any]:
    """The economics panel (issue #20): the surface as a system of its own, under the site's business
    model or the one ``?model=`` names, beside the three models at the programme's default terms."""
    own = site.business_model.value
    model = economics_view.chosen_model(request.query_params.get("model"), own)

    def load(m: str | None) -> Economics:
        return economics.surface_economics(session=session, user=user, surface_id=surface_id, model=m)

    return {
        "econ": economics_view.page_economics(
            load, lambda: {m: load(m) for m in economics_view.MODELS}, model
        ),
        "econ_path": f"/surfaces/{surface_id}",
        "econ_own": own,
        "econ_subject": "surface",
    }


def _sun_and_shade(session: Session, site: Site, surface: Surface, timezone: str) -> dict[str, Any]:
    """The "Sun and shade" section: the sun-path chart and hours lost, or why there are none (the
    handler is a plain ``def``: FastAPI runs it in a worker thread, off the event loop)."""
    chart = sunpath.sun_path_chart(session=session, surface=surface, timezone=timezone)
    if chart is None:
        return {"sun_path": None, "sun_path_missing": _why_no_sun_path(session, site, surface)}
    bars, top = charts.hours_bars(chart.sunshine_hours, chart.hours_lost)
    return {
        "sun_path": chart,
        "horizon": charts.horizon_chart(chart.skylines, [(p.label, p.points, p.hours) for p in chart.paths]),
        "hours_bars": bars,
        "hours_top": top,
    }


def _why_no_sun_path(session: Session, site: Site, surface: Surface) -> str:
    """``no_geometry`` (no shape to place sample points on), ``no_stock`` (no building of the stock
    within the shading radius of the site) or ``not_computed`` (shade comes with the next estimate)."""
    if not surface.geometry:
        return "no_geometry"
    dlat = DEFAULT_RADIUS_M / 111_320.0  # metres per degree of latitude (WGS84, mean)
    dlon = dlat / max(math.cos(math.radians(site.lat)), 0.01)
    box = (site.lon - dlon, site.lat - dlat, site.lon + dlon, site.lat + dlat)
    if not building_stock.buildings_near(session, box, limit=1)["features"]:
        return "no_stock"
    return "not_computed"


@router.get("/surfaces/{surface_id}")
def surface_page(request: Request, surface_id: int, user: LoggedIn, session: SessionDep) -> Response:
    """A surface's estimate and the assumptions it used, for whoever may read the surface."""
    return render(request, "register/surface.html", _surface_context(request, user, session, surface_id))


@router.post("/surfaces/{surface_id}/estimate", dependencies=[Depends(csrf.verify)])
def re_estimate(
    request: Request, surface_id: int, user: LoggedIn, session: SessionDep, start_job: StartJob
) -> Response:
    """One click (office): estimate this surface again as a background job; follow its progress."""
    job = estimates.request_estimate(session=session, actor=user, surface_id=surface_id)
    return follow_job(request, user, session, start_job, job.id)


def percent(raw: str, field: str) -> float:
    """A percentage typed by a person ("5", "5.5", "5,5", "5 %") as a fraction 0–1."""
    text = raw.strip().rstrip("%").strip().replace(",", ".")
    try:
        value = float(text)
    except ValueError:
        raise InvalidInput("{field}: {raw!r} is not a number.", raw=raw, field=field) from None
    if not math.isfinite(value):
        raise InvalidInput("{field}: {raw!r} is not a number.", raw=raw, field=field)
    return value / 100.0


def optional_number(raw: str, field: str) -> float | None:
    """A number typed by a person, or None when the field is left empty (the kind's default)."""
    text = raw.strip().rstrip("%").strip().replace(",", ".")
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise InvalidInput("{field}: {raw!r} is not a number.", raw=raw, field=field) from None
    if not math.isfinite(value):
        raise InvalidInput("{field}: {raw!r} is not a number.", raw=raw, field=field)
    return value


@router.post("/surfaces/{surface_id}/assumptions", dependencies=[Depends(csrf.verify)])
def set_assumptions(
    request: Request, surface_id: int, user: LoggedIn, session: SessionDep, form: PageForm
) -> Response:
    """The office sets the surface's shading loss, power density and losses; its estimate goes stale."""
    try:
        # empty: computed from the building stock (issue #19); a number: typed, it overrides
        typed = str(form.get("shading_loss_pct") or "")
        shading = percent(typed, "shading_loss") if typed.strip() else None
        density = optional_number(str(form.get("power_density_w_m2") or ""), "power_density_w_m2")
        losses = optional_number(str(form.get("losses_pct") or ""), "losses_pct")
        register.set_surface_assumptions(
            session=session,
            actor=user,
            surface_id=surface_id,
            shading_loss=shading,
            power_density_w_m2=density,
            losses_pct=losses,
        )
    except InvalidInput as exc:
        request.session["flash_error"] = i18n.error_text(exc)
    return RedirectResponse(f"/surfaces/{surface_id}#assumptions", status_code=303)
