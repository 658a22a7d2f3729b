"""A large import does not freeze every other user (issue 15).

Found by an attack: a 10,000-feature dry run ran inside an ``async def`` handler, on the event
loop, and an anonymous ``GET /api/v1/programme/totals`` waited 5.4 s instead of 0.07 s. Shown here
by the order of events rather than by time: the app is driven over ASGI on one event loop, and a
request sent once the import's upload has been received must be answered before the import is.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.types import Message, Scope

from pvhub.core.enums import Role
from pvhub.core.settings import Settings
from pvhub.programme import service as programme_service
from tests.asgi_driver import run_in_fresh_loop, scope_of
from tests.conftest import api_token
from web.app import create_app

FEATURES = 4000


def roofs(n: int) -> bytes:
    """A GeoJSON FeatureCollection of ``n`` small roofs on a grid in Huangpu, one per site."""
    features = []
    for i in range(n):
        row, col = divmod(i, 80)
        lon, lat = 121.46 + col * 0.0008, 31.21 + row * 0.0006
        ring = [
            [lon, lat],
            [lon + 0.0002, lat],
            [lon + 0.0002, lat + 0.0002],
            [lon, lat + 0.0002],
            [lon, lat],
        ]
        properties = {"site_name": f"Roof {i}", "kind": "roof", "tilt_deg": 10, "azimuth_deg": 180}
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Polygon", "coordinates": [ring]},
                "properties": properties,
            }
        )
    return json.dumps({"type": "FeatureCollection", "features": features}).encode()


def multipart(fields: dict[str, str], filename: str, content: bytes) -> tuple[bytes, str]:
    boundary = "pvhub-test-boundary"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        "Content-Type: application/geo+json\r\n\r\n".encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


async def exchange(
    app: FastAPI, scope: Scope, body: bytes, events: list[str], name: str, received: asyncio.Event
) -> int:
    """One request; appends ``name received`` once the app has the whole body, ``name answered``
    once the response is complete. Returns the status."""
    sent = False
    status = 0

    async def receive() -> Message:
        nonlocal sent
        if sent:
            await asyncio.sleep(3600)
        sent = True
        events.append(f"{name} received")
        received.set()
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = int(message["status"])
        elif message["type"] == "http.response.body" and not message.get("more_body"):
            events.append(f"{name} answered")

    await app(scope, receive, send)
    return status


@pytest.fixture
def app_and_owner(database_url: str, session, make_user) -> Iterator[tuple[FastAPI, dict[str, str]]]:  # type: ignore[no-untyped-def]
    make_user("importer@x.cn", Role.owner)
    # the programme row, as every deployment has it after `pvhub demo` or the first visit: without
    # it both requests would create it, and the second would wait for the first's write lock
    programme_service.get_programme(session=session)
    session.commit()
    settings = Settings(env="test", database_url=database_url, secret_key="e" * 40)
    issuer = create_app(settings)
    with TestClient(issuer) as client:
        auth = api_token(client, "importer@x.cn")
    issuer.state.engine.dispose()
    app = create_app(settings)  # driven on this test's event loop only
    yield app, auth
    app.state.engine.dispose()


def test_a_request_during_a_large_import_is_answered_before_the_import(app_and_owner) -> None:  # type: ignore[no-untyped-def]
    app, auth = app_and_owner
    body, content_type = multipart({"dry_run": "true"}, "roofs.geojson", roofs(FEATURES))
    events: list[str] = []

    async def scenario() -> tuple[int, int]:
        uploaded, asked = asyncio.Event(), asyncio.Event()
        headers = {**auth, "content-type": content_type, "content-length": str(len(body))}
        importing = asyncio.create_task(
            exchange(app, scope_of("POST", "/api/v1/imports", headers), body, events, "import", uploaded)
        )
        await uploaded.wait()
        await asyncio.sleep(0.2)  # the upload is parsed and the import under way
        totals = await exchange(
            app, scope_of("GET", "/api/v1/programme/totals", {}), b"", events, "totals", asked
        )
        return await importing, totals

    import_status, totals_status = run_in_fresh_loop(scenario())
    assert (import_status, totals_status) == (200, 200)
    assert events.index("totals answered") < events.index("import answered"), events
