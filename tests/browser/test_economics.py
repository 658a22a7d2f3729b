"""An owner reads its site's three business models in 简体中文 and English (issue #20): the figures of
the site's own model, the comparison, the cash-flow chart, a switch to another model without leaving
the page, the cash-flow table, and one surface's economics."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.test_shell import log_in


def open_an_estimated_site(page: Page, base: str) -> str:
    """The first site of the owner's list whose economics are shown; returns its URL."""
    page.goto(f"{base}/sites")
    links = page.locator(
        "#sitetable tbody tr:has(td[data-col=investment]:not(:text-is('–'))) a[href^='/sites/']"
    )
    links.first.click()
    expect(page.locator("#economics-figures")).to_be_visible()
    return page.url


def test_an_owner_reads_its_sites_three_business_models(
    page: Page, live_server: str, screenshot_dir: Path
) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.set_viewport_size({"width": 1400, "height": 1000})
    log_in(page, live_server, "owner01@demo.pvhub")
    page.goto(f"{live_server}/lang/zh_CN?next=/sites")
    expect(page.locator("#sitetable thead")).to_contain_text("投资")
    open_an_estimated_site(page, live_server)

    rows = page.locator("#economics-comparison tbody tr")
    expect(rows).to_have_count(3)
    for name in ("业主自投", "合同能源管理", "屋顶租赁"):
        expect(page.locator("#economics-comparison")).to_contain_text(name)
    expect(page.locator("#economics .chart.cashflow rect.cf-bar").first).to_be_visible()
    expect(page.locator("#econ-investment")).to_contain_text("元")
    page.locator("#economics").scroll_into_view_if_needed()
    page.screenshot(path=str(screenshot_dir / "economics-site-zh.png"), full_page=True)

    # another model's cash flow, in place (htmx) and in the address bar
    current = page.locator("#economics .model-switch a[aria-current=true]").get_attribute("data-model")
    other = "lease" if current != "lease" else "emc"
    page.click(f"#economics .model-switch a[data-model={other}]")
    expect(page.locator(f"#economics .model-switch a[data-model={other}]")).to_have_attribute(
        "aria-current", "true"
    )
    expect(page).to_have_url(f"{page.url.split('?')[0]}?model={other}")
    expect(page.locator("#economics .chart.cashflow rect.cf-bar.investor").first).to_be_attached()
    page.click("#economics details.cashflow-table[data-party=owner] summary")
    expect(page.locator("#economics details.cashflow-table[data-party=owner] tbody tr").first).to_be_visible()

    page.click("text=English")
    expect(page.locator("#economics h2")).to_have_text("Economics")
    for name in ("Owner-financed (EPC)", "Roof lease (rent per m²)"):
        expect(page.locator("#economics-comparison")).to_contain_text(name)
    expect(page.locator("#economics-figures")).to_contain_text("CNY")
    page.screenshot(path=str(screenshot_dir / "economics-site-en.png"), full_page=True)

    page.locator("#surfaces tbody a[href^='/surfaces/']").first.click()
    expect(page.locator("#economics")).to_be_visible()
    page.locator("#economics").scroll_into_view_if_needed()
    page.screenshot(path=str(screenshot_dir / "economics-surface-en.png"), full_page=True)
    page.goto(f"{live_server}/lang/zh_CN?next=/")
    assert errors == [], errors
