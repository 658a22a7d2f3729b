"""Steps of the user journeys (``test_journeys.py``), each done in Chromium the way its user does it.

A step takes the page of the user who does it (every user has a browser context of their own,
logged in through the login form) and leaves that page where the step ended. Screenshots go to
``var/screenshots/journey-<who>-NN-<step>.png``, numbered in the order they were taken.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from playwright.sync_api import Browser, Page, expect

from tests.browser.test_register import add_surface, draw
from tests.browser.test_shell import log_in

SHANGHAI = ZoneInfo("Asia/Shanghai")
UP_TO_GRID = [
    "design_approved",
    "grid_application",
    "access_scheme_confirmed",
    "installation_started",
    "installed",
    "metering_and_contracts",
    "grid_connected",
]
NOTES = {
    "design_approved": "设计方案已通过电网公司审定",
    "grid_application": "已向供电公司提交并网申请",
    "access_scheme_confirmed": "接入系统方案已确认",
    "installation_started": "施工队进场，开始安装支架",
    "installed": "组件与逆变器安装完成",
    "metering_and_contracts": "计量表计安装，购售电合同签订",
    "grid_connected": "并网调试完成，正式发电",
}
CHECKS = ("structural_load_ok", "fire_rating_ok", "glare_risk_ok", "heritage_ok")


@dataclass
class Journey:
    """One journey's server, screenshots and the browser errors seen by any of its users."""

    base: str
    who: str
    folder: Path
    browser: Browser
    context_args: dict[str, Any]
    shots: int = 0
    errors: list[str] = field(default_factory=list)
    contexts: list[Any] = field(default_factory=list)

    def shot(self, page: Page, step: str, *, full_page: bool = True) -> None:
        self.shots += 1
        page.screenshot(
            path=str(self.folder / f"journey-{self.who}-{self.shots:02d}-{step}.png"), full_page=full_page
        )

    def user(self, email: str, page: Page | None = None) -> Page:
        """A logged-in page for ``email``: the given one, or a new browser context of its own."""
        if page is None:
            context = self.browser.new_context(**self.context_args)
            self.contexts.append(context)
            page = context.new_page()
        page.set_viewport_size({"width": 1366, "height": 900})
        page.on("pageerror", lambda exc: self.errors.append(f"{email}: {exc}"))
        page.on(
            "console", lambda msg: self.errors.append(f"{email}: {msg.text}") if msg.type == "error" else None
        )
        log_in(page, self.base, email)
        expect(page.locator("nav.mainnav")).to_be_visible()
        return page

    def token(self, email: str) -> dict[str, str]:
        """A bearer token, for the steps another party takes through the API."""
        response = httpx.post(
            f"{self.base}/api/v1/auth/token", data={"username": email, "password": "pvhub-demo"}, timeout=60
        )
        response.raise_for_status()
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    def api(self, method: str, path: str, email: str, **kwargs: Any) -> Any:
        response = httpx.request(
            method, f"{self.base}{path}", headers=self.token(email), timeout=60, **kwargs
        )
        assert response.status_code < 300, f"{method} {path}: {response.status_code} {response.text[:400]}"
        return response.json()

    def close(self) -> None:
        for context in self.contexts:
            context.close()


# ---- the owner ----------------------------------------------------------------------------------------
def register_building(j: Journey, owner: Page, name: str, subdistrict: str) -> dict[str, int]:
    """Draw the site, add a roof, a curtain wall, a corridor and a walkway, submit them; their ids."""
    owner.goto(f"{j.base}/sites/new")
    draw(owner, "polygon", [(-60, -40), (60, -40), (60, 40), (-60, 40)], (-60, -40))
    expect(owner.locator("#footprint")).to_have_value(re.compile("Polygon"))
    owner.fill("input[name=name]", name)
    owner.fill("input[name=address]", "黄浦区旅程路8号")
    owner.fill("input[name=subdistrict]", subdistrict)
    owner.fill("input[name=height_m]", "40")
    j.shot(owner, "site-drawn")
    owner.click("button:has-text('登记该站点')")
    expect(owner.locator("h1")).to_contain_text(name)

    # The site page opens one zoom step closer than the new-site form (about 0.85 m a pixel): the
    # outline spans ±120 × ±80 px; shapes keep clear of its corners (Geoman snaps at 20 px).
    draw(owner, "polygon", [(-50, -60), (50, -60), (50, -20), (-50, -20)], (-50, -60))
    add_surface(owner, "roof", {"tilt_deg": "10", "azimuth_deg": "180", "height_m": "40"})
    draw(owner, "polyline", [(-90, 80), (90, 80)], (90, 80))
    add_surface(owner, "curtain_wall", {"height_from_m": "8", "height_to_m": "36"})
    draw(owner, "polygon", [(145, -20), (200, -20), (200, 10), (145, 10)], (145, -20))
    add_surface(owner, "corridor", {"tilt_deg": "0", "azimuth_deg": "180", "height_m": "18"})
    draw(owner, "polygon", [(-70, 110), (70, 110), (70, 135), (-70, 135)], (-70, 110))
    add_surface(owner, "walkway", {"tilt_deg": "3", "azimuth_deg": "180", "height_m": "3.5"})
    expect(owner.locator("#surfaces tbody tr")).to_have_count(4)
    j.shot(owner, "four-surfaces-drawn")
    for _ in range(4):
        owner.locator("#surfaces button:has-text('提交审核')").first.click()
        owner.wait_for_load_state()
    expect(owner.locator("#surfaces tbody .st-submitted")).to_have_count(4)
    j.shot(owner, "submitted")
    ids: dict[str, int] = {}
    for row in owner.locator("#surfaces tbody tr").all():
        href = row.locator("a[href^='/surfaces/']").get_attribute("href") or ""
        kind = row.locator("i.swatch").get_attribute("class") or ""
        ids[kind.split("k-")[-1]] = int(href.rsplit("/", 1)[-1])
    assert sorted(ids) == ["corridor", "curtain_wall", "roof", "walkway"], ids
    return ids


