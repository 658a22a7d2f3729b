"""Each role logs in on the demo district, sees its home page with the map, and switches language."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

ROLES = [
    ("office@demo.pvhub", "office", "项目总览", "Programme overview"),
    ("owner01@demo.pvhub", "owner", "我的站点", "My sites"),
    ("supplier01@demo.pvhub", "supplier", "已发布的招标", "Published tenders"),
]


def log_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", "pvhub-demo")
    page.click("button[type=submit]")


@pytest.mark.parametrize(("email", "role", "heading_zh", "heading_en"), ROLES)
def test_each_role_logs_in_and_switches_language(
    page: Page,
    live_server: str,
    screenshot_dir: Path,
    email: str,
    role: str,
    heading_zh: str,
    heading_en: str,
) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.set_viewport_size({"width": 1366, "height": 900})
    log_in(page, live_server, email)
    expect(page.locator("body")).to_contain_text(heading_zh)
    if role != "supplier":
        expect(page.locator(".leaflet-interactive").first).to_be_visible()
    page.screenshot(path=str(screenshot_dir / f"home-{role}-zh.png"), full_page=True)

    page.click("text=English")
    expect(page.locator("body")).to_contain_text(heading_en)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.screenshot(path=str(screenshot_dir / f"home-{role}-en.png"), full_page=True)

    page.click("button:has-text('Log out')")
    expect(page.locator("h1")).to_contain_text("Log in to pvhub")
    assert errors == [], errors


def test_the_public_page_and_the_register_pagination(
    page: Page, live_server: str, screenshot_dir: Path
) -> None:
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"{live_server}/public")
    expect(page.locator("h1")).to_contain_text("分布式光伏推进进度")
    expect(page.locator(".leaflet-interactive").first).to_be_visible()
    page.screenshot(path=str(screenshot_dir / "public-zh.png"), full_page=True)

    log_in(page, live_server, "office@demo.pvhub")
    page.goto(f"{live_server}/sites")
    expect(page.locator(".pager")).to_contain_text(re.compile(r"1 / [67]"))  # 300 demo sites (+ tests' own)
    page.click("text=下一页")
    expect(page.locator(".pager")).to_contain_text(re.compile(r"2 / [67]"))
    assert page.url.endswith("/sites?page=2")  # htmx pushed the URL of the fragment it swapped in
    page.locator("#sitetable a[href^='/sites/']").first.click()
    expect(page.locator(".leaflet-overlay-pane path").first).to_be_visible()
    page.screenshot(path=str(screenshot_dir / "site-detail-zh.png"), full_page=True)


def test_the_office_starts_an_estimate_run_and_watches_it_finish(
    page: Page, live_server: str, screenshot_dir: Path
) -> None:
    page.set_viewport_size({"width": 1366, "height": 900})
    log_in(page, live_server, "office@demo.pvhub")
    expect(page.locator("#estimates")).to_contain_text("立即估算")
    page.click("#estimates button[type=submit]")
    expect(page.locator(".job")).to_contain_text("已完成", timeout=20_000)
    assert page.url.rstrip("/") == live_server  # htmx swapped the panel in place, no page load
    page.screenshot(path=str(screenshot_dir / "estimate-run-zh.png"), full_page=True)


def test_an_owner_previews_a_file_with_a_bad_row_then_imports_a_good_one(
    page: Page, live_server: str, screenshot_dir: Path, tmp_path: Path
) -> None:
    header = "站点名称,地址,街道,经度,纬度,类型,倾角,方位角,面积,高度\n"
    good_row = "新天地测试楼,马当路1号,淮海中路,121.474,31.218,屋顶,5,180,900,30\n"
    bad = tmp_path / "survey-bad.csv"
    bad.write_text(
        header + good_row + "测试二号楼,马当路2号,淮海中路,121.474,31.219,屋顶,5,180,-10,30\n",
        encoding="utf-8-sig",
    )
    good = tmp_path / "survey.csv"
    good.write_text(header + good_row, encoding="utf-8-sig")
    page.set_viewport_size({"width": 1366, "height": 900})
    log_in(page, live_server, "owner02@demo.pvhub")
    page.click("nav >> text=批量导入")
    page.set_input_files("input[name=file]", str(bad))
    page.click("button[value=preview]")
    expect(page.locator("#report")).to_contain_text("未导入任何数据")
    expect(page.locator("#report")).to_contain_text("3")  # the bad row is line 3 of the file
    page.screenshot(path=str(screenshot_dir / "import-errors-zh.png"), full_page=True)
    page.set_input_files("input[name=file]", str(good))
    page.click("button[value=preview]")
    expect(page.locator("#report")).to_contain_text("将创建")
    page.click("button[value=import]")
    expect(page.locator("#report")).to_contain_text("已创建")
    page.screenshot(path=str(screenshot_dir / "import-done-zh.png"), full_page=True)
    page.goto(f"{live_server}/sites")
    expect(page.locator("#sitetable")).to_contain_text("新天地测试楼")
