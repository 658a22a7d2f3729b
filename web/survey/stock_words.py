"""The building-stock readers' English messages in the reader's language.

A stock report (the preview, an import's outcome, a stock-import job's result) and a stored
building's note keep the readers' English text only (the CLI and the API show it as it is). Every
such text is one of the templates of :mod:`gis.stock_messages` filled in, so a page recognises the
template (its ``code``) by matching the text against it, and fills the request's translation of the
template with the values found there, as they were written (a file's value, a number). A text that
fits no template (a message from a library) is shown as it is.
"""

from __future__ import annotations

import re
import string
from functools import cache
from typing import Any

from gis import stock_messages
from gis.stock import N_
from web import i18n

_FORMATTER = string.Formatter()
#: The survey service's own words in a report (pvhub.survey.stock): a file too deeply nested, and the
#: count of buildings without a 3D shape that give no reason.
_SERVICE = (N_("the file's structure is nested too deeply"), N_("no 3D shape"), N_("file"))
#: Values that are themselves a reader's message (a file's name before a reader's error).
_NESTED = frozenset({"message"})


@cache
def _patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    """Each template with the pattern its filled-in text matches, the most literal text first (so a
    catch-all such as ``{name}: {message}`` is tried last)."""
    templates = sorted(
        {*stock_messages.ALL, *_SERVICE},
        key=lambda t: -sum(len(literal) for literal, *_ in _FORMATTER.parse(t)),
    )
    return tuple((template, _pattern(template)) for template in templates)


def _pattern(template: str) -> re.Pattern[str]:
    parts: list[str] = []
    seen: set[str] = set()
    for literal, name, _spec, _conversion in _FORMATTER.parse(template):
        parts.append(re.escape(literal))
        if name is None:
            continue
        parts.append(f"(?P={name})" if name in seen else f"(?P<{name}>.+?)")
        seen.add(name)
    return re.compile("".join(parts), re.DOTALL)


def _fill(template: str, values: dict[str, Any]) -> str:
    """``template`` with each field replaced by its value as written (no spec, no conversion)."""
    out: list[str] = []
    for literal, name, _spec, _conversion in _FORMATTER.parse(template):
        out.append(literal)
        if name is not None:
            out.append(str(values[name]))
    return "".join(out)


def translate(text: str) -> str:
    """``text``, a reader's English message, in the request's language (as it is when unknown)."""
    for template, pattern in _patterns():
        match = pattern.fullmatch(text)
        if match is None:
            continue
        values = {
            name: translate(value) if name in _NESTED else value for name, value in match.groupdict().items()
        }
        try:
            return _fill(i18n.gettext(template), values)
        except (KeyError, IndexError, ValueError):  # a translation naming other fields: keep English
            return text
    return text


def report_view(report: dict[str, Any]) -> dict[str, Any]:
    """A copy of a stock report's JSON with its problems, reasons and notes in the request's language."""
    view = dict(report)
    view["problems"] = [
        {
            "where": translate(str(p.get("where", ""))),
            "field": translate(str(p.get("field", ""))),
            "message": translate(str(p.get("message", ""))),
        }
        for p in report.get("problems") or []
    ]
    for key in ("without_shape", "skipped"):
        counts: dict[str, int] = {}
        for reason, n in (report.get(key) or {}).items():
            shown = translate(str(reason))
            counts[shown] = counts.get(shown, 0) + int(n)
        view[key] = counts
    view["first_rows"] = [
        {**row, "note": translate(str(row.get("note") or ""))} for row in report.get("first_rows") or []
    ]
    return view
