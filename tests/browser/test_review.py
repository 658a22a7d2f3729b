"""The office filters the review queue, approves one surface with its checks and rejects one with a reason."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.test_shell import log_in


def test_the_office_reviews_submitted_surfaces(page: Page, live_server: str, screenshot_dir: Path) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.set_viewport_size({"width": 1366, "height": 900})
    log_in(page, live_server, "office@demo.pvhub")
    page.click("nav.mainnav a[href='/review']")
    expect(page.locator("h1")).to_contain_text(re.compile("审核队列|Review queue"))
    expect(page.locator(".review-item").first).to_be_visible()
    expect(page.locator(".leaflet-interactive").first).to_be_visible()
    page.screenshot(path=str(screenshot_dir / "review-queue-zh.png"), full_page=True)

    page.select_option("select[name=kind]", "roof")
    page.wait_for_url("**/review?*kind=roof*")
    rows = page.locator(".review-item")
    expect(rows.first).to_be_visible()
    expect(page.locator("#queue")).not_to_contain_text("幕墙")
    page.screenshot(path=str(screenshot_dir / "review-filtered-zh.png"), full_page=True)

    # Approve the first roof: a missing check is refused inline, then all checks approve it.
    first = rows.first
    first_id = first.get_attribute("id")
    first.locator("a[hx-get$='/approve']").click()
    item = page.locator(f"#{first_id}")
    expect(item.locator("input[name=structural_load_ok]")).to_be_visible()
    item.locator("input[name=structural_load_ok]").check()
    item.locator("button[type=submit]").click()
    expect(item.locator(".error")).to_be_visible()
    item.screenshot(path=str(screenshot_dir / "review-approve-refused-zh.png"))
    for name in ("structural_load_ok", "fire_rating_ok", "glare_risk_ok", "heritage_ok"):
        box = item.locator(f"input[name={name}]")
        if box.count():
            box.check()
    item.locator("button[type=submit]").click()
    expect(item.locator("tr.done")).to_contain_text(re.compile("已通过|Approved"))

    # Reject the next one with a reason.
    second = page.locator(".review-item:not(:has(tr.done))").first
    second_id = second.get_attribute("id")
    second.locator("a[hx-get$='/reject']").click()
    item2 = page.locator(f"#{second_id}")
    item2.locator("textarea[name=reason]").fill("屋面防水层需先修复，请补充结构检测报告。")
    item2.locator("button[type=submit]").click()
    expect(item2.locator("tr.done")).to_contain_text("屋面防水层需先修复")
    page.locator("#queue table").screenshot(path=str(screenshot_dir / "review-done-zh.png"))

    page.click("text=English")
    expect(page.locator("h1")).to_contain_text("Review queue")
    page.screenshot(path=str(screenshot_dir / "review-queue-en.png"), full_page=True)
    assert errors == [], errors
