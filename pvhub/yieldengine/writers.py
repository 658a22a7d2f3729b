"""Write a weather year as EPW, TMY3 or PVGIS TMY (JSON, CSV), each labelled as its format says.

For the tests and the benchmark: the same hourly means written in every format must read
back to the same intervals, hence the same estimate. Only the columns pvhub reads carry
data; the others hold plausible constants. Values are written with the shortest repr that
reads back to the same float.

Each writer takes the interval of every record from the year's own convention and labels
it as the target format does: EPW by the hour *ending* it (hour field 1–24), TMY3 by its
end (``24:00`` for midnight), PVGIS by time stamp = middle − irradiance time offset, in UTC.
EPW and TMY3 are written in the year's standard time (the UTC offset of its first record).
"""

from __future__ import annotations

import json
from datetime import timedelta, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from pvhub.yieldengine.weather import WeatherYear


def _num(x: float) -> str:
    return repr(float(x))


def _standard_time(weather: WeatherYear) -> timezone:
    offset = weather.data.index[0].utcoffset() or timedelta(0)
    return timezone(offset)


def _starts(weather: WeatherYear, tz: timezone) -> pd.DatetimeIndex:
    """The start of each record's interval, in ``tz``."""
    half = weather.interval.step / 2
    return (weather.interval_centers() - half).tz_convert(tz)


def _columns(weather: WeatherYear) -> dict[str, np.ndarray]:
    if weather.interval.step_minutes != 60.0:
        raise ValueError("the writers write hourly years only")
    return {c: weather.data[c].to_numpy(dtype=float) for c in weather.data.columns}


def _calendar_order(times: pd.DatetimeIndex) -> np.ndarray:
    """Row order that runs Jan 1 → Dec 31 whatever year each time falls in (a TMY wraps around)."""
    return np.lexsort((times.minute, times.hour, times.day, times.month))


def write_epw(
    weather: WeatherYear, path: str | Path, city: str = "pvhub", *, keep_dates: bool = False
) -> Path:
    """Write ``weather`` as an EnergyPlus EPW file (hourly; hour N = the hour ending at N).

    A typical year is written as 1990 in calendar order; ``keep_dates`` writes each record's own
    year in time order (the measured weather of a period).
    """
    tz = _standard_time(weather)
    starts = _starts(weather, tz)
    order = np.argsort(starts.asi8, kind="stable") if keep_dates else _calendar_order(starts)
    tz_h = tz.utcoffset(None).total_seconds() / 3600.0
    lines = [
        f"LOCATION,{city},-,-,pvhub,000000,{_num(weather.latitude)},{_num(weather.longitude)},"
        f"{_num(tz_h)},{_num(weather.altitude)}",
        "DESIGN CONDITIONS,0",
        "TYPICAL/EXTREME PERIODS,0",
        "GROUND TEMPERATURES,0",
        "HOLIDAYS/DAYLIGHT SAVINGS,No,0,0,0",
        "COMMENTS 1,written by pvhub.yieldengine.writers",
        "COMMENTS 2,",
        "DATA PERIODS,1,1,Data,Sunday, 1/ 1,12/31",
    ]
    c = _columns(weather)
    for i in order:
        s = starts[i]
        fields = [
            s.year if keep_dates else 1990,
            s.month,
            s.day,
            s.hour + 1,
            0,
            "?",
            _num(c["temp_air"][i]),
            10.0,
            70,
            101325,
        ]
        fields += [0, 0, 350, _num(c["ghi"][i]), _num(c["dni"][i]), _num(c["dhi"][i]), 0, 0, 0, 0]
        fields += [180, _num(c["wind_speed"][i]), 5, 5, 10, 77777, 9, 999999999, 10, 0.1, 0, 88, 0.0, 0, 0]
        lines.append(",".join(str(f) for f in fields))
    out = Path(path)
    out.write_text("\n".join(lines) + "\n")
    return out


