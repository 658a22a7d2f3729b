"""Security headers on every answer, the page language, and a script nonce per response.

Scripts run only with this response's nonce (``script-src 'nonce-…'``), not with ``'self'``: an
attack through a site name showed why (issue 15). A string that reached the DOM as HTML carried
``<iframe srcdoc="<script src=/static/vendor/htmx.min.js>…">``; a ``srcdoc`` frame inherits the
page's policy, so under ``script-src 'self'`` pvhub's own htmx ran inside it and replayed the
office's CSRF token. Tried in Chromium: ``frame-src 'none'`` and ``child-src 'none'`` do not stop a
``srcdoc`` frame (it is not fetched), while a nonce does, because injected markup cannot know the
nonce of the response it lands in. The fix that matters is still that user text reaches the DOM as
text (``web/static/js/app.js``); this is the second wall.

Answers that carry personal or bid data must not be kept by a browser or a shared proxy, and
nearly every page and API answer does, so everything but the static files is ``no-store``.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pvhub.core.settings import Settings
from web import i18n

#: The policy; ``{nonce}`` is filled per response.
CSP_TEMPLATE = (
    "default-src 'self'; script-src 'nonce-{nonce}'; style-src 'self'; img-src 'self' data: https:; "
    "connect-src 'self'; object-src 'none'; frame-src 'none'; frame-ancestors 'none'; base-uri 'self'; "
    "form-action 'self'"
)

BASE_HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}

#: Paths whose answers hold nothing personal and may be cached.
CACHEABLE_PREFIXES = ("/static/",)


def csp_template(settings: Settings) -> str:
    """This app's policy: img-src also names the map tile server, when one is configured.

    Built per app (not by editing the module constant) so one app's tile server never leaks into
    another's policy, and the tile origin joins the one img-src directive (browsers ignore a second).
    """
    if not settings.map_tile_url:
        return CSP_TEMPLATE
    parts = urlsplit(settings.map_tile_url)
    host = re.sub(r"\{[^}]*\}", "*", parts.netloc)  # {s}.tile.example → *.tile.example
    return CSP_TEMPLATE.replace("img-src ", f"img-src {parts.scheme}://{host} ", 1)


def headers_for(path: str, csp: str, nonce: str) -> dict[str, str]:
    """The security headers of one answer."""
    headers = {"Content-Security-Policy": csp.replace("{nonce}", nonce), **BASE_HEADERS}
    if not path.startswith(CACHEABLE_PREFIXES):
        headers["Cache-Control"] = "no-store"
    return headers


class SecurityHeaders:
    """ASGI middleware: picks the page language, makes the response's script nonce (templates read
    ``request.state.csp_nonce``) and adds the security headers to whatever the app answers.

    Plain ASGI rather than ``@app.middleware("http")`` so that the language set here (a context
    variable) is the one the handler sees, and no extra task sits between the two.
    """

    def __init__(self, app: ASGIApp, *, csp: str) -> None:
        self.app = app
        self.csp = csp

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        i18n.set_locale(i18n.negotiate(request.cookies.get("lang"), request.headers.get("accept-language")))
        nonce = secrets.token_urlsafe(18)
        scope.setdefault("state", {})["csp_nonce"] = nonce
        extra = headers_for(scope.get("path", ""), self.csp, nonce)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for key, value in extra.items():
                    headers.setdefault(key, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def internal_error_handler(csp: str) -> Callable[[Request, Exception], Awaitable[Response]]:
    """The answer to an unhandled exception (500), with the security headers.

    Starlette sends it from its outermost middleware, outside :class:`SecurityHeaders`, so it
    sets the headers itself; the page is plain text and runs no script.
    """

    async def handler(request: Request, exc: Exception) -> Response:
        headers = headers_for(request.url.path, csp, secrets.token_urlsafe(18))
        if request.url.path.startswith("/api/"):
            detail = "Internal error; nothing was saved. Try again; tell the programme office if it persists."
            return JSONResponse({"detail": detail, "field": None}, status_code=500, headers=headers)
        text = i18n.gettext("Something went wrong on the server; nothing was saved. Please try again.")
        return PlainTextResponse(text, status_code=500, headers=headers)

    return handler
