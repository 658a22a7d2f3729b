"""A supplier bids, the deadline passes, the office scores and awards — in Chromium, on a real server.

The server runs with a bid period of 0 days and no publicity period (``PVHUB_TENDER_*`` settings),
so a tender published now can close half a minute later and its awards be confirmed at once.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import demo_server
from tests.browser.test_shell import log_in

BID_WINDOW_S = 45


@pytest.fixture(scope="module")
def quick_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The demo district on a server whose tender periods are short enough to watch."""
    folder = tmp_path_factory.mktemp("tenders")
    settings = {
        "PVHUB_TENDER_MIN_BID_DAYS": "0",
        "PVHUB_TENDER_PUBLICITY_DAYS": "0",
        "PVHUB_DATA_DIR": str(folder),
    }
    with demo_server(folder, **settings) as url:
        yield url


def _switch(page: Page, base: str, email: str) -> None:
    page.context.clear_cookies()
    log_in(page, base, email)


def _bid(page: Page, total: str, days: str, notes: str) -> None:
    form = page.locator("form.bidform").first
    form.locator("input[name=total_price_cny]").fill(total)
    form.locator("input[name=schedule_days]").fill(days)
    form.locator("input[name=warranty_years]").fill("10")
    form.locator("select[name=module_tier]").select_option("tier1")
    form.locator("textarea[name=notes]").fill(notes)
    form.locator("button[type=submit]").click()


def test_a_supplier_bids_the_deadline_passes_and_the_office_awards(
    page: Page, quick_server: str, screenshot_dir: Path
) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.set_viewport_size({"width": 1366, "height": 900})
    base = quick_server

    # The office: the demo's round is awarded; a new tender offers the bundle kept free.
    log_in(page, base, "office@demo.pvhub")
    page.click("nav.mainnav a[href='/tenders']")
    expect(page.locator("#tender-table")).to_contain_text("PV")
    page.screenshot(path=str(screenshot_dir / "tenders-office-list-zh.png"), full_page=True)
    page.click("#tender-table a")  # the demo's round: awarded but for its last lot
    page.click("text=定标")
    expect(page.locator("#awards")).to_contain_text("已确认")
    expect(page.locator("#awards")).to_contain_text("异议")
    page.screenshot(path=str(screenshot_dir / "tender-demo-award-zh.png"), full_page=True)
    page.goto(f"{base}/tenders")
    page.click("text=新建招标")
    deadline = datetime.now(ZoneInfo("Asia/Shanghai")) + timedelta(seconds=BID_WINDOW_S)
    page.fill("input[name=title]", "黄浦区分布式光伏项目第二批招标")
    page.fill("input[name=deadline]", deadline.strftime("%Y-%m-%dT%H:%M:%S"))
    page.fill("input[name=ceiling_price_cny_per_w]", "4.2")
    for select in page.locator("select[name^=business_model_]").all():
        select.select_option("epc")  # bid as a total price (an EMC lot: test_tender_business_models.py)
    expect(page.locator("input[name=bundle_ids]").first).to_be_checked()
    page.click("button[value=publish]")
    expect(page.locator("h1")).to_contain_text("第二批")
    tender_url = page.url
    expect(page.locator("#deadline")).to_contain_text(deadline.strftime("%Y-%m-%d %H:%M"))
    expect(page.locator(".leaflet-interactive").first).to_be_visible()
    page.screenshot(path=str(screenshot_dir / "tender-office-detail-zh.png"), full_page=True)

    # Two suppliers bid; the first gets its receipt.
    _switch(page, base, "supplier01@demo.pvhub")
    page.goto(tender_url)
    _bid(page, "5,600,000", "150", "含五年运维")
    expect(page.locator("#receipt")).to_contain_text("SHA-256")
    expect(page.locator("#receipt")).to_contain_text("(UTC+08:00)")
    page.screenshot(path=str(screenshot_dir / "tender-bid-receipt-zh.png"), full_page=True)
    page.goto(tender_url)
    expect(page.locator("#receipts")).to_contain_text("1")
    page.screenshot(path=str(screenshot_dir / "tender-supplier-detail-zh.png"), full_page=True)
    _switch(page, base, "supplier02@demo.pvhub")
    page.goto(tender_url)
    _bid(page, "5,400,000", "180", "")
    expect(page.locator("#receipt")).to_be_visible()

    # Before the deadline the office sees the count only.
    _switch(page, base, "office@demo.pvhub")
    page.goto(f"{tender_url}/bids")
    expect(page.locator("#sealed")).to_contain_text("2")
    expect(page.locator("body")).not_to_contain_text("含五年运维")
    page.screenshot(path=str(screenshot_dir / "tender-opening-sealed-zh.png"), full_page=True)

    # The deadline passes: the bids open by themselves; the office scores them.
    remaining = (deadline - datetime.now(ZoneInfo("Asia/Shanghai"))).total_seconds()
    time.sleep(max(0.0, remaining) + 1)
    page.goto(f"{tender_url}/bids")
    expect(page.locator("table.scoring")).to_contain_text("含五年运维")
    forms = page.locator("form[action$='/score']")
    expect(forms).to_have_count(2)
    for index, score in enumerate(("82", "76")):
        form = page.locator("form[action$='/score']").nth(index)
        form.locator("input[name=technical_score]").fill(score)
        form.locator("button").click()
        expect(page.locator("form[action$='/score'] input[name=technical_score]").nth(index)).to_have_value(
            score
        )
    page.screenshot(path=str(screenshot_dir / "tender-scoring-zh.png"), full_page=True)

    # The award: the optimiser's proposal with its reasons, publicity, confirmation.
    page.goto(f"{tender_url}/award")
    page.click("text=运行定标优化")
    expect(page.locator("#awards table")).to_be_visible(timeout=20_000)
    expect(page.locator("#awards")).to_contain_text(re.compile("本标段总分最高|满足能力和份额约束的最佳组合"))
    page.screenshot(path=str(screenshot_dir / "tender-award-proposal-zh.png"), full_page=True)
    page.click("text=公示拟中标人")
    expect(page.locator("#awards")).to_contain_text("公示中")
    page.click("#awards button:has-text('确认')")
    expect(page.locator("#awards")).to_contain_text("已确认")
    page.screenshot(path=str(screenshot_dir / "tender-award-confirmed-zh.png"), full_page=True)

    # A bidder reads the result, in English.
    _switch(page, base, "supplier02@demo.pvhub")
    page.goto(f"{tender_url}/award")
    page.click("text=English")
    expect(page.locator("#awards")).to_contain_text("confirmed")
    page.screenshot(path=str(screenshot_dir / "tender-award-supplier-en.png"), full_page=True)
    page.goto(f"{base}/notifications")
    expect(page.locator(".notes")).to_contain_text("are published until")
    assert errors == [], errors
