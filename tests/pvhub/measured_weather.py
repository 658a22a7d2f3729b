"""Measured weather periods for tests, from real data: pvlib's Greensboro TMY3 (723170TYA.CSV).

A "measured" period takes the hours of the TMY3 file's calendar days, gives them real dates in a
real year, scales the irradiance (so the period's sky differs from the typical year's), moves the
station to Shanghai (31.23 N 121.48 E, UTC+8) and writes it as an EPW with those dates
(:func:`pvhub.yieldengine.writers.write_epw` with ``keep_dates``).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pvlib

from pvhub.yieldengine import IntervalConvention, read_tmy3
from pvhub.yieldengine.weather import EPW_SOURCE, WeatherYear, data_sha256
from pvhub.yieldengine.writers import write_epw

TMY3 = Path(pvlib.__file__).parent / "data" / "723170TYA.CSV"
SHANGHAI = (31.23, 121.48)


def measured_year(
    first: str = "2025-03-01",
    end: str = "2025-09-01",
    *,
    scale: float = 0.85,
    latitude: float = SHANGHAI[0],
    longitude: float = SHANGHAI[1],
) -> WeatherYear:
    """Hourly records (labelled by their start, UTC+8) from ``first`` up to ``end`` (excluded)."""
    tmy = read_tmy3(TMY3)
    source = tmy.data.copy()
    source.index = (tmy.interval_centers() - pd.Timedelta(minutes=30)).tz_localize(None)
    source = source[~source.index.duplicated()]
    position = {
        key: i
        for i, key in enumerate(zip(source.index.month, source.index.day, source.index.hour, strict=True))
    }
    starts = pd.date_range(first, end, freq="h", inclusive="left")
    data = source.iloc[[position[k] for k in zip(starts.month, starts.day, starts.hour, strict=True)]].copy()
    data.index = starts.tz_localize("Etc/GMT-8")
    data[["ghi", "dni", "dhi"]] *= scale
    convention = IntervalConvention("start", 60.0, 0.0, EPW_SOURCE)
    return WeatherYear(data, latitude, longitude, 4.0, "epw", "measured", data_sha256(data), convention)


def measured_epw(tmp_path: Path, name: str = "shanghai_2025.epw", **kw: object) -> tuple[str, bytes]:
    """(file name, bytes) of an EPW holding :func:`measured_year` with its real dates."""
    path = write_epw(measured_year(**kw), tmp_path / name, city="Shanghai", keep_dates=True)  # type: ignore[arg-type]
    return name, path.read_bytes()
