"""Office review queue: filter submitted surfaces, approve with eligibility checks or reject with a reason."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from sqlmodel import Session, col, select
from starlette.responses import Response

from pvhub.accounts.models import User
from pvhub.core import policy
from pvhub.core.errors import DomainError
from pvhub.core.http import SessionDep
from pvhub.register import service as register
from pvhub.register.enums import SurfaceKind, SurfaceStatus
from pvhub.register.models import Site, Surface, SurfaceApproval
from web import csrf, i18n
from web.shell import LoggedIn, base_context
from web.templating import localized, render

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50
ROW_TEMPLATE = "register/review_row.html"


def _kind(value: str) -> SurfaceKind | None:
    return SurfaceKind(value) if value in SurfaceKind.__members__ else None


def _status(value: str) -> SurfaceStatus | None:
    return SurfaceStatus(value) if value in SurfaceStatus.__members__ else None


@router.get("/review")
def review_queue(
    request: Request,
    user: LoggedIn,
    session: SessionDep,
    status: str = SurfaceStatus.submitted.value,
    kind: str = "",
    subdistrict: str = "",
    page: int = 1,
) -> Response:
    """The surfaces waiting for the office, filtered and paginated in the database, with a map of the page."""
    policy.require(user, "surface:review")
    page = max(page, 1)
    status_value, kind_value = _status(status), _kind(kind)
    subdistrict = subdistrict.strip()[:50]
    result = register.list_surfaces(
        session=session,
        user=user,
        kind=kind_value,
        status=status_value,
        subdistrict=subdistrict or None,
        offset=(page - 1) * PAGE_SIZE,
        limit=PAGE_SIZE,
    )
    sites = _sites_of(session, result.items)
    pages = max(1, -(-result.total // PAGE_SIZE))
    filters = {
        "status": status_value.value if status_value else "",
        "kind": kind_value.value if kind_value else "",
        "subdistrict": subdistrict,
    }

    def page_url(number: int) -> str:
        return "/review?" + urlencode(
            {**{k: v for k, v in filters.items() if v or k == "status"}, "page": number}
        )

    context = base_context(request, user, session)
    context.update(
        result=result,
        rows=[(surface, sites[surface.site_id]) for surface in result.items],
        filters=filters,
        page_no=page,
        pages=pages,
        prev_url=page_url(page - 1) if page > 1 else None,
        next_url=page_url(page + 1) if page < pages else None,
        kinds=list(SurfaceKind),
        statuses=list(SurfaceStatus),
        subdistricts=register.list_subdistricts(session=session),
        markers=[
            {
                "id": site.id,
                "name": localized(site),
                "lon": site.lon,
                "lat": site.lat,
                "subdistrict": site.subdistrict,
                "footprint": site.footprint,
            }
            for site in sites.values()
            if site.lon is not None and site.lat is not None
        ],
    )
    return render(request, "register/review.html", context, block="queue")


def _sites_of(session: Session, surfaces: list[Surface]) -> dict[int, Site]:
    ids = {surface.site_id for surface in surfaces}
    if not ids:
        return {}
    found = session.exec(select(Site).where(col(Site.id).in_(ids)).order_by(col(Site.id))).all()
    return {site.id: site for site in found if site.id is not None}


def _row(
    request: Request,
    user: User,
    session: Session,
    surface: Surface,
    *,
    mode: str = "",
    error: str | None = None,
    reason: str = "",
    checks: SurfaceApproval | None = None,
) -> Response:
    site = session.get(Site, surface.site_id)
    context = base_context(request, user, session)
    context.update(surface=surface, site=site, mode=mode, error=error, reason=reason, checks=checks)
    return render(request, ROW_TEMPLATE, context)


@router.get("/review/{surface_id}/approve")
def approve_form(request: Request, surface_id: int, user: LoggedIn, session: SessionDep) -> Response:
    """The row with its approval form (the eligibility checks) opened."""
    policy.require(user, "surface:review")
    surface = register.get_surface(session=session, user=user, surface_id=surface_id)
    return _row(request, user, session, surface, mode="approve")


@router.get("/review/{surface_id}/reject")
def reject_form(request: Request, surface_id: int, user: LoggedIn, session: SessionDep) -> Response:
    """The row with its rejection form (a reason for the owner) opened."""
    policy.require(user, "surface:review")
    surface = register.get_surface(session=session, user=user, surface_id=surface_id)
    return _row(request, user, session, surface, mode="reject")


@router.get("/review/{surface_id}/row")
def row(request: Request, surface_id: int, user: LoggedIn, session: SessionDep) -> Response:
    """The plain row again (the Cancel button of an opened form)."""
    policy.require(user, "surface:review")
    surface = register.get_surface(session=session, user=user, surface_id=surface_id)
    return _row(request, user, session, surface)


def _failed(
    request: Request, user: User, session: Session, surface_id: int, exc: DomainError, **kw: Any
) -> Response:
    """Show a refused action inline: htmx only swaps 2xx answers, a plain form gets the error status."""
    session.rollback()
    surface = register.get_surface(session=session, user=user, surface_id=surface_id)
    response = _row(request, user, session, surface, error=i18n.error_text(exc), **kw)
    if request.headers.get("HX-Request") != "true":
        response.status_code = exc.status_code
    return response


def _done(request: Request, user: User, session: Session, surface: Surface, mode: str) -> Response:
    session.commit()
    if request.headers.get("HX-Request") != "true":
        return RedirectResponse("/review", status_code=303)
    return _row(request, user, session, surface, mode=mode)


@router.post("/review/{surface_id}/approve", dependencies=[Depends(csrf.verify)])
def approve(
    request: Request,
    surface_id: int,
    user: LoggedIn,
    session: SessionDep,
    structural_load_ok: Annotated[bool, Form()] = False,
    fire_rating_ok: Annotated[bool, Form()] = False,
    glare_risk_ok: Annotated[bool, Form()] = False,
    heritage_ok: Annotated[bool, Form()] = False,
) -> Response:
    """Approve with the office's eligibility findings; an ineligible surface stays as it was."""
    policy.require(user, "surface:review")
    surface = register.get_surface(session=session, user=user, surface_id=surface_id)
    site = session.get(Site, surface.site_id)
    checks = SurfaceApproval(
        structural_load_ok=structural_load_ok,
        fire_rating_ok=fire_rating_ok,
        glare_risk_ok=glare_risk_ok,
        heritage_ok=heritage_ok if (site is not None and site.heritage_protected) else None,
    )
    try:
        surface = register.approve_surface(session=session, actor=user, surface_id=surface_id, checks=checks)
    except DomainError as exc:
        return _failed(request, user, session, surface_id, exc, mode="approve", checks=checks)
    return _done(request, user, session, surface, "approved")


@router.post("/review/{surface_id}/reject", dependencies=[Depends(csrf.verify)])
def reject(
    request: Request,
    surface_id: int,
    user: LoggedIn,
    session: SessionDep,
    reason: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    """Send the surface back to its owner with a reason; without one nothing changes."""
    policy.require(user, "surface:review")
    try:
        surface = register.reject_surface(session=session, actor=user, surface_id=surface_id, reason=reason)
    except DomainError as exc:
        return _failed(request, user, session, surface_id, exc, mode="reject", reason=reason)
    return _done(request, user, session, surface, "rejected")
