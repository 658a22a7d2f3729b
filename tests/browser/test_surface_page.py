"""The office opens a demo surface from the register, changes its shading loss, sees the estimate go
out of date, re-estimates it with one click and reads the page in both languages; the owner reads it too."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.test_shell import log_in


def open_an_approved_surface(page: Page, base: str) -> str:
    """From the register list to the first approved surface of the first site; returns its URL."""
    page.goto(f"{base}/sites")
    page.locator("#sitetable tbody a[href^='/sites/']").first.click()
    link = page.locator("#surfaces tbody tr:has(.st-approved) a[href^='/surfaces/']").first
    link.click()
    expect(page.locator("#figures")).to_be_visible()
    return page.url


def test_the_office_overrides_the_shading_loss_and_re_estimates_a_surface(
    page: Page, live_server: str, screenshot_dir: Path
) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.set_viewport_size({"width": 1400, "height": 1000})
    log_in(page, live_server, "office@demo.pvhub")

    page.goto(f"{live_server}/sites")
    expect(page.locator("#yield-totals")).to_contain_text("kWp")
    expect(page.locator("#sitetable tfoot")).to_contain_text("全部")
    page.screenshot(path=str(screenshot_dir / "register-yields-zh.png"), full_page=True)

    url = open_an_approved_surface(page, live_server)
    expect(page.locator("#synthetic")).to_have_text("合成典型年")
    expect(page.locator(".chart rect.bar-month")).to_have_count(12)
    expect(page.locator("#stale")).to_have_count(0)
    first_yield = page.locator("#figures .kpi").nth(1).locator(".value").inner_text()

    page.fill("input[name=shading_loss_pct]", "12.5")
    page.click("#assumptions button[type=submit]")
    expect(page.locator("#stale")).to_contain_text("已过期")
    expect(page.locator("input[name=shading_loss_pct]")).to_have_value("12.5")
    page.screenshot(path=str(screenshot_dir / "surface-stale-zh.png"), full_page=True)

    page.click("#estimate-run button[type=submit]")
    back = page.locator("a:has-text('返回该表面')")
    expect(back).to_be_visible(timeout=30_000)
    back.click()
    expect(page).to_have_url(re.compile(re.escape(url)))
    expect(page.locator("#stale")).to_have_count(0)
    assert page.locator("#figures .kpi").nth(1).locator(".value").inner_text() != first_yield
    expect(page.locator("#assumptions-used")).to_contain_text("12.5 %")
    page.screenshot(path=str(screenshot_dir / "surface-office-zh.png"), full_page=True)

    page.click("text=English")
    expect(page.locator("#assumptions-used h2")).to_have_text("Assumptions used")
    expect(page.locator("#synthetic")).to_have_text("synthetic typical year")
    page.screenshot(path=str(screenshot_dir / "surface-office-en.png"), full_page=True)
    page.goto(f"{live_server}/lang/zh_CN?next=/")
    assert errors == [], errors


def test_an_owner_reads_its_surface_without_the_office_controls(
    page: Page, live_server: str, screenshot_dir: Path
) -> None:
    page.set_viewport_size({"width": 1400, "height": 1000})
    log_in(page, live_server, "owner01@demo.pvhub")
    page.goto(f"{live_server}/lang/en?next=/sites")
    open_an_approved_surface(page, live_server)
    expect(page.locator("#assumptions-used")).to_contain_text("Module power density")
    expect(page.locator("#estimate-run")).to_have_count(0)
    expect(page.locator("#assumptions")).to_have_count(0)
    page.screenshot(path=str(screenshot_dir / "surface-owner-en.png"), full_page=True)
    page.goto(f"{live_server}/lang/zh_CN?next=/")
