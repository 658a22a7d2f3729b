"""Weather years come from standard files, PVGIS, or the embedded default."""

import json

import httpx
import numpy as np
import pytest

from pvhub.yieldengine import (
    WeatherError,
    estimate,
    fetch_pvgis_tmy,
    orientation_report,
    pvgis_to_pvlib_azimuth,
    read_weather,
)


def _write_epw(path, weather):
    lines = [
        "LOCATION,Shanghai,SH,CHN,synthetic,583670,31.17,121.43,8.0,4.0",
        "DESIGN CONDITIONS,0",
        "TYPICAL/EXTREME PERIODS,0",
        "GROUND TEMPERATURES,0",
        "HOLIDAYS/DAYLIGHT SAVINGS,No,0,0,0",
        "COMMENTS 1,test",
        "COMMENTS 2,test",
        "DATA PERIODS,1,1,Data,Sunday, 1/ 1,12/31",
    ]
    d = weather.data
    for t, row in zip(d.index, d.itertuples(), strict=True):
        end = t + np.timedelta64(30, "m")  # EPW stamps the end of the hour
        fields = [1990, end.month, end.day, end.hour if end.hour else 24, 0, "?"]
        if end.hour == 0:
            prev = end - np.timedelta64(1, "h")
            fields[1:3] = [prev.month, prev.day]
        fields += [
            row.temp_air,
            10.0,
            70,
            101325,
            0,
            0,
            350,
            row.ghi,
            row.dni,
            row.dhi,
            0,
            0,
            0,
            0,
            180,
            row.wind_speed,
            5,
            5,
            10,
            77777,
            9,
            999999999,
            10,
            0.1,
            0,
            88,
            0.0,
            0,
            0,
        ]
        lines.append(",".join(str(f) for f in fields))
    path.write_text("\n".join(lines) + "\n")


def _pvgis_json(weather):
    d = weather.data.tz_convert("UTC")
    hourly = [
        {
            "time(UTC)": t.strftime("2007%m%d:%H%M"),
            "T2m": r.temp_air,
            "RH": 70.0,
            "G(h)": r.ghi,
            "Gb(n)": r.dni,
            "Gd(h)": r.dhi,
            "IR(h)": 350.0,
            "WS10m": r.wind_speed,
            "WD10m": 90.0,
            "SP": 101325.0,
        }
        for t, r in zip(d.index, d.itertuples(), strict=True)
    ]
    return {
        "inputs": {"location": {"latitude": 31.17, "longitude": 121.43, "elevation": 4.0}},
        "meta": {"inputs": {}},
        "outputs": {
            "months_selected": [{"month": m, "year": 2007} for m in range(1, 13)],
            "tmy_hourly": hourly,
        },
    }


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
    path = tmp_path / "shanghai.epw"
    _write_epw(path, shanghai)
    w = read_weather(path)
    assert w.source == "epw" and w.latitude == pytest.approx(31.17)
    assert w.data["ghi"].sum() == pytest.approx(shanghai.data["ghi"].sum(), rel=1e-3)
    a = estimate(["roof"], [22], [180], [100], weather=w).annual_kwh[0]
    b = estimate(["roof"], [22], [180], [100], weather=shanghai).annual_kwh[0]
    assert a == pytest.approx(b, rel=0.02)  # EPW hour labels shift the sun by half an hour


def test_reads_a_pvgis_tmy_json_and_fetches_it_once_into_the_cache(tmp_path, shanghai):
    payload = json.dumps(_pvgis_json(shanghai)).encode()
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
    assert read_weather(next(tmp_path.glob("*.json"))).sha256 == w.sha256


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
