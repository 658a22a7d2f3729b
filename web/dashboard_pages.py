"""The office's programme dashboard, its printable monthly report and exports, and the public page.

Every number on the dashboard links to the list behind it: ``/construction`` with the stage, kind,
subdistrict, point or overdue filter that produced it (or the register's review list for approved
surfaces), so a figure can always be checked surface by surface.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlmodel import Session
from starlette.responses import Response

from pvhub import policy
from pvhub.api.deps import SessionDep
from pvhub.models import User
from pvhub.services import construction, progress, progress_exports
from pvhub.services.progress import STAGE_GROUPS, STAGES, Progress
from web import burnup, i18n
from web.pages import LoggedIn, base_context
from web.templating import render

router = APIRouter(include_in_schema=False)

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def list_url(**filters: object) -> str:
    """The construction list filtered as given (empty values left out)."""
    query = {k: ("1" if v is True else str(v)) for k, v in filters.items() if v not in (None, "", False)}
    return "/construction" + ("?" + urlencode(query) if query else "")


def current_progress(request: Request, session: Session) -> Progress:
    """Start construction of newly confirmed awards, then read the programme's progress as of today."""
    timezone = request.app.state.settings.timezone
    construction.sync_awards(session, timezone=timezone)
    return progress.programme_progress(session, today=construction.today_in(timezone))


def stage_markers(sites: list[progress.SiteStage], *, with_names: bool) -> list[dict[str, Any]]:
    """Sites coloured by stage group; names and links only for signed-in office users."""
    look = {
        rank: (colour, i18n.gettext(f"stagegroup.{group}"))
        for rank in range(len(STAGES))
        for group, colour in [progress.stage_group(rank)]
    }
    out = []
    for site in sites:
        colour, group = look[site.rank]
        # 6 decimals is 0.1 m: plenty for a dot, and a smaller page with thousands of sites
        marker: dict[str, Any] = {
            "lon": round(site.lon, 6),
            "lat": round(site.lat, 6),
            "colour": colour,
            "group": group,
        }
        if with_names:
            marker.update(id=site.site_id, name=site.name)
        out.append(marker)
    return out


def _common(request: Request, user: User | None, session: Session, result: Progress) -> dict[str, Any]:
    context = base_context(request, user, session)
    context.update(
        p=result,
        chart=burnup.build(result),
        stages=STAGES,
        stage_groups=[(name, colour) for name, _low, _high, colour in STAGE_GROUPS],
        list_url=list_url,
    )
    return context


@router.get("/dashboard")
def dashboard(request: Request, user: LoggedIn, session: SessionDep) -> Response:
    """Cumulative kWp by stage against the target, burn-up with forecast, breakdowns, points, flags, map."""
    policy.require(user, "progress:read")
    result = current_progress(request, session)
    context = _common(request, user, session, result)
    overdue_total, overdue_items = progress.overdue(session, user=user, today=result.today, limit=10)
    context.update(
        overdue_total=overdue_total,
        overdue_items=overdue_items,
        yields=progress.yield_ratios(session, user=user),
        ratio_band=progress.RATIO_BAND,
        markers=stage_markers(result.site_stages, with_names=True),
    )
    return render(request, "dashboard/index.html", context)


@router.get("/dashboard/report")
def monthly_report(request: Request, user: LoggedIn, session: SessionDep, month: str = "") -> Response:
    """A printable monthly report (the page's print stylesheet lays it out on A4)."""
    policy.require(user, "progress:read")
    result = current_progress(request, session)
    match = _MONTH.match(month.strip())
    if match and 1 <= int(match.group(2)) <= 12:
        year, number = int(match.group(1)), int(match.group(2))
    else:  # the last complete month
        last = result.today.replace(day=1) - timedelta(days=1)
        year, number = last.year, last.month
    context = _common(request, user, session, result)
    overdue_total, overdue_items = progress.overdue(session, user=user, today=result.today, limit=30)
    previous = date(year - 1, 12, 1) if number == 1 else date(year, number - 1, 1)
    following = date(year + 1, 1, 1) if number == 12 else date(year, number + 1, 1)
    context.update(
        activity=progress.month_activity(session, year=year, month=number),
        previous_month=f"{previous.year:04d}-{previous.month:02d}",
        next_month=f"{following.year:04d}-{following.month:02d}",
        overdue_total=overdue_total,
        overdue_items=overdue_items,
        yields=progress.yield_ratios(session, user=user),
        ratio_band=progress.RATIO_BAND,
        milestone_kinds=[kind.value for kind in construction.ORDER],
    )
    return render(request, "dashboard/report.html", context)


@router.get("/dashboard/export.csv")
def export_csv(request: Request, user: LoggedIn, session: SessionDep) -> Response:
    """Progress of every surface the user may see, as CSV (the same as the API's)."""
    timezone = request.app.state.settings.timezone
    construction.sync_awards(session, timezone=timezone)
    return Response(
        progress_exports.progress_csv(session, user=user, today=construction.today_in(timezone)),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="pvhub-progress.csv"'},
    )


@router.get("/dashboard/export.geojson")
def export_geojson(request: Request, user: LoggedIn, session: SessionDep) -> Response:
    timezone = request.app.state.settings.timezone
    construction.sync_awards(session, timezone=timezone)
    return JSONResponse(
        progress_exports.progress_geojson(session, user=user, today=construction.today_in(timezone)),
        media_type="application/geo+json",
        headers={"Content-Disposition": 'attachment; filename="pvhub-progress.geojson"'},
    )


def public_page(request: Request, session: Session) -> Response:
    """Programme totals, demonstration points and the map by stage: nothing personal, nothing about bids.

    Sites appear as coloured dots without names; demonstration points by their designated names.
    """
    result = current_progress(request, session)
    context = _common(request, None, session, result)
    context["markers"] = stage_markers(result.site_stages, with_names=False)
    return render(request, "public.html", context, block="content")
