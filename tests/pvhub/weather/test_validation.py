"""Which weather years are fit for use: whole year of any step, plausible values, annual GHI, distance."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from pvhub.core.errors import InvalidInput
from pvhub.weather import validation
from pvhub.yieldengine.intervals import IntervalConvention
from pvhub.yieldengine.weather import WeatherYear
from tests.pvhub.weather import files


def year_of(data: pd.DataFrame, step_minutes: float = 60.0) -> WeatherYear:
    return replace(files.near_year(), data=data, interval=IntervalConvention("start", step_minutes))


def half_hourly() -> pd.DataFrame:
    """The Greensboro year at 30-minute steps (each hour's values twice): 17,520 records."""
    hourly = files.greensboro().data.sort_index()
    index = pd.date_range("1990-01-01", periods=17_520, freq="30min", tz=hourly.index.tz)
    return pd.DataFrame(np.repeat(hourly.to_numpy(), 2, axis=0), index=index, columns=hourly.columns)


def test_a_real_year_passes() -> None:
    report = validation.typical_year_report(files.near_year())
    assert report.ok and report.annual_ghi_kwh_m2 == pytest.approx(1566, abs=2)
    report.raise_for("fine.csv")  # no problem, no error


def test_a_whole_year_of_half_hours_passes() -> None:
    report = validation.typical_year_report(year_of(half_hourly(), 30.0))
    assert report.ok, [str(p) for p in report.problems]


def test_more_than_a_year_is_not_a_typical_year_but_is_a_period() -> None:
    data = files.greensboro().data.sort_index()
    longer = pd.concat([data, data.iloc[:100].set_axis(data.index[:100] + pd.DateOffset(years=1))])
    report = validation.typical_year_report(year_of(longer))
    assert [str(p) for p in report.problems] == [
        "8,860 records of 60 minutes cover 369.17 days, not a whole year "
        "(8,760 hourly records, or 8,784 in a leap year)"
    ]
    assert validation.period_report(year_of(longer)).ok


def test_an_implausible_annual_irradiation_is_a_problem() -> None:
    data = files.greensboro().data.copy()
    data[["ghi", "dni", "dhi"]] *= 0.2
    [problem] = validation.typical_year_report(year_of(data)).problems
    assert str(problem).startswith("the annual global horizontal irradiation, 313 kWh/m², is outside")


def test_each_value_is_checked_and_the_list_is_capped() -> None:
    data = files.greensboro().data.copy()
    data.iloc[10, data.columns.get_loc("wind_speed")] = -1.0
    data.iloc[11, data.columns.get_loc("dhi")] = np.nan
    data.iloc[30:60, data.columns.get_loc("temp_air")] = 80.0
    report = validation.typical_year_report(year_of(data))
    assert report.total == 32 and len(report.problems) == validation.MAX_PROBLEMS
    assert str(report.problems[0]) == (
        "record 11 (1990-01-01 11:00–12:00): wind_speed -1.0 m/s is below the plausible 0"
    )
    assert str(report.problems[1]) == "record 12 (1990-01-01 12:00–13:00): dhi has no value"
    with pytest.raises(InvalidInput, match=r"\(32 problems\).*; and 12 more\.$") as caught:
        report.raise_for("bad.epw")
    assert caught.value.field == "file"


def test_period_bounds_follow_the_interval_convention() -> None:
    """TMY3 labels the end of each hour: the year starts at midnight, as its first hour does."""
    start, end = validation.period_bounds(files.greensboro())
    assert (start.isoformat(), end.isoformat()) == ("1990-01-01T00:00:00-05:00", "1991-01-01T00:00:00-05:00")


def test_distance_is_geodesic() -> None:
    assert validation.distance_km(0.0, 0.0, 0.0, 1.0) == pytest.approx(111.32, abs=0.01)
    # Shanghai (Huangpu) to Greensboro, NC
    assert validation.distance_km(31.2317, 121.4846, 36.1, -79.95) == pytest.approx(12_224, abs=1)
