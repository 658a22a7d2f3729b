"""The "Building shade" map layer: one fixed scale of shading loss for every map that has the layer.

A fixed scale (not quantiles of what is on the map) so that the same colour means the same loss on the
potential map, the register map and from one filter to the next. The classes are shares of the annual
energy lost to building shade; their colours are ColorBrewer's sequential "BuPu" in 5 classes
(colorbrewer2.org, Cynthia Brewer, Penn State), legible to colour-blind readers and distinct from the
potential map's YlOrRd kWp classes and the grey building stock under them. A surface or building whose
shade is not computed yet is drawn in a neutral grey.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Any

from web import i18n

SHADE_COLOURS = ("#edf8fb", "#b3cde3", "#8c96c6", "#8856a7", "#810f7c")
#: Inner class breaks, shares of the annual energy: < 5 %, 5–10 %, 10–20 %, 20–40 %, ≥ 40 %.
SHADE_BREAKS = (0.05, 0.10, 0.20, 0.40)
NOT_COMPUTED_COLOUR = "#bdbdbd"


def shade_class(loss: float | None) -> int | None:
    """The class (0–4) of a shading loss (0–1); None while it is not computed."""
    if loss is None:
        return None
    return int(sum(loss >= b for b in SHADE_BREAKS))


def shade_colour(loss: float | None) -> str:
    """The layer's fill colour for a shading loss (grey: not computed)."""
    cls = shade_class(loss)
    return NOT_COMPUTED_COLOUR if cls is None else SHADE_COLOURS[cls]


def shade_legend() -> list[dict[str, Any]]:
    """The legend's rows (class, colour, words), the grey "not computed" last."""
    pct = [f"{b * 100:g}" for b in SHADE_BREAKS]
    texts = [
        f"< {pct[0]} %",
        *(f"{lo}–{hi} %" for lo, hi in pairwise(pct)),
        f"≥ {pct[-1]} %",
    ]
    rows: list[dict[str, Any]] = [
        {"cls": i, "colour": colour, "text": text}
        for i, (colour, text) in enumerate(zip(SHADE_COLOURS, texts, strict=True))
    ]
    rows.append({"cls": "none", "colour": NOT_COMPUTED_COLOUR, "text": i18n.gettext("not computed")})
    return rows


def shade_layer(base_name: str) -> dict[str, Any]:
    """What a map's script needs for the layer, once per map (the features carry only their
    ``shading_loss``, a number or null): the two layers' names in the page's language, set as text by
    the script; the scale (breaks, colours, grey); the tooltip's words with ``{pct}`` for the per cent;
    and the id of the legend element shown with the layer."""
    return {
        "names": [base_name, i18n.gettext("Building shade")],
        "breaks": list(SHADE_BREAKS),
        "colours": list(SHADE_COLOURS),
        "none_colour": NOT_COMPUTED_COLOUR,
        "words": {
            "pct": i18n.gettext("building shade %(pct)s %%") % {"pct": "{pct}"},
            "none": i18n.gettext("building shade not computed"),
        },
        "legend": "shade-legend",
    }
