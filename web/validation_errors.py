"""The answer to a request FastAPI's validation refuses: 422 with pydantic's errors, safe to send.

FastAPI's own handler echoes each error's ``input`` (for a missing field, the whole body) as it came.
A JSON string may hold ``\\ud800`` — a lone UTF-16 surrogate, which Python's JSON parser accepts but
which is not a character and cannot be written as UTF-8 — and echoing it made the answer itself fail
(500 on every route with a JSON body), as did a body that was not JSON and not UTF-8, echoed as bytes.
Here every text in the errors (``input``, ``loc``, ``ctx``) has its lone surrogates replaced by U+FFFD,
bytes are decoded with the same replacement, and the error pydantic raises for such a text
(``string_unicode``) says what is wrong; the response is always valid UTF-8 JSON and names the field.
The API refuses a JSON body holding one before validation (:mod:`pvhub.core.json_text`); this handler
keeps every other echo safe. The shape is FastAPI's (``{"detail": [{"type", "loc", "msg", "input",
...}]}``), which the API documents and clients read.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.responses import Response

from pvhub.core.text import safe_to_echo

# pydantic's type for text it cannot read as Unicode: in a request, a lone surrogate
NOT_UNICODE = "string_unicode"
NOT_UNICODE_MESSAGE = (
    "Input should be valid Unicode text: it holds a lone UTF-16 surrogate (\\ud800–\\udfff), "
    "which is not a character"
)


def _safe(error: dict[str, Any]) -> dict[str, Any]:
    # before encoding (bytes that are not UTF-8 would fail it) and after (str() of a context value)
    safe = safe_to_echo(jsonable_encoder(safe_to_echo(error)))
    if safe.get("type") == NOT_UNICODE:
        safe["msg"] = NOT_UNICODE_MESSAGE
    return safe


async def request_validation_error(request: Request, exc: RequestValidationError) -> Response:
    """FastAPI's 422 answer, with the echoed input made safe to encode."""
    return JSONResponse({"detail": [_safe(error) for error in exc.errors()]}, status_code=422)


def install(app: FastAPI) -> None:
    """Answer ``app``'s validation errors with :func:`request_validation_error`."""
    app.add_exception_handler(RequestValidationError, request_validation_error)  # type: ignore[arg-type]