# ---- the office ----------------------------------------------------------------------------------------
def approve_all(j: Journey, office: Page, subdistrict: str, count: int) -> None:
    """The review queue filtered to a subdistrict: approve each surface with its checks."""
    office.goto(f"{j.base}/review")
    office.select_option("select[name=subdistrict]", subdistrict)
    office.wait_for_url("**/review?*subdistrict=*")
    expect(office.locator(".review-item")).to_have_count(count)
    j.shot(office, "review-queue")
    for _ in range(count):
        approve_next(office)
    j.shot(office, "review-approved")


def approve_next(office: Page) -> None:
    """Approve the first surface of the queue not yet done, with every eligibility check it asks for."""
    item = office.locator(".review-item:not(:has(tr.done))").first
    item_id = item.get_attribute("id")
    item.locator("a[hx-get$='/approve']").click()
    item = office.locator(f"#{item_id}")
    expect(item.locator("input[name=structural_load_ok]")).to_be_visible()
    for check in CHECKS:
        box = item.locator(f"input[name={check}]")
        if box.count():
            box.check()
    item.locator("button[type=submit]").click()
    expect(item.locator("tr.done")).to_contain_text("已通过")


def run_estimates(j: Journey, office: Page) -> None:
    office.goto(f"{j.base}/")
    office.click("#estimates button[type=submit]")
    expect(office.locator(".job")).to_contain_text("已完成", timeout=60_000)
    j.shot(office, "estimated")


def run_bundling(j: Journey, office: Page, time_limit_s: int = 5) -> None:
    """A bundling run with the demo's limits (1,000–2,000 kWp, within every demo supplier's capacity)."""
    office.goto(f"{j.base}/bundles")
    office.fill("input[name=min_capacity_kwp]", "1000")
    office.fill("input[name=max_capacity_kwp]", "2000")
    office.fill("input[name=time_limit_s]", str(time_limit_s))
    office.click("button:has-text('运行打包')")
    expect(office.locator("#run-panel .tag.st-succeeded")).to_be_visible(timeout=90_000)
    office.goto(f"{j.base}/bundles")
    j.shot(office, "bundled", full_page=False)


def bundle_of(office: Page, site_name: str) -> str:
    """The code of the bundle (or the '未打包' group) the move form lists the site under."""
    option = office.locator("select[name=site_id] option", has_text=site_name)
    label = option.evaluate("o => o.parentElement.label")
    return str(label)


def bundle_site(j: Journey, office: Page, site_name: str) -> str:
    """The bundle holding the site: the optimiser's, or the first draft when it left the site out."""
    code = bundle_of(office, site_name)
    if code == "未打包":
        office.select_option("select[name=site_id]", label=site_name)
        target = office.locator("select[name=bundle_id] option").first.inner_text()
        office.select_option("select[name=bundle_id]", label=target)
        office.click("button:has-text('移动')")
        code = bundle_of(office, site_name)
        assert code == target, (code, target)
    return code


def publish_bundle(j: Journey, office: Page, code: str) -> None:
    row = office.locator("#bundle-table tbody tr", has=office.locator("strong", has_text=code))
    row.locator("button", has_text="发布").click()
    row = office.locator("#bundle-table tbody tr", has=office.locator("strong", has_text=code))
    expect(row.locator(".tag.st-published")).to_be_visible()
    row.scroll_into_view_if_needed()


