"""What a surface's sun-path diagram shows: its sample points' skylines, the monthly sun paths and the
sunshine hours building shade takes from it, month by month.

The skylines are the stored horizons of the surface's sample points (:class:`SurfaceShade`, written by
the shading of the register's surfaces); the sun paths are pvlib's solar position at the programme's
weather-year location on the 21st of each month, every 10 minutes while the sun is up, on the local
clock of the programme's time zone (Asia/Shanghai by default) — so whole hours are clock hours, and
a month's hour marks and its partner's (January and November share a path) differ by the equation of
time. The hours come from the yield engine's :func:`shaded_hours_by_month` on the weather year in force.

Hours *lost to building shade* exclude the hours when the sun is merely behind the surface's own
plane (a north wall at noon): they are the hours hidden by the full skyline minus those hidden by the
plane alone. The comparison, *sunshine hours on the surface*, is the sunshine (sun up, DNI > 0) in front
of the plane. Both are shares of the sample points times the interval's hours, as the engine counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

import numpy as np
import pandas as pd
import pvlib
from sqlmodel import Session

from gis.shading import plane_horizon
from pvhub.estimates.config import current_config
from pvhub.estimates.shade import shade_rows, unpack_horizon
from pvhub.register.models import Surface
from pvhub.yieldengine import WeatherYear, shaded_hours_by_month

Point = tuple[float, float]

#: The 21st of these months draws one curve each; the months of a pair have nearly the same solar
#: declination on the 21st (January 21: -20.1°, November 21: -20.0°; June 21 and December 21 alone).
MONTH_PAIRS: tuple[tuple[int, ...], ...] = ((12,), (1, 11), (2, 10), (3, 9), (4, 8), (5, 7), (6,))
PATH_STEP_MINUTES = 10
DAY_OF_MONTH = 21
DEFAULT_TIMEZONE = "Asia/Shanghai"


@dataclass(frozen=True)
class SunPathCurve:
    """One sun path: drawn for ``months[0]``; ``hours`` marks the whole clock hours of every month in
    ``months`` (hour, azimuth, elevation), both in degrees (true azimuth, 0 = north)."""

    months: tuple[int, ...]
    points: list[Point]
    hours: list[tuple[int, float, float]]

    @property
    def label(self) -> str:
        """Month-day, e.g. ``12-21`` or ``1/11-21`` for a pair."""
        return "/".join(str(m) for m in self.months) + f"-{DAY_OF_MONTH}"


@dataclass(frozen=True)
class SunPathChart:
    """Everything the page draws: skylines (P lists of (azimuth, elevation), degrees), sun paths, and
    per month (12 values, hours) the sunshine on the surface and the part building shade takes."""

    skylines: list[list[Point]]
    step_deg: float
    paths: list[SunPathCurve]
    hours_lost: list[float]
    sunshine_hours: list[float]
    timezone: str
    latitude: float
    longitude: float
    weather_label: str
    computed_at: datetime | None

    @property
    def points(self) -> int:
        return len(self.skylines)


def skylines(horizon: np.ndarray, step_deg: float) -> list[list[Point]]:
    """Each point's horizon as (azimuth, elevation) from 0° to 360° (bin 0 repeated at 360°), 0.1° steps."""
    count = horizon.shape[1]
    azimuths = [round(k * step_deg, 2) for k in range(count)] + [360.0]
    return [
        [(az, round(float(el), 1)) for az, el in zip(azimuths, [*row, row[0]], strict=True)]
        for row in np.asarray(horizon, dtype=float)
    ]


