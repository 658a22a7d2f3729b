"""Hostile values in API bodies, paths and forms: a clear 4xx, never a 5xx, nothing stored.

The routes come from the app when the test runs, so a route added later is probed too.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Iterator
from typing import Any

import fastapi.routing
import pytest
from fastapi.exceptions import RequestValidationError
from fastapi.testclient import TestClient
from httpx import Response
from sqlmodel import Session

from pvhub.core.settings import Settings
from tests.asgi_driver import run_in_fresh_loop
from tests.conftest import api_token
from tests.hostile.conftest import World, written
from tests.hostile.corpus import LAT, LON, LONE_SURROGATES, RAW_SURROGATE
from tests.security.conftest import page_login
from tests.security.routes import UNSAFE_METHODS, api_routes, page_routes, routes
from web.validation_errors import request_validation_error

BEYOND_64_BITS = 2**70


def _json_routes(client: TestClient) -> list[tuple[str, str]]:
    """(method, path) of every API operation whose documented body is JSON."""
    paths = client.get("/openapi.json").json()["paths"]
    return [
        (method.upper(), path)
        for path, operations in paths.items()
        for method, operation in operations.items()
        if "application/json" in (operation.get("requestBody") or {}).get("content", {})
    ]


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_no_json_body_may_carry_nan_or_infinity(
    client: TestClient, world: World, session: Session, token: str
) -> None:
    headers = {**api_token(client, world.office), "Content-Type": "application/json"}
    json_routes = _json_routes(client)
    assert len(json_routes) >= 10
    before = written(session)
    for method, path in json_routes:
        url = path.replace("{", "").replace("}", "")  # the check comes before routing to an object
        body = f'{{"name": "x", "lon": {LON}, "lat": {LAT}, "value": {token}, "tilt_deg": {token}}}'
        response = client.request(method, url.replace("_id", "1"), content=body, headers=headers)
        assert response.status_code == 400, f"{method} {path}: {response.status_code} {response.text[:200]}"
        assert "JSON does not allow" in response.json()["detail"]
    assert written(session) == before


#: Content types FastAPI parses as JSON, written as an attacker may: the guard once matched only a
#: lowercase ``json`` and let ``application/JSON`` through (issue 15).
JSON_CONTENT_TYPES = [
    "application/JSON",
    "Application/Json; charset=UTF-8",
    "application/vnd.pvhub+JSON",
    None,
]


@pytest.mark.parametrize("content_type", JSON_CONTENT_TYPES)
def test_json_in_any_letter_case_is_checked_like_json(
    client: TestClient, world: World, session: Session, content_type: str | None
) -> None:
    auth = api_token(client, world.office)
    headers = {**auth, **({"Content-Type": content_type} if content_type else {})}
    before = written(session)
    json_routes = _json_routes(client)
    assert len(json_routes) >= 10
    for method, path in json_routes:
        url = path.replace("{", "").replace("}", "").replace("_id", "1")
        body = f'{{"name": NaN, "lon": {LON}, "lat": {LAT}}}'
        response = client.request(method, url, content=body, headers=headers)
        assert response.status_code == 400, f"{method} {path}: {response.status_code} {response.text[:200]}"
        assert "JSON does not allow" in response.json()["detail"], f"{method} {path}: {response.text[:200]}"
    assert written(session) == before


@pytest.mark.parametrize("content_type", JSON_CONTENT_TYPES)
def test_a_json_body_over_the_limit_is_refused_in_any_letter_case(
    one_mb_client: TestClient, world: World, session: Session, content_type: str | None
) -> None:
    headers = {
        **api_token(one_mb_client, world.owner),
        **({"Content-Type": content_type} if content_type else {}),
    }
    before = written(session)
    response = one_mb_client.post("/api/v1/sites", content=_site_body_of(2_000_000), headers=headers)
    assert response.status_code == 413, response.text[:300]
    assert written(session) == before


def _utf8_json(response: Response) -> Any:
    """The answer's body as JSON, read as strict UTF-8 (a lone surrogate in it would fail here)."""
    return json.loads(response.content.decode("utf-8"))


