"""Pages: login with CSRF, role home pages, language, fragments, and security headers."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from pvhub.core.enums import Role
from tests.conftest import TEST_PASSWORD


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the page carries a CSRF token"
    return match.group(1)


def login(client: TestClient, email: str) -> None:
    page = client.get("/login")
    response = client.post(
        "/login",
        data={"email": email, "password": TEST_PASSWORD, "csrf_token": csrf_of(page.text), "next": "/"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


def test_a_login_without_the_csrf_token_is_refused(client: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("o@x.cn", Role.office)
    client.get("/login")
    response = client.post("/login", data={"email": "o@x.cn", "password": TEST_PASSWORD})
    assert response.status_code == 403
    # the CSRF check's refusal, in the default language (no Accept-Language: zh_CN)
    assert "表单已过期或并非来自 pvhub，请刷新页面后重试。" in response.text
    assert "reload the page" not in response.text


def test_wrong_password_shows_the_form_again_with_a_message(client: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("o@x.cn", Role.office)
    page = client.get("/login", headers={"Accept-Language": "en"})
    response = client.post(
        "/login",
        data={"email": "o@x.cn", "password": "nope", "csrf_token": csrf_of(page.text)},
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 401
    assert "Wrong e-mail or password." in response.text
    assert 'value="o@x.cn"' in response.text


def test_each_role_lands_on_its_own_home_page(client: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("o@x.cn", Role.office, "项目办")
    make_user("w@x.cn", Role.owner, "外滩物业")
    make_user("s@x.cn", Role.supplier, "光伏工程公司")
    expected = {"o@x.cn": "Programme overview", "w@x.cn": "My sites", "s@x.cn": "Published tenders"}
    client.cookies.set("lang", "en")
    for email, heading in expected.items():
        login(client, email)
        home = client.get("/")
        assert home.status_code == 200 and heading in home.text
        client.post("/logout", data={"csrf_token": csrf_of(home.text)})
        assert client.get("/sites", follow_redirects=False).status_code == 303


def test_the_session_cookie_is_signed_and_http_only(client: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("o@x.cn", Role.office)
    page = client.get("/login")
    response = client.post(
        "/login",
        data={"email": "o@x.cn", "password": TEST_PASSWORD, "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    cookie = response.headers["set-cookie"]
    assert "pvhub_session=" in cookie and "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
    client.cookies.set("pvhub_session", "tampered")
    assert client.get("/sites", follow_redirects=False).status_code == 303


def test_language_comes_from_the_browser_then_the_switch(client: TestClient) -> None:
    assert "登录 pvhub" in client.get("/login").text  # no preference: zh-CN
    assert "Log in to pvhub" in client.get("/login", headers={"Accept-Language": "en-GB,en;q=0.9"}).text
    assert "登录 pvhub" in client.get("/login", headers={"Accept-Language": "zh-CN,zh;q=0.9"}).text
    client.get("/lang/en?next=/login")
    assert "Log in to pvhub" in client.get("/login", headers={"Accept-Language": "zh-CN"}).text


def test_the_language_switch_only_redirects_locally(client: TestClient) -> None:
    response = client.get("/lang/en?next=https://evil.example/", follow_redirects=False)
    assert response.headers["location"] == "/"


def test_pages_send_security_headers(client: TestClient) -> None:
    first, second = client.get("/login"), client.get("/login")
    headers = first.headers
    nonce = re.search(r"script-src 'nonce-([A-Za-z0-9_-]{20,})'", headers["content-security-policy"])
    assert nonce, headers["content-security-policy"]
    # every script tag of the page carries this response's nonce, and the next response has another
    assert first.text.count("<script nonce=") == first.text.count("<script src=") + first.text.count(
        "<script nonce="
    )
    assert f'nonce="{nonce.group(1)}"' in first.text
    assert nonce.group(1) not in second.headers["content-security-policy"]
    assert headers["cache-control"] == "no-store"
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"


def test_htmx_gets_only_the_fragment(client: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("o@x.cn", Role.office)
    login(client, "o@x.cn")
    full = client.get("/sites?page=1")
    fragment = client.get("/sites?page=1", headers={"HX-Request": "true"})
    assert "<html" in full.text and "<table" in full.text
    assert "<html" not in fragment.text and "<table" in fragment.text


def test_the_public_page_needs_no_login_and_shows_no_names(client: TestClient, make_user, session) -> None:  # type: ignore[no-untyped-def]
    from pvhub.register.models import Site

    owner = make_user("w@x.cn", Role.owner, "Secret Owner Co")
    session.add(Site(name="Private Tower", organisation_id=owner.organisation_id, lon=121.48, lat=31.23))
    session.commit()
    page = client.get("/public", headers={"Accept-Language": "en"})
    assert page.status_code == 200 and "Distributed PV programme: progress" in page.text
    assert (
        "Private Tower" not in page.text and "Secret Owner Co" not in page.text and "w@x.cn" not in page.text
    )


def test_the_register_list_shows_capacity_and_yield_per_site_and_totals_of_all_sites(
    client: TestClient,
    session,
    make_user,  # type: ignore[no-untyped-def]
) -> None:
    from pvhub.estimates import service as estimates
    from pvhub.register.enums import SurfaceStatus
    from tests.conftest import ROOF_22_SOUTH, add_site

    mine = make_user("w@x.cn", Role.owner, "Mine")
    theirs = make_user("t@x.cn", Role.owner, "Theirs")
    make_user("o@x.cn", Role.office, "Office")
    _a, (roof_a, wall_a) = add_site(
        session,
        mine.organisation_id,
        "Tower A",
        ROOF_22_SOUTH,
        {**ROOF_22_SOUTH, "kind": "curtain_wall", "tilt_deg": 90, "azimuth_deg": 0},
    )
    _b, (roof_b, withdrawn_b) = add_site(
        session,
        theirs.organisation_id,
        "Tower B",
        {**ROOF_22_SOUTH, "usable_area_m2": 100},
        ROOF_22_SOUTH,
    )
    add_site(session, mine.organisation_id, "Tower C (not estimated)")
    ids = [s.id for s in (roof_a, wall_a, roof_b, withdrawn_b) if s.id is not None]
    estimates.estimate_surfaces(session=session, actor=None, surface_ids=ids)
    withdrawn_b.status = SurfaceStatus.withdrawn  # keeps its old estimate row, but no longer counts
    session.add(withdrawn_b)
    session.commit()
    rows = estimates.estimates_for(session=session, surface_ids=ids)
    kwp = {i: rows[i].capacity_kwp for i in ids}
    kwh = {i: rows[i].annual_kwh for i in ids}

    client.cookies.set("lang", "en")
    login(client, "o@x.cn")
    page = client.get("/sites").text
    assert "Capacity (kWp)" in page and "Yield (MWh/yr)" in page and "All 3 sites" in page
    total_kwp = kwp[roof_a.id] + kwp[wall_a.id] + kwp[roof_b.id]
    total_kwh = kwh[roof_a.id] + kwh[wall_a.id] + kwh[roof_b.id]
    assert f"<strong>{total_kwp:,.1f}</strong> kWp" in page
    assert f"<strong>{total_kwh / 1000:,.1f}</strong> MWh/yr" in page
    assert f"<strong>{total_kwh / total_kwp:,.0f}</strong> kWh/kWp" in page
    assert f"{(kwh[roof_a.id] + kwh[wall_a.id]) / 1000:,.1f}" in page  # Tower A's row
    assert f"{kwh[roof_b.id] / 1000:,.1f}" in page  # Tower B without its withdrawn surface
    assert "–" in page  # Tower C has no estimate
    client.post("/logout", data={"csrf_token": csrf_of(page)})

    login(client, "w@x.cn")  # an owner's totals cover its own sites only
    own = client.get("/sites").text
    assert "All 2 sites" in own and f"<strong>{kwp[roof_a.id] + kwp[wall_a.id]:,.1f}</strong> kWp" in own
    assert "Tower B" not in own
