"""Every estimate says what it used."""

import pvlib

from pvhub.yieldengine import estimate, orientation_report, read_weather
from pvhub.yieldengine.estimate import ENGINE_VERSION


def test_provenance_names_assumptions_weather_hash_pvlib_and_method(shanghai):
    res = estimate(["roof", "curtain_wall"], [22, 90], [180, 180], [10, 10], weather=shanghai)
    p = res.provenance
    assert p["pvlib_version"] == pvlib.__version__
    assert p["weather"]["sha256"] == shanghai.sha256 and p["weather"]["source"] == "synthetic"
    assert p["method"] and p["co2_t_per_mwh"] == 0.42
    kinds = [p["assumption_sets"][i]["kind"] for i in res.assumption_set]
    assert kinds == ["roof", "curtain_wall"]
    wall = p["assumption_sets"][res.assumption_set[1]]
    assert wall["mounting"].startswith("close_mount") and wall["temperature_params"]["a"] < 0


def test_orientation_report_has_exactly_the_cli_shape():
    report = orientation_report(22, 180, kind="roof", losses_pct=10)
    assert list(report) == ["annual_kwh_per_kwp", "monthly_kwh_per_kwp", "assumptions", "weather"]
    assert len(report["monthly_kwh_per_kwp"]) == 12
    assert abs(sum(report["monthly_kwh_per_kwp"]) - report["annual_kwh_per_kwp"]) < 0.1
    assert report["assumptions"]["losses_pct"] == 10
    assert report["weather"]["sha256"]


def test_provenance_says_how_the_weather_labels_its_hours_and_where_the_sun_was_put(tmy3_path, shanghai):
    tmy3 = estimate(["roof"], [22], [180], [10], weather=read_weather(tmy3_path)).provenance
    assert tmy3["engine_version"] == ENGINE_VERSION == "2"  # 2: the sun in the middle of each interval
    interval = tmy3["weather"]["interval"]
    assert interval["label"] == "end" and interval["step_minutes"] == 60.0
    assert "NREL/TP-581-43156" in interval["source"]
    assert "middle of each interval" in interval["sun_position"] and "sunlit part" in interval["sun_position"]
    synthetic = estimate(["roof"], [22], [180], [10], weather=shanghai).provenance["weather"]["interval"]
    assert synthetic["label"] == "center"
