"""Which interval each weather record covers, and where to put the sun for it.

An hourly weather file stores the mean irradiance of an interval, and formats label that
interval differently: by its start (pvlib's :func:`~pvlib.iotools.read_epw`), its end
(:func:`~pvlib.iotools.read_tmy3`) or its centre shifted by a stated offset (PVGIS). Each
reader records its format's convention as an :class:`IntervalConvention`, and the engine
places the sun where SAM and PVsyst place it:

* at the middle of the interval;
* in the interval that contains sunrise, at the middle of its sunlit part — halfway
  between sunrise and the interval's end — and in the one that contains sunset halfway
  between the interval's start and sunset. This is SAM's rule ("For the sunrise time step,
  the sun position is at the midpoint between sunrise time and the end of the time step.
  Similarly, for the sunset hour, ... the midpoint between the beginning of the time step
  and sunset time", SAM help, *Weather File Time Convention*), and PVsyst's and PVWatts
  v1's alike (PVsyst help, *Time definition*: the morning interval is not complete, so the
  solar geometry uses the middle between sunrise and the end of the interval; idem evening).

Sunrise and sunset come from pvlib's NREL SPA (:func:`pvlib.solarposition.
sun_rise_set_transit_spa`: the sun's centre 0.8333° below the horizon, i.e. standard
refraction and the solar radius).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
import pvlib

Label = Literal["start", "center", "end"]
_LABELS = ("start", "center", "end")
_DAY_NS = 86_400 * 10**9

#: How the engine places the sun, recorded with every estimate.
SUN_POSITION_RULE = (
    "sun at the middle of each interval; in the intervals containing sunrise or sunset, at the middle "
    "of their sunlit part (SAM, PVsyst); sunrise and sunset by pvlib's NREL SPA"
)


@dataclass(frozen=True)
class IntervalConvention:
    """How a weather year's timestamps relate to the intervals its values are means of.

    Attributes
    ----------
    label : ``"start"``, ``"center"`` or ``"end"``
        Where in its interval each (shifted) timestamp sits.
    step_minutes : float
        Length of each interval [minutes]; 60 for hourly files.
    offset_minutes : float
        A shift the format states, applied to the timestamps before ``label`` [minutes]:
        PVGIS's irradiance time offset (the value belongs to time stamp + offset). 0 elsewhere.
    source : str
        Where the convention is documented.
    """

    label: Label
    step_minutes: float = 60.0
    offset_minutes: float = 0.0
    source: str = ""

    def __post_init__(self) -> None:
        if self.label not in _LABELS:
            raise ValueError(f"interval label must be one of {_LABELS}, not {self.label!r}")
        if not self.step_minutes > 0:
            raise ValueError("step_minutes must be positive")

    @property
    def to_center(self) -> pd.Timedelta:
        """From a timestamp to the centre of its interval."""
        half = self.step_minutes / 2.0
        shift = {"start": half, "center": 0.0, "end": -half}[self.label]
        return pd.Timedelta(minutes=shift + self.offset_minutes)

    @property
    def step(self) -> pd.Timedelta:
        return pd.Timedelta(minutes=self.step_minutes)

    def describe(self) -> dict[str, Any]:
        """Plain-data form for provenance."""
        return {
            "label": self.label,
            "step_minutes": self.step_minutes,
            "offset_minutes": round(self.offset_minutes, 3),
            "source": self.source,
            "sun_position": SUN_POSITION_RULE,
        }


def _ns(times: pd.DatetimeIndex) -> np.ndarray:
    """Nanoseconds since the epoch (pandas may hold times in other units)."""
    return times.as_unit("ns").asi8


def _from_ns(ns: np.ndarray, tz: Any) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(pd.to_datetime(ns, unit="ns", utc=True)).tz_convert(tz)


def step_minutes_of(index: pd.DatetimeIndex) -> float:
    """The typical spacing of a time index [minutes] (median, so one gap does not count)."""
    if len(index) < 2:
        raise ValueError("need at least two timestamps to tell the step")
    return float(np.median(np.diff(_ns(index))) / 60e9)


def interval_bounds(
    index: pd.DatetimeIndex, convention: IntervalConvention
) -> tuple[pd.DatetimeIndex, pd.DatetimeIndex]:
    """Start and end of the interval each timestamp stands for (same time zone as ``index``)."""
    center = index + convention.to_center
    half = convention.step / 2
    return center - half, center + half


def _rise_and_set_ns(first_ns: int, n_days: int, latitude: float, longitude: float) -> np.ndarray:
    """Sunrise and sunset of ``n_days`` UTC days from ``first_ns`` [ns since epoch], shape (2, n_days).

    NaN where the sun does not rise or set that day (polar day or night).
    """
    days = _from_ns(first_ns + np.arange(n_days, dtype=np.int64) * _DAY_NS, "UTC")
    events = pvlib.solarposition.sun_rise_set_transit_spa(days, latitude, longitude)
    out = np.empty((2, n_days))
    for row, name in enumerate(("sunrise", "sunset")):
        when = pd.DatetimeIndex(pd.to_datetime(events[name], utc=True)).as_unit("ns")
        out[row] = np.where(when.isna(), np.nan, when.asi8.astype(float))  # asi8 of NaT is a sentinel
    return out


def sunlit_part(
    start: pd.DatetimeIndex, end: pd.DatetimeIndex, latitude: float, longitude: float
) -> tuple[pd.DatetimeIndex, pd.DatetimeIndex]:
    """The part of each interval after sunrise and before sunset, when one falls inside it.

    Intervals that contain neither keep their bounds (whether all day or all night). An
    interval whose sunset comes before its sunrise (lit at both ends, dark between: days
    shorter than a step, near the polar circles) also keeps its bounds.

    Parameters
    ----------
    start, end : pandas.DatetimeIndex (n,)
        Interval bounds, tz-aware; each interval shorter than a day.
    latitude, longitude : float
        Location [degrees].

    Returns
    -------
    begin, finish : pandas.DatetimeIndex (n,), in the time zone of ``start``
    """
    s, e = _ns(start), _ns(end)
    first = (int(s.min()) // _DAY_NS - 1) * _DAY_NS
    n_days = int((e.max() - first) // _DAY_NS) + 3
    rise, sets = _rise_and_set_ns(first, n_days, latitude, longitude)
    # an interval shorter than a day holds only events of its own UTC day or the one before or after
    day = (s - first) // _DAY_NS
    near = np.clip(day[:, None] + np.arange(-1, 3), 0, n_days - 1)
    s_f, e_f = s.astype(float)[:, None], e.astype(float)[:, None]

    def inside(events: np.ndarray) -> np.ndarray:
        cand = events[near]
        return np.where((cand > s_f) & (cand < e_f), cand, np.nan)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows: no event in the interval
        rise_in, set_in = np.nanmax(inside(rise), axis=1), np.nanmin(inside(sets), axis=1)
    # keep exact integer bounds where no event falls inside (float ns are only ~0.1 µs precise)
    begin = np.where(np.isnan(rise_in), s, np.nan_to_num(rise_in).astype(np.int64))
    finish = np.where(np.isnan(set_in), e, np.nan_to_num(set_in).astype(np.int64))
    dark_middle = begin >= finish
    begin, finish = np.where(dark_middle, s, begin), np.where(dark_middle, e, finish)
    return _from_ns(begin, start.tz), _from_ns(finish, start.tz)


def sun_times(
    index: pd.DatetimeIndex, convention: IntervalConvention, latitude: float, longitude: float
) -> tuple[pd.DatetimeIndex, np.ndarray]:
    """Where in time to compute the sun for each record, and the sunlit share of its interval.

    Parameters
    ----------
    index : pandas.DatetimeIndex (n,)
        The weather year's timestamps, tz-aware.
    convention : IntervalConvention
        What the timestamps label.
    latitude, longitude : float
        Location [degrees].

    Returns
    -------
    times : pandas.DatetimeIndex (n,)
        The middle of each interval's sunlit part (:func:`sunlit_part`) — the middle of the
        interval unless sunrise or sunset falls inside it.
    sunlit_fraction : numpy.ndarray (n,)
        Length of that part over the interval's [0–1]; 1 where no sunrise or sunset falls
        inside (night intervals included).
    """
    start, end = interval_bounds(index, convention)
    begin, finish = sunlit_part(start, end, latitude, longitude)
    b, f = _ns(begin), _ns(finish)
    times = _from_ns(b + (f - b) // 2, index.tz)
    return times, (f - b) / (_ns(end) - _ns(start))
