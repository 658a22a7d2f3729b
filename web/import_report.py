"""An import report (register survey files, meter readings) on a page, in the reader's language.

A :class:`~pvhub.register.imports.rows.Problem` or :class:`~pvhub.register.imports.rows.Skip` carries its
English template and values; the page renders it with the request's wording, the field by its label.
The ``gis`` package is a library without translations: its validation writes English sentences (a
polygon crossing itself, a CityJSON file without a reference system), which reach the report as they
are. :data:`GIS_SENTENCES` lists the forms it writes as templates, each a catalogue entry; a sentence
that fits one is said in the reader's language with the values read from it, any other is shown as it
is, so a problem is never hidden. A form that gis changes simply stops being recognised (its English
is shown); ``tests/web/test_import_report.py`` produces each form with gis itself to notice that.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable
from functools import cache
from typing import Any

from pvhub.core.errors import Phrase, render
from pvhub.register.imports.rows import Problem, Skip
from web import i18n
from web.vocabulary import N_

#: The English sentences of ``gis`` (and of the csv module and of gis.crs) that an import report can
#: hold, as templates: a placeholder stands for the text the sentence holds there.
GIS_SENTENCES = (
    # gis.geojson: a feature's polygon (the code of gis.validate's issue, then its message)
    N_("a Polygon needs a list of rings"),
    N_("a MultiPolygon needs a list of polygons"),
    N_("not_a_ring: expected a list of [lon, lat] positions"),
    N_("too_many_points: the outline has {count} positions; at most {limit} are accepted: simplify it"),
    N_("non_numeric: position {position} is not a [lon, lat] pair of numbers"),
    N_("non_numeric: position {position} is not finite"),
    N_(
        "lonlat_swapped: positions look like [lat, lon] (first is {first}); "
        "give longitude first: [{lon}, {lat}]"
    ),
    N_("out_of_range: position ({lon}, {lat}) is not a longitude/latitude in degrees"),
    N_("too_few_points: a polygon needs at least 3 distinct corners, this one has {count}"),
    N_("zero_area: the polygon has no area: its corners lie on one line"),
    N_(
        "self_intersection: the outline crosses itself near lon {lon}, lat {lat}: reorder the corners so the "
        "edges go around once"
    ),
    N_("self_intersection: the outline crosses itself: reorder the corners so the edges go around once"),
    N_("invalid_polygon: {reason}: check the holes"),
    N_("coordinates must be WGS84 lon/lat (RFC 7946), not {crs}"),
    N_("expected a list of features"),
    # gis.validate: a polygon outside the programme boundary (after the import's "outside_boundary: ")
    N_(
        "the polygon lies (partly) outside the programme boundary, e.g. at lon {lon}, lat {lat}: check the "
        "coordinates and their datum (WGS84, GCJ-02, BD-09)"
    ),
    # gis.cityjson: the file as a whole, a CityObject, a face left out
    N_("CityJSON version {version} is not supported (1.1 or 2.0)"),
    N_("the file has no metadata.referenceSystem: give its CRS, e.g. --crs EPSG:7415 (API: crs field)"),
    N_("unknown referenceSystem {reference}: give the CRS with --crs EPSG:NNNN"),
    N_("the file has no vertices"),
    N_("vertices must be [x, y, z] number triples"),
    N_("a {semantic} refers to a vertex that does not exist"),
    N_("a {semantic} has malformed vertex indices"),
    N_("geometry type {kind} is not supported"),
    N_("the building has no usable geometry"),
    N_("degenerate face (fewer than 3 vertices)"),
    N_("degenerate face (no area)"),
    N_("area below {area} m²"),
    N_("north-facing wall"),
    N_("not a roof or wall (no semantics)"),
    N_("not a roof or wall ({semantic})"),
    # gis.cityjson: the structure and the transform of the file, a CityObject's members
    N_("{member} must be a JSON object"),
    N_("{member} must be a list"),
    N_("{member} must be a list of CityObject ids"),
    N_("{member} must be three finite numbers, not {value}"),
    N_("transform.scale must be above 0 on each axis, not {value}"),
    N_(
        "vertex {index} lies at {position}, beyond ±1e9 in the units of the file's CRS: check its transform "
        "(scale, translate) and vertices"
    ),
    N_("the boundaries of a {kind} are not nested as its type needs"),
    N_(
        "the building comes out at lon {lon}, lat {lat}, not a place pvhub can survey (80°S–84°N): check the "
        "file's CRS and transform"
    ),
    N_(
        "the building lies outside the area the file's CRS can place (its coordinates do not convert to "
        "longitude/latitude and back): check the file's CRS and transform"
    ),
    # gis.crs, and the csv module's complaint about an overlong cell
    N_("not an EPSG reference: {reference} (expected e.g. EPSG:2056)"),
    N_("field larger than field limit ({limit})"),
)


@cache
def _patterns() -> tuple[tuple[re.Pattern[str], str], ...]:
    """Each template as a pattern matching the whole sentence, its placeholders as named groups."""
    out = []
    for template in GIS_SENTENCES:
        parts = []
        for literal, name, _, _ in string.Formatter().parse(template):
            parts.append(re.escape(literal))
            if name is not None:
                parts.append(f"(?P<{name}>.+?)")
        out.append((re.compile("".join(parts), re.DOTALL), template))
    return tuple(out)


def recognise(sentence: str) -> tuple[str, dict[str, str]] | None:
    """The template of :data:`GIS_SENTENCES` that ``sentence`` fits, and the values it holds there."""
    for pattern, template in _patterns():
        match = pattern.fullmatch(sentence)
        if match is not None:
            return template, match.groupdict()
    return None


def gis_text(sentence: str) -> str:
    """A sentence of gis in the reader's language where its form is known; else as it is."""
    found = recognise(sentence)
    if found is None:
        return sentence
    template, values = found
    return render(template, values, i18n.PageWording())


# geometry, geometry[0], geometry.hole[1], geometry[0].hole[1]: where in a feature's geometry
_PART = re.compile(r"(?P<base>\w+?)(?:\[(?P<part>\d+)\])?(?:\.hole\[(?P<hole>\d+)\])?")


def field_label(name: str) -> str:
    """The label of a field of an import report; a part of a geometry named in words."""
    wording = i18n.PageWording()
    match = _PART.fullmatch(name)
    if match is None or (match["part"] is None and match["hole"] is None):
        return wording.field(name)
    label = wording.field(match["base"])
    if match["part"] is not None and match["hole"] is not None:
        phrase = Phrase(
            "{field} (polygon [{part}], hole [{hole}])", field=label, part=match["part"], hole=match["hole"]
        )
    elif match["part"] is not None:
        phrase = Phrase("{field} (polygon [{part}])", field=label, part=match["part"])
    else:
        phrase = Phrase("{field} (hole [{hole}])", field=label, hole=match["hole"])
    return phrase.render(wording)


def problems(found: Iterable[Problem]) -> list[dict[str, Any]]:
    """Rows of the problem table: index, the field's label, the problem in the reader's language."""
    wording = i18n.PageWording()
    return [
        {"index": p.index, "field": field_label(p.field), "message": p.localized(wording, gis_text)}
        for p in found
    ]


def skips(found: Iterable[Skip]) -> list[dict[str, Any]]:
    """Rows of the skipped table: index and the reason in the reader's language."""
    wording = i18n.PageWording()
    return [{"index": s.index, "reason": s.localized(wording, gis_text)} for s in found]