def open_tender(
    j: Journey, office: Page, title: str, codes: list[str] | None, window_s: float
) -> tuple[str, datetime]:
    """A tender offering these bundles (None: every free one, as the form proposes), published with
    a deadline ``window_s`` from now."""
    office.goto(f"{j.base}/tenders")
    office.click("text=新建招标")
    deadline = datetime.now(SHANGHAI).replace(microsecond=0) + timedelta(seconds=window_s)
    office.fill("input[name=title]", title)
    office.fill("input[name=deadline]", deadline.strftime("%Y-%m-%dT%H:%M:%S"))
    for box in office.locator("input[name=bundle_ids]").all() if codes is not None else []:
        label = box.locator("xpath=..").inner_text()
        box.set_checked(any(code in label for code in codes))
    for select in office.locator("select[name^=business_model_]").all():
        select.select_option("epc")  # the journey bids total prices (issue #20: a lot's model decides)
    j.shot(office, "tender-form")
    office.click("button[value=publish]")
    expect(office.locator("h1")).to_contain_text(title)
    return office.url, deadline


def wait_past(deadline: datetime) -> None:
    remaining = (deadline - datetime.now(SHANGHAI)).total_seconds()
    time.sleep(max(0.0, remaining) + 1.5)


def score_all(j: Journey, office: Page, tender_url: str, score: str = "80") -> None:
    office.goto(f"{tender_url}/bids")
    forms = office.locator("form[action$='/score']")
    expect(forms.first).to_be_visible()
    for index in range(forms.count()):
        form = office.locator("form[action$='/score']").nth(index)
        form.locator("input[name=technical_score]").fill(score)
        form.locator("button").click()
        expect(office.locator("form[action$='/score'] input[name=technical_score]").nth(index)).to_have_value(
            score
        )
    j.shot(office, "scored")


def award_and_confirm(j: Journey, office: Page, tender_url: str) -> None:
    """Run the award optimiser, publish the winners (公示, zero days here), confirm every award."""
    office.goto(f"{tender_url}/award")
    office.click("text=运行定标优化")
    expect(office.locator("#awards table")).to_be_visible(timeout=60_000)
    j.shot(office, "award-proposal")
    office.click("text=公示拟中标人")
    expect(office.locator("#awards")).to_contain_text("公示中")
    confirm = office.locator("#awards button:has-text('确认')")
    while confirm.count():
        confirm.first.click()
        office.wait_for_load_state()
    expect(office.locator("#awards")).to_contain_text("已确认")
    j.shot(office, "award-confirmed")


def confirm_milestones(j: Journey, office: Page, surface_id: int, kinds: list[str]) -> None:
    office.goto(f"{j.base}/construction/surfaces/{surface_id}")
    for kind in kinds:
        office.click(f"#confirm-{kind}")
        expect(office.locator(f"#m-{kind}")).to_contain_text("已确认")


# ---- the supplier --------------------------------------------------------------------------------------
def bid(supplier: Page, tender_url: str, code: str, total: str, days: str, notes: str) -> str:
    """Submit (or revise) the sealed bid on the lot of bundle ``code``; the receipt's text."""
    supplier.goto(tender_url)
    lot = supplier.locator("section[id^='lot-']", has_text=code)
    form = lot.locator("form.bidform")
    form.locator("input[name=total_price_cny]").fill(total)
    form.locator("input[name=schedule_days]").fill(days)
    form.locator("input[name=warranty_years]").fill("12")
    form.locator("select[name=module_tier]").select_option("tier1")
    form.locator("textarea[name=notes]").fill(notes)
    form.locator("button[type=submit]").click()
    expect(supplier.locator("#receipt")).to_contain_text("SHA-256")
    return supplier.locator("#receipt").inner_text()


def report_milestones(j: Journey, supplier: Page, surface_id: int, kinds: list[str]) -> None:
    supplier.goto(f"{j.base}/construction/surfaces/{surface_id}")
    for kind in kinds:
        supplier.select_option("#report-kind", kind)
        supplier.fill("#report-note", NOTES[kind])
        supplier.click("#report-submit")
        expect(supplier.locator(".notice")).to_be_visible()
        expect(supplier.locator(f"#m-{kind}")).to_contain_text("已上报")


def build_by_api(j: Journey, supplier_email: str, surface_ids: list[int]) -> None:
    """The winner reports, and the office confirms, every milestone up to grid connection (API)."""
    today = datetime.now(SHANGHAI).date().isoformat()
    for surface_id in surface_ids:
        for kind in UP_TO_GRID:
            done = j.api(
                "POST",
                f"/api/v1/surfaces/{surface_id}/milestones",
                supplier_email,
                json={"kind": kind, "date": today, "note": NOTES[kind]},
            )
            milestone = next(m for m in done["milestones"] if m["kind"] == kind)
            j.api("POST", f"/api/v1/milestones/{milestone['id']}/confirm", "office@demo.pvhub")
