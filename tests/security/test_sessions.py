"""Session cookies and API tokens: flags that keep them out of scripts and other sites, and expiry."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlmodel import Session, select

from pvhub.accounts.models import User
from pvhub.core.settings import Settings
from tests.conftest import api_token
from tests.security.conftest import SmallWorld, csrf_of, page_login
from web.app import create_app


def session_cookie_header(client: TestClient, email: str) -> str:
    form = client.get("/login")
    response = client.post(
        "/login",
        data={"email": email, "password": "correct-horse-battery", "csrf_token": csrf_of(form.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303
    cookies = [v for k, v in response.headers.multi_items() if k == "set-cookie" and "pvhub_session=" in v]
    assert len(cookies) == 1
    return cookies[0]


def flags(set_cookie: str) -> dict[str, str]:
    parts = [p.strip() for p in set_cookie.split(";")[1:]]
    return {p.split("=", 1)[0].lower(): (p.split("=", 1)[1] if "=" in p else "") for p in parts}


def test_the_session_cookie_is_http_only_same_site_lax_and_expires(
    client: TestClient, small_world: SmallWorld, settings: Settings
) -> None:
    cookie = flags(session_cookie_header(client, small_world.owner))
    assert "httponly" in cookie
    assert cookie["samesite"].lower() == "lax"
    assert cookie["path"] == "/"
    assert int(cookie["max-age"]) == settings.session_max_age_s


@pytest.fixture
def production_client(database_url: str, session: Session) -> Iterator[TestClient]:
    settings = Settings(
        env="production", database_url=database_url, secret_key="p" * 48, freeze_heap_on_start=False
    )
    with TestClient(create_app(settings), base_url="https://testserver") as client:
        yield client


def test_in_production_the_session_cookie_is_sent_over_https_only(
    production_client: TestClient, small_world: SmallWorld
) -> None:
    cookie = flags(session_cookie_header(production_client, small_world.owner))
    assert "secure" in cookie and "httponly" in cookie and cookie["samesite"].lower() == "lax"


def past_signer(age_s: float) -> type[TimestampSigner]:
    """A signer whose signatures say they were made ``age_s`` seconds ago."""

    class PastSigner(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time() - age_s)

    return PastSigner


def _session_cookie(secret: str, data: dict[str, object], age_s: float) -> str:
    """A session cookie as Starlette signs it, stamped ``age_s`` seconds in the past."""
    payload = base64.b64encode(json.dumps(data).encode())
    return past_signer(age_s)(secret).sign(payload).decode()


def test_a_session_older_than_its_max_age_is_refused(
    client: TestClient, small_world: SmallWorld, settings: Settings, session: Session
) -> None:
    user = session.exec(select(User).where(User.email == small_world.owner)).one()
    max_age = settings.session_max_age_s
    client.cookies.set(
        "pvhub_session", _session_cookie(settings.secret, {"uid": user.id, "sid": "young"}, max_age - 60)
    )
    assert client.get("/sites", follow_redirects=False).status_code == 200  # still young: logged in
    client.cookies.clear()  # the young session's answer renewed the cookie
    client.cookies.set(
        "pvhub_session", _session_cookie(settings.secret, {"uid": user.id, "sid": "old"}, max_age + 60)
    )
    expired = client.get("/sites", follow_redirects=False)
    assert expired.status_code == 303 and expired.headers["location"].startswith("/login")


def test_a_session_signed_with_another_key_is_refused(
    client: TestClient, small_world: SmallWorld, session: Session
) -> None:
    user = session.exec(select(User).where(User.email == small_world.office)).one()
    client.cookies.set("pvhub_session", _session_cookie("x" * 40, {"uid": user.id, "sid": "forged"}, 0))
    assert client.get("/sites", follow_redirects=False).status_code == 303


def test_an_api_token_older_than_its_max_age_is_refused(
    client: TestClient, small_world: SmallWorld, settings: Settings, session: Session
) -> None:
    user = session.exec(select(User).where(User.email == small_world.owner)).one()
    signer = past_signer(settings.token_max_age_s + 60)
    old = URLSafeTimedSerializer(settings.secret, salt="pvhub-api-token", signer=signer).dumps(
        {"uid": user.id}
    )
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {old}"})
    assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"
    fresh = api_token(client, small_world.owner)
    assert client.get("/api/v1/me", headers=fresh).status_code == 200


def test_a_deactivated_user_loses_the_session_and_the_token_at_once(
    client: TestClient, small_world: SmallWorld, session: Session
) -> None:
    token = api_token(client, small_world.owner)
    page_login(client, small_world.owner)
    user = session.exec(select(User).where(User.email == small_world.owner)).one()
    user.active = False
    session.add(user)
    session.commit()
    assert client.get("/api/v1/me", headers=token).status_code == 401
    assert client.get("/sites", follow_redirects=False).status_code == 303


def _logged_in_cookie(client: TestClient, email: str) -> str:
    """Log in and return the session cookie's value (a copy someone could have taken)."""
    page_login(client, email)
    value = client.cookies.get("pvhub_session")
    assert value
    return value