@lru_cache(maxsize=8)
def sun_paths(latitude: float, longitude: float, *, year: int, timezone: str) -> list[SunPathCurve]:
    """The 21st of each month every 10 minutes (local clock) while the sun's apparent elevation is above
    0°, one curve per pair of :data:`MONTH_PAIRS`, hour marks of every month.

    Cached per place, year and time zone (about 90 ms of solar positions, the same for every surface
    of the programme); callers read the curves and never change them."""
    days = pd.DatetimeIndex([pd.Timestamp(year, m, DAY_OF_MONTH, tz=timezone) for m in range(1, 13)])
    steps = pd.to_timedelta(np.arange(0, 24 * 60, PATH_STEP_MINUTES), unit="min")
    times = pd.DatetimeIndex([day + step for day in days for step in steps])
    sun = pvlib.solarposition.get_solarposition(times, latitude, longitude)
    up = sun[sun["apparent_elevation"] > 0]
    curves = []
    for months in MONTH_PAIRS:
        drawn = up[up.index.month == months[0]]
        marks = up[up.index.month.isin(months) & (up.index.minute == 0)]
        curves.append(
            SunPathCurve(
                months=months,
                points=_pairs(drawn),
                hours=[
                    (int(t.hour), round(float(a), 2), round(float(e), 2))
                    for t, a, e in zip(
                        marks.index, marks["azimuth"], marks["apparent_elevation"], strict=True
                    )
                ],
            )
        )
    return curves


def _pairs(sun: pd.DataFrame) -> list[Point]:
    return [
        (round(float(a), 2), round(float(e), 2))
        for a, e in zip(sun["azimuth"], sun["apparent_elevation"], strict=True)
    ]


def surface_normal(tilt_deg: float, azimuth_deg: float) -> np.ndarray:
    """The unit normal (east, north, up) of a plane of this tilt facing this true azimuth."""
    t, a = np.radians(tilt_deg), np.radians(azimuth_deg)
    return np.array([[np.sin(t) * np.sin(a), np.sin(t) * np.cos(a), np.cos(t)]])


def monthly_hours(
    weather: WeatherYear, horizon: np.ndarray, step_deg: float, *, tilt_deg: float, azimuth_deg: float
) -> tuple[np.ndarray, np.ndarray]:
    """(hours lost to building shade, sunshine hours on the surface) per month, 12 each.

    The plane's own horizon (true azimuths) is taken out of both, so the sun behind the surface is
    neither sunshine on it nor a loss to shade; the stored horizon is raised to it where rounding
    left it below, so no month loses more than it has.
    """
    plane = plane_horizon(surface_normal(tilt_deg, azimuth_deg), step_deg=step_deg)[0]
    full = np.maximum(np.asarray(horizon, dtype=np.float32), plane[None, :]).astype(np.float32)
    behind_plane = shaded_hours_by_month(weather, plane[None, :].astype(np.float32), step_deg)
    everything = shaded_hours_by_month(weather, np.full_like(plane[None, :], 90.0, np.float32), step_deg)
    hidden = shaded_hours_by_month(weather, full, step_deg)
    lost = np.clip(hidden - behind_plane, 0.0, None)
    sunshine = np.clip(everything - behind_plane, 0.0, None)
    return lost, sunshine


def sun_path_chart(
    *, session: Session, surface: Surface, timezone: str = DEFAULT_TIMEZONE
) -> SunPathChart | None:
    """The surface's sun-path diagram and monthly hours lost, or None while it has no SurfaceShade row.

    CPU-bound (three passes over the weather year, a few hundred sun positions): call it from a
    worker thread, not from an event loop.
    """
    if surface.id is None:
        return None
    row = shade_rows(session, [surface.id]).get(surface.id)
    if row is None:
        return None
    horizon = unpack_horizon(row.horizon, row.points, row.step_deg)
    weather = current_config(session=session).weather()
    lost, sunshine = monthly_hours(
        weather, horizon, row.step_deg, tilt_deg=surface.tilt_deg, azimuth_deg=surface.azimuth_deg
    )
    return SunPathChart(
        skylines=skylines(horizon, row.step_deg),
        step_deg=row.step_deg,
        paths=sun_paths(
            weather.latitude, weather.longitude, year=int(weather.data.index[0].year), timezone=timezone
        ),
        hours_lost=[round(float(v), 1) for v in lost],
        sunshine_hours=[round(float(v), 1) for v in sunshine],
        timezone=timezone,
        latitude=weather.latitude,
        longitude=weather.longitude,
        weather_label=weather.label,
        computed_at=row.computed_at,
    )
