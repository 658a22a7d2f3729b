"""The monthly report as a PDF (issue #22): real WeasyPrint, read back with pypdfium2.

The PDF carries the month, the programme's name and the kWp of the same progress service the page
uses, in the user's language; the Chinese text extracts as Chinese because the Noto CJK font is
embedded; page 1 is rendered to a PNG under var/screenshots/ and checked as an image (text on it,
the burn-up chart's green line drawn).
"""

from __future__ import annotations

import ctypes
import re
from pathlib import Path
from typing import Any

import numpy as np
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from pvhub.monitoring import progress
from tests.web.monitoring.test_dashboard_pages import TODAY, login, world  # noqa: F401  (the fixture)
from web import i18n
from web.monitoring import report_pdf

ROOT = Path(__file__).resolve().parents[3]
SCREENSHOTS = ROOT / "var" / "screenshots"
MONTH = TODAY.strftime("%Y-%m")
#: The burn-up's actual line, --brand in app.css (report_svg.css writes it out for the PDF).
BRAND = (0x0F, 0x6E, 0x5A)
#: The forecast's dashed line, --brand-2 (drawn from today to the chart's end in the test's world).
FORECAST = (0xE3, 0xA2, 0x1A)


def pdf_of(client: TestClient, language: str, month: str = MONTH) -> bytes:
    """The office's PDF of ``month`` in ``language``, checked to be a PDF download."""
    login(client, "o@office.cn")
    response = client.get(f"/dashboard/report.pdf?month={month}", headers={"Accept-Language": language})
    assert response.status_code == 200, response.text[:500]
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == f'attachment; filename="pvhub-report-{month}.pdf"'
    assert response.content.startswith(b"%PDF-")
    return response.content


def texts(pdf: bytes) -> list[str]:
    """Each page's text as pdfium extracts it (what a reader copying from the PDF gets)."""
    document = pdfium.PdfDocument(pdf)
    return [document[i].get_textpage().get_text_range() for i in range(len(document))]


def fonts(pdf: bytes) -> dict[str, bool]:
    """Base font name → embedded, for every text object of every page."""
    found: dict[str, bool] = {}
    document = pdfium.PdfDocument(pdf)
    for i in range(len(document)):
        for obj in document[i].get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_TEXT]):
            font = pdfium_c.FPDFTextObj_GetFont(obj.raw)
            size = pdfium_c.FPDFFont_GetBaseFontName(font, None, 0)
            buffer = ctypes.create_string_buffer(size)
            pdfium_c.FPDFFont_GetBaseFontName(font, buffer, size)
            found[buffer.value.decode()] = bool(pdfium_c.FPDFFont_GetIsEmbedded(font))
    return found


def kwp(value: float) -> str:
    """A kWp figure as the templates' ``num`` filter writes it."""
    return f"{value:,.0f}"


@pytest.mark.parametrize(
    ("language", "programme", "title"),
    [
        ("en", "Huangpu distributed PV programme", "Monthly progress report"),
        ("zh-CN", "黄浦区分布式光伏推进计划", None),
    ],
)
def test_the_pdf_holds_the_month_the_programme_and_the_pages_figures(
    client: TestClient,
    session: Session,
    world: dict[str, Any],  # noqa: F811
    language: str,
    programme: str,
    title: str | None,
) -> None:
    pdf = pdf_of(client, language)
    pages = texts(pdf)
    assert 1 <= len(pages) <= 4  # a few A4 pages, not one endless one
    # every page carries the running header (programme, month) and its number out of the total
    for number, text in enumerate(pages, start=1):
        assert programme in text and MONTH in text, text[:200]
        assert f"{number} / {len(pages)}" in text
    whole = "\n".join(pages)
    if title is None:  # the Chinese catalogue's words, extracted as Chinese (the CJK font is embedded)
        i18n.set_locale("zh_CN")
        title = i18n.gettext("Monthly progress report")
        assert re.search(r"[\u4e00-\u9fff]", title)
        assert i18n.gettext("Overdue milestones") in whole and i18n.gettext("Burn-up") in whole
    assert title in whole
    # the kWp figures of the service the page uses
    snapshot = progress.programme_progress(session, today=TODAY)
    assert snapshot.connected_kwp == 100  # the world's roof is grid-connected
    assert f"{kwp(snapshot.connected_kwp)} / {kwp(snapshot.target_kwp)} kWp" in whole
    for stage in snapshot.stages:
        assert kwp(stage.cumulative_kwp) in whole
    assert "秘密大厦" in whole  # a site with an overdue milestone (the wall), by its Chinese name
    embedded = fonts(pdf)
    # subset names such as "TSPJMR+Noto-Sans-CJK-SC"; every font of the PDF is embedded
    assert any("NotoSansCJKSC" in re.sub(r"[- ]", "", name) for name in embedded), embedded
    assert all(embedded.values()), embedded


