"""Jinja2 templates (with jinja2-fragments for htmx partials) and the i18n callables."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from fastapi import Request
from jinja2_fragments.fastapi import Jinja2Blocks
from markupsafe import Markup
from starlette.responses import Response

from pvhub.yieldengine.shading import EXACT_METHOD, TABLE_METHOD
from web import i18n
from web.economics import format as money
from web.mapdata import markers_for_display, to_display
from web.vocabulary import N_

TEMPLATES_DIR = Path(__file__).parent / "templates"


def build_templates() -> Jinja2Blocks:
    templates = Jinja2Blocks(directory=str(TEMPLATES_DIR))
    env = templates.env
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.filters["tojson_script"] = _json_for_script
    env.filters["num"] = _format_number
    env.globals["localized"] = localized
    env.filters["weather_label"] = weather_label
    env.filters["yield_method"] = yield_method
    # issue #20: money, shares and years in the page's language
    env.filters.update(cny=money.cny, cny_per_kwh=money.cny_per_kwh, share=money.share, years=money.years)
    return templates


def _json_for_script(value: Any) -> Markup:
    """JSON safe inside <script type="application/json"> (no closing tag can break out)."""
    text = json.dumps(value, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e")
    return Markup(text)


def weather_label(label: str | None) -> str:
    """An estimate's weather-year label in the page's language.

    The yield engine records the label in English with the estimate (it is provenance, and the
    API reports it as stored); the embedded default's label is translated here (listed in
    web/vocabulary.py), a label from a weather file the office supplied is shown as it is. The
    ``synthetic: `` prefix is dropped: pages flag a synthetic year from the estimate's
    ``assumptions.weather.synthetic``, in words of their own.
    """
    text = (label or "").removeprefix("synthetic: ")
    return i18n.gettext(text) if text else ""


#: The engine's fixed method names (pvhub.yieldengine) and their catalogue entries.
_METHOD_WORDS = {
    "exact per distinct orientation": N_("exact per distinct orientation"),
    EXACT_METHOD: N_("the exact hourly chain per surface"),
    TABLE_METHOD: N_("the table's yield times one minus the month's loss of effective irradiance"),
}
_TABLE_METHOD = re.compile(r"^bilinear ([0-9.]+)° \(tilt, azimuth\) table$")


def yield_method(method: str | None) -> str:
    """The yield engine's method of a run (``"; "``-joined, stored in English) in the page's language."""
    parts = []
    for part in (method or "").split("; "):
        table = _TABLE_METHOD.match(part)
        if table:
            parts.append(
                i18n.gettext("bilinear interpolation in a %(step)s° (tilt, azimuth) table")
                % {"step": table[1]}
            )
        elif part in _METHOD_WORDS:
            parts.append(i18n.gettext(_METHOD_WORDS[part]))
        else:
            parts.append(part)
    return "; ".join(parts)


def localized(obj: Any, field: str = "name") -> str:
    """The English variant (``<field>_en``) of a name when the page is in English and one exists."""
    if i18n.current_locale() == "en":
        english = getattr(obj, f"{field}_en", None)
        if english:
            return str(english)
    return str(getattr(obj, field, "") or "")


def _format_number(value: float | int | None, digits: int = 0) -> str:
    if value is None:
        return "–"
    return f"{value:,.{digits}f}"


def render(
    request: Request, name: str, context: dict[str, Any], *, block: str | None = None, status_code: int = 200
) -> Response:
    """Render the whole page, or only ``block`` when htmx asks for a fragment."""
    templates: Jinja2Blocks = request.app.state.templates
    datum = request.app.state.settings.map_tile_crs
    if datum != "wgs84" and "map_config" in context:
        context = {
            **context,
            "markers": markers_for_display(context.get("markers") or [], datum),
            "map_config": {
                **context["map_config"],
                "boundary": to_display(context["map_config"].get("boundary"), datum),
            },
        }
    if block is not None and request.headers.get("HX-Request") == "true":
        return templates.TemplateResponse(request, name, context, block_name=block, status_code=status_code)
    return templates.TemplateResponse(request, name, context, status_code=status_code)
