"""Is a weather file fit for use? Whole year, plausible values, near the programme.

The readers (:mod:`pvhub.yieldengine.weather`) only check that a file parses; an EPW with a
digit too many in one hour, or a TMY for another continent, parses fine and would quietly
skew every estimate of the register. These checks are pure (no database): the programme's
typical year (:func:`typical_year_report`) and the measured weather of a period
(:func:`period_report`) share the per-record range checks and differ only in whether a
whole year and a plausible annual irradiation are required.

Each problem is a translatable :class:`~pvhub.core.errors.Phrase` naming the record (its
position in the file, 1-based, and the interval it covers) and the field, so the office can
find it in the file. At most :data:`MAX_PROBLEMS` are listed; the report counts the rest.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pyproj import Geod

from pvhub.core.errors import InvalidInput, Phrase
from pvhub.yieldengine.weather import WeatherYear

#: Problems listed in one message; a file with a broken column would otherwise list 8,760.
MAX_PROBLEMS = 20

#: Over this distance from the programme's location [km] a file needs the office's confirmation.
FAR_KM = 100.0


@dataclass(frozen=True)
class Limits:
    """The plausible range of one column and its unit (as shown in messages)."""

    low: float
    high: float
    unit: str


#: Plausible hourly values. Irradiance: the solar constant is ~1,361 W/m²; GHI above ~1,400 W/m²
#: (cloud enhancement included) or DNI above ~1,200 W/m² at ground level is a data error. DHI above
#: 800 W/m² does not occur. Temperatures and wind beyond these are outside any inhabited record.
LIMITS: dict[str, Limits] = {
    "ghi": Limits(0.0, 1400.0, "W/m²"),
    "dni": Limits(0.0, 1200.0, "W/m²"),
    "dhi": Limits(0.0, 800.0, "W/m²"),
    "temp_air": Limits(-40.0, 55.0, "°C"),
    "wind_speed": Limits(0.0, 60.0, "m/s"),
}

#: Annual global horizontal irradiation anywhere people build PV [kWh/m²]: the cloudiest
#: places get ~600, the sunniest deserts ~2,600 (Shanghai ~1,250).
ANNUAL_GHI_KWH_M2 = (500.0, 2800.0)

_GEOD = Geod(ellps="WGS84")


@dataclass(frozen=True)
class ValidationReport:
    """The problems found (at most :data:`MAX_PROBLEMS`) and how many there were in all."""

    problems: tuple[Phrase, ...]
    total: int
    annual_ghi_kwh_m2: float

    @property
    def ok(self) -> bool:
        return self.total == 0

    def raise_for(self, filename: str) -> None:
        """Raise :class:`InvalidInput` naming the file and listing the problems, unless there are none."""
        if self.ok:
            return
        problems = list(self.problems)
        if self.total > len(self.problems):
            problems.append(Phrase("and {more:,} more", more=self.total - len(self.problems)))
        raise InvalidInput(
            "{filename} cannot be used as weather data ({count:,} problems): {problems}.",
            filename=filename,
            count=self.total,
            problems=problems,
            field="file",
        )


def annual_ghi_kwh_m2(year: WeatherYear) -> float:
    """The file's global horizontal irradiation summed over its records [kWh/m²]."""
    ghi = year.data["ghi"].clip(lower=0).sum()
    return float(ghi) / 1000.0 * year.interval.step_minutes / 60.0


def period_bounds(year: WeatherYear) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Start of the first interval and end of the last, from the year's interval convention.

    By the centres' minimum and maximum, since a TMY3's last record (midnight ending 31 December)
    comes back from pvlib labelled 1 January of the same year.
    """
    centres = year.interval_centers()
    half = year.interval.step / 2
    return centres.min() - half, centres.max() + half


def period_report(year: WeatherYear) -> ValidationReport:
    """Per-record checks only, for the measured weather of a period of any length."""
    problems, total = _range_problems(year)
    return ValidationReport(tuple(problems), total, annual_ghi_kwh_m2(year))


def typical_year_report(year: WeatherYear) -> ValidationReport:
    """Whole-year checks (a year's records, plausible annual GHI) before the per-record ones."""
    annual = annual_ghi_kwh_m2(year)
    head = _whole_year_problems(year) + _annual_ghi_problems(year, annual)
    problems, total = _range_problems(year)
    listed = (head + problems)[:MAX_PROBLEMS]
    return ValidationReport(tuple(listed), len(head) + total, annual)


def _whole_year_problems(year: WeatherYear) -> list[Phrase]:
    """A typical year covers 365 or 366 days exactly, whatever its step (8,760 hours, 17,520 half-hours)."""
    step = year.interval.step_minutes
    days = len(year.data) * step / 1440.0
    if any(math.isclose(days, whole) for whole in (365.0, 366.0)):
        return []
    return [
        Phrase(
            "{records:,} records of {step:g} minutes cover {days:,.2f} days, not a whole year "
            "(8,760 hourly records, or 8,784 in a leap year)",
            records=len(year.data),
            step=step,
            days=days,
        )
    ]


def _annual_ghi_problems(year: WeatherYear, annual: float) -> list[Phrase]:
    low, high = ANNUAL_GHI_KWH_M2
    if low <= annual <= high:
        return []
    return [
        Phrase(
            "the annual global horizontal irradiation, {annual:,.0f} kWh/m², is outside the plausible "
            "{low:,.0f}–{high:,.0f} kWh/m²",
            annual=annual,
            low=low,
            high=high,
        )
    ]


def _range_problems(year: WeatherYear) -> tuple[list[Phrase], int]:
    """The first :data:`MAX_PROBLEMS` out-of-range or missing values in file order, and their count."""
    data = year.data
    bad: list[tuple[int, str]] = []
    total = 0
    for column, limits in LIMITS.items():
        values = data[column].to_numpy(dtype=float)
        positions = np.flatnonzero(~((values >= limits.low) & (values <= limits.high)))  # NaN too
        total += len(positions)
        bad.extend((int(p), column) for p in positions[:MAX_PROBLEMS])
    bad.sort()
    return [_value_problem(year, position, column) for position, column in bad[:MAX_PROBLEMS]], total


def _value_problem(year: WeatherYear, position: int, column: str) -> Phrase:
    limits = LIMITS[column]
    value = float(year.data[column].iloc[position])
    where = {"record": position + 1, "time": _interval_text(year, position), "column": column}
    if math.isnan(value):
        return Phrase("record {record:,} ({time}): {column} has no value", **where)
    if value > limits.high:
        return Phrase(
            "record {record:,} ({time}): {column} {value:,.1f} {unit} is above the plausible {limit:,.0f}",
            value=value,
            unit=limits.unit,
            limit=limits.high,
            **where,
        )
    return Phrase(
        "record {record:,} ({time}): {column} {value:,.1f} {unit} is below the plausible {limit:,.0f}",
        value=value,
        unit=limits.unit,
        limit=limits.low,
        **where,
    )


def _interval_text(year: WeatherYear, position: int) -> str:
    """The interval a record covers, in the file's local time: ``1990-07-02 04:00–05:00``.

    Shown as an interval because the formats label an hour differently (EPW by its end, as hour
    1–24; pvlib by its start); the interval is what all of them mean.
    """
    centre = year.interval_centers()[position]
    half = year.interval.step / 2
    start, end = centre - half, centre + half
    return f"{start:%Y-%m-%d %H:%M}–{end:%H:%M}"


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (geodesic, WGS84) distance between two points [km]."""
    _, _, metres = _GEOD.inv(lon1, lat1, lon2, lat2)
    return float(metres) / 1000.0
