"""One journey per user, end to end in Chromium, each on a fresh copy of the demo district.

Every journey runs against its own ``pvhub serve`` on a fresh copy of the demo (built once per
module), with a bid period of 0 days and no publicity period (``PVHUB_TENDER_*``), so a tender
published now closes within a minute and its awards can be confirmed at once. Each user has a
browser context of its own, logged in through the login form; where a step belongs to another
party and a page would only repeat what another journey shows, the docstring says it goes through
the API. Screenshots: ``var/screenshots/journey-<who>-NN-<step>.png``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.journey import (
    UP_TO_GRID,
    Journey,
    approve_all,
    approve_next,
    award_and_confirm,
    bid,
    build_by_api,
    bundle_site,
    confirm_milestones,
    open_tender,
    publish_bundle,
    register_building,
    report_milestones,
    run_bundling,
    run_estimates,
    score_all,
    wait_past,
)
from tests.faults.conftest import demo_template  # noqa: F401 (the demo district, built once per run)
from tests.faults.live import Server, copy_database, environment

pytestmark = pytest.mark.slow
OFFICE = "office@demo.pvhub"


@pytest.fixture
def journey_for(
    demo_template: Path,  # noqa: F811
    tmp_path: Path,
    browser: Browser,
    browser_context_args: dict[str, Any],
    screenshot_dir: Path,
) -> Iterator[Callable[[str], Journey]]:
    """A fresh demo district on its own server, with quick tender periods, for one journey."""
    db = copy_database(demo_template, tmp_path / "pvhub.db")
    env = environment(db, PVHUB_TENDER_MIN_BID_DAYS="0", PVHUB_TENDER_PUBLICITY_DAYS="0")
    server = Server(env, tmp_path / "server.log").start()
    made: list[Journey] = []

    def make(who: str) -> Journey:
        for old in screenshot_dir.glob(f"journey-{who}-*.png"):
            old.unlink()
        made.append(Journey(server.url, who, screenshot_dir, browser, browser_context_args))
        return made[-1]

    try:
        yield make
    finally:
        for journey in made:
            journey.close()
        server.stop()


def construction_rows(page: Page, subdistrict: str) -> Any:
    """The construction list filtered to one subdistrict (the filter form, as a user sets it)."""
    page.click("nav.mainnav a[href='/construction']")
    # the list may already be open with the filter set: wait for the fresh, unfiltered page first
    page.wait_for_url("**/construction")
    page.wait_for_load_state("domcontentloaded")
    page.select_option("select[name=subdistrict]", subdistrict)
    page.wait_for_url("**/construction?*subdistrict=*")
    return page.locator("#results tbody tr")


def test_an_owner_registers_a_building_with_four_kinds_and_follows_it_to_grid_connection(
    page: Page, journey_for: Callable[[str], Journey]
) -> None:
    """The owner (pages) registers a building with a roof, a curtain wall, a corridor and a walkway,
    submits them and follows them from the register and the construction list. The office approves,
    estimates, bundles (moving the site into a draft if the optimiser left it out), publishes, tenders,
    scores, awards and confirms in its own browser context; a supplier bids in its own; the roof's
    milestones are reported and confirmed on the pages, the other three surfaces' through the API."""
    j = journey_for("owner")
    name, subdistrict = "旅程测试大楼", "旅程街道"
    owner = j.user("owner05@demo.pvhub", page)
    surfaces = register_building(j, owner, name, subdistrict)

    office = j.user(OFFICE)
    approve_all(j, office, subdistrict, 4)
    run_estimates(j, office)
    owner.reload()
    expect(owner.locator("#surfaces tbody .st-approved")).to_have_count(4)
    expect(owner.locator("#surfaces tbody tr").first.locator("td.num").nth(4)).not_to_have_text("–")
    j.shot(owner, "approved-and-estimated")

    run_bundling(j, office)
    code = bundle_site(j, office, name)
    publish_bundle(j, office, code)
    j.shot(office, "bundle-published", full_page=False)
    tender_url, deadline = open_tender(j, office, "旅程招标：业主楼宇所在标段", [code], window_s=35)

    supplier = j.user("supplier03@demo.pvhub")
    bid(supplier, tender_url, code, "4,200,000", "120", "屋顶、幕墙、连廊、步道一体化设计")
    rows = construction_rows(owner, subdistrict)
    expect(rows).to_have_count(4)
    for row in rows.all():
        expect(row).to_contain_text("招标中")
    j.shot(owner, "tendered")

    wait_past(deadline)
    score_all(j, office, tender_url)
    award_and_confirm(j, office, tender_url)
    rows = construction_rows(owner, subdistrict)
    for row in rows.all():
        expect(row).to_contain_text("已中标")
    j.shot(owner, "awarded")

    report_milestones(j, supplier, surfaces["roof"], UP_TO_GRID)
    j.shot(supplier, "roof-reported")
    confirm_milestones(j, office, surfaces["roof"], UP_TO_GRID)
    j.shot(office, "roof-confirmed")
    build_by_api(j, "supplier03@demo.pvhub", [i for k, i in surfaces.items() if k != "roof"])

    rows = construction_rows(owner, subdistrict)
    expect(rows).to_have_count(4)
    for row in rows.all():
        expect(row).to_contain_text("已并网")
    j.shot(owner, "grid-connected")
    owner.goto(f"{j.base}/construction/surfaces/{surfaces['roof']}")
    expect(owner.locator("#m-grid_connected")).to_contain_text("已确认")
    expect(owner.locator("#report")).to_have_count(0)  # the owner follows, it does not report
    expect(owner.locator(".facts")).to_contain_text(re.compile(r"\d{4}-\d{2}-\d{2}"))
    j.shot(owner, "roof-milestones")
    assert j.errors == [], j.errors


