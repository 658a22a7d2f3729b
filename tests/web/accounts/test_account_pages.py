"""The office manages organisations and users in the app: add them, keep a user out and let them back
in, set a new password; nobody else sees the directory (it holds personal data)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from pvhub.accounts.models import Organisation, User
from pvhub.core.audit_events import AuditEvent
from pvhub.core.enums import Role
from tests.conftest import TEST_PASSWORD
from tests.web.test_pages import csrf_of, login

ZH = {"Accept-Language": "zh-CN"}


def _login_as(client: TestClient, email: str, password: str) -> int:
    page = client.get("/login")
    response = client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": csrf_of(page.text), "next": "/"},
        follow_redirects=False,
    )
    return response.status_code


def _post(client: TestClient, url: str, **data: str) -> str:
    token = csrf_of(client.get("/accounts", headers=ZH).text)
    return client.post(url, data={"csrf_token": token, **data}, headers=ZH).text


def test_the_office_adds_an_organisation_and_a_user_who_can_then_log_in(
    client: TestClient, session: Session, make_user: Any
) -> None:
    make_user("office@x.cn", Role.office)
    login(client, "office@x.cn")
    page = client.get("/accounts", headers=ZH)
    assert page.status_code == 200 and "单位与用户" in page.text and "office@x.cn" in page.text

    done = _post(
        client,
        "/accounts/organisations",
        name="  浦江光伏工程  ",
        kind="supplier",
        annual_capacity_kw="4,000",
    )
    assert "单位已添加。" in done and "浦江光伏工程" in done and "4,000 kWp" in done
    org = session.exec(select(Organisation).where(Organisation.name == "浦江光伏工程")).one()
    assert org.kind == Role.supplier and org.annual_capacity_kw == 4000
    twice = _post(client, "/accounts/organisations", name="浦江光伏工程", kind="supplier")
    assert "已存在" in twice

    short = _post(client, "/accounts/users", email="li@pj.cn", organisation="浦江光伏工程", password="short")
    assert "至少 10 个字符" in short
    added = _post(
        client,
        "/accounts/users",
        email="Li@PJ.cn",
        full_name="李工",
        organisation="浦江光伏工程",
        password="first-password-1",
    )
    assert "用户已添加" in added and "li@pj.cn" in added and "李工" in added
    user = session.exec(select(User).where(User.email == "li@pj.cn")).one()
    assert user.role == Role.supplier and user.organisation_id == org.id
    client.cookies.clear()
    assert _login_as(client, "li@pj.cn", "first-password-1") == 303


def test_a_deactivated_user_is_out_at_once_and_a_new_password_replaces_the_old(
    client: TestClient, session: Session, make_user: Any
) -> None:
    office = make_user("office@x.cn", Role.office)
    owner = make_user("owner@x.cn", Role.owner)
    other = TestClient(client.app)
    login(other, "owner@x.cn")
    assert other.get("/sites").status_code == 200
    login(client, "office@x.cn")

    out = _post(client, f"/accounts/users/{owner.id}/active", active="0")
    assert "owner@x.cn 已不能登录。" in out and "已停用" in out
    ended = other.get("/sites", follow_redirects=False)  # the open session ends: back to the login page
    assert ended.status_code == 303 and ended.headers["location"].startswith("/login")
    mine = _post(client, f"/accounts/users/{office.id}/active", active="0")
    assert "不能停用自己的账户。" in mine
    back = _post(client, f"/accounts/users/{owner.id}/active", active="1")
    assert "owner@x.cn 已可重新登录。" in back

    weak = _post(client, f"/accounts/users/{owner.id}/password", password="123")
    assert "至少 10 个字符" in weak
    reset = _post(client, f"/accounts/users/{owner.id}/password", password="temporary-pass-9")
    assert "owner@x.cn 的密码已重新设置。" in reset
    events = session.exec(select(AuditEvent).where(AuditEvent.entity == "user")).all()
    assert {e.action for e in events} >= {"deactivate", "activate", "reset_password"}
    assert all("password_hash" not in (e.after or {}) for e in events)
    fresh = TestClient(client.app)
    assert _login_as(fresh, "owner@x.cn", "temporary-pass-9") == 303


def test_nobody_but_the_office_sees_or_changes_the_directory(
    client: TestClient, session: Session, make_user: Any
) -> None:
    make_user("office@x.cn", Role.office)
    supplier = make_user("s@x.cn", Role.supplier)
    make_user("owner@x.cn", Role.owner)
    for email in ("s@x.cn", "owner@x.cn"):
        client.cookies.clear()
        login(client, email)
        assert client.get("/accounts").status_code == 403
        token = csrf_of(client.get("/password").text)
        for url, data in (("password", {"password": "x" * 12}), ("active", {"active": "0"})):
            client.post(f"/accounts/users/{supplier.id}/{url}", data={"csrf_token": token, **data})
    session.expire_all()
    assert session.get(User, supplier.id).active  # type: ignore[union-attr]
    assert _login_as(TestClient(client.app), "s@x.cn", "x" * 12) != 303  # the password did not change
    assert _login_as(TestClient(client.app), "s@x.cn", TEST_PASSWORD) == 303


def test_a_user_changes_their_own_password_with_the_current_one(
    client: TestClient, session: Session, make_user: Any
) -> None:
    make_user("owner@x.cn", Role.owner)
    login(client, "owner@x.cn")
    page = client.get("/password", headers=ZH)
    assert page.status_code == 200 and "修改密码" in page.text

    def change(current: str, new: str, repeat: str | None = None) -> str:
        token = csrf_of(client.get("/password", headers=ZH).text)
        data = {"csrf_token": token, "current_password": current, "password": new, "repeat": repeat or new}
        return client.post("/password", data=data, headers=ZH).text

    assert "当前密码不正确。" in change("wrong-password", "brand-new-pass-1")
    assert "两次输入的新密码不一致。" in change(TEST_PASSWORD, "brand-new-pass-1", "brand-new-pass-2")
    assert "至少 10 个字符" in change(TEST_PASSWORD, "short")
    assert "密码已修改。" in change(TEST_PASSWORD, "brand-new-pass-1")
    fresh = TestClient(client.app)
    assert _login_as(fresh, "owner@x.cn", TEST_PASSWORD) != 303
    assert _login_as(fresh, "owner@x.cn", "brand-new-pass-1") == 303
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "change_password")).one()
    assert event.after is None or "password_hash" not in event.after


def test_the_page_refuses_what_the_api_refuses_and_stores_nothing(
    client: TestClient, session: Session, make_user: Any
) -> None:
    """The page validates with the API's own models (pvhub.accounts.schemas): a yearly capacity over
    the API's 10,000,000 kWp, or a full name over 200 characters, is refused on its field."""
    make_user("office@x.cn", Role.office)
    login(client, "office@x.cn")
    body = {"name": "巨量光伏", "kind": "supplier", "annual_capacity_kw": 20_000_000}
    token = client.post("/api/v1/auth/token", data={"username": "office@x.cn", "password": TEST_PASSWORD})
    bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
    assert client.post("/api/v1/organisations", json=body, headers=bearer).status_code == 422

    refused = _post(
        client, "/accounts/organisations", name="巨量光伏", kind="supplier", annual_capacity_kw="20,000,000"
    )
    assert "年安装能力（kWp）：不能大于 10000000。" in refused
    assert "单位已添加。" not in refused
    assert session.exec(select(Organisation).where(Organisation.name == "巨量光伏")).first() is None

    long_name = _post(
        client,
        "/accounts/users",
        email="x@y.cn",
        full_name="名" * 201,
        organisation="巨量光伏",
        password="first-password-1",
    )
    assert "用户已添加" not in long_name and "姓名：" in long_name and "200" in long_name
    assert session.exec(select(User).where(User.email == "x@y.cn")).first() is None
