"""The office's building-stock page: the imports so far, upload a building file, preview it, import
it (in the request, or as a job for a large file), every problem of a refused file on the page."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from sqlmodel import Session, col, select
from starlette.responses import JSONResponse, Response

from pvhub.accounts.models import User
from pvhub.core import policy
from pvhub.core.enums import RunStatus
from pvhub.core.http import SessionDep
from pvhub.core.uploads import read_limited
from pvhub.jobs import service as jobs
from pvhub.jobs.deps import StartJob
from pvhub.jobs.models import Job
from pvhub.survey import stock, stock_jobs
from web import csrf
from web.mapdata import from_display, to_display
from web.shell import LoggedIn, base_context, follow_job
from web.survey import stock_words
from web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/survey/stock")
def stock_page(request: Request, user: LoggedIn, session: SessionDep, job: int | None = None) -> Response:
    """The stock's imports and the upload form; ``?job=N`` shows a finished import job's report."""
    policy.require(user, stock.PERMISSION)
    context = _context(request, user, session)
    if job is not None:
        context.update(_job_report(session, user, job))
    return render(request, "survey/stock_page.html", context)


def _context(request: Request, user: User, session: Session) -> dict[str, Any]:
    context = base_context(request, user, session)
    imports = stock.list_imports(session)
    ids = {i.imported_by_id for i in imports if i.imported_by_id is not None}
    rows = session.exec(select(User.id, User.email).where(col(User.id).in_(ids))).all() if ids else []
    emails = {user_id: email for user_id, email in rows}
    context["imports"] = [{"row": i, "by": emails.get(i.imported_by_id, "")} for i in imports]
    context["datum"], context["crs"] = "wgs84", ""
    return context


def _job_report(session: Session, user: User, job_id: int) -> dict[str, Any]:
    job = jobs.get(session=session, actor=user, job_id=job_id)
    if job.kind != stock_jobs.KIND or job.status != RunStatus.succeeded or not isinstance(job.result, dict):
        return {}
    return {"report": stock_words.report_view(job.result), "filename": job.result.get("filename")}


@router.post("/survey/stock", dependencies=[Depends(csrf.verify)])
def stock_upload(
    request: Request,
    user: LoggedIn,
    session: SessionDep,
    start_job: StartJob,
    file: Annotated[UploadFile, File()],
    action: Annotated[str, Form(max_length=10)] = "preview",
    crs: Annotated[str, Form(max_length=40)] = "",
    datum: Annotated[str, Form(max_length=10)] = "wgs84",
) -> Response:
    """Preview (nothing written) or import; a large file is imported by a job whose page follows."""
    policy.require(user, stock.PERMISSION)
    settings = request.app.state.settings
    content = read_limited(file, int(settings.max_upload_mb * 1e6))
    outcome = stock_jobs.import_or_queue(
        session=session,
        actor=user,
        filename=file.filename or "upload",
        content=content,
        crs=crs or None,
        datum=datum,
        dry_run=action != "import",
        background=None,
        threshold_mb=settings.import_job_mb,
        data_dir=settings.data_dir,
    )
    if isinstance(outcome, Job):
        return follow_job(request, user, session, start_job, outcome.id)
    if not outcome.ok:
        session.rollback()
    context = _context(request, user, session)
    context.update(
        report=stock_words.report_view(outcome.as_dict()), filename=file.filename, crs=crs, datum=datum
    )
    failed = not outcome.ok and request.headers.get("HX-Request") != "true"
    return render(
        request, "survey/stock_page.html", context, block="report", status_code=422 if failed else 200
    )


@router.get("/survey/buildings.json")
def buildings_for_map(
    request: Request, session: SessionDep, bbox: Annotated[str, Query(max_length=200)]
) -> Response:
    """The buildings in a map's bounds, in the map's datum, for the shared map script: no names, so
    any map (the public progress page's too) may draw them; at most :data:`stock.MAX_NEAR`."""
    datum = request.app.state.settings.map_tile_crs
    west, south, east, north = stock.parse_bbox(bbox)
    if datum != "wgs84":  # the map's bounds are in the tiles' datum: the stored footprints in WGS84
        ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
        moved = from_display({"type": "Polygon", "coordinates": [ring]}, datum) or {}
        xs = [p[0] for p in moved["coordinates"][0]]
        ys = [p[1] for p in moved["coordinates"][0]]
        west, south, east, north = min(xs), min(ys), max(xs), max(ys)
    collection = stock.buildings_near(session, (west, south, east, north), public=True)
    if datum != "wgs84":
        for item in collection["features"]:
            item["geometry"] = to_display(item["geometry"], datum)
    return JSONResponse(collection, headers={"Cache-Control": "private, max-age=60"})