def test_the_page_links_to_its_pdf_and_both_show_the_same_numbers(
    client: TestClient,
    world: dict[str, Any],  # noqa: F811
) -> None:
    login(client, "o@office.cn")
    page = client.get(f"/dashboard/report?month={MONTH}", headers={"Accept-Language": "en"}).text
    link = re.search(r'<a [^>]*id="report-pdf" href="([^"]+)">([^<]+)</a>', page)
    assert (
        link and link.group(1) == f"/dashboard/report.pdf?month={MONTH}" and link.group(2) == "Download PDF"
    )
    zh = client.get(f"/dashboard/report?month={MONTH}", headers={"Accept-Language": "zh-CN"}).text
    assert ">下载 PDF</a>" in zh
    summary = re.search(r"<strong>([\d,]+)</strong> / ([\d,]+) kWp", page)
    assert summary is not None
    whole = "\n".join(texts(pdf_of(client, "en")))
    assert f"{summary.group(1)} / {summary.group(2)} kWp" in whole


def test_without_a_month_the_pdf_is_the_last_complete_months(
    client: TestClient,
    world: dict[str, Any],  # noqa: F811
) -> None:
    login(client, "o@office.cn")
    response = client.get("/dashboard/report.pdf?month=2026-13", headers={"Accept-Language": "en"})
    last = TODAY.replace(day=1).toordinal() - 1
    previous = TODAY.fromordinal(last).strftime("%Y-%m")
    assert response.status_code == 200
    assert response.headers["content-disposition"] == f'attachment; filename="pvhub-report-{previous}.pdf"'
    assert previous in texts(response.content)[0]


def test_the_pdf_is_the_offices(client: TestClient, world: dict[str, Any]) -> None:  # noqa: F811
    for email in ("a@owner.cn", "w@supplier.cn"):
        login(client, email)
        assert client.get(f"/dashboard/report.pdf?month={MONTH}").status_code == 403
        client.cookies.clear()


def test_a_missing_system_library_is_named_with_its_packages() -> None:
    """cffi's own wording when pango is absent (as on a fresh machine) becomes a message naming it."""
    error = OSError(
        "cannot load library 'libpangoft2-1.0-0': libpangoft2-1.0-0: cannot open shared object file: "
        "No such file or directory"
    )
    unavailable = report_pdf.missing_library(error)
    assert unavailable.library == "libpangoft2-1.0-0"
    assert unavailable.packages == ("libpango-1.0-0", "libpangoft2-1.0-0")
    i18n.set_locale("en")
    assert "apt-get install libpango-1.0-0 libpangoft2-1.0-0" in unavailable.text()
    glib = report_pdf.missing_library(OSError("cannot load library 'libgobject-2.0-0': gone"))
    assert glib.packages == ("libpango-1.0-0", "libpangoft2-1.0-0", "libglib2.0-0")
    i18n.set_locale("zh_CN")
    chinese = glib.text()
    assert "libgobject-2.0-0" in chinese and re.search(r"[\u4e00-\u9fff]", chinese)
    assert report_pdf.missing_library(OSError("something else")).library == "libpango-1.0-0"


@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_the_first_page_looks_like_a_report(
    client: TestClient,
    world: dict[str, Any],  # noqa: F811
    language: str,
) -> None:
    """Page 1 as an image: enough ink for the text and tables, the chart's lines in colour where it is."""
    document = pdfium.PdfDocument(pdf_of(client, language))
    for i in range(len(document)):  # A4 is 210 × 297 mm, 595.3 × 841.9 pt
        assert document[i].get_size() == pytest.approx((595.28, 841.89), abs=0.5)
    image = document[0].render(scale=150 / 72).to_pil().convert("RGB")  # 150 dpi
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    image.save(SCREENSHOTS / f"report-pdf-page1-{language}.png")
    width, height = image.size
    pixels = np.asarray(image).astype(int)
    dark = (pixels.sum(axis=2) < 3 * 128).mean()
    assert 0.01 < dark < 0.5, dark  # text and rules, not a blank (nor a black) page
    for colour, span in ((BRAND, 0.1), (FORECAST, 0.5)):
        rows, cols = (np.abs(pixels - np.array(colour)).max(axis=2) < 40).nonzero()
        assert len(rows) > 300, colour  # the line is drawn, in its colour
        # in the chart's place: below the summary, above the page's last third, across the plot
        assert height / 5 < np.median(rows) < height * 2 / 3, colour
        assert cols.max() - cols.min() > width * span, colour
