"""A supplier reports construction milestones, the office confirms them, and the dashboard moves."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Page, expect

from tests.browser.test_shell import log_in

GRID = "grid_connected"


def _token(base: str, email: str) -> dict[str, str]:
    response = httpx.post(f"{base}/api/v1/auth/token", data={"username": email, "password": "pvhub-demo"})
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def _candidate(base: str) -> tuple[str, int, list[str]]:
    """A demo supplier and one of its surfaces still short of grid connection, with the milestones
    it can report up to grid connection (the one furthest along, so the walk is short)."""
    best: tuple[int, str, int, list[str]] | None = None
    for n in range(1, 9):
        email = f"supplier{n:02d}@demo.pvhub"
        headers = _token(base, email)
        listing = httpx.get(
            f"{base}/api/v1/progress/surfaces",
            params={"stage": "awarded", "at_least": "true", "limit": 500},
            headers=headers,
        ).json()
        for item in listing["items"]:
            if item["stage"] in (GRID, "accepted"):
                continue
            built: dict[str, Any] = httpx.get(
                f"{base}/api/v1/surfaces/{item['surface_id']}/milestones", headers=headers
            ).json()
            todo = [m["kind"] for m in built["milestones"] if m["status"] in ("planned", "sent_back")]
            pending = [m for m in built["milestones"] if m["status"] != "confirmed"]
            if not todo or pending[0]["kind"] != todo[0]:
                continue  # its next milestone already waits for the office
            steps = todo[: todo.index(GRID) + 1] if GRID in todo else []
            if steps and (best is None or len(steps) < best[0]):
                best = (len(steps), email, item["surface_id"], steps)
    assert best is not None, "the demo has a surface under construction"
    return best[1], best[2], best[3]


def test_a_supplier_reports_the_office_confirms_and_the_dashboard_moves(
    page: Page, live_server: str, screenshot_dir: Path
) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.set_viewport_size({"width": 1366, "height": 900})
    base = live_server
    supplier, surface_id, steps = _candidate(base)
    before = httpx.get(f"{base}/api/v1/programme/progress").json()["connected_kwp"]

    # The office's dashboard before.
    log_in(page, base, "office@demo.pvhub")
    page.click("nav.mainnav a[href='/dashboard']")
    expect(page.locator("h1")).to_contain_text("项目看板")
    expect(page.locator(".burnup polyline.bu-actual")).to_have_count(1)
    expect(page.locator(".leaflet-interactive").first).to_be_visible()
    connected_before = page.locator("#kpi-connected").inner_text()
    page.screenshot(path=str(screenshot_dir / "dashboard-office-zh.png"), full_page=True)

    # The supplier reports each milestone up to grid connection, with the date and a note.
    page.context.clear_cookies()
    log_in(page, base, supplier)
    page.click("nav.mainnav a[href='/construction']")
    expect(page.locator("#list-total")).not_to_have_text("0")
    page.goto(f"{base}/construction/surfaces/{surface_id}")
    for kind in steps:
        page.select_option("#report-kind", kind)
        page.fill("#report-note", f"现场已完成：{kind}")
        page.click("#report-submit")
        expect(page.locator(".notice")).to_be_visible()
        expect(page.locator(f"#m-{kind}")).to_contain_text("已上报")
    page.screenshot(path=str(screenshot_dir / "construction-supplier-reported-zh.png"), full_page=True)

    # The office confirms them in order.
    page.context.clear_cookies()
    log_in(page, base, "office@demo.pvhub")
    page.goto(f"{base}/construction/surfaces/{surface_id}")
    for kind in steps:
        page.click(f"#confirm-{kind}")
        expect(page.locator(f"#m-{kind}")).to_contain_text("已确认")
    page.screenshot(path=str(screenshot_dir / "construction-office-confirmed-zh.png"), full_page=True)

    # The dashboard moved by the surface's kWp.
    after = httpx.get(f"{base}/api/v1/programme/progress").json()["connected_kwp"]
    assert after > before
    page.goto(f"{base}/dashboard")
    connected_after = page.locator("#kpi-connected").inner_text()
    assert int(connected_after.replace(",", "")) > int(connected_before.replace(",", ""))
    page.screenshot(path=str(screenshot_dir / "dashboard-office-after-zh.png"), full_page=True)

    # The printable report and the public page, in English.
    page.click("text=English")
    page.goto(f"{base}/dashboard/report")
    expect(page.locator("h1")).to_contain_text(re.compile("Monthly progress report"))
    page.emulate_media(media="print")
    page.screenshot(path=str(screenshot_dir / "report-print-en.png"), full_page=True)
    page.emulate_media(media="screen")
    page.context.clear_cookies()
    page.goto(f"{base}/public")
    expect(page.locator("#public-connected")).to_contain_text(connected_after)
    expect(page.locator(".leaflet-interactive").first).to_be_visible()
    page.screenshot(path=str(screenshot_dir / "public-progress-zh.png"), full_page=True)
    assert not errors, errors
