"""The office works for an owner (issue #18), in Chromium, in zh and en: it imports a register file for
the owner on /import and registers a site on the owner's behalf on /sites/new; the owner then logs in
and finds both sites in its register."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_shell import log_in

# The demo's 30th owner organisation and its login (pvhub/demo/district.py, the last of the owners'
# list; pvhub/demo/loader.py numbers the owners' logins in that order). No other browser test uses it.
OWNER_EMAIL = "owner30@demo.pvhub"
OWNER_NAME = {
    "zh": "上海江南创意园区发展有限公司",
    "en": "Shanghai Jiangnan Creative Park Development Co., Ltd.",
}
WORDS = {
    "zh": {"created": "已创建", "register": "登记该站点"},
    "en": {"created": "created", "register": "Register the site"},
}


def in_language(page: Page, base: str, lang: str, path: str) -> None:
    """Open ``path`` in the test's language (the browser asks for Chinese first)."""
    page.goto(f"{base}/lang/{'zh_CN' if lang == 'zh' else 'en'}?next={path}")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_office_imports_and_registers_for_an_owner_who_then_sees_both_sites(
    page: Page, live_server: str, screenshot_dir: Path, tmp_path: Path, lang: str
) -> None:
    page.set_viewport_size({"width": 1400, "height": 1000})
    imported, registered = f"代导入大楼 {lang}", f"代登记大楼 {lang}"
    survey = tmp_path / f"for-owner-{lang}.csv"
    survey.write_text(  # two surfaces of one site on the Bund, inside the demo's district boundary
        "site_name,address,lon,lat,kind,tilt_deg,azimuth_deg,gross_area_m2,usable_area_m2\n"
        f"{imported},中山东一路1号,121.4903,31.2400,roof,0,,1200,900\n"
        f"{imported},中山东一路1号,121.4903,31.2400,curtain_wall,90,180,400,\n",
        encoding="utf-8",
    )

    log_in(page, live_server, "office@demo.pvhub")
    in_language(page, live_server, lang, "/import")
    page.select_option("select[name=organisation_id]", label=OWNER_NAME[lang])
    page.set_input_files("input[name=file]", str(survey))
    page.click("button[name=action][value=import]")
    report = page.locator("#report")
    expect(report).to_contain_text(f"{survey.name} · {WORDS[lang]['created']}")
    expect(page.locator("#error-organisation_id")).to_be_hidden()
    page.screenshot(path=str(screenshot_dir / f"office-import-for-owner-{lang}.png"), full_page=True)

    in_language(page, live_server, lang, "/sites/new")
    owner = page.locator("select[name=organisation_id]")
    expect(owner).to_be_visible()
    owner.select_option(label=OWNER_NAME[lang])
    page.fill("input[name=name]", registered)
    page.fill("textarea[name=coordinates]", "121.4851, 31.2352\n121.4856, 31.2352\n121.4856, 31.2356")
    page.screenshot(path=str(screenshot_dir / f"office-site-for-owner-{lang}.png"), full_page=True)
    page.click(f"button:has-text('{WORDS[lang]['register']}')")
    expect(page.locator("h1")).to_contain_text(registered)

    page.context.clear_cookies()
    log_in(page, live_server, OWNER_EMAIL)
    in_language(page, live_server, lang, "/sites")
    table = page.locator("main")
    expect(table).to_contain_text(imported)
    expect(table).to_contain_text(registered)
    page.screenshot(path=str(screenshot_dir / f"owner-sees-sites-{lang}.png"), full_page=True)