@pytest.mark.parametrize("surrogate", LONE_SURROGATES)
def test_no_json_body_may_carry_a_lone_surrogate(
    client: TestClient, world: World, session: Session, surrogate: str
) -> None:
    """In a string field, a free-form field's value or key, or as the whole body: a 422 in valid UTF-8
    naming where the text is, on every route, before the route looks anything up; nothing stored."""
    headers = {**api_token(client, world.office), "Content-Type": "application/json"}
    bodies = {
        f'{{"name": "{surrogate}", "lon": {LON}, "lat": {LAT}}}': "name",
        f'{{"name": "x", "footprint": {{"type": "Polygon", "{surrogate}": 1}}}}': "footprint.",
        f'{{"geometry": {{"type": "Polygon", "note": ["ok", "{surrogate}"]}}}}': "geometry.note.1",
        f'"{surrogate}"': "body",
    }
    before = written(session)
    for method, path in _json_routes(client):
        url = path.replace("{", "").replace("}", "").replace("_id", "1")
        for body, field in bodies.items():
            response = client.request(method, url, content=body.encode(), headers=headers)
            assert response.status_code == 422, f"{method} {path}: {response.status_code} {body}"
            answer = _utf8_json(response)
            assert answer["field"].startswith(field) and "lone UTF-16 surrogate" in answer["detail"], answer
    assert written(session) == before


@pytest.mark.parametrize("content_type", ["application/JSON", "application/vnd.pvhub+json", None])
def test_a_lone_surrogate_is_refused_whatever_the_content_type_says(
    client: TestClient, world: World, session: Session, content_type: str | None
) -> None:
    """A free-form field passes pydantic: the check must see every body FastAPI may read as JSON."""
    auth = api_token(client, world.owner)
    headers = {**auth, **({"Content-Type": content_type} if content_type else {})}
    body = f'{{"name": "x", "lon": {LON}, "lat": {LAT}, "footprint": {{"type": "{LONE_SURROGATES[0]}"}}}}'
    before = written(session)
    response = client.post("/api/v1/sites", content=body.encode(), headers=headers)
    assert response.status_code == 422 and _utf8_json(response)["field"] == "footprint.type", response.text
    assert written(session) == before


def test_the_raw_bytes_of_a_surrogate_are_refused_as_one(client: TestClient, world: World) -> None:
    headers = {**api_token(client, world.owner), "Content-Type": "application/json"}
    body = b'{"name": "Bund ' + RAW_SURROGATE + b'", "lon": 121.485, "lat": 31.235}'
    response = client.post("/api/v1/sites", content=body, headers=headers)
    assert response.status_code == 422 and _utf8_json(response)["field"] == "name"


def test_a_body_that_is_not_json_nor_utf8_is_echoed_safely(client: TestClient, world: World) -> None:
    """Without a JSON content type the body is validated as bytes and echoed: as text, not a 500."""
    response = client.post(
        "/api/v1/sites", content=b"\xff" + RAW_SURROGATE, headers=api_token(client, world.owner)
    )
    assert response.status_code == 422
    assert _utf8_json(response)["detail"][0]["input"] == "\ufffd" * 4


def test_a_validation_error_echoing_a_lone_surrogate_is_sent_as_valid_utf8() -> None:
    """The app's handler of validation errors, given what pydantic says of a lone surrogate."""
    exc = RequestValidationError(
        [
            {"type": "string_unicode", "loc": ("body", "name"), "msg": "?", "input": "a\ud800"},
            {"type": "missing", "loc": ("body", "x\udc00"), "msg": "Field required", "input": {"\ud800": 1}},
        ]
    )
    response = run_in_fresh_loop(request_validation_error(None, exc))  # type: ignore[arg-type]
    assert response.status_code == 422
    first, second = json.loads(bytes(response.body).decode("utf-8"))["detail"]
    assert first["loc"] == ["body", "name"] and "lone UTF-16 surrogate" in first["msg"]
    assert first["input"] == "a\ufffd"
    assert second["loc"] == ["body", "x\ufffd"] and second["input"] == {"\ufffd": 1}


#: Path parameters that are not numbers: a number there is just an unknown value.
NOT_NUMBERS = {"locale"}


