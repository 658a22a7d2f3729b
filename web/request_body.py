"""Request bodies are limited before they are read, and JSON bodies checked before a handler sees them.

Two ASGI middlewares, both plain ASGI (not ``@app.middleware("http")``, which runs the rest of the
request in another task and cannot watch ``receive``):

- :class:`BodyLimit` caps every request body, whatever its content type, route or transfer
  encoding: a declared ``Content-Length`` over the cap is refused before a byte is read, and a body
  that grows past it while streaming (chunked, or a length that understated it) is cut off there.
  Callers who are not logged in get a small cap: nobody needs more than a login form's worth of
  body without a session or a bearer token, so an anonymous upload is refused before it is spooled.
- :class:`GuardJSONBody` refuses NaN and ±Infinity in JSON bodies (400), which Python's parser
  accepts but JSON does not (RFC 8259).

Why here and not in the handlers: FastAPI reads (and, for multipart, spools to disk) the whole body
while resolving a handler's parameters, before any handler code or dependency runs; a limit checked
inside the handler comes after the damage.
"""

from __future__ import annotations

import contextlib
import email.message
import json
import math

from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pvhub.core.errors import N_
from pvhub.core.security import read_token
from web import i18n

#: Body cap for callers with neither a session user nor a validly signed bearer token: the login
#: form and the token request are a few hundred bytes; 64 kB leaves room and refuses any upload.
ANONYMOUS_MAX_BYTES = 64_000
#: What a multipart upload carries beside the file (boundaries, part headers, the other fields),
#: allowed on top of the upload limit so that a file just under the limit is still accepted and
#: reaches the handler's own, file-level message (``read_limited``).
MULTIPART_SLACK_BYTES = 1_000_000


def is_json(content_type: str | None) -> bool:
    """Whether FastAPI parses a body with this Content-Type as JSON.

    The same test as ``fastapi.routing``: no Content-Type at all, or ``application/json`` or
    ``application/*+json`` in any letter case and with any parameters. Matching only a lowercase
    ``json`` (as this guard once did) let ``application/JSON`` through unchecked.
    """
    if not content_type:
        return True
    message = email.message.Message()
    message["content-type"] = content_type
    if message.get_content_maintype() != "application":
        return False
    subtype = message.get_content_subtype()
    return subtype == "json" or subtype.endswith("+json")


class _TooLarge(Exception):
    """Raised from ``receive`` once the body passes the cap; never seen outside this module."""


class BodyLimit:
    """Cap every HTTP request body at ``max_bytes`` → 413: a multipart form may carry
    ``multipart_slack`` more for its boundaries and other fields; without credentials the cap is
    ``anonymous_bytes`` whatever the type.

    Must sit inside the session middleware (it reads the signed session's user id) and outside
    everything that reads bodies. When the cap is passed mid-stream, ``receive`` raises; whatever
    the app answers then (FastAPI turns a failed body read into a 400) is replaced by the 413,
    provided the app has not started its response, which no handler here does before reading.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_bytes: int,
        secret: str,
        token_max_age_s: int,
        anonymous_bytes: int = ANONYMOUS_MAX_BYTES,
        multipart_slack: int = MULTIPART_SLACK_BYTES,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.multipart_slack = multipart_slack
        self.anonymous_bytes = anonymous_bytes
        self.secret = secret
        self.token_max_age_s = token_max_age_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        signed_in = self._signed_in(scope, headers)
        limit = self._limit(signed_in, headers.get(b"content-type", b""))
        declared = _content_length(headers)
        if declared is not None and declared > limit:
            await _refuse(scope, receive, send, limit, signed_in)
            return
        await self._stream_within(scope, receive, send, limit, signed_in)

    async def _stream_within(
        self, scope: Scope, receive: Receive, send: Send, limit: int, signed_in: bool
    ) -> None:
        size = 0
        overflowed = False
        started = False

        async def counting_receive() -> Message:
            nonlocal size, overflowed
            message = await receive()
            if message["type"] == "http.request":
                size += len(message.get("body", b""))
                if size > limit:
                    overflowed = True
                    raise _TooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if overflowed:
                return  # the app's answer to a body it could not finish reading; ours follows
            started = True
            await send(message)

        with contextlib.suppress(_TooLarge):
            await self.app(scope, counting_receive, guarded_send)
        if overflowed and not started:
            await _refuse(scope, receive, send, limit, signed_in)

    def _limit(self, signed_in: bool, content_type: bytes) -> int:
        if not signed_in:
            return self.anonymous_bytes
        if content_type.lower().startswith(b"multipart/"):
            return self.max_bytes + self.multipart_slack
        return self.max_bytes

    def _signed_in(self, scope: Scope, headers: dict[bytes, bytes]) -> bool:
        """A session with a user, or a bearer token with a valid signature (not checked against
        the database: revocation is the handler's business; this only decides the cap)."""
        session = scope.get("session")
        if isinstance(session, dict) and session.get("uid"):
            return True
        auth = headers.get(b"authorization", b"").decode("latin-1")
        scheme, _, token = auth.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return False
        return read_token(self.secret, token.strip(), self.token_max_age_s) is not None


def _content_length(headers: dict[bytes, bytes]) -> int | None:
    raw = headers.get(b"content-length")
    if raw is None:
        return None
    try:
        text = raw.decode("ascii").strip()
    except UnicodeDecodeError:
        return None
    # ASCII digits only: str.isdigit() would accept '²', which int() then refuses.
    return int(text) if text and all("0" <= c <= "9" for c in text) else None


#: The 413's sentence, signed in and not: English for the API (its ``detail`` stays English, as
#: every API message does), in the reader's language on pages.
TOO_LARGE = N_("The request is larger than {limit_mb:g} MB, the most pvhub accepts; send a smaller file.")
TOO_LARGE_ANONYMOUS = N_(
    "The request is larger than {limit_kb:g} kB, the most accepted before logging in; "
    "log in (or send a bearer token) to upload files."
)


async def _refuse(scope: Scope, receive: Receive, send: Send, limit: int, signed_in: bool) -> None:
    """413, before the body is read on: JSON for the API, a sentence in the reader's language for pages."""
    template = TOO_LARGE if signed_in else TOO_LARGE_ANONYMOUS
    values = {"limit_mb": limit / 1e6, "limit_kb": limit / 1e3}
    headers = {"Connection": "close"}
    response: Response
    if str(scope.get("path", "")).startswith("/api/"):
        detail = template.format(**values)
        response = JSONResponse({"detail": detail, "field": None}, status_code=413, headers=headers)
    else:
        response = PlainTextResponse(
            i18n.gettext(template).format(**values), status_code=413, headers=headers
        )
    await response(scope, receive, send)


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
    """Refuse NaN or ±Infinity in an API request's JSON body (400) before any handler sees it.

    NaN and Infinity are not JSON (RFC 8259), but Python's parser accepts them; a float field
    without bounds would then store Infinity, and echoing NaN back in a validation error breaks the
    response. The body is buffered to be parsed; :class:`BodyLimit`, outside this one, bounds it.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not str(scope.get("path", "")).startswith("/api/"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        content_type = headers.get(b"content-type")
        if not is_json(content_type.decode("latin-1") if content_type is not None else None):
            await self.app(scope, receive, send)
            return
        chunks, more = [], True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, receive, send)  # the client went away; let the app see it
                return
            chunks.append(message.get("body", b""))
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
