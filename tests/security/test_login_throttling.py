"""Login throttling: after too many failures for an account or from an address, logins are refused for
a while — on the API with 429 and Retry-After, on the login page with a message — whatever the password."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from pvhub.accounts.login_throttle import (
    DatabaseFailures,
    LoginThrottle,
    MemoryFailures,
    ThrottleRules,
    TooManyLoginAttempts,
)
from pvhub.accounts.models import LoginFailure
from pvhub.core.settings import Settings
from tests.conftest import TEST_PASSWORD
from tests.security.conftest import SmallWorld, csrf_of
from web.app import create_app


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


RULES = ThrottleRules(max_failures_per_account=3, max_failures_per_address=5, window_s=600)


def test_an_account_is_locked_after_its_limit_until_the_failures_age_out() -> None:
    clock = Clock()
    throttle = LoginThrottle(RULES, clock)
    for _ in range(3):
        throttle.check("a@x.cn", "10.0.0.1")
        throttle.failed("A@x.cn ", "10.0.0.1")  # the e-mail is normalised as at login
        clock.now += 10
    with pytest.raises(TooManyLoginAttempts) as refused:
        throttle.check("a@x.cn", "10.0.0.9")  # from any address
    assert refused.value.status_code == 429
    assert refused.value.retry_after_s == 600 - 30  # until the first failure leaves the window
    assert "try again in 10 minutes" in refused.value.message
    clock.now += 600 - 30
    throttle.check("a@x.cn", "10.0.0.9")  # the oldest failure aged out: one more try


def test_an_address_is_locked_after_its_limit_whatever_the_accounts() -> None:
    clock = Clock()
    throttle = LoginThrottle(RULES, clock)
    for n in range(5):
        throttle.failed(f"user{n}@x.cn", "10.0.0.1")
    with pytest.raises(TooManyLoginAttempts):
        throttle.check("fresh@x.cn", "10.0.0.1")
    throttle.check("fresh@x.cn", "10.0.0.2")


def test_a_success_clears_the_account_but_not_the_address() -> None:
    clock = Clock()
    throttle = LoginThrottle(RULES, clock)
    throttle.failed("a@x.cn", "10.0.0.1")
    throttle.failed("a@x.cn", "10.0.0.1")
    throttle.succeeded("a@x.cn")
    throttle.failed("a@x.cn", "10.0.0.1")
    throttle.failed("a@x.cn", "10.0.0.1")
    throttle.check("a@x.cn", "10.0.0.1")  # 2 since the success: under the account limit of 3
    throttle.failed("b@x.cn", "10.0.0.1")
    with pytest.raises(TooManyLoginAttempts):
        throttle.check("c@x.cn", "10.0.0.1")  # the address counted all 5


def test_memory_stays_bounded_under_a_spray_of_addresses() -> None:
    clock = Clock()
    store = MemoryFailures()
    store.MAX_KEYS = 1000  # type: ignore[misc]
    throttle = LoginThrottle(RULES, clock, store=store)
    for n in range(5000):
        throttle.failed(f"u{n}@x.cn", f"10.{n // 65536}.{n // 256 % 256}.{n % 256}")
        clock.now += 0.01
    assert len(store._failures) <= 1000


@pytest.fixture
def strict_client(database_url: str, session: Session) -> Iterator[TestClient]:
    settings = Settings(
        env="test",
        database_url=database_url,
        secret_key="l" * 40,
        login_max_failures_per_account=3,
        login_max_failures_per_address=6,
    )
    app = create_app(settings)
    with TestClient(app) as client:
        yield client
    app.state.engine.dispose()


def _token(client: TestClient, email: str, password: str) -> int:
    return client.post("/api/v1/auth/token", data={"username": email, "password": password}).status_code


def test_the_token_endpoint_answers_429_with_retry_after_even_for_the_right_password(
    strict_client: TestClient, small_world: SmallWorld
) -> None:
    assert [_token(strict_client, small_world.owner, "wrong-password") for _ in range(3)] == [401] * 3
    refused = strict_client.post(
        "/api/v1/auth/token", data={"username": small_world.owner, "password": TEST_PASSWORD}
    )
    assert refused.status_code == 429
    assert 0 < int(refused.headers["retry-after"]) <= 15 * 60
    assert "Too many failed logins" in refused.json()["detail"]
    assert _token(strict_client, small_world.office, TEST_PASSWORD) == 200  # another account still works


def test_the_address_limit_stops_a_spray_over_many_accounts(
    strict_client: TestClient, small_world: SmallWorld
) -> None:
    emails = [small_world.owner, small_world.office, small_world.supplier, small_world.other_owner]
    answers = [_token(strict_client, email, "wrong-password") for email in emails for _ in range(2)]
    assert answers[:6] == [401] * 6 and answers[6:] == [429, 429]
    assert _token(strict_client, small_world.supplier, TEST_PASSWORD) == 429


def test_the_login_page_says_why_and_for_how_long(strict_client: TestClient, small_world: SmallWorld) -> None:
    strict_client.cookies.set("lang", "en")

    def attempt(password: str) -> tuple[int, str]:
        token = csrf_of(strict_client.get("/login").text)
        response = strict_client.post(
            "/login",
            data={"email": small_world.office, "password": password, "csrf_token": token},
            follow_redirects=False,
        )
        return response.status_code, response.text

    assert [attempt("wrong-password")[0] for _ in range(3)] == [401] * 3
    status, html = attempt(TEST_PASSWORD)
    assert status == 429
    assert "Too many failed logins for this account or from this address. Try again in 15 minutes." in html
    strict_client.cookies.set("lang", "zh_CN")
    assert "登录失败次数过多" in attempt(TEST_PASSWORD)[1]


def test_the_limit_is_documented_in_the_openapi_schema(strict_client: TestClient) -> None:
    responses = strict_client.get("/openapi.json").json()["paths"]["/api/v1/auth/token"]["post"]["responses"]
    assert "429" in responses


def test_failures_counted_in_the_database_lock_the_same_way(engine: Engine, session: Session) -> None:
    clock = Clock()
    throttle = LoginThrottle(RULES, clock, store=DatabaseFailures(engine))
    for _ in range(3):
        throttle.check("a@x.cn", "10.0.0.1")
        throttle.failed("A@x.cn ", "10.0.0.1")
        clock.now += 10
    with pytest.raises(TooManyLoginAttempts) as refused:
        throttle.check("a@x.cn", "10.0.0.9")
    assert refused.value.retry_after_s == 600 - 30
    clock.now += 600  # every failure aged out: the next failure sweeps them from the table
    throttle.check("a@x.cn", "10.0.0.1")
    throttle.failed("b@x.cn", "10.0.0.2")
    assert {f.key for f in session.exec(select(LoginFailure)).all()} == {"account:b@x.cn", "address:10.0.0.2"}
    throttle.succeeded("B@x.cn")
    assert {f.key for f in session.exec(select(LoginFailure)).all()} == {"address:10.0.0.2"}


def test_every_app_process_counts_the_same_failures(
    database_url: str, session: Session, small_world: SmallWorld
) -> None:
    """Two apps on one database, as two ``pvhub serve`` workers: failures on either lock both."""
    settings = Settings(
        env="test", database_url=database_url, secret_key="l" * 40, login_max_failures_per_account=4
    )
    first, second = create_app(settings), create_app(settings)
    with TestClient(first) as one, TestClient(second) as two:
        assert [_token(one, small_world.owner, "wrong-password") for _ in range(2)] == [401, 401]
        assert [_token(two, small_world.owner, "wrong-password") for _ in range(2)] == [401, 401]
        assert _token(one, small_world.owner, TEST_PASSWORD) == 429
        assert _token(two, small_world.owner, TEST_PASSWORD) == 429
    for app in (first, second):
        app.state.engine.dispose()
