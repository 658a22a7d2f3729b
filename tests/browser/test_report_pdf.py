"""The office downloads the monthly report as a PDF from the report page (issue #22), in Chromium.

On the demo district, in 简体中文 and then in English: the link on the page downloads a PDF whose
first page, rendered with pypdfium2 to var/screenshots/, carries ink and the burn-up chart in
colour, and whose text names the programme and the month in the page's language.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
from playwright.sync_api import Page, expect

from tests.browser.test_shell import log_in

#: The burn-up's actual line (--brand in app.css).
BRAND = (0x0F, 0x6E, 0x5A)


def download(page: Page, folder: Path, name: str) -> tuple[bytes, float]:
    """Click the report page's PDF link; the file's bytes and the seconds the download took."""
    started = time.perf_counter()
    with page.expect_download(timeout=60_000) as info:
        page.click("#report-pdf")
    path = folder / name
    info.value.save_as(path)
    return path.read_bytes(), time.perf_counter() - started


def first_page(pdf: bytes, png: Path) -> tuple[np.ndarray, str]:
    """Page 1 at 150 dpi as RGB pixels (saved to ``png``) and the whole document's text."""
    document = pdfium.PdfDocument(pdf)
    image = document[0].render(scale=150 / 72).to_pil().convert("RGB")
    image.save(png)
    text = "\n".join(document[i].get_textpage().get_text_range() for i in range(len(document)))
    return np.asarray(image).astype(int), text


def test_the_office_downloads_the_monthly_report_as_pdf(
    page: Page, live_server: str, screenshot_dir: Path, tmp_path: Path
) -> None:
    base = live_server
    log_in(page, base, "office@demo.pvhub")
    page.goto(f"{base}/dashboard/report")
    heading = page.locator("h1").inner_text()
    month = re.search(r"\d{4}-\d{2}", heading)
    assert month is not None, heading
    link = page.locator("#report-pdf")
    expect(link).to_have_text("下载 PDF")
    assert link.get_attribute("href") == f"/dashboard/report.pdf?month={month.group(0)}"

    seconds = {}
    for language, programme, title in (
        ("zh", "黄浦区分布式光伏推进计划", "月度进展报告"),
        ("en", "Huangpu distributed PV programme", "Monthly progress report"),
    ):
        if language == "en":
            page.click("text=English")
            page.goto(f"{base}/dashboard/report")
            expect(page.locator("#report-pdf")).to_have_text("Download PDF")
        pdf, seconds[language] = download(page, tmp_path, f"report-{language}.pdf")
        assert pdf.startswith(b"%PDF-")
        pixels, text = first_page(pdf, screenshot_dir / f"report-pdf-demo-page1-{language}.png")
        assert programme in text and title in text and month.group(0) in text
        dark = (pixels.sum(axis=2) < 3 * 128).mean()
        assert 0.01 < dark < 0.5, dark
        green = (np.abs(pixels - np.array(BRAND)).max(axis=2) < 40).sum()
        assert green > 300, green
    print(f"PDF download on the demo district: {seconds}")  # a figure for the report (pytest -s)
