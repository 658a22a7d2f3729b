"""The API's refusals as exceptions, one class per kind of answer, each carrying the API's message."""

from __future__ import annotations

from typing import Any

import httpx


class ApiError(Exception):
    """The API refused a request: ``status_code``, the API's ``message`` (which names the field and
    says why) and ``field`` where the API names one; ``body`` is the whole answer."""

    def __init__(self, status_code: int, message: str, *, field: str | None = None, body: Any = None) -> None:
        super().__init__(f"{status_code}: {message}")
        self.status_code = status_code
        self.message = message
        self.field = field
        self.body = body


class NotAuthenticated(ApiError):
    """401: no token, a wrong password, or a token no longer valid."""


class Forbidden(ApiError):
    """403: the user's role may not do this."""


class NotFound(ApiError):
    """404: no such object, or not one the user may see."""


class Conflict(ApiError):
    """409: not allowed in the object's current state (a published bundle, a closed tender)."""


class InvalidRequest(ApiError):
    """400 or 422: the request's content is wrong; ``field`` and the message say where and why."""


class TooManyRequests(ApiError):
    """429: too many failed logins; ``retry_after_s`` says how long to wait."""

    retry_after_s: float | None = None


class ServerError(ApiError):
    """5xx: the server failed; the request may be retried later."""


_BY_STATUS: dict[int, type[ApiError]] = {
    400: InvalidRequest,
    401: NotAuthenticated,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    413: InvalidRequest,
    422: InvalidRequest,
    429: TooManyRequests,
}


def _validation_message(detail: list[Any]) -> tuple[str, str | None]:
    """FastAPI's list of validation problems as one sentence, and the first field it names."""
    parts, first = [], None
    for problem in detail:
        where = ".".join(str(p) for p in problem.get("loc", ()) if p not in ("body", "query", "path"))
        first = first or where or None
        parts.append(f"{where}: {problem.get('msg', 'invalid')}" if where else str(problem.get("msg")))
    return "; ".join(parts) or "invalid request", first


def error_for(response: httpx.Response) -> ApiError:
    """The exception for a refused response, with the API's own message."""
    try:
        body: Any = response.json()
    except ValueError:
        body = response.text
    detail = body.get("detail") if isinstance(body, dict) else body
    field = body.get("field") if isinstance(body, dict) else None
    if isinstance(detail, list):
        message, field = _validation_message(detail)
    else:
        message = str(detail or response.reason_phrase or "request refused")
    kind = _BY_STATUS.get(response.status_code, ServerError if response.status_code >= 500 else ApiError)
    error = kind(response.status_code, message, field=field, body=body)
    if isinstance(error, TooManyRequests):
        retry = response.headers.get("Retry-After")
        error.retry_after_s = float(retry) if retry and retry.replace(".", "", 1).isdigit() else None
    return error
