"""Weather years come from standard files, PVGIS, or the embedded default."""

import httpx
import pandas as pd
import pytest

from pvhub.yieldengine import (
    IntervalConvention,
    WeatherError,
    estimate,
    fetch_pvgis_tmy,
    orientation_report,
    pvgis_to_pvlib_azimuth,
    read_weather,
)
from pvhub.yieldengine.weather import PVGIS_DEFAULT_OFFSET_H
from pvhub.yieldengine.writers import write_epw, write_pvgis_csv, write_pvgis_json


def test_reads_pvlibs_bundled_tmy3_file(tmy3_path):
    w = read_weather(tmy3_path)
    assert w.source == "tmy3" and len(w.data) == 8760
    assert w.latitude == pytest.approx(36.1) and "GREENSBORO" in w.label
    assert set(w.data.columns) == {"ghi", "dni", "dhi", "temp_air", "wind_speed"}
    assert len(w.sha256) == 64
    report = orientation_report(30, 180, weather_path=tmy3_path)
    assert 1100 < report["annual_kwh_per_kwp"] < 1600  # Greensboro, NC
    assert report["weather"]["source"] == "tmy3"


def test_reads_an_epw_file(tmp_path, shanghai):
    w = read_weather(write_epw(shanghai, tmp_path / "shanghai.epw"))
    assert w.source == "epw" and w.latitude == pytest.approx(31.17)
    assert w.interval == IntervalConvention("start", 60.0, 0.0, w.interval.source)
    assert w.data["ghi"].sum() == pytest.approx(shanghai.data["ghi"].sum(), rel=1e-12)
    a = estimate(["roof"], [22], [180], [100], weather=w).annual_kwh[0]
    b = estimate(["roof"], [22], [180], [100], weather=shanghai).annual_kwh[0]
    assert a == pytest.approx(b, rel=1e-9)  # the same hours, labelled by their start


def test_reads_a_pvgis_tmy_json_and_fetches_it_once_into_the_cache(tmp_path, shanghai):
    (tmp_path / "written").mkdir()
    payload = write_pvgis_json(shanghai, tmp_path / "written" / "tmy.json").read_bytes()
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url)
        return httpx.Response(200, content=payload)

    client = httpx.Client(transport=httpx.MockTransport(handler))
    w = fetch_pvgis_tmy(31.17, 121.43, tmp_path, client=client)
    again = fetch_pvgis_tmy(31.17, 121.43, tmp_path, client=client)
    assert len(calls) == 1 and again.sha256 == w.sha256
    assert w.source == "pvgis" and w.latitude == pytest.approx(31.17)
    assert w.data["ghi"].sum() == pytest.approx(shanghai.data["ghi"].sum())
    assert read_weather(next(tmp_path.glob("pvgis_*.json"))).sha256 == w.sha256


def test_pvgis_says_when_its_irradiance_belongs_and_pvhub_uses_it(tmp_path, shanghai):
    # a PVGIS-SARAH value stamped 04:00 UTC is the satellite's estimate at 04:10:34 (offset 0.1761 h)
    sarah = read_weather(write_pvgis_csv(shanghai, tmp_path / "sarah.csv", offset_h=0.1761))
    assert sarah.source == "pvgis" and sarah.interval.label == "center"
    assert sarah.interval.offset_minutes == pytest.approx(0.1761 * 60)
    assert sarah.meta["irradiance_time_offset_h"] == 0.1761
    shift = sarah.interval_centers() - sarah.data.index
    assert (shift == pd.Timedelta(minutes=0.1761 * 60)).all()
    assert sarah.describe()["interval"]["offset_minutes"] == pytest.approx(10.566)
    # files from before PVGIS stated the offset: the hour that starts at the stamp
    old = read_weather(write_pvgis_json(shanghai, tmp_path / "old.json", offset_h=None))
    assert old.meta["irradiance_time_offset_h"] is None
    assert old.interval.offset_minutes == PVGIS_DEFAULT_OFFSET_H * 60 == 30.0


def test_fetching_pvgis_offline_fails_clearly(tmp_path):
    def offline(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("no network", request=request)

    client = httpx.Client(transport=httpx.MockTransport(offline))
    with pytest.raises(WeatherError, match="offline"):
        fetch_pvgis_tmy(31.17, 121.43, tmp_path, client=client)


def test_pvgis_azimuths_count_from_south():
    assert pvgis_to_pvlib_azimuth([0, -90, 90, 180]).tolist() == [180, 90, 270, 0]


def test_unknown_or_missing_files_are_refused(tmp_path):
    with pytest.raises(WeatherError, match="not found"):
        read_weather(tmp_path / "nope.epw")
    bad = tmp_path / "x.txt"
    bad.write_text("hello")
    with pytest.raises(WeatherError):
        read_weather(bad)


def test_reads_every_tmy3_year_pvlib_bundles(tmy3_path):
    alaska = read_weather(tmy3_path.with_name("703165TY.csv"))
    assert alaska.source == "tmy3" and len(alaska.data) == 8760 and "SAND POINT" in alaska.label
    assert alaska.latitude == pytest.approx(55.317)
    # a cloudy sub-arctic year yields far less than Greensboro on the same orientation
    sand_point = orientation_report(30, 180, weather=alaska)["annual_kwh_per_kwp"]
    greensboro = orientation_report(30, 180, weather_path=tmy3_path)["annual_kwh_per_kwp"]
    assert 600 < sand_point < 0.7 * greensboro
