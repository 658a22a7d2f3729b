"""Every page route that changes state refuses a request without the session's CSRF token; nothing changes.

The routes are read from the app when the test runs, so a form added later is covered too.
"""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from tests.security.conftest import SmallWorld, csrf_of, fingerprint, page_login
from tests.security.routes import UNSAFE_METHODS, page_routes

#: The CSRF check's own refusal (the pages are in Chinese by default): a 403 for another reason, such as
#: the role, or a 400 or 422 from reading the form, would not show that the token was checked.
REFUSAL = "表单已过期或并非来自 pvhub，请刷新页面后重试。"


def _values(world: SmallWorld) -> dict[str, object]:
    """Path values that name real objects where the world has them (the check must come first anyway)."""
    return {"site_id": world.site_id, "surface_id": world.surface_id}


def test_every_state_changing_page_refuses_a_missing_or_forged_token(
    client: TestClient, small_world: SmallWorld, engine: Engine, tmp_path: Path
) -> None:
    unsafe = [r for r in page_routes(client.app) if r.method in UNSAFE_METHODS]  # type: ignore[arg-type]
    assert len(unsafe) >= 10, "the route listing sees the forms"
    page_login(client, small_world.office)
    before = fingerprint(engine, tmp_path)
    values = _values(small_world)
    accepted = []
    for route in unsafe:
        url = route.url({p: values.get(p, 1) for p in route.params})
        for data, headers in (({}, {}), ({"csrf_token": "forged"}, {}), ({}, {"X-CSRF-Token": "forged"})):
            response = client.request(route.method, url, data=data, headers=headers, follow_redirects=False)
            if response.status_code != 403 or REFUSAL not in response.text:
                accepted.append(f"{route} with {data or headers or 'no token'}: {response.status_code}")
    assert not accepted, "\n".join(accepted)
    assert fingerprint(engine, tmp_path) == before, "a refused request changed the database"
    home = client.get("/")
    assert home.status_code == 200 and "/logout" in home.text, "the refused logout did not log out"


def test_a_token_from_another_session_is_refused(client: TestClient, small_world: SmallWorld) -> None:
    """A token is bound to its session: an attacker's own valid token does not work in the victim's."""
    attacker = TestClient(client.app, base_url="http://testserver")
    attacker_token = csrf_of(attacker.get("/login").text)
    victim_token = page_login(client, small_world.office)
    assert attacker_token != victim_token
    response = client.post("/logout", data={"csrf_token": attacker_token}, follow_redirects=False)
    assert response.status_code == 403 and REFUSAL in response.text
    assert "/logout" in client.get("/").text, "still logged in"
    accepted = client.post("/logout", data={"csrf_token": victim_token}, follow_redirects=False)
    assert accepted.status_code == 303


def test_logging_in_starts_a_new_session_with_a_new_token(
    client: TestClient, small_world: SmallWorld
) -> None:
    """No session fixation: the token (and session) from before login are not the ones after it."""
    before = csrf_of(client.get("/login").text)
    after = page_login(client, small_world.owner)
    assert before != after
