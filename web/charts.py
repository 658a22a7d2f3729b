"""Server-drawn SVG line charts: the page gets coordinates, not a chart library.

The CSP allows no inline script or style, and the charts here are small (a few hundred points),
so computing polyline coordinates on the server is simpler than shipping a charting library.
"""

from __future__ import annotations

from dataclasses import dataclass, field

Point = tuple[float, float]


@dataclass(frozen=True)
class LineChart:
    """Polylines in a ``width`` × ``height`` viewBox with a margin for axis labels."""

    width: int
    height: int
    lines: dict[str, str] = field(default_factory=dict)
    x_max: float = 0.0
    y_min: float = 0.0
    y_max: float = 0.0

    @property
    def empty(self) -> bool:
        return not any(self.lines.values())


MARGIN_LEFT, MARGIN_BOTTOM, MARGIN_TOP = 64, 20, 8


def line_chart(series: dict[str, list[Point]], *, width: int = 560, height: int = 200) -> LineChart:
    """Scale every series into one frame; y spans the data (not from zero) so the gap stays visible."""
    points = [p for line in series.values() for p in line]
    if not points:
        return LineChart(width, height)
    x_max = max(max(p[0] for p in points), 1e-9)
    y_lo, y_hi = min(p[1] for p in points), max(p[1] for p in points)
    pad = (y_hi - y_lo) * 0.05 or max(abs(y_hi) * 0.05, 1.0)
    y_lo, y_hi = y_lo - pad, y_hi + pad
    plot_w, plot_h = width - MARGIN_LEFT - 4, height - MARGIN_BOTTOM - MARGIN_TOP

    def xy(p: Point) -> str:
        x = MARGIN_LEFT + plot_w * p[0] / x_max
        y = MARGIN_TOP + plot_h * (1 - (p[1] - y_lo) / (y_hi - y_lo))
        return f"{x:.1f},{y:.1f}"

    lines = {name: " ".join(xy(p) for p in line) for name, line in series.items()}
    return LineChart(width, height, lines, x_max, y_lo, y_hi)
