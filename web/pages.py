"""Page routes: thin handlers that call services and render templates."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlparse

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse
from sqlmodel import Session
from starlette.responses import Response

from pvhub.accounts import page_sessions
from pvhub.accounts import service as accounts
from pvhub.accounts.login_throttle import TooManyLoginAttempts
from pvhub.accounts.models import User
from pvhub.core.enums import Role
from pvhub.core.http import SessionDep
from pvhub.estimates import service as estimates
from pvhub.jobs import service as jobs
from pvhub.jobs.deps import StartJob
from pvhub.jobs.models import Job
from pvhub.monitoring import totals as programme_totals
from pvhub.register import service as register
from pvhub.register.api.imports import read_limited
from pvhub.register.enums import SurfaceKind
from pvhub.register.imports import jobs as import_jobs
from web import csrf, i18n, import_report, mapdata, progress_view
from web.shell import LoggedIn, PageUser, base_context, follow_job, job_view
from web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/favicon.ico")
def favicon() -> Response:
    return RedirectResponse("/static/favicon.svg", status_code=301)


@router.get("/")
def home(request: Request, user: PageUser, session: SessionDep) -> Response:
    """The home page of the user's role; the public progress page for visitors."""
    if user is None:
        return public_page(request, session)
    context = base_context(request, user, session)
    context["totals"] = programme_totals.totals(session=session)
    context["markers"] = mapdata.overview(register.site_markers(session=session, user=user))
    if user.role == Role.office:
        context["unestimated"] = len(
            estimates.surfaces_to_estimate(session=session, only_missing_or_stale=True)
        )
    if user.role == Role.owner:
        context["sites"] = register.list_sites(session=session, user=user, limit=200).items
    return render(request, f"home_{user.role.value}.html", context, block="content")


@router.post("/estimates/run", dependencies=[Depends(csrf.verify)])
def start_estimates(request: Request, user: LoggedIn, session: SessionDep, start_job: StartJob) -> Response:
    """One click: estimate every approved surface that lacks a current estimate, as a background job."""
    job = jobs.submit(session=session, actor=user, kind="estimate", parameters={"all": False})
    return follow_job(request, user, session, start_job, job.id)


@router.get("/jobs/{job_id}")
def job_page(request: Request, job_id: int, user: LoggedIn, session: SessionDep) -> Response:
    """A job's progress; the fragment polls itself while the job runs."""
    return job_view(request, job_id, user, session)


@router.get("/import")
def import_form(request: Request, user: LoggedIn, session: SessionDep) -> Response:
    """Upload a CSV, GeoJSON or CityJSON file; a dry run shows what would be created first."""
    return render(request, "import.html", _import_context(request, user, session))


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
        organisation_id=organisation_id or user.organisation_id,
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
    return render(request, "import.html", context, block="report", status_code=422 if failed else 200)


@router.get("/public")
def public_page(request: Request, session: SessionDep) -> Response:
    """Programme totals, demonstration points and the map: nothing personal, nothing about bids."""
    return progress_view.public_page(request, session)


@router.get("/login")
def login_form(request: Request, user: PageUser, next: str = "/") -> Response:
    if user is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return render(request, "login.html", {**base_context(request, None), "next": _safe_next(next)})


@router.post("/login", dependencies=[Depends(csrf.verify)])
def login(
    request: Request,
    session: SessionDep,
    email: Annotated[str, Form(max_length=254)],
    password: Annotated[str, Form(max_length=200)],
    next: Annotated[str, Form(max_length=500)] = "/",
) -> Response:
    """Check the credentials; on success start a fresh session (new CSRF token) and go on.

    After too many failures for the account or from this address the form comes back with 429 and
    says how long to wait, whatever the password (see :mod:`pvhub.accounts.login_throttle`).
    """
    try:
        user = accounts.authenticate_throttled(
            session=session,
            email=email,
            password=password,
            address=request.client.host if request.client else None,
            throttle=request.app.state.login_throttle,
        )
    except TooManyLoginAttempts as exc:
        message = i18n.gettext(
            "Too many failed logins for this account or from this address. Try again in %(minutes)d minutes."
        ) % {"minutes": exc.minutes}
        context = {**base_context(request, None), "next": _safe_next(next), "email": email, "error": message}
        response = render(request, "login.html", context, status_code=429)
        response.headers["Retry-After"] = str(exc.retry_after_s)
        return response
    if user is None:
        context = {
            **base_context(request, None),
            "next": _safe_next(next),
            "email": email,
            "error": i18n.gettext("Wrong e-mail or password."),
        }
        return render(request, "login.html", context, status_code=401)
    request.session.clear()
    request.session["uid"] = user.id
    request.session["sid"] = page_sessions.new_session_id()
    request.session["ver"] = user.credential_version
    return RedirectResponse(_safe_next(next), status_code=303)


@router.post("/logout", dependencies=[Depends(csrf.verify)])
def logout(request: Request, session: SessionDep) -> Response:
    """End the session here and on the server: an earlier copy of the cookie no longer logs in."""
    sid = request.session.get("sid")
    if isinstance(sid, str):
        page_sessions.revoke(session, sid, max_age_s=request.app.state.settings.session_max_age_s)
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


@router.get("/lang/{locale}")
def switch_language(request: Request, locale: str, next: str = "/") -> Response:
    """The language switch: remembered in a cookie for a year."""
    response = RedirectResponse(_safe_next(next), status_code=303)
    if locale in i18n.LOCALES:
        response.set_cookie("lang", locale, max_age=365 * 24 * 3600, samesite="lax")
    return response


def _safe_next(target: str) -> str:
    """Only local paths, so a crafted link cannot send a user elsewhere after login."""
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


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
    return render(request, "sites.html", context, block="sitetable")


@router.get("/sites/{site_id}")
def site_page(request: Request, site_id: int, user: LoggedIn, session: SessionDep) -> Response:
    site = register.get_site(session=session, user=user, site_id=site_id)
    context = base_context(request, user, session)
    context["site"] = site
    context["editable"] = user.role == Role.office or (
        user.role == Role.owner and user.organisation_id == site.organisation_id
    )
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
        }
        for s in context["surfaces"]
        if s.geometry
    ]
    return render(request, "site.html", context)
