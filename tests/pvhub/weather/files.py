"""Real weather files for the tests: pvlib's Greensboro TMY3 year, re-written with pvhub's writers.

Greensboro is 12,000 km from Shanghai; :func:`near_year` moves the same hourly data to Huangpu so a
file passes the distance check, while :func:`greensboro` keeps its true location (a far file).
"""

from __future__ import annotations

from dataclasses import replace
from functools import cache
from pathlib import Path

import pvlib

from pvhub.yieldengine.weather import WeatherYear, read_tmy3
from pvhub.yieldengine.writers import write_epw, write_pvgis_json, write_tmy3

GREENSBORO_TMY3 = Path(pvlib.__file__).parent / "data" / "723170TYA.CSV"
#: A point in Huangpu, 2 km from the district's default location.
NEAR = (31.22, 121.47)


@cache
def greensboro() -> WeatherYear:
    return read_tmy3(GREENSBORO_TMY3)


def near_year() -> WeatherYear:
    """The Greensboro data placed in Shanghai (same hours, same values)."""
    return replace(greensboro(), latitude=NEAR[0], longitude=NEAR[1])


def epw_bytes(tmp: Path, year: WeatherYear | None = None) -> bytes:
    return write_epw(year or near_year(), tmp / "near.epw").read_bytes()


def tmy3_bytes(tmp: Path, year: WeatherYear | None = None) -> bytes:
    return write_tmy3(year or near_year(), tmp / "near.csv").read_bytes()


def pvgis_json_bytes(tmp: Path, year: WeatherYear | None = None) -> bytes:
    return write_pvgis_json(year or near_year(), tmp / "near.json").read_bytes()


def with_epw_value(content: bytes, record: int, field: int, value: str) -> bytes:
    """The EPW with one field of one record (1-based, after the 8 header lines) replaced."""
    lines = content.decode().splitlines(keepends=True)
    fields = lines[7 + record].split(",")
    fields[field] = value
    lines[7 + record] = ",".join(fields)
    return "".join(lines).encode()


#: EPW field numbers (0-based): global horizontal radiation, dry-bulb temperature.
EPW_GHI, EPW_TEMP = 13, 6
