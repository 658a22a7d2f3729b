"""Every request body is limited before it is read, whatever its type and route (issue 15).

Found by an attack: ``application/JSON`` (capital letters) slipped past a guard that matched only
``json``, so a 600 MB body was held in memory before a 401; multipart uploads, ``/login``'s
included, were spooled to disk in full before any check. These tests drive the real app over ASGI
with a ``receive`` that counts what the app pulled, so they show *when* a body is refused, not
just that it is.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.types import Message

from pvhub.core.enums import Role
from pvhub.core.settings import Settings
from tests.asgi_driver import run_in_fresh_loop, scope_of
from tests.conftest import api_token
from web.app import create_app
from web.request_body import ANONYMOUS_MAX_BYTES, MULTIPART_SLACK_BYTES, is_json

CHUNK = 64_000
LIMIT_MB = 0.2  # the app's upload limit in these tests
LIMIT = int(LIMIT_MB * 1e6)


@dataclass
class Exchange:
    """One request over ASGI: its body arrives in ``chunks`` chunks, ``pulled`` counts those read."""

    chunks: int
    pulled: int = 0
    status: int | None = None
    body: bytearray = field(default_factory=bytearray)


#: The start of a well-formed multipart upload, so the parser goes on spooling what follows.
MULTIPART_START = (
    b'--x\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n'
    b"Content-Type: text/csv\r\n\r\n"
)


def call(app: FastAPI, method: str, path: str, headers: dict[str, str], chunks: int) -> Exchange:
    """Send ``chunks`` chunks of CHUNK bytes (a multipart body starts with a file part's header)."""
    exchange = Exchange(chunks)
    start = MULTIPART_START if "multipart" in headers.get("content-type", "") else b""

    async def receive() -> Message:
        if exchange.pulled >= exchange.chunks:
            await asyncio.sleep(3600)  # a client that has sent everything waits for the answer
        exchange.pulled += 1
        more = exchange.pulled < exchange.chunks
        body = (start + b"0" * CHUNK)[:CHUNK] if exchange.pulled == 1 else b"0" * CHUNK
        return {"type": "http.request", "body": body, "more_body": more}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            exchange.status = int(message["status"])
        elif message["type"] == "http.response.body":
            exchange.body += message.get("body", b"")

    run_in_fresh_loop(app(scope_of(method, path, headers), receive, send), timeout_s=60)
    return exchange


@pytest.fixture
def small_limit_app(database_url: str, make_user) -> Iterator[tuple[FastAPI, dict[str, str]]]:  # type: ignore[no-untyped-def]
    """The app with a 0.2 MB upload limit, never yet called, and a bearer header of an owner.

    The token comes from another app on the same secret, through the login route as a client
    would; the app under test is driven on this test's own event loop only.
    """
    make_user("limits@x.cn", Role.owner)
    settings = Settings(env="test", database_url=database_url, secret_key="b" * 40, max_upload_mb=LIMIT_MB)
    issuer = create_app(settings)
    with TestClient(issuer) as client:
        auth = api_token(client, "limits@x.cn")
    issuer.state.engine.dispose()
    app = create_app(settings)
    yield app, auth
    app.state.engine.dispose()


@pytest.mark.parametrize(
    ("content_type", "expected"),
    [
        ("application/json", True),
        ("application/JSON", True),
        ("Application/Json; charset=utf-8", True),
        ("application/geo+json", True),
        (None, True),  # FastAPI parses a body without a Content-Type as JSON
        ("text/json", False),
        ("multipart/form-data; boundary=x", False),
        ("application/x-www-form-urlencoded", False),
    ],
)
def test_the_json_guard_sees_json_as_fastapi_does(content_type: str | None, expected: bool) -> None:
    assert is_json(content_type) is expected


def test_a_declared_length_over_the_limit_is_refused_before_a_byte_is_read(small_limit_app) -> None:  # type: ignore[no-untyped-def]
    app, auth = small_limit_app
    for content_type in ("application/JSON", "multipart/form-data; boundary=x", "text/plain"):
        headers = {**auth, "content-type": content_type, "content-length": str(10**9)}
        exchange = call(app, "POST", "/api/v1/imports", headers, chunks=10**9 // CHUNK)
        assert exchange.status == 413, content_type
        assert exchange.pulled == 0, content_type
        assert "MB" in json.loads(exchange.body)["detail"]


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/api/v1/sites", "application/JSON"),
        ("/api/v1/imports", "multipart/form-data; boundary=x"),
    ],
)
def test_a_chunked_body_is_cut_off_where_it_passes_the_limit(
    small_limit_app, path: str, content_type: str
) -> None:  # type: ignore[no-untyped-def]
    app, auth = small_limit_app
    exchange = call(app, "POST", path, {**auth, "content-type": content_type}, chunks=1000)
    assert exchange.status == 413
    limit = LIMIT + (MULTIPART_SLACK_BYTES if content_type.startswith("multipart") else 0)
    assert exchange.pulled == limit // CHUNK + 1  # not one chunk more than it took to pass the limit
    assert "larger than" in json.loads(exchange.body)["detail"]


def test_an_anonymous_upload_is_refused_before_it_is_spooled(small_limit_app) -> None:  # type: ignore[no-untyped-def]
    app, _auth = small_limit_app
    multipart = {"content-type": "multipart/form-data; boundary=x"}
    declared = call(app, "POST", "/login", {**multipart, "content-length": str(10**9)}, chunks=10**9 // CHUNK)
    assert declared.status == 413 and declared.pulled == 0
    assert "登录" in declared.body.decode()  # a page's answer, in the reader's language (zh-CN by default)
    streamed = call(app, "POST", "/api/v1/imports", multipart, chunks=10**9 // CHUNK)
    assert streamed.status == 413
    assert streamed.pulled == ANONYMOUS_MAX_BYTES // CHUNK + 1
    assert "log in" in json.loads(streamed.body)["detail"]
    forged = call(
        app, "POST", "/api/v1/imports", {**multipart, "authorization": "Bearer forged"}, chunks=1000
    )
    assert forged.status == 413 and forged.pulled == ANONYMOUS_MAX_BYTES // CHUNK + 1


def test_a_login_and_an_upload_within_the_limits_still_work(client: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("o@x.cn", Role.owner)
    auth = api_token(client, "o@x.cn")  # the anonymous cap leaves room for the login form
    csv = b"site_name,lon,lat,kind,tilt_deg,azimuth_deg,gross_area_m2\nA,121.48,31.23,roof,10,180,100\n"
    response = client.post(
        "/api/v1/imports", files={"file": ("a.csv", csv, "text/csv")}, data={"dry_run": "true"}, headers=auth
    )
    assert response.status_code == 200, response.text  # answered by the import, not the guard
    assert response.json()["created"]["sites"] == 1