def write_tmy3(weather: WeatherYear, path: str | Path, name: str = "PVHUB") -> Path:
    """Write ``weather`` as a TMY3 CSV (hourly; each time stamp ends its hour, midnight as 24:00)."""
    tz = _standard_time(weather)
    ends = _starts(weather, tz) + weather.interval.step
    order = _calendar_order(ends - weather.interval.step)
    tz_h = tz.utcoffset(None).total_seconds() / 3600.0
    lines = [
        f'0,"{name}",--,{_num(tz_h)},{_num(weather.latitude)},{_num(weather.longitude)},{_num(weather.altitude)}',
        "Date (MM/DD/YYYY),Time (HH:MM),GHI (W/m^2),DNI (W/m^2),DHI (W/m^2),Dry-bulb (C),Wspd (m/s)",
    ]
    c = _columns(weather)
    for i in order:
        e = ends[i]
        midnight = e.hour == 0 and e.minute == 0
        day = e - pd.Timedelta(days=1) if midnight else e
        clock = "24:00" if midnight else f"{e.hour:02d}:{e.minute:02d}"
        values = (c[k][i] for k in ("ghi", "dni", "dhi", "temp_air", "wind_speed"))
        lines.append(f"{day.month:02d}/{day.day:02d}/1990,{clock}," + ",".join(_num(v) for v in values))
    out = Path(path)
    out.write_text("\n".join(lines) + "\n")
    return out


def _pvgis_rows(weather: WeatherYear, offset_h: float) -> list[dict[str, object]]:
    stamps = (weather.interval_centers() - pd.Timedelta(hours=offset_h)).tz_convert("UTC")
    text = stamps.strftime("2007%m%d:%H%M")
    c = _columns(weather)
    return [
        {
            "time(UTC)": text[i],
            "T2m": float(c["temp_air"][i]),
            "RH": 70.0,
            "G(h)": float(c["ghi"][i]),
            "Gb(n)": float(c["dni"][i]),
            "Gd(h)": float(c["dhi"][i]),
            "IR(h)": 350.0,
            "WS10m": float(c["wind_speed"][i]),
            "WD10m": 180.0,
            "SP": 101325.0,
        }
        for i in _calendar_order(stamps)
    ]


def write_pvgis_json(weather: WeatherYear, path: str | Path, offset_h: float | None = 0.5) -> Path:
    """Write ``weather`` as a PVGIS TMY JSON; ``offset_h`` is the stated irradiance time offset [h].

    Time stamps are the interval middles minus ``offset_h`` (None: not stated, taken as 0.5).
    """
    location: dict[str, object] = {
        "latitude": float(weather.latitude),
        "longitude": float(weather.longitude),
        "elevation": float(weather.altitude),
    }
    if offset_h is not None:
        location["irradiance_time_offset"] = float(offset_h)
    payload = {
        "inputs": {
            "location": location,
            "meteo_data": {
                "radiation_db": "PVGIS-ERA5",
                "meteo_db": "ERA5",
                "year_min": 2005,
                "year_max": 2023,
            },
        },
        "outputs": {
            "months_selected": [{"month": m, "year": 2007} for m in range(1, 13)],
            "tmy_hourly": _pvgis_rows(weather, 0.5 if offset_h is None else offset_h),
        },
        "meta": {"inputs": {"location": {"description": "Selected location"}}, "outputs": {}},
    }
    out = Path(path)
    out.write_text(json.dumps(payload))
    return out


def write_pvgis_csv(weather: WeatherYear, path: str | Path, offset_h: float | None = 0.5) -> Path:
    """Write ``weather`` as a PVGIS TMY CSV (CRLF, as PVGIS serves it); ``offset_h`` as for JSON."""
    lines = [
        f"Latitude (decimal degrees): {_num(weather.latitude)}",
        f"Longitude (decimal degrees): {_num(weather.longitude)}",
        f"Elevation (m): {_num(weather.altitude)}",
    ]
    if offset_h is not None:
        lines.append(f"Irradiance Time Offset (h): {_num(offset_h)}")
    lines += ["month,year", *(f"{m},2007" for m in range(1, 13))]
    rows = _pvgis_rows(weather, 0.5 if offset_h is None else offset_h)
    lines.append(",".join(rows[0]))
    lines += [",".join(str(v) for v in r.values()) for r in rows]
    lines += ["", "T2m: 2-m air temperature (degree Celsius)", "", "PVGIS (c) European Union, 2001-2024", ""]
    out = Path(path)
    out.write_bytes("\r\n".join(lines).encode())
    return out
