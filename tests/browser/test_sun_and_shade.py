"""Building shade in Chromium, in zh and en (issue #19): a demo surface's sun-path diagram (the demo
shades and estimates its approved surfaces from its building stock) and the "Building shade" layer of
the register map and of the public potential map, switched with the map's layer control."""

from __future__ import annotations

import os
import re
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.test_shell import log_in

#: Where the screenshots go for a person to look at (the issue's reviewers read them).
SHOTS = Path(os.environ.get("PVHUB_SHOTS19", "/tmp/shots19"))


def _errors(page: Page) -> list[str]:
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    return errors


def _a_shaded_surface(page: Page, base: str) -> str:
    """The first surface of the register's first sites whose page draws a sun-path diagram."""
    page.goto(f"{base}/sites")
    sites = page.locator("#sitetable tbody a[href^='/sites/']").evaluate_all("els => els.map(e => e.href)")
    for site in sites[:10]:
        page.goto(site)
        links = page.locator("#surfaces tbody tr:has(.st-approved) a[href^='/surfaces/']")
        for url in links.evaluate_all("els => els.map(e => e.href)"):
            page.goto(url)
            if page.locator("#sun-path-chart").count():
                return str(url)
    raise AssertionError("no demo surface among the first sites has a sun-path diagram")


def test_a_demo_surface_shows_its_sun_path_diagram_in_both_languages(page: Page, live_server: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    errors = _errors(page)
    page.set_viewport_size({"width": 1400, "height": 1000})
    log_in(page, live_server, "office@demo.pvhub")
    url = _a_shaded_surface(page, live_server)
    section = page.locator("#sun-shade")
    expect(section.locator("h2")).to_have_text("日照与遮挡")
    expect(section.locator("g.sun-path")).to_have_count(7)
    skylines = section.locator("polyline.skyline").count()
    assert skylines >= 1
    expect(section.locator(".sunpath-legend")).to_contain_text(f"各采样点的天际线（{skylines} 个）")
    expect(section.locator("rect.bar-sunshine")).to_have_count(12)
    expect(section.locator("#hours-lost-total")).to_contain_text("建筑遮挡损失")
    box = section.locator("#sun-path-chart > svg").bounding_box()
    assert box is not None and box["width"] > 400  # the chart is drawn at a readable size
    section.screenshot(path=str(SHOTS / "sun-path-zh.png"))
    page.screenshot(path=str(SHOTS / "surface-page-zh.png"), full_page=True)

    page.goto(f"{live_server}/lang/en?next={url.replace(live_server, '')}")
    expect(section.locator("h2")).to_have_text("Sun and shade")
    expect(section.locator(".sunpath-legend")).to_contain_text("Whole hours, local clock (Asia/Shanghai)")
    expect(section.locator("#hours-lost-total")).to_contain_text(re.compile(r"h of [\d,]+ h lost"))
    section.screenshot(path=str(SHOTS / "sun-path-en.png"))
    page.goto(f"{live_server}/lang/zh_CN?next=/")
    assert errors == [], errors


def _switch_to_shade(page: Page, map_selector: str, name: str) -> None:
    control = page.locator(f"{map_selector} .leaflet-control-layers-base")
    expect(control).to_contain_text(name)
    legend = page.locator("#shade-legend")
    expect(legend).to_be_hidden()
    control.locator("label", has_text=name).locator("input").check()
    expect(legend).to_be_visible()


def test_the_register_and_potential_maps_switch_to_the_building_shade_layer(
    page: Page, live_server: str
) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    errors = _errors(page)
    page.set_viewport_size({"width": 1400, "height": 1000})
    log_in(page, live_server, "office@demo.pvhub")
    page.goto(f"{live_server}/")
    _switch_to_shade(page, "[data-map='office-map']", "建筑遮挡")
    expect(page.locator("#shade-legend")).to_contain_text("未计算")
    page.locator("[data-map='office-map']").screenshot(path=str(SHOTS / "register-map-shade-zh.png"))
    page.locator("#shade-legend").screenshot(path=str(SHOTS / "register-legend-zh.png"))

    page.goto(f"{live_server}/lang/en?next=/potential")
    expect(page.locator("#potential-legend")).to_be_visible()
    _switch_to_shade(page, "[data-potential-map]", "Building shade")
    expect(page.locator("#potential-legend")).to_be_hidden()
    expect(page.locator("#potential-hint")).to_be_hidden()  # it speaks of the kWp classes
    expect(page.locator("#shade-legend")).to_contain_text("≥ 40 %")
    page.locator(".mapwrap").first.screenshot(path=str(SHOTS / "potential-map-shade-en.png"))
    # and back: the kWp classes and their legend
    page.locator(
        "[data-potential-map] .leaflet-control-layers-base label", has_text="Potential (kWp)"
    ).locator("input").check()
    expect(page.locator("#potential-legend")).to_be_visible()
    expect(page.locator("#shade-legend")).to_be_hidden()

    page.goto(f"{live_server}/lang/zh_CN?next=/potential")
    _switch_to_shade(page, "[data-potential-map]", "建筑遮挡")
    page.locator(".mapwrap").first.screenshot(path=str(SHOTS / "potential-map-shade-zh.png"))
    assert errors == [], errors
