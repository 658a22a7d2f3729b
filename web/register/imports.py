"""The import page: upload a file of sites and surfaces, preview it, import it (in the request or as a
job)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from sqlmodel import Session
from starlette.responses import Response

from pvhub.accounts import service as accounts
from pvhub.accounts.models import User
from pvhub.core import policy
from pvhub.core.enums import Role
from pvhub.core.errors import DomainError
from pvhub.core.http import SessionDep
from pvhub.core.ids import parse_id
from pvhub.core.uploads import read_limited
from pvhub.jobs.deps import StartJob
from pvhub.jobs.models import Job
from pvhub.register.imports import jobs as import_jobs
from web import csrf, i18n, import_report
from web.shell import LoggedIn, base_context, follow_job
from web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/import")
def import_form(request: Request, user: LoggedIn, session: SessionDep) -> Response:
    """Upload a CSV, GeoJSON or CityJSON file; a dry run shows what would be created first."""
    return render(request, "register/import.html", _import_context(request, user, session))


def _import_context(request: Request, user: User, session: Session) -> dict[str, Any]:
    """The form's context; the owner drop-down only for whoever may register sites for others."""
    context = base_context(request, user, session)
    # an htmx answer fills the report panel and resets each field's message out of band
    context["oob"] = request.headers.get("HX-Request") == "true"
    if policy.can(user, "site:create_for_others"):
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
    organisation_id: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Preview (dry run) or import; the report lists every bad row with its line or feature.

    The office imports for the owner organisation it chose (it must choose one), an owner for its
    own: the rules of :func:`pvhub.register.imports.jobs.import_or_queue`, as the API applies them.
    A refusal (no owner chosen, an organisation not the user's) is said next to its field with what
    was chosen kept, and nothing is written. Importing a file larger than ``PVHUB_IMPORT_JOB_MB``
    starts a background job and answers with its progress (htmx polls it until the report is
    there), or without htmx sends the browser to the job's page; a preview always answers at once.
    """
    settings = request.app.state.settings
    values = {"organisation_id": organisation_id.strip(), "crs": crs, "datum": datum}
    try:
        content = read_limited(file, int(settings.max_upload_mb * 1e6))
        outcome = import_jobs.import_or_queue(
            session=session,
            actor=user,
            organisation_id=parse_id(values["organisation_id"], "organisation_id")
            if values["organisation_id"]
            else None,
            filename=file.filename or "upload",
            content=content,
            dry_run=action != "import",
            background=None,
            threshold_mb=settings.import_job_mb,
            data_dir=settings.data_dir,
            crs=crs or None,
            datum=datum,
        )
    except DomainError as exc:
        session.rollback()  # a refused import writes nothing, whatever step refused it
        return _refused(request, user, session, values, exc)
    if isinstance(outcome, Job):
        return follow_job(request, user, session, start_job, outcome.id)
    report = outcome
    context = _import_context(request, user, session)
    context.update(values=values, report=report.as_dict(), filename=file.filename, crs=crs, datum=datum)
    context.update(problems=import_report.problems(report.errors), skips=import_report.skips(report.skipped))
    # htmx swaps only 2xx answers; the plain form gets 422 so scripts see the failure.
    failed = not report.ok and request.headers.get("HX-Request") != "true"
    return render(
        request, "register/import.html", context, block="report", status_code=422 if failed else 200
    )


def _refused(
    request: Request, user: User, session: Session, values: dict[str, str], exc: DomainError
) -> Response:
    """The form again with what was chosen and the refusal next to its field (or above the form).

    htmx swaps only 2xx answers into the report panel, so it gets 200 and the field's message
    out of band (the file the user picked stays picked); the plain form gets the error's status.
    """
    context = _import_context(request, user, session)
    context.update(values=values, crs=values["crs"], datum=values["datum"])
    context.update(error=i18n.error_text(exc), error_field=exc.field)
    htmx = bool(context["oob"])
    return render(
        request,
        "register/import.html",
        context,
        block="report",
        status_code=200 if htmx else exc.status_code,
    )
