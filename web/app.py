"""The ASGI application: REST API, pages and static files in one FastAPI app.

Build it with :func:`create_app`; nothing is created at import time (``uvicorn --factory``).
"""

from __future__ import annotations

import gc
import json
import math
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlsplit

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import DataError
from starlette.middleware.sessions import SessionMiddleware
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pvhub import jobs
from pvhub.api import build_router
from pvhub.db import make_engine
from pvhub.errors import DomainError, InvalidInput, NotAuthenticated
from pvhub.services import estimates, mail_outbox, tenders
from pvhub.services.login_throttle import (
    DatabaseFailures,
    LoginThrottle,
    ThrottleRules,
    TooManyLoginAttempts,
)
from pvhub.settings import Settings, get_settings
from web import (
    account_pages,
    bundle_pages,
    construction_pages,
    dashboard_pages,
    i18n,
    pages,
    register_pages,
    review_pages,
    surface_pages,
    tender_award_pages,
    tender_pages,
)
from web.admission import SPARE_CONNECTIONS, AdmissionControl
from web.notification_mail import mail_renderer
from web.templating import build_templates

STATIC_DIR = Path(__file__).parent / "static"

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def security_headers(settings: Settings) -> dict[str, str]:
    """This app's headers: the CSP's img-src also names the map tile server, when one is configured.

    Built per app (not by editing the module constant) so one app's tile server never leaks into
    another's policy, and the tile origin joins the one img-src directive (browsers ignore a second).
    """
    headers = dict(SECURITY_HEADERS)
    if settings.map_tile_url:
        parts = urlsplit(settings.map_tile_url)
        host = re.sub(r"\{[^}]*\}", "*", parts.netloc)  # {s}.tile.example → *.tile.example
        csp = headers["Content-Security-Policy"]
        headers["Content-Security-Policy"] = csp.replace("img-src ", f"img-src {parts.scheme}://{host} ", 1)
    return headers


def create_app(settings: Settings | None = None) -> FastAPI:
    """Assemble the app for ``settings`` (default: read from the environment)."""
    settings = settings or get_settings()
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
    app.state.security_headers = security_headers(settings)
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
    app.include_router(review_pages.router)
    app.include_router(bundle_pages.router)
    app.include_router(dashboard_pages.router)
    app.include_router(construction_pages.router)
    app.include_router(tender_pages.router)
    app.include_router(tender_award_pages.router)
    app.include_router(account_pages.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.add_exception_handler(DomainError, _domain_error)  # type: ignore[arg-type]
    app.add_exception_handler(OverflowError, _out_of_range)
    app.add_exception_handler(DataError, _out_of_range)
    # inside the headers middleware: its 400 and 413 get them too
    app.add_middleware(GuardJSONBody, max_bytes=int(settings.max_upload_mb * 1e6))
    app.middleware("http")(_locale_and_headers)
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
    """On start, mark jobs whose process died as failed (with the reason) before serving, and
    estimates made under assumptions the configuration has since changed as stale; with SMTP
    configured, run the e-mail outbox until shutdown."""
    jobs.recover_interrupted(app.state.engine)
    estimates.flag_outdated_estimates_on_start(app.state.engine)
    tenders.open_due_in_transaction(app.state.engine)  # bids open at the deadline with no request since
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


async def _locale_and_headers(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    i18n.set_locale(i18n.negotiate(request.cookies.get("lang"), request.headers.get("accept-language")))
    response = await call_next(request)
    for key, value in request.app.state.security_headers.items():
        response.headers.setdefault(key, value)
    return response


async def _domain_error(request: Request, exc: DomainError) -> Response:
    """API: JSON ``{"detail": message, "field": ...}``; pages: the error page (or the login page)."""
    if request.url.path.startswith("/api/"):
        headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, NotAuthenticated) else {}
        if isinstance(exc, TooManyLoginAttempts):
            headers["Retry-After"] = str(exc.retry_after_s)
        return JSONResponse(
            {"detail": exc.message, "field": exc.field}, status_code=exc.status_code, headers=headers
        )
    return pages.error_page(request, exc)


async def _out_of_range(request: Request, exc: Exception) -> Response:
    """A value in the request the database cannot hold is the client's error (422), not a 500.

    SQLite refuses integers beyond 64 bits while binding them (``OverflowError``), PostgreSQL values
    beyond a column's type (``DataError``). Bounding every id and offset of every route by hand
    misses some, so this catches the whole class; the request's transaction has been rolled back.
    """
    return await _domain_error(
        request, InvalidInput("A number or text in the request is out of the range pvhub can store.")
    )


class _NonFinite(ValueError):
    pass


def _non_finite(token: str) -> float:
    raise _NonFinite(token)


def _finite_float(token: str) -> float:
    value = float(token)
    if not math.isfinite(value):  # 1e400 reads as Infinity
        raise _NonFinite(f"{token[:40]} (beyond the largest number)")
    return value


class GuardJSONBody:
    """Check an API request's JSON body before any handler sees it: larger than ``max_bytes`` → 413,
    NaN or ±Infinity → 400.

    The body is read into memory to be parsed, so without a limit one request could claim any
    amount of it; multipart uploads have their own limit where they are read (``read_limited``).
    NaN and Infinity are not JSON (RFC 8259), but Python's parser accepts them; a float field
    without bounds would then store Infinity, and echoing NaN back in a validation error breaks the
    response. A plain ASGI middleware that buffers the body and replays it to the app, rather than
    an ``@app.middleware("http")`` function, which runs the rest of the request in another task.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        detail = f"The JSON body is larger than {self.max_bytes / 1e6:g} MB (PVHUB_MAX_UPLOAD_MB)."
        await JSONResponse({"detail": detail, "field": None}, status_code=413)(scope, receive, send)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope.get("headers") or []) if scope["type"] == "http" else {}
        if not (
            str(scope.get("path", "")).startswith("/api/") and b"json" in headers.get(b"content-type", b"")
        ):
            await self.app(scope, receive, send)
            return
        declared = headers.get(b"content-length", b"0")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await self._too_large(scope, receive, send)
            return
        chunks, more, size = [], True, 0
        while more:
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, receive, send)  # the client went away; let the app see it
                return
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > self.max_bytes:  # chunked, or a Content-Length that understated the body
                await self._too_large(scope, receive, send)
                return
            more = message.get("more_body", False)
        body = b"".join(chunks)
        try:
            json.loads(body, parse_constant=_non_finite, parse_float=_finite_float)
        except _NonFinite as exc:
            detail = f"The JSON body holds {exc}, which JSON does not allow; send a number."
            await JSONResponse({"detail": detail, "field": None}, status_code=400)(scope, receive, send)
            return
        except (ValueError, RecursionError):
            pass  # malformed JSON: FastAPI answers it as usual
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)
