"""Why a part of a building was left out, in the reader's language.

The survey keeps each skipped part's English reason with its ``code`` (the English ``str.format``
template, a catalogue entry marked in gis/ and pvhub/survey/screen.py) and ``params``
(:class:`gis.stock.Skipped`); :mod:`pvhub.survey.grouping` groups a face's parts and turns the numbers
that differ into ranges. Here the template is looked up in the request's catalogue and filled in,
each value formatted with the spec the template gives it, a range as "low–high"; the words among the
values (a compass point, a surface kind) are translated too. A reason without a code (a reader's own
note), or one whose template no longer fits its values, is shown in English as stored.
"""

from __future__ import annotations

import string
from typing import Any

from pvhub.survey.grouping import SkippedGroup
from web import i18n

_FORMATTER = string.Formatter()


def reason_text(group: SkippedGroup) -> str:
    """The group's reason in the request's language."""
    if not group.code:
        return group.reason
    template = i18n.gettext(group.code)
    try:
        return "".join(_pieces(template, group))
    except (KeyError, IndexError, ValueError, TypeError):  # a template changed since the run stored it
        return group.reason


def _pieces(template: str, group: SkippedGroup) -> list[str]:
    out: list[str] = []
    for literal, name, spec, _conversion in _FORMATTER.parse(template):
        out.append(literal)
        if name is None:
            continue
        if name in group.ranges:
            low, high = group.ranges[name]
            out.append(_range(_shown(name, low, spec or ""), _shown(name, high, spec or "")))
        else:
            out.append(_shown(name, group.params[name], spec or ""))
    return out


def _shown(name: str, value: Any, spec: str) -> str:
    if name == "compass" and isinstance(value, str):
        return i18n.gettext(value)
    if name == "kind" and isinstance(value, str):
        word = i18n.gettext(f"kind.{value}")
        return value if word == f"kind.{value}" else word
    return format(value, spec)


def _range(low: str, high: str) -> str:
    """ "505–512"; for two texts (the first and last band's ids) the last without their common start."""
    if low == high:
        return low
    cut = _common_start(low, high).rfind("/") + 1  # ids: b1832/b1832-podium/4/b1–b80
    return f"{low}–{high[cut:]}"


def _common_start(a: str, b: str) -> str:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return a[:n]


def where_text(group: SkippedGroup) -> str:
    """Which part: "face 4 (b1832-podium), bands 1–80", "feature 12", in the request's language."""
    faces = ", ".join(str(f) for f in group.faces)
    if group.faces:
        one, many = i18n.gettext("face %(faces)s"), i18n.gettext("faces %(faces)s")
        text = (one if len(group.faces) == 1 else many) % {"faces": faces}
    elif group.feature is not None:
        text = i18n.gettext("feature %(num)s") % {"num": group.feature}
    else:
        text = i18n.gettext("the building")
    if group.object:
        text += f" ({group.object})"
    if group.bands is not None and group.count > 1:
        low, high = group.bands
        text += i18n.gettext(", bands %(low)s–%(high)s") % {"low": low, "high": high}
    return text


def skipped_line(group: SkippedGroup) -> str:
    """One line of the building page's list of what was left out."""
    return i18n.gettext("%(where)s: %(reason)s") % {"where": where_text(group), "reason": reason_text(group)}
