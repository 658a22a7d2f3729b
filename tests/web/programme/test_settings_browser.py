"""With the demo loaded, the office sets a weather year by upload on the settings page, in Chinese and
in English: every estimate is marked out of date, a re-estimate runs with its progress, and the surface
page's provenance names the new year and its SHA-256."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from pvhub.yieldengine.weather import WeatherYear
from pvhub.yieldengine.writers import write_epw
from tests.browser.conftest import demo_server
from tests.browser.test_shell import log_in
from tests.browser.test_surface_page import open_an_approved_surface
from tests.pvhub.weather.files import near_year
from tests.web.programme.test_settings_pages import PAGE

pytestmark = [pytest.mark.browser, pytest.mark.slow]

#: Per language: the words the test reads, and where the uploaded year was "recorded" (a different
#: point in Huangpu each time, so each upload is a new file with a SHA-256 of its own).
LANGUAGES = {
    "zh_CN": {"at": (31.22, 121.47), "set": "项目的气象年现为", "stale": re.compile("已过期")},
    "en": {
        "at": (31.23, 121.48),
        "set": "The programme's weather year is now",
        "stale": re.compile("out of date", re.IGNORECASE),
    },
}


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with demo_server(tmp_path_factory.mktemp("settings")) as url:
        yield url


def _in_shanghai(lat: float, lon: float) -> WeatherYear:
    """pvlib's Greensboro year recorded at (lat, lon) in Huangpu, its local clock read as China's
    (UTC+8), so the sun is up when the file says it shines and the yields look like Shanghai's."""
    year = near_year()
    clock = year.data.index.tz_localize(None).tz_localize("Etc/GMT-8")
    return replace(year, data=year.data.set_axis(clock), latitude=lat, longitude=lon)


def _number(text: str) -> int:
    match = re.search(r"\d[\d,]*", text)
    assert match, text
    return int(match[0].replace(",", ""))


@pytest.mark.parametrize("locale", list(LANGUAGES))
def test_the_office_sets_a_weather_year_and_re_estimates_everything_on_it(
    page: Page, demo_url: str, screenshot_dir: Path, tmp_path: Path, locale: str
) -> None:
    words = LANGUAGES[locale]
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.set_viewport_size({"width": 1400, "height": 1000})
    log_in(page, demo_url, "office@demo.pvhub")
    page.goto(f"{demo_url}/lang/{locale}?next=/")
    surface_url = open_an_approved_surface(page, demo_url)

    lat, lon = words["at"]
    year = _in_shanghai(lat, lon)
    path = tmp_path / f"huangpu-{locale}.epw"
    content = write_epw(year, path).read_bytes()
    sha = hashlib.sha256(content).hexdigest()

    page.goto(f"{demo_url}{PAGE}")
    expect(page.locator("#out-of-date")).to_have_count(0)
    page.set_input_files("#weather-upload input[name=file]", str(path))
    page.click("#weather-upload button[type=submit]")
    notice = page.locator("#weather .notice[role=status]").first
    expect(notice).to_contain_text(words["set"])
    expect(notice).to_contain_text(sha)
    expect(page.locator("#weather-sha")).to_have_text(sha)
    expect(page.locator("#weather-name")).to_have_text(path.name)
    expect(page.locator("#weather-history")).to_contain_text(path.name)
    banner = page.locator("#out-of-date")
    expect(banner).to_be_visible()
    out_of_date = _number(banner.locator("strong").inner_text())
    page.screenshot(path=str(screenshot_dir / f"programme-weather-set-{locale}.png"), full_page=True)

    # every estimate is out of date: as many as the approved surfaces the home page counts as lacking one
    page.goto(f"{demo_url}/")
    assert _number(page.locator("#estimates p").first.inner_text()) == out_of_date > 100
    page.goto(surface_url)
    expect(page.locator("#stale")).to_contain_text(words["stale"])

    page.goto(f"{demo_url}{PAGE}#weather")
    page.click("#reestimate button[type=submit]")
    job = page.locator(".job").first
    expect(job.locator("progress")).to_be_attached()
    job_id = (job.get_attribute("id") or "").removeprefix("job-")
    expect(job.locator(".tag.st-succeeded")).to_be_visible(timeout=180_000)
    page.goto(f"{demo_url}/jobs/{job_id}")
    expect(page.locator(".job .tag.st-succeeded")).to_be_visible()
    expect(page.locator(".job progress")).to_have_attribute("value", "1.0")
    page.screenshot(path=str(screenshot_dir / f"programme-reestimated-{locale}.png"), full_page=True)

    page.goto(f"{demo_url}{PAGE}")
    expect(page.locator("#out-of-date")).to_have_count(0)
    page.goto(surface_url)
    expect(page.locator("#stale")).to_have_count(0)
    expect(page.locator("#synthetic")).to_have_count(0)
    used = page.locator("#assumptions-used")
    expect(used).to_contain_text(path.name)
    expect(used.locator("code.hash")).to_have_text(sha)
    page.screenshot(path=str(screenshot_dir / f"programme-surface-new-year-{locale}.png"), full_page=True)
    # the estimate's provenance through the API says the same
    token = page.request.post(
        f"{demo_url}/api/v1/auth/token", form={"username": "office@demo.pvhub", "password": "pvhub-demo"}
    ).json()["access_token"]
    surface_id = surface_url.rstrip("/").rsplit("/", 1)[1]
    provenance = page.request.get(
        f"{demo_url}/api/v1/surfaces/{surface_id}/estimate", headers={"Authorization": f"Bearer {token}"}
    ).json()
    assert provenance["weather_hash"] == sha and path.name in provenance["weather_source"]
    assert provenance["synthetic_weather"] is False
    page.goto(f"{demo_url}/lang/zh_CN?next=/")
    assert errors == [], errors
