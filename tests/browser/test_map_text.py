"""A site name typed by an owner reaches the office's map as text, never as markup (issue 15).

The attack that found it: an owner names a site with a ``srcdoc`` iframe that loads pvhub's own
htmx and replays the office's CSRF token; when the office hovered the site on a map, Leaflet
inserted the name as HTML and the office's browser posted ``/notifications/read``.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, Request, expect

from tests.browser.test_shell import log_in

PAYLOAD = (
    '<iframe srcdoc="<script src=/static/vendor/htmx.min.js></script><p hx-get=/password '
    "hx-trigger=load></p><p hx-post=/notifications/read hx-include=input hx-trigger='load delay:2s'>"
    '</p>">'
)


def _owner_site(base: str, name: str) -> int:
    """An owner registers a site by the API, as an integrator would; returns its id."""
    token = httpx.post(
        f"{base}/api/v1/auth/token",
        data={"username": "owner01@demo.pvhub", "password": "pvhub-demo"},
        timeout=60,
    ).json()["access_token"]
    response = httpx.post(
        f"{base}/api/v1/sites",
        json={"name": name, "lon": 121.4901, "lat": 31.2311, "address": "中山东一路"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def _hover_the_site(page: Page, base: str, site_id: int) -> None:
    page.goto(f"{base}/sites/{site_id}")
    marker = page.locator(".leaflet-overlay-pane .leaflet-interactive").first
    expect(marker).to_be_visible()
    marker.hover()
    expect(page.locator(".leaflet-tooltip")).to_be_visible()


def test_a_hostile_site_name_hovered_by_the_office_changes_nothing(
    page: Page, live_server: str, screenshot_dir: Path
) -> None:
    assert len(PAYLOAD) < 200  # under the name's length limit, as the attack was
    site_id = _owner_site(live_server, PAYLOAD)
    page.set_viewport_size({"width": 1366, "height": 900})
    log_in(page, live_server, "office@demo.pvhub")
    expect(page.locator("body")).to_contain_text("项目总览")

    requests: list[str] = []

    def record(request: Request) -> None:
        requests.append(f"{request.method} {request.url}")

    page.on("request", record)
    _hover_the_site(page, live_server, site_id)
    page.wait_for_timeout(3000)  # the payload's second request fired 2 s after load
    page.screenshot(path=str(screenshot_dir / "map-hostile-name-zh.png"), full_page=True)

    sent = [r for r in requests if "/password" in r or "/notifications/read" in r or r.startswith("POST")]
    assert sent == [], sent
    assert page.locator("iframe").count() == 0
    assert page.locator(".leaflet-tooltip").inner_text() == PAYLOAD  # the name, character for character


@pytest.mark.parametrize("name", ["<b>x</b>", "A & B <i>楼</i>"])
def test_markup_in_a_site_name_shows_as_typed(page: Page, live_server: str, name: str) -> None:
    site_id = _owner_site(live_server, name)
    log_in(page, live_server, "office@demo.pvhub")
    _hover_the_site(page, live_server, site_id)
    tooltip = page.locator(".leaflet-tooltip")
    assert tooltip.inner_text() == name
    assert tooltip.locator("b, i").count() == 0
    page.locator(".leaflet-overlay-pane .leaflet-interactive").first.click()
    popup = page.locator(".leaflet-popup-content")
    expect(popup).to_be_visible()
    assert popup.inner_text() == name
