"""The office's programme dashboard, its printable monthly report and exports.

Every number on the dashboard links to the list behind it: ``/construction`` with the stage, kind,
subdistrict, point or overdue filter that produced it (or the register's review list for approved
surfaces), so a figure can always be checked surface by surface.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.responses import Response

from pvhub.construction import service as construction
from pvhub.core import policy
from pvhub.core.http import SessionDep
from pvhub.monitoring import exports as progress_exports
from pvhub.monitoring import progress
from web.monitoring import progress_view
from web.monitoring.progress_view import current_progress, progress_context, stage_markers
from web.shell import LoggedIn
from web.templating import render

router = APIRouter(include_in_schema=False)

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


@router.get("/dashboard")
def dashboard(request: Request, user: LoggedIn, session: SessionDep) -> Response:
    """Cumulative kWp by stage against the target, burn-up with forecast, breakdowns, points, flags, map."""
    policy.require(user, "progress:read")
    result = current_progress(request, session)
    context = progress_context(request, user, session, result)
    overdue_total, overdue_items = progress.overdue(session, user=user, today=result.today, limit=10)
    context.update(
        overdue_total=overdue_total,
        overdue_items=overdue_items,
        yields=progress.yield_ratios(session, user=user),
        ratio_band=progress.RATIO_BAND,
        markers=stage_markers(result.site_stages, with_names=True),
    )
    return render(request, "monitoring/index.html", context)


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
    context = progress_context(request, user, session, result)
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
    return render(request, "monitoring/report.html", context)


@router.get("/dashboard/export.csv")
def export_csv(request: Request, user: LoggedIn, session: SessionDep) -> Response:
    """Progress of every surface the user may see, as CSV (the same as the API's)."""
    timezone = request.app.state.settings.timezone
    return Response(
        progress_exports.progress_csv(session, user=user, today=construction.today_in(timezone)),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="pvhub-progress.csv"'},
    )


@router.get("/dashboard/export.geojson")
def export_geojson(request: Request, user: LoggedIn, session: SessionDep) -> Response:
    timezone = request.app.state.settings.timezone
    return JSONResponse(
        progress_exports.progress_geojson(session, user=user, today=construction.today_in(timezone)),
        media_type="application/geo+json",
        headers={"Content-Disposition": 'attachment; filename="pvhub-progress.geojson"'},
    )


@router.get("/public")
def public_page(request: Request, session: SessionDep) -> Response:
    """Programme totals, demonstration points and the map: nothing personal, nothing about bids."""
    return progress_view.public_page(request, session)
