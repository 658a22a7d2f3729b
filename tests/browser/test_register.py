"""An owner registers a site by drawing it, adds a roof, a curtain wall and a walkway, and submits them."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.test_shell import log_in


def draw(page: Page, tool: str, offsets: list[tuple[int, int]], finish: tuple[int, int]) -> None:
    """Click a Geoman tool, then the map at offsets from its centre, then the finishing point."""
    page.click(f".leaflet-pm-icon-{tool}")
    box = page.locator(".map").bounding_box()
    assert box is not None
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    for dx, dy in [*offsets, finish]:
        page.mouse.click(cx + dx, cy + dy)
        page.wait_for_timeout(150)


def add_surface(page: Page, kind: str, fields: dict[str, str]) -> None:
    page.select_option("select[name=kind]", kind)
    for name, value in fields.items():
        page.fill(f"input[name={name}]", value)
    expect(page.locator("#surface-preview")).to_contain_text("m²")
    page.click("#surface-form button[type=submit]")
    expect(page.locator("#surfaces tbody")).to_contain_text("草稿")


def test_an_owner_draws_a_site_and_three_kinds_of_surface_then_submits(
    page: Page, live_server: str, screenshot_dir: Path
) -> None:
    page.set_viewport_size({"width": 1400, "height": 1000})
    log_in(page, live_server, "owner03@demo.pvhub")
    page.goto(f"{live_server}/sites/new")
    draw(page, "polygon", [(-60, -40), (60, -40), (60, 40), (-60, 40)], (-60, -40))
    expect(page.locator("#footprint")).to_have_value(re.compile("Polygon"))
    page.fill("input[name=name]", "浏览器测试大厦")
    page.fill("input[name=address]", "黄浦区测试路1号")
    page.fill("input[name=height_m]", "45")
    page.screenshot(path=str(screenshot_dir / "register-site-drawn-zh.png"), full_page=True)
    page.click("button:has-text('登记该站点')")
    expect(page.locator("h1")).to_contain_text("浏览器测试大厦")

    draw(page, "polygon", [(-40, -25), (40, -25), (40, 25), (-40, 25)], (-40, -25))
    expect(page.locator("#geometry")).to_have_value(re.compile("Polygon"))
    add_surface(page, "roof", {"tilt_deg": "10", "azimuth_deg": "180", "height_m": "45"})
    page.screenshot(path=str(screenshot_dir / "register-roof-added-zh.png"), full_page=True)

    draw(page, "polyline", [(-60, 40), (60, 40)], (60, 40))
    add_surface(page, "curtain_wall", {"height_from_m": "10", "height_to_m": "40"})

    draw(page, "polygon", [(-60, 60), (60, 60), (60, 75), (-60, 75)], (-60, 60))
    add_surface(page, "walkway", {"tilt_deg": "3", "azimuth_deg": "180", "height_m": "3.5"})

    rows = page.locator("#surfaces tbody tr")
    expect(rows).to_have_count(3)
    for _ in range(3):
        page.locator("#surfaces button:has-text('提交审核')").first.click()
        page.wait_for_load_state()
    expect(page.locator("#surfaces tbody")).not_to_contain_text("草稿")
    expect(page.locator("#surfaces tbody .st-submitted")).to_have_count(3)
    page.screenshot(path=str(screenshot_dir / "register-submitted-zh.png"), full_page=True)
