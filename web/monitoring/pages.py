"""The office's programme dashboard, its printable monthly report and exports.

Every number on the dashboard links to the list behind it: ``/construction`` with the stage, kind,
subdistrict, point or overdue filter that produced it (or the register's review list for approved
surfaces), so a figure can always be checked surface by surface.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import JSONResponse
from sqlmodel import Session
from starlette.responses import Response

from pvhub.accounts.models import User
from pvhub.construction import service as construction
from pvhub.core import policy
from pvhub.core.errors import DomainError
from pvhub.core.http import SessionDep
from pvhub.core.uploads import read_limited
from pvhub.jobs.deps import StartJob
from pvhub.monitoring import exports as progress_exports
from pvhub.monitoring import progress
from pvhub.monitoring import totals as programme_totals
from pvhub.programme.service import get_programme
from pvhub.weather import measured, service
from web import csrf, i18n
from web.monitoring import progress_view, report_pdf
from web.monitoring.progress_view import current_progress, progress_context, stage_markers
from web.shell import LoggedIn, base_context, follow_job, page_context
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
        normalised=progress.weather_normalised_ratios(session, user=user),
        ratio_band=progress.RATIO_BAND,
        markers=stage_markers(result.site_stages, with_names=True),
        money=programme_totals.money(session=session),  # issue #20: beside the kWp
    )
    return render(request, "monitoring/index.html", context)


# --- the measured weather of a period ------------------------------------------------------------------


def _weather_page(
    request: Request,
    user: LoggedIn,
    session: Session,
    *,
    error: str | None = None,
    far: bool = False,
    status: int = 200,
) -> Response:
    context = page_context(request, user, session)
    context.update(
        periods=measured.list_measured(session=session),
        normalised=progress.weather_normalised_ratios(session, user=user),
        error=error,
        far=far,
    )
    return render(request, "monitoring/weather.html", context, status_code=status)


@router.get("/dashboard/weather")
def weather_page(request: Request, user: LoggedIn, session: SessionDep) -> Response:
    """The measured weather periods the office uploaded, and the form to upload one (office)."""
    policy.require(user, measured.PERMISSION)
    return _weather_page(request, user, session)


@router.post("/dashboard/weather", dependencies=[Depends(csrf.verify)])
def weather_upload(
    request: Request,
    user: LoggedIn,
    session: SessionDep,
    start_job: StartJob,
    file: Annotated[UploadFile, File()],
    confirm_far: Annotated[bool, Form()] = False,
) -> Response:
    """Store the measured weather of a period and follow the job comparing the connected surfaces on it;
    a refused file is said on the page (nothing stored), a far one asks to confirm."""
    policy.require(user, measured.PERMISSION)
    limit = min(int(request.app.state.settings.max_upload_mb * 1e6), service.MAX_WEATHER_BYTES)
    content = read_limited(file, limit)
    try:
        dataset = measured.upload_measured(
            session=session,
            actor=user,
            filename=file.filename or "upload",
            content=content,
            confirm_far=confirm_far,
        )
    except DomainError as exc:
        session.rollback()
        far = isinstance(exc, service.FarLocation)
        return _weather_page(
            request, user, session, error=i18n.error_text(exc), far=far, status=exc.status_code
        )
    job = measured.request_normalisation(session=session, actor=user, dataset_id=dataset.id or 0)
    return follow_job(request, user, session, start_job, job.id)


@router.post("/dashboard/weather/{dataset_id}/compare", dependencies=[Depends(csrf.verify)])
def weather_compare(
    request: Request, dataset_id: int, user: LoggedIn, session: SessionDep, start_job: StartJob
) -> Response:
    """Compare again on a stored period (after new connections, meter readings or estimates)."""
    job = measured.request_normalisation(session=session, actor=user, dataset_id=dataset_id)
    return follow_job(request, user, session, start_job, job.id)


def report_month(month: str, today: date) -> tuple[int, int]:
    """The month asked for as ``YYYY-MM``; anything else means the last complete month."""
    match = _MONTH.match(month.strip())
    if match and 1 <= int(match.group(2)) <= 12:
        return int(match.group(1)), int(match.group(2))
    last = today.replace(day=1) - timedelta(days=1)
    return last.year, last.month


def report_context(request: Request, user: User, session: Session, month: str) -> dict[str, Any]:
    """What the monthly report shows, the page and its PDF alike (one builder, so the two agree)."""
    result = current_progress(request, session)
    year, number = report_month(month, result.today)
    context = progress_context(request, user, session, result)
    overdue_total, overdue_items = progress.overdue(session, user=user, today=result.today, limit=30)
    previous = date(year - 1, 12, 1) if number == 1 else date(year, number - 1, 1)
    following = date(year + 1, 1, 1) if number == 12 else date(year, number + 1, 1)
    programme = get_programme(session=session)
    context.update(
        request=request,
        activity=progress.month_activity(session, year=year, month=number),
        month=f"{year:04d}-{number:02d}",
        previous_month=f"{previous.year:04d}-{previous.month:02d}",
        next_month=f"{following.year:04d}-{following.month:02d}",
        overdue_total=overdue_total,
        overdue_items=overdue_items,
        yields=progress.yield_ratios(session, user=user),
        ratio_band=progress.RATIO_BAND,
        milestone_kinds=[kind.value for kind in construction.ORDER],
        # the report goes upward under the programme's name, in the reader's language
        programme_name=programme.name_zh if i18n.current_locale() == "zh_CN" else programme.name,
    )
    return context


@router.get("/dashboard/report")
def monthly_report(request: Request, user: LoggedIn, session: SessionDep, month: str = "") -> Response:
    """A printable monthly report (the page's print stylesheet lays it out on A4; the PDF is below)."""
    policy.require(user, "progress:read")
    return render(request, "monitoring/report.html", report_context(request, user, session, month))


@router.get("/dashboard/report.pdf")
def monthly_report_pdf(request: Request, user: LoggedIn, session: SessionDep, month: str = "") -> Response:
    """The monthly report as the PDF the office files upward, in the user's language.

    A plain ``def``: FastAPI runs it on its thread pool, so WeasyPrint's layout (CPU work, a second or
    so) never blocks the event loop. Where pango is missing the answer is a page naming the package.
    """
    policy.require(user, "progress:read")
    context = report_context(request, user, session, month)
    try:
        pdf = report_pdf.render(request.app.state.templates, context)
    except report_pdf.PdfUnavailable as exc:
        page = {**base_context(request, user, session), "error": exc.text(), "status": 503}
        return render(request, "error.html", page, status_code=503)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{report_pdf.filename(context["month"])}"'},
    )


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
