"""A building's section sketch for its drill-down: the height of the building with each facade's bands
side by side (one column per wall face, bottom to top, coloured by specific yield) and the roof on top.

Drawn as plain SVG shapes the template writes out (no script, no text from users inside the SVG).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from pvhub.survey.models import Building, SurveyCandidate

WIDTH, HEIGHT, MARGIN = 420.0, 260.0, 24.0
#: Specific-yield colours, low to high (kWh/kWp): the yield classes a reader compares bands by.
YIELD_CLASSES = ((600.0, "#fde0c5"), (800.0, "#facba6"), (950.0, "#f59e72"), (1100.0, "#eb7f54"))
TOP_COLOUR = "#c8553d"


def _yield_colour(kwh_per_kwp: float) -> str:
    for limit, colour in YIELD_CLASSES:
        if kwh_per_kwp < limit:
            return colour
    return TOP_COLOUR


def section_sketch(building: Building, candidates: Sequence[SurveyCandidate]) -> dict[str, Any]:
    """Rectangles (x, y, w, h, fill) and column labels (azimuth) of the building's bands and roof."""
    walls: dict[str, list[SurveyCandidate]] = defaultdict(list)
    roofs = []
    for c in candidates:
        if c.kind == "curtain_wall" and c.band_bottom_m is not None and c.band_top_m is not None:
            faces = c.source.get("faces") or []
            walls[f"{c.source.get('object') or ''}/{faces[0] if faces else ''}"].append(c)
        elif c.kind == "roof":
            roofs.append(c)
    top = max(
        [building.height_m or 0.0, *(c.band_top_m or 0.0 for c in candidates), *(c.z_m for c in roofs)],
        default=0.0,
    )
    if top <= 0:
        return {"width": WIDTH, "height": HEIGHT, "rects": [], "labels": [], "top_m": 0}
    scale = (HEIGHT - 2 * MARGIN) / top
    columns = sorted(walls.values(), key=lambda bands: bands[0].azimuth_deg)
    col_w = (WIDTH - 2 * MARGIN) / max(len(columns), 1)
    rects, labels = [], []
    for i, bands in enumerate(columns):
        x = MARGIN + i * col_w + 2
        for band in bands:
            assert band.band_bottom_m is not None and band.band_top_m is not None
            y = HEIGHT - MARGIN - band.band_top_m * scale
            h = max((band.band_top_m - band.band_bottom_m) * scale - 1, 1)
            rects.append({"x": x, "y": y, "w": col_w - 4, "h": h, "fill": _yield_colour(band.kwh_per_kwp)})
        labels.append({"x": x + (col_w - 4) / 2, "text": f"{bands[0].azimuth_deg:.0f}°"})
    for roof in roofs:
        y = HEIGHT - MARGIN - top * scale - 8
        rects.append(
            {"x": MARGIN, "y": y, "w": WIDTH - 2 * MARGIN, "h": 6, "fill": _yield_colour(roof.kwh_per_kwp)}
        )
    return {"width": WIDTH, "height": HEIGHT, "rects": rects, "labels": labels, "top_m": round(top, 1)}
