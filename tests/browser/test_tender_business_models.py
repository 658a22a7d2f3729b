"""An EMC lot in Chromium (issue #20): the office offers a bundle as an energy-management-contract lot, a
supplier bids a tariff discount (in Chinese, another in English), the deadline passes, the office
scores and awards, and the award page shows the winning terms in both languages.

The server runs with a bid period of 0 days and no publicity period (``PVHUB_TENDER_*`` settings), as
in tests/browser/test_tenders.py, so a tender published now closes within a minute.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import demo_server
from tests.browser.test_shell import log_in

BID_WINDOW_S = 60
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="module")
def emc_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("emc-tender")
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


def _bid_discount(page: Page, discount: str, term: str, screenshot: Path | None = None) -> None:
    form = page.locator("form.bidform").first
    expect(form.locator("input[name=total_price_cny]")).to_have_count(0)  # not bid on an EMC lot
    form.locator("input[name=discount_pct]").fill(discount)
    form.locator("input[name=term_years]").fill(term)
    form.locator("input[name=schedule_days]").fill("150")
    form.locator("input[name=warranty_years]").fill("12")
    form.locator("select[name=module_tier]").select_option("tier1")
    if screenshot is not None:
        form.scroll_into_view_if_needed()
        page.screenshot(path=str(screenshot), full_page=True)
    form.locator("button[type=submit]").click()


def test_a_supplier_bids_a_tariff_discount_on_an_emc_lot_and_the_office_sees_the_award(
    page: Page, emc_server: str, screenshot_dir: Path
) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.set_viewport_size({"width": 1366, "height": 900})
    base = emc_server

    # The office offers the demo's free bundle as an EMC lot.
    log_in(page, base, "office@demo.pvhub")
    page.goto(f"{base}/tenders/new")
    deadline = datetime.now(SHANGHAI) + timedelta(seconds=BID_WINDOW_S)
    page.fill("input[name=title]", "合同能源管理标段招标")
    page.fill("input[name=deadline]", deadline.strftime("%Y-%m-%dT%H:%M:%S"))
    for select in page.locator("select[name^=business_model_]").all():
        select.select_option("emc")
    page.click("button[value=publish]")
    expect(page.locator("h1")).to_contain_text("合同能源管理标段招标")
    tender_url = page.url
    expect(page.locator("section[id^='lot-'] h2").first).to_contain_text("合同能源管理")

    # A supplier bids a tariff discount (zh), another one in English.
    _switch(page, base, "supplier01@demo.pvhub")
    page.goto(tender_url)
    expect(page.locator(".lot-economics").first).to_contain_text("按项目默认条件测算的经济性")
    _bid_discount(page, "12.5", "20", screenshot_dir / "tender-emc-bid-form-zh.png")
    expect(page.locator("#receipt")).to_contain_text("SHA-256")
    expect(page.locator("#receipt")).to_contain_text("给业主的电价折扣")
    expect(page.locator("#receipt")).to_contain_text("12.5")
    page.screenshot(path=str(screenshot_dir / "tender-emc-receipt-zh.png"), full_page=True)
    _switch(page, base, "supplier02@demo.pvhub")
    page.goto(tender_url)
    page.click("text=English")
    expect(page.locator("form.bidform").first).to_contain_text("Tariff discount to the owners")
    _bid_discount(page, "10", "25", screenshot_dir / "tender-emc-bid-form-en.png")
    expect(page.locator("#receipt")).to_contain_text("Tariff discount to the owners")

    # The deadline passes: the office scores both and awards.
    remaining = (deadline - datetime.now(SHANGHAI)).total_seconds()
    time.sleep(max(0.0, remaining) + 1)
    _switch(page, base, "office@demo.pvhub")
    page.goto(f"{tender_url}/bids")
    expect(page.locator("table.scoring")).to_contain_text("12.5")
    for index, score in enumerate(("80", "80")):
        form = page.locator("form[action$='/score']").nth(index)
        form.locator("input[name=technical_score]").fill(score)
        form.locator("button").click()
        expect(page.locator("form[action$='/score'] input[name=technical_score]").nth(index)).to_have_value(
            score
        )
    page.goto(f"{tender_url}/award")
    page.click("text=运行定标优化")
    expect(page.locator("#awards table")).to_be_visible(timeout=30_000)
    page.click("text=公示拟中标人")
    expect(page.locator("#awards")).to_contain_text("公示中")
    page.click("#awards button:has-text('确认')")
    expect(page.locator("#awards")).to_contain_text("已确认")
    # equal technical scores: the higher discount wins the lot
    expect(page.locator("#awards td.offer").first).to_contain_text("电价优惠 12.5%")
    expect(page.locator("#awards")).to_contain_text("合同能源管理")
    page.screenshot(path=str(screenshot_dir / "tender-emc-award-zh.png"), full_page=True)
    page.click("text=English")
    expect(page.locator("#awards td.offer").first).to_contain_text("12.5% off the tariff")
    expect(page.locator("#awards")).to_contain_text("confirmed")
    page.screenshot(path=str(screenshot_dir / "tender-emc-award-en.png"), full_page=True)
    assert errors == [], errors
