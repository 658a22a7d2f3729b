"""The register's list of sites and each site's page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from sqlmodel import Session
from starlette.responses import Response

from pvhub.core import policy
from pvhub.core.http import SessionDep
from pvhub.economics import service as economics
from pvhub.economics.cashflow import Economics
from pvhub.estimates import service as estimates
from pvhub.register import service as register
from pvhub.register.enums import SurfaceKind
from pvhub.weather import service as weather
from web import i18n, shade_scale
from web.economics import view as economics_view
from web.shell import LoggedIn, base_context
from web.templating import render

router = APIRouter(include_in_schema=False)


PAGE_SIZE = 50


@router.get("/sites")
def sites_page(request: Request, user: LoggedIn, session: SessionDep, page: int = 1) -> Response:
    """The register as the user may see it, paginated in the database."""
    page = max(page, 1)
    result = register.list_sites(session=session, user=user, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE)
    context = base_context(request, user, session)
    context.update(page=result, page_no=page, pages=max(1, -(-result.total // PAGE_SIZE)))
    context["yields"] = estimates.yields_by_site(
        session=session, site_ids=[s.id for s in result.items if s.id is not None]
    )
    context["totals"] = estimates.register_yields(session=session, user=user)
    context["weather"] = weather.current_summary(session=session)
    context["money"] = _money_by_site(session, [s.id for s in result.items if s.id is not None])
    return render(request, "register/sites.html", context, block="sitetable")


def _money_by_site(session: Session, site_ids: list[int]) -> dict[int, economics_view.PartyFigures]:
    """The page's sites' investment and payback (issue #20), each under its own business model, from
    its approved estimated surfaces as the yield columns beside them: the investing party's figures
    (the owner in EPC, the investor in EMC and lease), whose payback is the one people ask about."""
    found = economics.each_site(session=session, site_ids=site_ids, approved_only=True)
    return {site_id: economics_view.investing_party(figures) for site_id, figures in found.items()}


@router.get("/sites/{site_id}")
def site_page(request: Request, site_id: int, user: LoggedIn, session: SessionDep) -> Response:
    site = register.get_site(session=session, user=user, site_id=site_id)
    context = base_context(request, user, session)
    context["site"] = site
    context["editable"] = policy.can(user, "site:update", owner_org_id=site.organisation_id)
    context["kinds"] = [k.value for k in SurfaceKind]
    context["flash_error"] = request.session.pop("flash_error", None)
    context["surfaces"] = register.list_site_surfaces(session=session, user=user, site_id=site_id)
    context["estimates"] = estimates.estimates_for(
        session=session, surface_ids=[s.id for s in context["surfaces"] if s.id is not None]
    )
    context["monthly"] = estimates.site_monthly_kwh(context["estimates"].values())
    context["outdated"] = estimates.outdated(
        session=session, estimate_ids=[e.id for e in context["estimates"].values()]
    )
    context["markers"] = [
        {"id": site.id, "name": site.name, "lon": site.lon, "lat": site.lat, "footprint": site.footprint}
    ] + [
        {
            "name": i18n.gettext(f"kind.{s.kind.value}"),
            "kind": s.kind.value,
            "geometry": s.geometry,
            "lon": site.lon,
            "lat": site.lat,
            "shading_loss": register.shading_in_force(s),  # the "Building shade" layer (issue #19)
        }
        for s in context["surfaces"]
        if s.geometry
    ]
    context["shade_layer"] = shade_scale.shade_layer(i18n.gettext("Surface kinds"))
    context["shade_legend"] = shade_scale.shade_legend()
    own = site.business_model.value
    model = economics_view.chosen_model(request.query_params.get("model"), own)

    def load(m: str | None) -> Economics:
        return economics.site_economics(session=session, user=user, site_id=site_id, model=m)

    context["econ"] = economics_view.page_economics(
        load, lambda: economics.site_comparison(session=session, user=user, site_id=site_id), model
    )
    context.update(econ_path=f"/sites/{site_id}", econ_own=own, econ_subject="site")
    return render(request, "register/site.html", context)