def test_a_number_beyond_64_bits_in_any_path_is_a_client_error(client: TestClient, world: World) -> None:
    """SQLite cannot bind such an integer; the answer is 4xx on every route, API and pages alike."""
    headers = api_token(client, world.office)
    page_login(client, world.office)
    checked = 0
    for route in routes(client.app):  # type: ignore[arg-type]
        if not route.params or (route.method in UNSAFE_METHODS and not route.is_api):
            continue  # page forms are refused by their CSRF check first
        if set(route.params) <= NOT_NUMBERS:
            continue
        url = route.url({p: BEYOND_64_BITS for p in route.params})
        response = client.request(
            route.method, url, headers=headers if route.is_api else None, follow_redirects=False
        )
        assert 400 <= response.status_code < 500, f"{route}: {response.status_code}"
        checked += 1
    assert checked >= 40


def _query_names(client: TestClient) -> dict[tuple[str, str], set[str]]:
    """(method, path) → the names its handler takes, which include its query parameters."""
    return {
        (method, context.path): set(inspect.signature(context.endpoint).parameters)
        for context in fastapi.routing.iter_route_contexts(client.app.routes)  # type: ignore[attr-defined]
        for method in getattr(context, "methods", None) or ()
    }


def test_offsets_and_pages_beyond_64_bits_are_client_errors(client: TestClient, world: World) -> None:
    """A route that takes the offset or page answers 422; the others ignore them, without a 5xx."""
    names = _query_names(client)
    headers = api_token(client, world.office)
    paged: list[str] = []
    for route in api_routes(client.app):  # type: ignore[arg-type]
        if route.method == "GET" and not route.params:
            response = client.get(
                route.path, params={"offset": BEYOND_64_BITS, "page": BEYOND_64_BITS}, headers=headers
            )
            assert response.status_code < 500, f"{route}: {response.status_code}"
            if "offset" in names[(route.method, route.path)]:
                assert response.status_code == 422, f"{route}: {response.status_code}"
                paged.append(str(route))
    page_login(client, world.office)
    for route in page_routes(client.app):  # type: ignore[arg-type]
        if route.method == "GET" and not route.params:
            response = client.get(route.path, params={"page": BEYOND_64_BITS}, follow_redirects=False)
            assert response.status_code < 500, f"{route}: {response.status_code}"
            if "page" in names[(route.method, route.path)]:
                assert response.status_code == 422, f"{route}: {response.status_code}"
                paged.append(str(route))
    assert len(paged) >= 6, f"only {paged} take an offset or a page"


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("name", "A" * 10_000_000, "at most 200 characters"),
        ("name", "Bund\u000018", "NUL"),
        ("address", "x" * 301, "at most 300 characters"),
        ("height_m", 1e308, "less than or equal to 1000"),
        ("height_m", -1, "greater than or equal to 0"),
        ("lon", "121.48", "valid number"),
        ("storeys", True, "valid integer"),
    ],
    ids=["10MB-name", "NUL", "long-address", "huge-height", "negative-height", "text-lon", "bool-storeys"],
)
def test_a_hostile_site_field_is_named_and_nothing_is_stored(
    client: TestClient, world: World, session: Session, field: str, value: object, words: str
) -> None:
    before = written(session)
    body = {"name": "Bund 18", "lon": LON, "lat": LAT, field: value}
    response = client.post("/api/v1/sites", json=body, headers=api_token(client, world.owner))
    assert response.status_code == 422, response.text[:300]
    detail = response.json()["detail"]
    assert detail[0]["loc"][-1] == field and words in detail[0]["msg"]
    assert written(session) == before


@pytest.mark.parametrize(
    ("geometry", "words"),
    [
        (
            {
                "type": "Polygon",
                "coordinates": [
                    [[LON, LAT], [LON + 3e-4, LAT + 3e-4], [LON + 3e-4, LAT], [LON, LAT + 3e-4], [LON, LAT]]
                ],
            },
            "crosses itself",
        ),
        (
            {
                "type": "Polygon",
                "coordinates": [
                    [[121.47, 31.21], [121.49, 31.21], [121.49, 31.23], [121.47, 31.23], [121.47, 31.21]]
                ],
            },
            "at most 1,000,000 m²",
        ),
        ({"type": "Polygon", "coordinates": [[[LON, LAT]] * 20_000]}, "at most 10000"),
        ({"type": "Polygon", "coordinates": [[[LON, LAT], ["x", LAT], [LON, LAT]]]}, "not a [lon, lat] pair"),
        ({"type": "GeometryCollection", "geometries": []}, "expected a GeoJSON Polygon"),
    ],
    ids=["bow-tie", "4-km2", "20000-corners", "text-corner", "collection"],
)
def test_a_hostile_surface_outline_is_refused(
    client: TestClient, world: World, session: Session, geometry: dict[str, object], words: str
) -> None:
    headers = api_token(client, world.owner)
    site = client.post("/api/v1/sites", json={"name": "Bund 18", "lon": LON, "lat": LAT}, headers=headers)
    assert site.status_code == 201, site.text
    before = written(session)
    response = client.post(
        "/api/v1/surfaces",
        json={"site_id": site.json()["id"], "kind": "roof", "geometry": geometry},
        headers=headers,
    )
    assert response.status_code == 422 and words in response.json()["detail"], response.text[:300]
    assert written(session) == before


