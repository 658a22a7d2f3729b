"""Weather years: one hourly year of irradiance and temperature at one location.

Readers wrap :mod:`pvlib.iotools` for EPW, TMY3 and PVGIS TMY (JSON, CSV or EPW) files
and return a :class:`WeatherYear` with pvlib column names. PVGIS counts azimuth
0 = south in its *inputs*; the columns we keep (irradiance, temperature, wind) carry no
azimuth, and pvhub uses pvlib's 0 = north everywhere, so no angle from a PVGIS file is
ever used unconverted (see :func:`pvgis_to_pvlib_azimuth`).

Timestamps are used as the files label them (TMY3 and EPW mark the end of the hour), which
is what :class:`pvlib.modelchain.ModelChain` does with the same file, so engine and
ModelChain agree; TMY months from different years are put into one year (1990).
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

COLUMNS = ("ghi", "dni", "dhi", "temp_air", "wind_speed")
_QUOTE = '"'
PVGIS_URL = "https://re.jrc.ec.europa.eu/api/tmy"


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
    """

    data: pd.DataFrame
    latitude: float
    longitude: float
    altitude: float
    source: str
    label: str
    sha256: str
    meta: dict[str, Any] = field(default_factory=dict)

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
            "annual_ghi_kwh_m2": round(float(ghi.sum()) / 1000.0, 1),
            "hours": len(self.data),
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


def _clean(data: pd.DataFrame, year: int | None = None) -> pd.DataFrame:
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
    if len(out) < 8760:
        raise WeatherError(f"weather year has {len(out)} hours; need a full year (8760)")
    return out


def read_epw(path: str | Path) -> WeatherYear:
    """Read an EnergyPlus EPW file. EPW marks missing albedo as 0, so albedo is not kept."""
    try:
        data, meta = iotools.read_epw(str(path), coerce_year=1990)
    except Exception as exc:  # pvlib raises assorted errors on malformed files
        raise WeatherError(f"cannot read EPW file {path}: {exc}") from exc
    return WeatherYear(
        _clean(data),
        float(meta["latitude"]),
        float(meta["longitude"]),
        float(meta.get("altitude", 0.0)),
        "epw",
        f"EPW {meta.get('city', '')} ({Path(path).name})".strip(),
        file_sha256(path),
        {k: meta[k] for k in ("city", "country", "TZ") if k in meta},
    )


def read_tmy3(path: str | Path) -> WeatherYear:
    """Read a US TMY3 CSV file."""
    try:
        data, meta = iotools.read_tmy3(str(path), coerce_year=1990, map_variables=True)
    except Exception as exc:
        raise WeatherError(f"cannot read TMY3 file {path}: {exc}") from exc
    return WeatherYear(
        _clean(data),
        float(meta["latitude"]),
        float(meta["longitude"]),
        float(meta.get("altitude", 0.0)),
        "tmy3",
        f"TMY3 {str(meta.get('Name', '')).strip(_QUOTE)} ({Path(path).name})",
        file_sha256(path),
        {k: meta[k] for k in ("USAF", "Name", "State", "TZ") if k in meta},
    )


def read_pvgis_tmy(path: str | Path) -> WeatherYear:
    """Read a PVGIS TMY file (``.json``, ``.csv`` or ``.epw``). Timestamps are UTC."""
    try:
        data, meta = iotools.read_pvgis_tmy(str(path), map_variables=True)
    except Exception as exc:
        raise WeatherError(f"cannot read PVGIS TMY file {path}: {exc}") from exc
    inputs: dict[str, Any] = (meta.get("inputs") or meta) if isinstance(meta, dict) else {}
    loc: dict[str, Any] = inputs.get("location") or inputs
    lat, lon = float(loc.get("latitude", np.nan)), float(loc.get("longitude", np.nan))
    alt = float(loc.get("elevation", loc.get("altitude", 0.0)) or 0.0)
    return WeatherYear(
        _clean(data, year=1990),
        lat,
        lon,
        alt,
        "pvgis",
        f"PVGIS TMY {lat:.3f},{lon:.3f} ({Path(path).name})",
        file_sha256(path),
    )


def read_weather(path: str | Path) -> WeatherYear:
    """Read an EPW, TMY3 or PVGIS TMY file, telling them apart by content."""
    p = Path(path)
    if not p.is_file():
        raise WeatherError(f"weather file not found: {p}")
    suffix = p.suffix.lower()
    if suffix == ".json":
        return read_pvgis_tmy(p)
    head = p.read_bytes()[:200].decode("utf-8", errors="replace")
    if suffix == ".epw" or head.startswith("LOCATION,"):
        return read_epw(p)
    if head.startswith("Latitude"):
        return read_pvgis_tmy(p)
    if suffix in (".csv", ".tmy3"):
        return read_tmy3(p)
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
