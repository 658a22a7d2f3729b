"""Every page — whoever asks, whatever the answer (200, redirect, 404) — carries the security headers:
a CSP that runs only our own scripts, frame denial, no MIME sniffing and a strict referrer policy."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from httpx import Response

from pvhub.core.settings import Settings
from tests.security.conftest import SmallWorld, page_login
from tests.security.routes import page_routes
from web.app import create_app

STRICT_REFERRER = {"no-referrer", "same-origin", "strict-origin", "strict-origin-when-cross-origin"}


def csp_directives(header: str) -> dict[str, list[str]]:
    directives: dict[str, list[str]] = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            assert words[0] not in directives, (
                f"directive {words[0]} given twice (browsers ignore the second)"
            )
            directives[words[0]] = words[1:]
    return directives


def header_problems(response: Response) -> list[str]:
    """What is missing or too lax in one response's headers."""
    problems = []
    csp = response.headers.get("content-security-policy")
    if csp is None:
        return ["no Content-Security-Policy"]
    directives = csp_directives(csp)
    scripts = directives.get("script-src", directives.get("default-src")) or []
    # only scripts carrying this response's nonce: not 'self', which let injected markup load
    # pvhub's own htmx inside a srcdoc frame (issue 15)
    if len(scripts) != 1 or not re.fullmatch(r"'nonce-[A-Za-z0-9_-]{20,}'", scripts[0]):
        problems.append(f"script-src is {scripts}, not one nonce")
    if directives.get("default-src") != ["'self'"]:
        problems.append(f"default-src is {directives.get('default-src')}")
    if "'unsafe-inline'" in directives.get("style-src", []):
        problems.append("inline styles allowed")
    if directives.get("object-src", directives.get("default-src")) not in (["'none'"], ["'self'"]):
        problems.append("plugins (object-src) allowed")
    frames_denied = directives.get("frame-ancestors") == ["'none'"]
    if not frames_denied and response.headers.get("x-frame-options", "").upper() != "DENY":
        problems.append("framing allowed (no frame-ancestors 'none', no X-Frame-Options DENY)")
    if response.headers.get("x-content-type-options") != "nosniff":
        problems.append("no X-Content-Type-Options: nosniff")
    if response.headers.get("referrer-policy") not in STRICT_REFERRER:
        problems.append(f"Referrer-Policy {response.headers.get('referrer-policy')!r}")
    path = response.request.url.path
    if not path.startswith("/static/") and response.headers.get("cache-control") != "no-store":
        problems.append(f"Cache-Control {response.headers.get('cache-control')!r}, not no-store")
    return problems


def _value(param: str, world: SmallWorld) -> object:
    return {"site_id": world.site_id, "surface_id": world.surface_id, "locale": "en"}.get(param, 1)


def test_every_page_carries_the_security_headers_for_every_visitor(
    client: TestClient, small_world: SmallWorld
) -> None:
    pages = [r for r in page_routes(client.app) if r.method == "GET"]  # type: ignore[arg-type]
    assert len(pages) >= 10
    urls = [r.url({p: _value(p, small_world) for p in r.params}) for r in pages]
    urls += ["/no-such-page", "/static/css/app.css", "/api/v1/programme/totals", "/api/v1/sites"]
    failures = []
    for who in (None, small_world.owner, small_world.office):
        if who:
            page_login(client, who)
        for url in urls:
            response = client.get(url, follow_redirects=False)
            assert response.status_code < 500, f"{url} as {who}: {response.status_code}"
            failures += [f"{url} as {who or 'anonymous'}: {p}" for p in header_problems(response)]
    assert not failures, "\n".join(failures)


def test_a_tile_server_joins_the_one_img_src_of_its_own_app(database_url: str) -> None:
    base = {"env": "test", "database_url": database_url, "secret_key": "h" * 40}
    tiled = create_app(Settings(**base, map_tile_url="https://{s}.tiles.example.cn/{z}/{x}/{y}.png"))
    plain = create_app(Settings(**base))
    with TestClient(tiled) as a, TestClient(plain) as b:
        csp_a = csp_directives(a.get("/login").headers["content-security-policy"])
        csp_b = csp_directives(b.get("/login").headers["content-security-policy"])
    assert "https://*.tiles.example.cn" in csp_a["img-src"]
    assert not any("tiles.example.cn" in source for source in csp_b["img-src"])
    assert csp_a["script-src"][0].startswith("'nonce-") and csp_b["script-src"][0].startswith("'nonce-")


def test_error_answers_carry_the_security_headers_too(database_url: str) -> None:
    """413 from the body limit, 400 from the JSON guard, 422, 404 and a 500 from a handler that
    fails: a browser must get the same policy on an error as on a page."""
    app = create_app(Settings(env="test", database_url=database_url, secret_key="h" * 40))

    def fails() -> None:
        raise RuntimeError("a bug")

    app.add_api_route("/api/v1/test-fails", fails)  # a route of this test's own app, not a mock
    app.add_api_route("/test-fails", fails)
    with TestClient(app, raise_server_exceptions=False) as client:
        answers = {
            "413": client.post("/api/v1/auth/token", content=b"x" * 100_000),
            "400": client.post(
                "/api/v1/sites", content=b'{"name": NaN}', headers={"Content-Type": "application/JSON"}
            ),
            "404": client.get("/api/v1/no-such-thing"),
            "500 api": client.get("/api/v1/test-fails"),
            "500 page": client.get("/test-fails"),
        }
    for name, response in answers.items():
        assert str(response.status_code) == name.split()[0], (name, response.text)
        assert header_problems(response) == [], name
    assert "nothing was saved" in answers["500 api"].json()["detail"]
    assert "a bug" not in answers["500 page"].text
