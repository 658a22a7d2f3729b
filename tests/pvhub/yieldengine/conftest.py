from pathlib import Path

import pvlib
import pytest

from pvhub.yieldengine import WeatherYear, default_weather

PVLIB_DATA = Path(pvlib.__file__).parent / "data"


@pytest.fixture(scope="session")
def shanghai() -> WeatherYear:
    return default_weather()


@pytest.fixture(scope="session")
def tmy3_path() -> Path:
    return PVLIB_DATA / "723170TYA.CSV"
