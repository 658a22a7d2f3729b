"""Estimates on the measured weather of a real period, month by month (weather normalisation).

A typical-year estimate says what a surface yields in an average year; the measured weather of a
period (read with ``keep_dates=True``) says what the sky actually delivered. Re-running a surface's
estimate — with exactly the assumptions it was estimated with — on that weather gives what it should
have produced in those months, so measured energy divided by it isolates the system from the year's
weather (a *weather-normalised* yield ratio; still not an IEC 61724 performance ratio).

The engine sums energy into the 12 calendar months of the interval middles. A period of at most 12
consecutive calendar months holds each calendar month once, so every monthly sum belongs to exactly
one (year, month): :func:`estimate_period` maps them back, and refuses a longer period (split it into
years). The checks that a period is fit (consecutive records, whole months) are here as plain data;
the application words them for the user.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from pvhub.yieldengine.assumptions import KindAssumptions
from pvhub.yieldengine.estimate import EstimateProvenance, estimate
from pvhub.yieldengine.weather import WeatherYear

#: A period longer than this would put two of its months into one of the engine's 12 sums.
MAX_MONTHS = 12

YearMonth = tuple[int, int]


def interval_bounds(weather: WeatherYear) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Start of the first record's interval and end of the last, in the data's time zone."""
    centres = weather.interval_centers()
    half = weather.interval.step / 2
    return centres.min() - half, centres.max() + half


def first_gap(weather: WeatherYear) -> int | None:
    """Position of the first record whose interval does not follow the previous one's (a gap, a
    repeated or an out-of-order record), or None when the records run on without a break."""
    centres = weather.interval_centers().as_unit("ns").asi8  # readers may give µs resolution
    if len(centres) < 2:
        return None
    step_ns = int(weather.interval.step / pd.Timedelta(1, "ns"))
    bad = np.flatnonzero(np.diff(centres) != step_ns)
    return int(bad[0]) + 1 if bad.size else None


def is_month_start(stamp: pd.Timestamp) -> bool:
    """True at midnight starting the first day of a month (the file's local time)."""
    return bool(stamp.day == 1 and stamp.hour == 0 and stamp.minute == 0 and stamp.second == 0)


def period_months(weather: WeatherYear) -> tuple[YearMonth, ...]:
    """The calendar months the records' interval middles fall in, in order, each once."""
    centres = weather.interval_centers()
    pairs = zip(centres.year.tolist(), centres.month.tolist(), strict=True)
    return tuple(dict.fromkeys((int(y), int(m)) for y, m in pairs))


def kind_assumptions_from(record: Mapping[str, Any]) -> KindAssumptions:
    """The :class:`KindAssumptions` an estimate recorded (its ``assumptions`` dict holds their
    fields among others), so a re-run uses exactly what the estimate used, not today's defaults."""
    names = {f.name for f in dataclasses.fields(KindAssumptions)}
    return KindAssumptions(**{k: v for k, v in record.items() if k in names})


@dataclass(frozen=True, eq=False)
class PeriodEstimate:
    """Per-surface energy in each month of a measured period.

    months : the period's (year, month), in order; monthly_kwh (n, len(months)) [kWh AC];
    capacity_kwp (n,) [kWp DC]; provenance as :func:`~pvhub.yieldengine.estimate` gives it.
    """

    months: tuple[YearMonth, ...]
    monthly_kwh: np.ndarray
    capacity_kwp: np.ndarray
    provenance: EstimateProvenance

    def by_month(self, i: int) -> dict[YearMonth, float]:
        """Surface ``i``'s energy per (year, month) [kWh]."""
        return {ym: float(v) for ym, v in zip(self.months, self.monthly_kwh[i], strict=True)}


def estimate_period(
    weather: WeatherYear,
    kind: Any,
    tilt: Any,
    azimuth: Any,
    usable_area_m2: Any,
    shading_loss: Any = 0.0,
    **kw: Any,
) -> PeriodEstimate:
    """:func:`~pvhub.yieldengine.estimate` on a measured period, its months mapped to (year, month).

    Takes the same arguments as :func:`~pvhub.yieldengine.estimate` (``weather`` the measured
    period). Raises ValueError when the period spans more than :data:`MAX_MONTHS` months.
    """
    months = period_months(weather)
    if len(months) > MAX_MONTHS:
        raise ValueError(f"a measured period spans at most {MAX_MONTHS} months, this one {len(months)}")
    result = estimate(kind, tilt, azimuth, usable_area_m2, shading_loss, weather=weather, **kw)
    columns = [m - 1 for _, m in months]
    return PeriodEstimate(months, result.monthly_kwh[:, columns], result.capacity_kwp, result.provenance)