@pytest.mark.parametrize("height", ["nan", "inf", "-inf", "1e400", "12abc"])
def test_the_site_form_refuses_numbers_that_are_not_numbers(
    client: TestClient, world: World, height: str
) -> None:
    token = page_login(client, world.owner)
    ring = f"{LON}, {LAT}\n{LON + 3e-4}, {LAT}\n{LON + 3e-4}, {LAT + 3e-4}\n{LON}, {LAT + 3e-4}"
    response = client.post(
        "/sites/new", data={"csrf_token": token, "name": "Bund 18", "coordinates": ring, "height_m": height}
    )
    assert response.status_code == 422
    assert "高度：" in response.text and "不是数字。" in response.text  # the field and why, in Chinese


def test_a_site_form_field_over_its_limit_is_shown_not_a_server_error(
    client: TestClient, world: World
) -> None:
    token = page_login(client, world.owner)
    ring = f"{LON}, {LAT}\n{LON + 3e-4}, {LAT}\n{LON + 3e-4}, {LAT + 3e-4}\n{LON}, {LAT + 3e-4}"
    response = client.post("/sites/new", data={"csrf_token": token, "name": "x" * 300, "coordinates": ring})
    assert response.status_code == 422 and "最多 200 个字符" in response.text  # the page is in Chinese


def test_a_deeply_nested_json_body_is_a_malformed_request(
    client: TestClient, world: World, session: Session
) -> None:
    """Too deep for the parser (RecursionError): 400, as any body that cannot be parsed, not a 422 that
    would mean the body was read and found invalid, nor a 5xx."""
    before = written(session)
    response = client.post(
        "/api/v1/sites",
        content=b"[" * 100_000 + b"]" * 100_000,
        headers={**api_token(client, world.owner), "Content-Type": "application/json"},
    )
    assert response.status_code == 400, response.text[:300]
    assert response.json() == {"detail": "There was an error parsing the body"}
    assert written(session) == before


@pytest.fixture
def one_mb_client(settings: Settings, session: Session) -> Iterator[TestClient]:
    """The app with uploads (and JSON bodies) limited to 1 MB."""
    from web.app import create_app

    with TestClient(create_app(settings.model_copy(update={"max_upload_mb": 1}))) as client:
        yield client


def _site_body_of(size: int) -> bytes:
    return json.dumps({"name": "Bund 18", "lon": LON, "lat": LAT, "address": "x" * size}).encode()


def test_a_json_body_over_the_upload_limit_is_refused_unread(
    one_mb_client: TestClient, world: World, session: Session
) -> None:
    headers = {**api_token(one_mb_client, world.owner), "Content-Type": "application/json"}
    before = written(session)
    response = one_mb_client.post("/api/v1/sites", content=_site_body_of(2_000_000), headers=headers)
    assert response.status_code == 413, response.text[:300]
    assert "larger than 1 MB" in response.json()["detail"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit holds while reading
        body = _site_body_of(2_000_000)
        for start in range(0, len(body), 65_536):
            yield body[start : start + 65_536]

    response = one_mb_client.post("/api/v1/sites", content=chunks(), headers=headers)
    assert response.status_code == 413, response.text[:300]
    assert written(session) == before


def test_a_json_body_under_the_limit_is_read_as_usual(
    one_mb_client: TestClient, world: World, session: Session
) -> None:
    headers = {**api_token(one_mb_client, world.owner), "Content-Type": "application/json"}
    response = one_mb_client.post("/api/v1/sites", content=_site_body_of(900_000), headers=headers)
    assert response.status_code == 422  # a 900 kB address reaches validation, which names the field
    assert response.json()["detail"][0]["loc"][-1] == "address"
