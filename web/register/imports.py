"""The import page: upload a file of sites and surfaces, preview it, import it (in the request or as a
job)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from sqlmodel import Session
from starlette.responses import Response

from pvhub.accounts import service as accounts
from pvhub.accounts.models import User
from pvhub.core.enums import Role
from pvhub.core.http import SessionDep
from pvhub.core.uploads import read_limited
from pvhub.jobs.deps import StartJob
from pvhub.jobs.models import Job
from pvhub.register.imports import jobs as import_jobs
from web import csrf, import_report
from web.shell import LoggedIn, base_context, follow_job
from web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/import")
def import_form(request: Request, user: LoggedIn, session: SessionDep) -> Response:
    """Upload a CSV, GeoJSON or CityJSON file; a dry run shows what would be created first."""
    return render(request, "register/import.html", _import_context(request, user, session))


def _import_context(request: Request, user: User, session: Session) -> dict[str, Any]:
    context = base_context(request, user, session)
    if user.role == Role.office:
        context["owners"] = accounts.list_organisations(session=session, kind=Role.owner)
    return context


@router.post("/import", dependencies=[Depends(csrf.verify)])
def import_upload(
    request: Request,
    user: LoggedIn,
    session: SessionDep,
    start_job: StartJob,
    file: Annotated[UploadFile, File()],
    action: Annotated[str, Form(max_length=10)] = "preview",
    crs: Annotated[str, Form(max_length=100)] = "",
    datum: Annotated[str, Form(max_length=10)] = "wgs84",
    organisation_id: Annotated[int | None, Form()] = None,
) -> Response:
    """Preview (dry run) or import; the report lists every bad row with its line or feature.

    The office imports for the owner organisation it chose, an owner for its own. Importing a file
    larger than ``PVHUB_IMPORT_JOB_MB`` starts a background job and answers with its progress
    (htmx polls it until the report is there), or without htmx sends the browser to the job's page;
    a preview always answers at once.
    """
    settings = request.app.state.settings
    content = read_limited(file, int(settings.max_upload_mb * 1e6))
    outcome = import_jobs.import_or_queue(
        session=session,
        actor=user,
        organisation_id=organisation_id,
        filename=file.filename or "upload",
        content=content,
        dry_run=action != "import",
        background=None,
        threshold_mb=settings.import_job_mb,
        data_dir=settings.data_dir,
        crs=crs or None,
        datum=datum,
    )
    if isinstance(outcome, Job):
        return follow_job(request, user, session, start_job, outcome.id)
    report = outcome
    context = _import_context(request, user, session)
    context.update(report=report.as_dict(), filename=file.filename, crs=crs, datum=datum)
    context.update(problems=import_report.problems(report.errors), skips=import_report.skips(report.skipped))
    # htmx swaps only 2xx answers; the plain form gets 422 so scripts see the failure.
    failed = not report.ok and request.headers.get("HX-Request") != "true"
    return render(
        request, "register/import.html", context, block="report", status_code=422 if failed else 200
    )
