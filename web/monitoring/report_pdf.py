"""The monthly programme report as a PDF (issue #22): the page's own parts laid out on A4 by WeasyPrint.

The PDF is made from the same context as the page (:func:`web.monitoring.pages.report_context`) and
the same template parts (``monitoring/report_body.html``, which includes the page's burn-up chart),
inside a print frame of its own (``monitoring/report_print.html``) that carries the running header
(the programme's name, the report's month) and page numbers. Styles: the app's stylesheet (its
``@media print`` rules apply, WeasyPrint lays out for print) and ``report_print.css`` next to this
module, which sets A4, the margin boxes and the CJK font by family name (``Noto Sans CJK SC``, the
system's Noto CJK, embedded as a subset by WeasyPrint).

Two details of WeasyPrint shape this module:

- it styles inline SVG only from a ``<style>`` inside the ``<svg>`` (the document's stylesheets do not
  reach SVG elements, and CSS variables do not resolve there), so the burn-up chart gets the strokes
  of ``report_svg.css`` put inside its ``<svg>`` element; the chart itself is the page's;
- it loads pango, fontconfig and harfbuzz with cffi when it is imported and fails with ``OSError``
  where they are missing, so it is imported in :func:`render` only and that error becomes
  :class:`PdfUnavailable`, which names the missing library and the Debian packages to install; the
  rest of pvhub runs without them.

No resource is fetched while rendering: the HTML references none and the URL fetcher refuses every
scheme, so a name typed into the register can never make the server fetch a URL.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from jinja2_fragments.fastapi import Jinja2Blocks

from web import i18n
from web.vocabulary import N_

HERE = Path(__file__).parent
APP_CSS = HERE.parent / "static" / "css" / "app.css"
PRINT_CSS = HERE / "report_print.css"
SVG_CSS = HERE / "report_svg.css"
TEMPLATE = "monitoring/report_print.html"

#: The Debian packages WeasyPrint needs beyond Python (its documentation's "Installation" page for
#: Debian/Ubuntu names pango; libpangoft2 is a separate package on Debian 12).
SYSTEM_PACKAGES = ("libpango-1.0-0", "libpangoft2-1.0-0")

#: The package holding each library WeasyPrint loads (Debian 12 names), for the error's hint.
_PACKAGE_OF = {
    "libgobject-2.0-0": "libglib2.0-0",
    "libpango-1.0-0": "libpango-1.0-0",
    "libharfbuzz-0": "libharfbuzz0b",
    "libfontconfig-1": "libfontconfig1",
    "libpangoft2-1.0-0": "libpangoft2-1.0-0",
}
_LIBRARY = re.compile(r"cannot load library '([^']+)'")
_SVG_OPEN = re.compile(r"(<svg\b[^>]*>)")
_COMMENT = re.compile(r"/\*.*?\*/", re.S)

UNAVAILABLE = N_(
    "The PDF cannot be made on this server: the system library %(library)s is missing. "
    "Install the packages %(packages)s (apt-get install %(packages)s) and restart pvhub; "
    "the printable page works without them."
)


class PdfUnavailable(Exception):
    """WeasyPrint could not load a system library: which one, and the packages that bring it."""

    def __init__(self, library: str) -> None:
        super().__init__(f"WeasyPrint cannot load {library}")
        self.library = library
        extra = _PACKAGE_OF.get(library)
        self.packages = tuple(dict.fromkeys((*SYSTEM_PACKAGES, *([extra] if extra else []))))

    def text(self) -> str:
        """The message in the request's language."""
        return i18n.gettext(UNAVAILABLE) % {"library": self.library, "packages": " ".join(self.packages)}


def missing_library(exc: OSError) -> PdfUnavailable:
    """The library cffi could not load, read from its message (pango's name when it names none)."""
    found = _LIBRARY.search(str(exc))
    return PdfUnavailable(found.group(1) if found else SYSTEM_PACKAGES[0])


def filename(month: str) -> str:
    """The download's name: ``pvhub-report-YYYY-MM.pdf``."""
    return f"pvhub-report-{month}.pdf"


def styled_charts(html: str) -> str:
    """Put the chart stylesheet inside every ``<svg>`` element: WeasyPrint styles SVG only from within.

    The file's comments are left out: WeasyPrint 70's SVG style parser drops the whole sheet when a
    comment holds parentheses (seen here, not documented), and the PDF needs none of them.
    """
    css = _COMMENT.sub("", SVG_CSS.read_text(encoding="utf-8"))
    style = "<style>" + css + "</style>"
    return _SVG_OPEN.sub(lambda m: m.group(1) + style, html)


def report_html(templates: Jinja2Blocks, context: dict[str, Any]) -> str:
    """The print frame around the report's parts, rendered to a string for WeasyPrint."""
    return styled_charts(templates.get_template(TEMPLATE).render(context))


def render(templates: Jinja2Blocks, context: dict[str, Any]) -> bytes:
    """The report as PDF bytes (A4). CPU work of about a second: call it off the event loop."""
    try:
        # imported here, not at the top: importing WeasyPrint loads pango through cffi and raises
        # OSError where pango is missing; the app must start (and say so on this page) without it
        import weasyprint
    except OSError as exc:
        raise missing_library(exc) from exc
    fetcher = weasyprint.URLFetcher(allowed_protocols=())
    stylesheets = [
        weasyprint.CSS(string=path.read_text(encoding="utf-8"), url_fetcher=fetcher)
        for path in (APP_CSS, PRINT_CSS)
    ]
    document = weasyprint.HTML(string=report_html(templates, context), url_fetcher=fetcher)
    pdf: bytes = document.write_pdf(stylesheets=stylesheets)
    return pdf