def test_a_supplier_finds_a_tender_bids_revises_wins_and_reports_milestones(
    page: Page, journey_for: Callable[[str], Journey]
) -> None:
    """The supplier (pages) finds the new tender on its home page, bids, revises, reads its receipts,
    learns it won and reports one surface's milestones up to grid connection. The office publishes
    the tender, scores, awards and confirms the milestones in its own browser context; a competing
    supplier bids through the API."""
    j = journey_for("supplier")
    office = j.user(OFFICE)
    title = "旅程招标：第二批分布式光伏"
    tender_url, deadline = open_tender(j, office, title, None, window_s=45)
    tender_id = int(tender_url.rstrip("/").rsplit("/", 1)[-1])
    tender = j.api("GET", f"/api/v1/tenders/{tender_id}", OFFICE)
    lot = tender["lots"][0]

    supplier = j.user("supplier04@demo.pvhub", page)
    expect(supplier.locator("main")).to_contain_text(title)
    j.shot(supplier, "home")
    supplier.locator("main a", has_text=title).first.click()
    expect(supplier.locator("h1")).to_contain_text(title)
    expect(supplier.locator(".leaflet-interactive").first).to_be_visible()
    j.shot(supplier, "tender")
    first = bid(supplier, tender_url, lot["bundle_code"], "5,800,000", "160", "首次报价")
    j.shot(supplier, "receipt-1")
    second = bid(supplier, tender_url, lot["bundle_code"], "5,450,000", "150", "修订：组件价格下调")
    assert first != second
    supplier.goto(tender_url)
    expect(supplier.locator("#receipts tbody tr")).to_have_count(2)
    j.shot(supplier, "receipts")
    j.api(
        "POST",
        f"/api/v1/tenders/{tender_id}/bids",
        "supplier06@demo.pvhub",
        json={
            "lot_id": lot["id"],
            "total_price_cny": 6_300_000,
            "schedule_days": 200,
            "module_tier": "tier1",
            "inverter_tier": "tier1",
            "warranty_years": 10,
            "notes": "",
        },
    )

    wait_past(deadline)
    score_all(j, office, tender_url)
    award_and_confirm(j, office, tender_url)
    supplier.click("a.notif")
    expect(supplier.locator(".notes")).to_contain_text(f"招标 {tender['code']} 标段 1 的中标结果已确认")
    j.shot(supplier, "notifications")
    supplier.goto(f"{tender_url}/award")
    expect(supplier.locator("#awards")).to_contain_text("已确认")
    j.shot(supplier, "won")

    surface_id = lot["sites"][0]["surfaces"][0]["surface_id"]
    supplier.click("nav.mainnav a[href='/construction']")
    expect(supplier.locator(f"#results a[href='/construction/surfaces/{surface_id}']")).to_have_count(1)
    j.shot(supplier, "construction-list")
    report_milestones(j, supplier, surface_id, UP_TO_GRID)
    j.shot(supplier, "reported")
    confirm_milestones(j, office, surface_id, UP_TO_GRID)
    supplier.reload()
    for kind in UP_TO_GRID:
        expect(supplier.locator(f"#m-{kind}")).to_contain_text("已确认")
    expect(supplier.locator(".facts")).to_contain_text(re.compile(r"\d{4}-\d{2}-\d{2}"))
    j.shot(supplier, "grid-connected")
    assert j.errors == [], j.errors


