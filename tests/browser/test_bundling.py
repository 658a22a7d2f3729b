"""The office opens Bundling on the demo, re-runs it around a lock, watches it live, publishes a bundle."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.test_shell import log_in


def test_the_office_bundles_the_district(page: Page, live_server: str, screenshot_dir: Path) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.set_viewport_size({"width": 1366, "height": 900})
    log_in(page, live_server, "office@demo.pvhub")
    page.click("nav.mainnav a[href='/bundles']")
    expect(page.locator("h1")).to_contain_text(re.compile("项目打包|Bundling"))
    # the demo ran bundling once: drafts and six published bundles on the map and in the table
    expect(page.locator("#bundle-table tbody tr").first).to_be_visible()
    expect(page.locator("#bundle-table")).to_contain_text("已发布")
    expect(page.locator(".leaflet-interactive").first).to_be_visible()
    expect(page.locator("#run-panel")).to_contain_text(re.compile("已证明的下界|Proven lower bound"))
    page.screenshot(path=str(screenshot_dir / "bundling-demo-zh.png"), full_page=True)

    # lock the first draft, then re-run with a short time limit and watch the live panel
    draft_row = page.locator("#bundle-table tbody tr:has(.tag.st-draft)").first
    code = draft_row.locator("strong").inner_text()
    draft_row.locator("button", has_text=re.compile("锁定|Lock")).click()
    locked_row = page.locator("#bundle-table tbody tr", has_text=code)
    expect(locked_row.locator(".tag.st-locked")).to_be_visible()
    page.fill("input[name=time_limit_s]", "6")
    page.click("button:has-text('运行打包')")
    expect(page.locator("#run-panel .tag.st-running, #run-panel .tag.st-queued")).to_be_visible()
    page.locator("#run-panel").screenshot(path=str(screenshot_dir / "bundling-running-zh.png"))
    expect(page.locator("#run-panel .tag.st-succeeded")).to_be_visible(timeout=60_000)
    expect(page.locator("#run-panel svg polyline.line-cost")).to_have_count(1)
    locked_row = page.locator("#bundle-table tbody tr", has_text=code)
    expect(locked_row.locator(".tag.st-locked")).to_be_visible()
    page.screenshot(path=str(screenshot_dir / "bundling-rerun-zh.png"), full_page=True)

    # publish the locked bundle: it becomes final
    locked_row.locator("button", has_text=re.compile("发布|Publish")).click()
    expect(page.locator("#bundle-table tbody tr", has_text=code).locator(".tag.st-published")).to_be_visible()

    page.click("text=English")
    expect(page.locator("h1")).to_contain_text("Bundling")
    expect(page.locator("#bundle-table")).to_contain_text("published")
    page.screenshot(path=str(screenshot_dir / "bundling-en.png"), full_page=True)
    assert errors == []
