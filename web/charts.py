"""Server-drawn SVG line charts: the page gets coordinates, not a chart library.

The CSP allows no inline script or style, and the charts here are small (a few hundred points),
so computing polyline coordinates on the server is simpler than shipping a charting library.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

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


# --- the sun-path (horizon) diagram and the monthly sunshine hours of a surface (issue #19) ---------

#: x ticks of the horizon chart: every 45° of true azimuth with its compass point (0 = north, pvlib).
AZIMUTH_TICKS = tuple((45 * k, ("N", "NE", "E", "SE", "S", "SW", "W", "NW", "N")[k]) for k in range(9))
HourMark = tuple[int, float, float]


@dataclass(frozen=True)
class SunPathLine:
    """One drawn sun path: its label (month-day), polyline segments, and where its label sits."""

    label: str
    segments: list[str]
    label_x: float
    label_y: float


@dataclass(frozen=True)
class HorizonChart:
    """The classic horizon chart in a ``width`` × ``height`` viewBox: azimuth 0–360° across (north at
    both edges, south in the middle), elevation 0–90° up; skylines, their envelope, sun paths, hours."""

    width: int
    height: int
    left: float
    right: float
    top: float
    bottom: float
    skylines: list[str]
    blocked_some: str
    blocked_all: str
    paths: list[SunPathLine]
    hour_marks: list[tuple[float, float]]
    hour_labels: list[tuple[float, float, int]]
    x_ticks: list[tuple[float, int, str]]
    y_ticks: list[tuple[float, int]]


def horizon_chart(
    skylines: list[list[Point]],
    paths: list[tuple[str, list[Point], list[HourMark]]],
    *,
    width: int = 720,
    height: int = 330,
) -> HorizonChart:
    """Scale skylines and sun paths ((label, (azimuth, elevation) points, (hour, azimuth, elevation)
    marks), degrees) into the chart. The grey envelope: below the highest skyline some sample point
    is shaded, below the lowest every one is. Hour labels sit under the lowest path's marks."""
    left, right, top, bottom = 40.0, width - 12.0, 16.0, height - 38.0

    def x(az: float) -> float:
        return left + (right - left) * az / 360.0

    def y(el: float) -> float:
        return bottom - (bottom - top) * max(0.0, min(el, 90.0)) / 90.0

    def xy(p: Point) -> str:
        return f"{x(p[0]):.1f},{y(p[1]):.1f}"

    lines = [" ".join(xy(p) for p in line) for line in skylines]
    return HorizonChart(
        width=width,
        height=height,
        left=left,
        right=right,
        top=top,
        bottom=bottom,
        skylines=lines,
        blocked_some=_envelope(skylines, max, xy, x, bottom),
        blocked_all=_envelope(skylines, min, xy, x, bottom),
        paths=[_path_line(label, points, x, y, xy) for label, points, _marks in paths],
        hour_marks=[(round(x(a), 1), round(y(e), 1)) for _l, _p, marks in paths for _h, a, e in marks],
        hour_labels=_hour_labels(paths, x, y),
        x_ticks=[(round(x(az), 1), az, name) for az, name in AZIMUTH_TICKS],
        y_ticks=[(round(y(el), 1), el) for el in range(0, 91, 15)],
    )


def _envelope(skylines: list[list[Point]], pick: Any, xy: Any, x: Any, bottom: float) -> str:
    """A polygon from the ground up to the highest (``max``) or lowest (``min``) skyline."""
    if not skylines:
        return ""
    edge = [(az, pick(line[i][1] for line in skylines)) for i, (az, _el) in enumerate(skylines[0])]
    ground = f"{x(edge[-1][0]):.1f},{bottom:.1f} {x(edge[0][0]):.1f},{bottom:.1f}"
    return " ".join(xy(p) for p in edge) + " " + ground


def _path_line(label: str, points: list[Point], x: Any, y: Any, xy: Any) -> SunPathLine:
    """A sun path split where it crosses north (the azimuth wraps), labelled above its highest point."""
    segments: list[list[Point]] = []
    for p in points:
        if not segments or abs(p[0] - segments[-1][-1][0]) > 180.0:
            segments.append([])
        segments[-1].append(p)
    top = max(points, key=lambda p: p[1]) if points else (180.0, 0.0)
    return SunPathLine(
        label=label,
        segments=[" ".join(xy(p) for p in seg) for seg in segments if len(seg) > 1],
        label_x=round(x(top[0]), 1),
        label_y=round(y(top[1]) - 3.0, 1),
    )


def _hour_labels(
    paths: list[tuple[str, list[Point], list[HourMark]]], x: Any, y: Any
) -> list[tuple[float, float, int]]:
    """Each whole hour labelled once, just under its mark on the lowest path that has it (the winter
    path: under it the chart has room, over the summer paths the month labels sit), never below the
    horizon line (an hour the sun sees only in summer is marked barely above it)."""
    placed: dict[int, tuple[float, float, int]] = {}
    for _label, _points, marks in paths:
        for hour, az, el in marks:
            if hour not in placed or el < placed[hour][1]:
                placed[hour] = (az, el, hour)
    bottom = y(0.0)
    return [
        (round(x(az), 1), round(min(y(el) + 11.0, bottom - 3.0), 1), hour)
        for az, el, hour in sorted(placed.values(), key=lambda t: t[2])
    ]


@dataclass(frozen=True)
class HoursBar:
    """One month's bar: the sunshine on the surface (full height) and the part building shade takes."""

    month: int
    x: float
    sunshine_y: float
    sunshine_h: float
    lost_y: float
    lost_h: float
    sunshine: float
    lost: float


def hours_bars(
    sunshine: list[float], lost: list[float], *, height: float = 130.0
) -> tuple[list[HoursBar], float]:
    """Twelve bars scaled to the largest month (returned too): the lost part is drawn from the top of
    each bar down, so what is left in the sun stands on the baseline."""
    top = max([*sunshine, 1.0])
    bars = []
    for i, (sun, gone) in enumerate(zip(sunshine, lost, strict=True)):
        h_sun = height * sun / top
        h_lost = height * min(gone, sun) / top
        base = 10.0 + height
        bars.append(
            HoursBar(
                i + 1,
                6.0 + i * 30.0,
                round(base - h_sun, 1),
                round(h_sun, 1),
                round(base - h_sun, 1),
                round(h_lost, 1),
                sun,
                gone,
            )
        )
    return bars, top