def stage_totals(office: Page) -> dict[str, float]:
    """Cumulative kWp per stage, as the dashboard's stage table shows it."""
    totals = {}
    for row in office.locator("#stages tbody tr").all():
        cells = row.locator("td")
        totals[cells.nth(0).inner_text().strip()] = float(cells.nth(3).inner_text().replace(",", ""))
    return totals


def test_the_office_runs_a_whole_round_and_watches_the_dashboard_reach_its_numbers(
    page: Page, journey_for: Callable[[str], Journey]
) -> None:
    """The office (pages) reviews, estimates, bundles, publishes two bundles, tenders them with the
    bundle the demo kept free, watches the sealed bids open at the deadline, scores, awards, confirms,
    and finds the round's kWp on the dashboard. Three suppliers bid on every lot through the API."""
    j = journey_for("office")
    office = j.user(OFFICE, page)
    office.click("nav.mainnav a[href='/dashboard']")
    before = stage_totals(office)
    j.shot(office, "dashboard-before")

    office.click("nav.mainnav a[href='/review']")
    expect(office.locator(".review-item").first).to_be_visible()
    for _ in range(3):
        approve_next(office)
    j.shot(office, "reviewed")
    run_estimates(j, office)
    run_bundling(j, office)
    drafts = office.locator("#bundle-table tbody tr:has(.tag.st-draft) strong")
    codes = [drafts.nth(0).inner_text(), drafts.nth(1).inner_text()]
    for code in codes:
        publish_bundle(j, office, code)
    j.shot(office, "published", full_page=False)

    tender_url, deadline = open_tender(j, office, "旅程招标：项目办第二轮", None, window_s=40)
    tender_id = int(tender_url.rstrip("/").rsplit("/", 1)[-1])
    lots = j.api("GET", f"/api/v1/tenders/{tender_id}", OFFICE)["lots"]
    assert {lot["bundle_code"] for lot in lots} >= set(codes)
    for n, supplier in enumerate(("supplier01", "supplier02", "supplier05")):
        for lot in lots:
            j.api(
                "POST",
                f"/api/v1/tenders/{tender_id}/bids",
                f"{supplier}@demo.pvhub",
                json={
                    "lot_id": lot["id"],
                    "total_price_cny": round(lot["capacity_kwp"] * 1000 * (3.4 + 0.15 * n), 2),
                    "schedule_days": 150 + 20 * n,
                    "module_tier": "tier1",
                    "inverter_tier": "tier1",
                    "warranty_years": 12,
                    "notes": "",
                },
            )
    office.goto(f"{tender_url}/bids")
    expect(office.locator("#sealed")).to_contain_text(str(3 * len(lots)))
    j.shot(office, "sealed")

    wait_past(deadline)
    score_all(j, office, tender_url)
    award_and_confirm(j, office, tender_url)
    awards = j.api("GET", f"/api/v1/tenders/{tender_id}/awards", OFFICE)["awards"]
    assert {a["status"] for a in awards} == {"confirmed"} and len(awards) == len(lots)
    awarded_kwp = sum(lot["capacity_kwp"] for lot in lots)

    office.click("nav.mainnav a[href='/dashboard']")
    after = stage_totals(office)
    assert after["已中标"] == pytest.approx(before["已中标"] + awarded_kwp, abs=2)
    assert after["招标中"] >= before["招标中"] + awarded_kwp - 2
    progress = j.api("GET", "/api/v1/programme/progress", OFFICE)
    awarded = next(s for s in progress["stages"] if s["stage"] == "awarded")
    assert after["已中标"] == pytest.approx(awarded["cumulative_kwp"], abs=1)
    j.shot(office, "dashboard-after")
    assert j.errors == [], j.errors
