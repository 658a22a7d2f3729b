"""The ASGI application: REST API, pages and static files in one FastAPI app.

Build it with :func:`create_app`; nothing is created at import time (``uvicorn --factory``).
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import DataError
from starlette.middleware.sessions import SessionMiddleware
from starlette.responses import Response

from pvhub import job_kinds
from pvhub.accounts.login_throttle import DatabaseFailures, LoginThrottle, ThrottleRules, TooManyLoginAttempts
from pvhub.api import build_router
from pvhub.core.db import make_engine
from pvhub.core.errors import DomainError, InvalidInput, NotAuthenticated
from pvhub.core.settings import Settings, get_settings
from pvhub.estimates import service as estimates
from pvhub.jobs import service as jobs
from pvhub.notifications import mail_outbox
from pvhub.register.imports import jobs as import_jobs
from pvhub.survey import service as survey
from pvhub.tendering import handover, tenders
from web import pages, shell, validation_errors
from web.accounts import pages as account_pages
from web.accounts import sign_in
from web.admission import SPARE_CONNECTIONS, AdmissionControl
from web.audit import pages as audit_pages
from web.bundling import pages as bundle_pages
from web.construction import pages as construction_pages
from web.estimates import pages as estimate_pages
from web.monitoring import pages as dashboard_pages
from web.notifications import pages as notification_pages
from web.notifications.mail import mail_renderer
from web.programme import pages as programme_pages
from web.register import imports as import_pages
from web.register import pages as register_pages
from web.register import review as review_pages
from web.register import sites as site_pages
from web.register import surfaces as surface_pages
from web.request_body import BodyLimit, GuardJSONBody
from web.security_headers import SecurityHeaders, csp_template, internal_error_handler
from web.survey import offers as survey_offer_pages
from web.survey import pages as survey_pages
from web.survey import rules as survey_rule_pages
from web.survey import stock as stock_pages
from web.templating import build_templates
from web.tendering import awards as tender_award_pages
from web.tendering import pages as tender_pages

STATIC_DIR = Path(__file__).parent / "static"


def create_app(settings: Settings | None = None) -> FastAPI:
    """Assemble the app for ``settings`` (default: read from the environment)."""
    settings = settings or get_settings()
    job_kinds.install()  # the API and the pages submit jobs, and this process runs them
    app = FastAPI(
        lifespan=_lifespan,
        title="pvhub API",
        version="0.1.0",
        description="Register, estimate, bundle, tender, build and monitor a district's distributed PV.",
    )
    app.state.settings = settings
    app.state.engine = make_engine(
        settings.database_url, connections=settings.request_slots + SPARE_CONNECTIONS
    )
    app.state.templates = build_templates()
    csp = csp_template(settings)
    app.state.login_throttle = LoginThrottle(
        ThrottleRules(
            max_failures_per_account=settings.login_max_failures_per_account,
            max_failures_per_address=settings.login_max_failures_per_address,
            window_s=settings.login_window_s,
        ),
        store=DatabaseFailures(app.state.engine),  # one count for every process on the database
    )

    app.include_router(build_router())
    app.include_router(register_pages.router)
    app.include_router(surface_pages.router)
    app.include_router(pages.router)
    app.include_router(site_pages.router)
    app.include_router(import_pages.router)
    app.include_router(estimate_pages.router)
    app.include_router(sign_in.router)
    app.include_router(review_pages.router)
    app.include_router(bundle_pages.router)
    app.include_router(dashboard_pages.router)
    app.include_router(construction_pages.router)
    app.include_router(tender_pages.router)
    app.include_router(tender_award_pages.router)
    app.include_router(notification_pages.router)
    app.include_router(account_pages.router)
    app.include_router(programme_pages.router)
    app.include_router(stock_pages.router)
    app.include_router(survey_pages.router)
    app.include_router(survey_rule_pages.router)
    app.include_router(survey_offer_pages.router)
    app.include_router(audit_pages.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.add_exception_handler(DomainError, _domain_error)  # type: ignore[arg-type]
    validation_errors.install(app)
    app.add_exception_handler(OverflowError, _out_of_range)
    app.add_exception_handler(DataError, _out_of_range)
    # Innermost first. The body guards sit inside the headers (their 400 and 413 get them) and
    # inside the session middleware (the body limit reads who is logged in).
    app.add_middleware(GuardJSONBody)
    app.add_middleware(
        BodyLimit,
        max_bytes=int(settings.max_upload_mb * 1e6),
        secret=settings.secret,
        token_max_age_s=settings.token_max_age_s,
    )
    app.add_middleware(SecurityHeaders, csp=csp)
    app.add_exception_handler(500, internal_error_handler(csp))
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret,
        session_cookie="pvhub_session",
        max_age=settings.session_max_age_s,
        same_site="lax",
        https_only=settings.env == "production",
    )
    app.add_middleware(AdmissionControl, slots=settings.request_slots)  # outermost: every request counts
    return app


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """On start, mark jobs whose process died as failed (with the reason) before serving (and remove
    the uploads such imports left), and estimates made under assumptions the configuration has
    since changed as stale; open the tenders whose deadline passed and start the construction of
    confirmed awards that have none (a database written while construction still started on the
    first read); with SMTP configured, run the e-mail outbox until shutdown."""
    jobs.recover_interrupted(app.state.engine)
    survey.start_queued_on_start(app.state.engine)  # the demo's survey runs once the app is up
    import_jobs.remove_orphaned_uploads_on_start(app.state.engine, app.state.settings.data_dir)
    estimates.flag_outdated_estimates_on_start(app.state.engine)
    tenders.open_due_in_transaction(app.state.engine)  # bids open at the deadline with no request since
    handover.sync_construction_in_transaction(app.state.engine, timezone=app.state.settings.timezone)
    outbox = None
    if app.state.settings.smtp_host:  # e-mail where SMTP is configured; in-app notifications always
        outbox = mail_outbox.Outbox(
            app.state.engine,
            app.state.settings,
            mail_renderer(app.state.settings),
            before_round=lambda: tenders.open_due_in_transaction(app.state.engine),
        )
        outbox.start()
    if app.state.settings.freezes_heap:
        _freeze_start_up_heap()
    try:
        yield
    finally:
        if outbox is not None:
            outbox.stop()


def _freeze_start_up_heap() -> None:
    """Move everything alive after start-up (modules, pvlib and pandas, templates: ~280,000 objects)
    into the collector's permanent generation.

    Why: a dashboard request with 10,000 surfaces allocates enough surviving objects that the
    cyclic collector runs a full collection every other request, and scanning the start-up heap
    doubled the render time (80 → 165 ms, benchmarks/dashboard.py). Frozen objects are still freed
    by reference counting; only cycles among them are never collected, and start-up objects live
    as long as the process anyway. This is the use ``gc.freeze`` is documented for.
    """
    gc.collect()
    gc.freeze()


async def _domain_error(request: Request, exc: DomainError) -> Response:
    """API: JSON ``{"detail": message, "field": ...}``; pages: the error page (or the login page)."""
    if request.url.path.startswith("/api/"):
        headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, NotAuthenticated) else {}
        if isinstance(exc, TooManyLoginAttempts):
            headers["Retry-After"] = str(exc.retry_after_s)
        return JSONResponse(
            {"detail": exc.message, "field": exc.field}, status_code=exc.status_code, headers=headers
        )
    return shell.error_page(request, exc)


async def _out_of_range(request: Request, exc: Exception) -> Response:
    """A value in the request the database cannot hold is the client's error (422), not a 500.

    SQLite refuses integers beyond 64 bits while binding them (``OverflowError``), PostgreSQL values
    beyond a column's type (``DataError``). Bounding every id and offset of every route by hand
    misses some, so this catches the whole class; the request's transaction has been rolled back.
    """
    return await _domain_error(
        request, InvalidInput("A number or text in the request is out of the range pvhub can store.")
    )
