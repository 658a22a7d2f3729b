"""The audit page in Chromium (issue #22): the office filters it to one tender and sees a bid's receipt
only before the deadline (in 简体中文) and the bid's content after it (in English).

The server runs with a bid period of 0 days (``PVHUB_TENDER_MIN_BID_DAYS``), so a tender published now
closes within the minute, as in tests/browser/test_tenders.py.
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

BID_WINDOW_S = 40
NOTE = "审计页密封测试-含运维"  # bid text that must not show before the deadline
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="module")
def quick_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("audit")
    settings = {"PVHUB_TENDER_MIN_BID_DAYS": "0", "PVHUB_DATA_DIR": str(folder)}
    with demo_server(folder, **settings) as url:
        yield url


def _as(page: Page, base: str, email: str) -> None:
    page.context.clear_cookies()
    log_in(page, base, email)


def _publish_tender(page: Page, base: str, deadline: datetime) -> str:
    """The office publishes a one-round EPC tender of the free bundles closing at ``deadline``."""
    page.goto(f"{base}/tenders")
    page.click("text=新建招标")
    page.fill("input[name=title]", "审计页测试招标")
    page.fill("input[name=deadline]", deadline.strftime("%Y-%m-%dT%H:%M:%S"))
    page.fill("input[name=ceiling_price_cny_per_w]", "4.2")
    for select in page.locator("select[name^=business_model_]").all():
        select.select_option("epc")
    page.click("button[value=publish]")
    expect(page.locator("h1")).to_contain_text("审计页测试招标")
    return page.url


def _submit_bid(page: Page, tender_url: str) -> None:
    page.goto(tender_url)
    form = page.locator("form.bidform").first
    form.locator("input[name=total_price_cny]").fill("5,600,000")
    form.locator("input[name=schedule_days]").fill("150")
    form.locator("input[name=warranty_years]").fill("10")
    form.locator("select[name=module_tier]").select_option("tier1")
    form.locator("textarea[name=notes]").fill(NOTE)
    form.locator("button[type=submit]").click()
    expect(page.locator("#receipt")).to_contain_text("SHA-256")


def test_the_audit_page_shows_receipts_before_the_deadline_and_contents_after(
    page: Page, quick_server: str, screenshot_dir: Path
) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.set_viewport_size({"width": 1366, "height": 900})
    base = quick_server
    deadline = datetime.now(SHANGHAI) + timedelta(seconds=BID_WINDOW_S)

    log_in(page, base, "office@demo.pvhub")
    tender_url = _publish_tender(page, base, deadline)
    tender_id = tender_url.rstrip("/").rsplit("/", 1)[-1]
    _as(page, base, "supplier01@demo.pvhub")
    _submit_bid(page, tender_url)

    # Before the deadline, in Chinese: the office filters the log to the tender from the menu.
    _as(page, base, "office@demo.pvhub")
    page.click("nav.mainnav a[href='/audit']")
    expect(page.locator("h1")).to_have_text("审计日志")
    page.select_option("select[name=tender_id]", tender_id)
    page.click("form.audit-filters button[type=submit]")
    bids = page.locator("tr.audit-event[data-entity=bid]")
    expect(bids).to_have_count(1)
    expect(bids.first).to_have_attribute("data-sealed", "true")
    expect(bids.first).to_contain_text("开标前密封")
    expect(bids.first).to_contain_text("content_sha256")
    expect(page.locator("tr.audit-event[data-entity=tender]").first).to_be_visible()
    expect(page.locator("body")).not_to_contain_text(NOTE)
    expect(page.locator("body")).not_to_contain_text("5600000")
    page.screenshot(path=str(screenshot_dir / "audit-tender-sealed-zh.png"), full_page=True)

    # After the deadline, in English: the same filter shows the bid's content.
    time.sleep(max(0.0, (deadline - datetime.now(SHANGHAI)).total_seconds()) + 1)
    page.goto(f"{base}/lang/en?next=/audit")
    page.goto(f"{base}/audit?tender_id={tender_id}&entity=bid")
    expect(page.locator("h1")).to_have_text("Audit log")
    bids = page.locator("tr.audit-event[data-entity=bid]")
    expect(bids).to_have_count(1)
    expect(bids.first).to_have_attribute("data-sealed", "false")
    expect(bids.first.locator("table.bid-content")).to_contain_text(NOTE)
    expect(bids.first.locator("table.bid-content")).to_contain_text("5600000")
    expect(bids.first).to_contain_text("Bid content (opened)")
    page.screenshot(path=str(screenshot_dir / "audit-tender-opened-en.png"), full_page=True)
    assert not errors, errors
