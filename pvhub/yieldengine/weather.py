"""Weather years: one hourly year of irradiance and temperature at one location.

Readers wrap :mod:`pvlib.iotools` for EPW, TMY3 and PVGIS TMY (JSON, CSV or EPW) files
and return a :class:`WeatherYear` with pvlib column names. PVGIS counts azimuth
0 = south in its *inputs*; the columns we keep (irradiance, temperature, wind) carry no
azimuth, and pvhub uses pvlib's 0 = north everywhere, so no angle from a PVGIS file is
ever used unconverted (see :func:`pvgis_to_pvlib_azimuth`).

Each value is the mean of an interval, and the formats label their intervals differently;
every reader records its format's documented convention as the year's ``interval``
(:class:`~pvhub.yieldengine.intervals.IntervalConvention`), and the engine places the sun
in the middle of each interval from it (:mod:`pvhub.yieldengine.intervals`):

* EPW — the file's hour field 1–24 is the hour *ending* then, and pvlib's ``read_epw``
  labels that hour by its start (hour − 1): label ``start``.
* TMY3 — irradiance received during the 60 minutes *before* the time stamp, which pvlib's
  ``read_tmy3`` keeps: label ``end``.
* PVGIS TMY (JSON, CSV) — hourly values stamped HH:00 UTC; the irradiance belongs to the
  time stamp plus the file's stated *irradiance time offset*: label ``center`` shifted by it.

TMY months from different years are put into one year (1990). With ``keep_dates=True`` a reader keeps
the file's own dates and accepts any number of records: the measured weather of a real period, whose
months must stay the months they were measured in (:mod:`pvhub.yieldengine.period` checks that the
period is whole consecutive calendar months).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd
from pvlib import iotools

from pvhub.yieldengine.intervals import IntervalConvention, step_minutes_of, sun_times

COLUMNS = ("ghi", "dni", "dhi", "temp_air", "wind_speed")
_QUOTE = '"'
PVGIS_URL = "https://re.jrc.ec.europa.eu/api/tmy"

EPW_SOURCE = (
    "EPW: 'Hour 1 is 00:01 to 01:00', radiation 'received ... during the number of minutes preceding "
    "the time indicated' (EnergyPlus Auxiliary Programs, EPW data dictionary); pvlib.iotools.read_epw "
    "labels each hour by its start, hour - 1 (epw.py: data['hour'] - 1)"
)
TMY3_SOURCE = (
    "TMY3: radiation received during the 60 minutes prior to the time stamp (Wilcox & Marion 2008, "
    "Users Manual for TMY3 Data Sets, NREL/TP-581-43156); pvlib.iotools.read_tmy3 keeps that label "
    "('TMY3 irradiance data corresponds to the previous hour')"
)
PVGIS_SOURCE = (
    "PVGIS TMY: hourly values stamped HH:00 UTC (PVGIS TMY generator documentation, 'Date & time "
    "(UTC)'); the irradiance belongs to the time stamp plus the file's irradiance time offset "
    "(CSV header 'Irradiance Time Offset (h)', JSON inputs.location.irradiance_time_offset), "
    "taken as the middle of its hour"
)
#: PVGIS files written before the offset was stated (December 2024): half an hour, i.e. the hour
#: that starts at the stamp, as for PVGIS-ERA5's hourly means (the database PVGIS uses where
#: its satellite data do not reach, e.g. eastern Asia).
PVGIS_DEFAULT_OFFSET_H = 0.5


class WeatherError(ValueError):
    """A weather file cannot be read or fetched."""


@dataclass(frozen=True, eq=False)
class WeatherYear:
    """One hourly weather year.

    Attributes
    ----------
    data : pandas.DataFrame
        Hourly, tz-aware index; columns ``ghi``, ``dni``, ``dhi`` [W/m²],
        ``temp_air`` [°C], ``wind_speed`` [m/s].
    latitude, longitude : float
        Location of the data [degrees, WGS84].
    altitude : float
        Site altitude [m].
    source : str
        ``synthetic``, ``epw``, ``tmy3``, ``pvgis`` …
    label : str
        Human-readable description (station, file name).
    sha256 : str
        SHA-256 of the source file's bytes, or of the canonical data for a generated year.
    interval : IntervalConvention
        What each timestamp labels (start, centre or end of the interval its values are
        means of), as the file's format documents it.
    """

    data: pd.DataFrame
    latitude: float
    longitude: float
    altitude: float
    source: str
    label: str
    sha256: str
    interval: IntervalConvention
    meta: dict[str, Any] = field(default_factory=dict)

    def interval_centers(self) -> pd.DatetimeIndex:
        """The middle of each record's interval (tz of the data); months are counted by it."""
        return self.data.index + self.interval.to_center

    def sun_times(self) -> tuple[pd.DatetimeIndex, np.ndarray]:
        """When to compute the sun for each record, and the sunlit share of its interval [0-1].

        The middle of the interval, or of its sunlit part where sunrise or sunset falls inside
        (see :func:`pvhub.yieldengine.intervals.sun_times`).
        """
        return sun_times(self.data.index, self.interval, self.latitude, self.longitude)

    def describe(self) -> dict[str, Any]:
        """Plain-data provenance of the weather year."""
        ghi = self.data["ghi"].clip(lower=0)
        return {
            "source": self.source,
            "label": self.label,
            "sha256": self.sha256,
            "latitude": self.latitude,
            "longitude": self.longitude,
            "altitude_m": self.altitude,
            "synthetic": self.source == "synthetic",
            "annual_ghi_kwh_m2": round(float(ghi.sum()) / 1000.0 * self.interval.step_minutes / 60.0, 1),
            "hours": len(self.data),
            "interval": self.interval.describe(),
        }


