"""The burn-up chart's geometry: cumulative connected kWp over time, as SVG coordinates.

Drawn on the server (the page's CSP allows no inline script or style): this module maps dates and
kWp to the chart's coordinate system and hands the template polylines and ticks; the classes in
``app.css`` give the strokes. Series: actual connections (solid steps), the plan of the surfaces
still being built (dotted steps), the forecast at the current pace (dashed line from today to the
target), the target and its date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from pvhub.monitoring.progress import Progress

WIDTH, HEIGHT = 720, 280
LEFT, RIGHT, TOP, BOTTOM = 64, 24, 16, 36


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True)
class BurnUpChart:
    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    actual: str
    planned: str
    forecast: str
    target_y: float
    target_date_x: float | None
    today_x: float
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    forecast_point: tuple[float, float] | None
    empty: bool


def _steps(points: list[tuple[date, float]], start: date, end: date) -> list[tuple[date, float]]:
    """A cumulative series as steps from ``start`` (at 0) to ``end`` (at its last value)."""
    out: list[tuple[date, float]] = [(start, 0.0)]
    previous = 0.0
    for day, value in points:
        day = max(day, start)
        out.append((day, previous))
        out.append((day, value))
        previous = value
    out.append((max(end, out[-1][0]), previous))
    return out


def _month_ticks(start: date, end: date) -> list[date]:
    """First days of months between the dates, every 1, 2, 3, 6, 12… months so at most 8 show."""
    months = (end.year - start.year) * 12 + end.month - start.month + 1
    step = next((s for s in (1, 2, 3, 6, 12, 24, 60) if months / s <= 8), 120)
    ticks = []
    year, month = start.year, start.month
    while date(year, month, 1) <= end:
        if (year * 12 + month - 1) % step == 0 and date(year, month, 1) >= start:
            ticks.append(date(year, month, 1))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return ticks


def build(progress: Progress) -> BurnUpChart:
    """Lay out the chart for one progress snapshot (dates in local days, values in kWp)."""
    curve = progress.burn_up
    today = progress.today
    firsts = [d for d in (curve.construction_began, curve.actual[0][0] if curve.actual else None) if d]
    start = min(firsts) if firsts else today - timedelta(days=90)
    start = min(start, today - timedelta(days=30))
    ends = [progress.target_date, today + timedelta(days=30)]
    if curve.planned:
        ends.append(curve.planned[-1][0])
    forecast_date = progress.forecast.forecast_date
    if forecast_date is not None:
        ends.append(min(forecast_date, progress.target_date + timedelta(days=3 * 365)))
    end = max(ends)
    top_value = max([progress.target_kwp] + [v for _d, v in curve.planned]) * 1.08

    span = max((end - start).days, 1)
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM

    def x(day: date) -> float:
        return round(LEFT + plot_w * (day - start).days / span, 1)

    def y(value: float) -> float:
        return round(TOP + plot_h * (1 - value / top_value), 1)

    def polyline(points: list[tuple[date, float]]) -> str:
        return " ".join(f"{x(d)},{y(v)}" for d, v in points)

    actual = _steps(curve.actual, start, today)
    planned = _steps(curve.planned, start, curve.planned[-1][0]) if curve.planned else []
    forecast = ""
    forecast_point = None
    connected = progress.forecast.connected_kwp
    if forecast_date is not None and not progress.forecast.met and forecast_date > today:
        # the straight line from today's total towards the target, clipped at the chart's end
        days = (forecast_date - today).days
        shown = min(forecast_date, end)
        value = connected + (progress.target_kwp - connected) * (shown - today).days / days
        forecast = f"{x(today)},{y(connected)} {x(shown)},{y(value)}"
        if shown == forecast_date:
            forecast_point = (x(forecast_date), y(progress.target_kwp))
    x_ticks = [Tick(x(d), f"{d.year}-{d.month:02d}") for d in _month_ticks(start, end)]
    y_ticks = [
        Tick(y(progress.target_kwp * f), f"{progress.target_kwp * f:,.0f}") for f in (0, 0.25, 0.5, 0.75, 1)
    ]
    return BurnUpChart(
        width=WIDTH,
        height=HEIGHT,
        left=LEFT,
        right=WIDTH - RIGHT,
        top=TOP,
        bottom=HEIGHT - BOTTOM,
        actual=polyline(actual),
        planned=polyline(planned) if planned else "",
        forecast=forecast,
        target_y=y(progress.target_kwp),
        target_date_x=x(progress.target_date) if start <= progress.target_date <= end else None,
        today_x=x(today),
        x_ticks=x_ticks,
        y_ticks=y_ticks,
        forecast_point=forecast_point,
        empty=not curve.actual and not curve.planned,
    )