def test_a_copy_of_the_cookie_taken_before_logout_no_longer_logs_in(
    client: TestClient, small_world: SmallWorld, settings: Settings
) -> None:
    copy = _logged_in_cookie(client, small_world.owner)
    other = TestClient(client.app, base_url="http://testserver")  # the same user in another browser
    _logged_in_cookie(other, small_world.owner)
    page = client.get("/sites")
    logout = client.post("/logout", data={"csrf_token": csrf_of(page.text)}, follow_redirects=False)
    assert logout.status_code == 303
    client.cookies.clear()
    client.cookies.set("pvhub_session", copy)
    replayed = client.get("/sites", follow_redirects=False)
    assert replayed.status_code == 303 and replayed.headers["location"].startswith("/login")
    assert "pvhub_session=null" in replayed.headers.get("set-cookie", "")  # emptied, never re-signed
    assert other.get("/sites", follow_redirects=False).status_code == 200  # only that session ended


def test_a_session_without_an_id_is_not_a_login(
    client: TestClient, small_world: SmallWorld, settings: Settings, session: Session
) -> None:
    """Cookies from before sessions had ids (or forged without one) must log in again."""
    user = session.exec(select(User).where(User.email == small_world.owner)).one()
    client.cookies.set("pvhub_session", _session_cookie(settings.secret, {"uid": user.id}, 0))
    assert client.get("/sites", follow_redirects=False).status_code == 303


def test_revocations_are_swept_once_no_cookie_could_still_carry_them(
    session: Session,
) -> None:
    from datetime import UTC, datetime, timedelta

    from pvhub.accounts import page_sessions
    from pvhub.accounts.models import RevokedSession

    start = datetime(2026, 1, 1, tzinfo=UTC)
    page_sessions.revoke(session, "a", max_age_s=3600, now=start)
    page_sessions.revoke(session, "b", max_age_s=3600, now=start + timedelta(minutes=30))
    assert page_sessions.is_revoked(session, "a") and page_sessions.is_revoked(session, "b")
    page_sessions.revoke(session, "c", max_age_s=3600, now=start + timedelta(minutes=61))
    assert {r.sid for r in session.exec(select(RevokedSession)).all()} == {"b", "c"}


NEW_PASSWORD = "a-brand-new-passphrase"


def _user_id(session: Session, email: str) -> int:
    user = session.exec(select(User).where(User.email == email)).one()
    assert user.id is not None
    return user.id


def _logged_out(client: TestClient) -> bool:
    response = client.get("/sites", follow_redirects=False)
    return response.status_code == 303 and response.headers["location"].startswith("/login")


def test_changing_ones_password_ends_the_other_sessions_and_tokens_but_not_this_one(
    client: TestClient, small_world: SmallWorld
) -> None:
    """Whoever knew the old password may hold a token or a browser session from it: both end."""
    token = api_token(client, small_world.owner)
    other = TestClient(client.app, base_url="http://testserver")  # the same user in another browser
    page_login(other, small_world.owner)
    csrf = page_login(client, small_world.owner)
    form = {"password": NEW_PASSWORD, "repeat": NEW_PASSWORD, "csrf_token": csrf}
    refused = client.post("/password", data={**form, "current_password": "not-it"}, follow_redirects=False)
    assert refused.status_code == 303
    assert client.get("/api/v1/me", headers=token).status_code == 200  # a refused change ends nothing
    assert other.get("/sites", follow_redirects=False).status_code == 200
    changed = client.post(
        "/password", data={**form, "current_password": "correct-horse-battery"}, follow_redirects=False
    )
    assert changed.status_code == 303 and changed.headers["location"].startswith("/password")
    assert client.get("/api/v1/me", headers=token).status_code == 401
    assert _logged_out(other)
    assert client.get("/sites", follow_redirects=False).status_code == 200  # the session that changed it
    fresh = api_token(client, small_world.owner, NEW_PASSWORD)
    assert client.get("/api/v1/me", headers=fresh).status_code == 200


def test_the_offices_password_reset_ends_every_session_and_token_of_the_user(
    client: TestClient, small_world: SmallWorld, session: Session
) -> None:
    token = api_token(client, small_world.owner)
    browser = TestClient(client.app, base_url="http://testserver")
    page_login(browser, small_world.owner)
    office = api_token(client, small_world.office)
    owner_id = _user_id(session, small_world.owner)
    reset = client.patch(f"/api/v1/users/{owner_id}", json={"password": NEW_PASSWORD}, headers=office)
    assert reset.status_code == 200, reset.text
    assert client.get("/api/v1/me", headers=token).status_code == 401
    assert _logged_out(browser)
    assert client.get("/api/v1/me", headers=office).status_code == 200  # the office's own token stays
    assert (
        client.get("/api/v1/me", headers=api_token(client, small_world.owner, NEW_PASSWORD)).status_code
        == 200
    )


def test_sessions_ended_by_deactivation_stay_ended_when_the_user_is_let_in_again(
    client: TestClient, small_world: SmallWorld, session: Session
) -> None:
    token = api_token(client, small_world.owner)
    browser = TestClient(client.app, base_url="http://testserver")
    page_login(browser, small_world.owner)
    office = api_token(client, small_world.office)
    owner_id = _user_id(session, small_world.owner)
    for active in (False, True):
        response = client.patch(f"/api/v1/users/{owner_id}", json={"active": active}, headers=office)
        assert response.status_code == 200, response.text
    assert client.get("/api/v1/me", headers=token).status_code == 401
    assert _logged_out(browser)
    assert client.get("/api/v1/me", headers=api_token(client, small_world.owner)).status_code == 200