def pvgis_to_pvlib_azimuth(azimuth_pvgis: Any) -> Any:
    """Convert a PVGIS azimuth (0 = south, 90 = west, -90 = east) to pvlib's (0 = north) [degrees]."""
    return (np.asarray(azimuth_pvgis, dtype=float) + 180.0) % 360.0


def data_sha256(data: pd.DataFrame) -> str:
    """SHA-256 of a weather DataFrame's canonical content (index and the five columns)."""
    h = hashlib.sha256()
    h.update(np.asarray(data.index.asi8).tobytes())
    h.update(np.ascontiguousarray(data[list(COLUMNS)].to_numpy(dtype=np.float64)).tobytes())
    return h.hexdigest()


def file_sha256(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _clean(data: pd.DataFrame, year: int | None = None, *, full_year: bool = True) -> pd.DataFrame:
    """Keep the five columns, fill gaps, and (``year``) put every record into one year.

    ``full_year`` False accepts fewer than 8,760 records: a measured period, checked by
    :func:`pvhub.yieldengine.period.measured_period` instead.
    """
    missing = [c for c in COLUMNS if c not in data.columns]
    if missing:
        raise WeatherError(f"weather data lacks columns {missing}")
    out = data[list(COLUMNS)].astype(float).copy()
    if out.index.tz is None:
        raise WeatherError("weather data needs a time-zone-aware index")
    if year is not None:
        # TMY files mix years month by month; one year keeps months in calendar order
        out.index = pd.DatetimeIndex([t.replace(year=year) for t in out.index])
        out = out.sort_index()
    out[["ghi", "dni", "dhi"]] = out[["ghi", "dni", "dhi"]].clip(lower=0).fillna(0.0)
    out["wind_speed"] = out["wind_speed"].fillna(1.0)
    out["temp_air"] = out["temp_air"].interpolate(limit_direction="both")
    if full_year and len(out) < 8760:
        raise WeatherError(f"weather year has {len(out)} hours; need a full year (8760)")
    return out


def _convention(data: pd.DataFrame, label: Any, source: str, offset_h: float = 0.0) -> IntervalConvention:
    return IntervalConvention(label, step_minutes_of(data.index), offset_h * 60.0, source)


def read_epw(path: str | Path, *, keep_dates: bool = False) -> WeatherYear:
    """Read an EnergyPlus EPW file. EPW marks missing albedo as 0, so albedo is not kept.

    ``keep_dates`` keeps the file's years and accepts a part of a year (a measured period).
    """
    try:
        data, meta = iotools.read_epw(str(path), coerce_year=None if keep_dates else 1990)
    except Exception as exc:  # pvlib raises assorted errors on malformed files
        raise WeatherError(f"cannot read EPW file {path}: {exc}") from exc
    data = _clean(data, full_year=not keep_dates)
    return WeatherYear(
        data,
        float(meta["latitude"]),
        float(meta["longitude"]),
        float(meta.get("altitude", 0.0)),
        "epw",
        f"EPW {meta.get('city', '')} ({Path(path).name})".strip(),
        file_sha256(path),
        _convention(data, "start", EPW_SOURCE),
        {k: meta[k] for k in ("city", "country", "TZ") if k in meta},
    )


def read_tmy3(path: str | Path, *, keep_dates: bool = False) -> WeatherYear:
    """Read a US TMY3 CSV file (``keep_dates``: its own dates, any number of records)."""
    try:
        data, meta = iotools.read_tmy3(
            str(path), coerce_year=None if keep_dates else 1990, map_variables=True
        )
    except Exception as exc:
        raise WeatherError(f"cannot read TMY3 file {path}: {exc}") from exc
    data = _clean(data, full_year=not keep_dates)
    return WeatherYear(
        data,
        float(meta["latitude"]),
        float(meta["longitude"]),
        float(meta.get("altitude", 0.0)),
        "tmy3",
        f"TMY3 {str(meta.get('Name', '')).strip(_QUOTE)} ({Path(path).name})",
        file_sha256(path),
        _convention(data, "end", TMY3_SOURCE),
        {k: meta[k] for k in ("USAF", "Name", "State", "TZ") if k in meta},
    )


def standard_time_zone(longitude: float) -> str:
    """The whole-hour zone of a longitude's mean solar time, e.g. ``Etc/GMT-8`` = UTC+8 at 121° E."""
    hours = round(float(longitude) / 15.0)
    return f"Etc/GMT{-hours:+d}"  # the Etc/ zones count the other way round


def read_pvgis_tmy(path: str | Path, *, keep_dates: bool = False) -> WeatherYear:
    """Read a PVGIS TMY file (``.json``, ``.csv`` or ``.epw``).

    PVGIS stamps hours in UTC; the year is kept in the location's standard time
    (:func:`standard_time_zone`) so that months, like the local files', end at local
    midnight. The irradiance time offset the file states (hours) sets the interval
    convention; an EPW from PVGIS follows the EPW convention. ``keep_dates`` keeps the file's
    dates (a TMY's months then keep the years they were picked from) and any number of records.
    """
    try:
        data, meta = iotools.read_pvgis_tmy(str(path), map_variables=True)
    except Exception as exc:
        raise WeatherError(f"cannot read PVGIS TMY file {path}: {exc}") from exc
    inputs: dict[str, Any] = (meta.get("inputs") or meta) if isinstance(meta, dict) else {}
    loc: dict[str, Any] = inputs.get("location") or inputs
    lat, lon = float(loc.get("latitude", np.nan)), float(loc.get("longitude", np.nan))
    alt = float(loc.get("elevation", loc.get("altitude", 0.0)) or 0.0)
    data = _clean(data, year=None if keep_dates else 1990, full_year=not keep_dates)
    if np.isfinite(lon):
        data = data.tz_convert(standard_time_zone(lon))
    extra: dict[str, Any] = {}
    if Path(path).suffix.lower() == ".epw":
        interval = _convention(data, "start", EPW_SOURCE)
    else:
        offset = loc.get("irradiance_time_offset", inputs.get("irradiance time offset"))
        extra["irradiance_time_offset_h"] = None if offset is None else float(offset)
        offset_h = PVGIS_DEFAULT_OFFSET_H if offset is None else float(offset)
        interval = _convention(data, "center", PVGIS_SOURCE, offset_h)
    return WeatherYear(
        data,
        lat,
        lon,
        alt,
        "pvgis",
        f"PVGIS TMY {lat:.3f},{lon:.3f} ({Path(path).name})",
        file_sha256(path),
        interval,
        extra,
    )


def read_weather(path: str | Path, *, keep_dates: bool = False) -> WeatherYear:
    """Read an EPW, TMY3 or PVGIS TMY file, telling them apart by content.

    ``keep_dates`` keeps the file's own dates and accepts part of a year: the measured weather
    of a period rather than a typical year.
    """
    p = Path(path)
    if not p.is_file():
        raise WeatherError(f"weather file not found: {p}")
    suffix = p.suffix.lower()
    if suffix == ".json":
        return read_pvgis_tmy(p, keep_dates=keep_dates)
    head = p.read_bytes()[:200].decode("utf-8", errors="replace")
    if suffix == ".epw" or head.startswith("LOCATION,"):
        return read_epw(p, keep_dates=keep_dates)
    if head.startswith("Latitude"):
        return read_pvgis_tmy(p, keep_dates=keep_dates)
    if suffix in (".csv", ".tmy3"):
        return read_tmy3(p, keep_dates=keep_dates)
    raise WeatherError(f"unrecognised weather file {p}: expected EPW, TMY3 or PVGIS TMY")


def fetch_pvgis_tmy(
    latitude: float,
    longitude: float,
    cache_dir: str | Path,
    *,
    timeout: float = 30.0,
    url: str = PVGIS_URL,
    client: httpx.Client | None = None,
) -> WeatherYear:
    """Fetch a PVGIS TMY for a location (JSON, via httpx) and cache it; read the cache if present.

    Raises
    ------
    WeatherError
        When the year is not cached and PVGIS cannot be reached (offline) or refuses.
    """
    cache = Path(cache_dir) / f"pvgis_tmy_{latitude:.4f}_{longitude:.4f}.json"
    if not cache.is_file():
        params: dict[str, str | float] = {"lat": latitude, "lon": longitude, "outputformat": "json"}
        try:
            if client is None:
                with httpx.Client(timeout=timeout) as own:
                    res = own.get(url, params=params)
            else:
                res = client.get(url, params=params)
        except httpx.HTTPError as exc:
            raise WeatherError(
                f"cannot reach PVGIS at {url} (offline?): {exc}; "
                "use the embedded default year or --weather FILE"
            ) from exc
        if res.status_code != 200:
            raise WeatherError(f"PVGIS refused the request ({res.status_code}): {res.text[:200]}")
        try:
            json.loads(res.content)
        except ValueError as exc:
            raise WeatherError("PVGIS answered with something that is not JSON") from exc
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(".part")
        tmp.write_bytes(res.content)
        tmp.replace(cache)
    return read_pvgis_tmy(cache)
