"""The database-free survey: candidates estimated with the real yield engine on the embedded year."""

from __future__ import annotations

from dataclasses import replace

import pytest

from gis.candidates import CandidateRules
from pvhub.survey.screen import SHADING_METHOD, survey, survey_json, totals
from pvhub.yieldengine import default_weather, estimate
from tests.gis.prisms import prism, stock

SLAB = [(0.0, 0.0), (40.0, 0.0), (40.0, 15.0), (0.0, 15.0)]  # walls: south, east, north, west


def test_every_candidate_is_estimated_as_the_engine_estimates_it_alone() -> None:
    result = survey(stock(prism("a", SLAB, 12.0)), min_kwh_per_kwp=0.0, shading=False)
    kinds = {s.candidate.kind for s in result.candidates}
    assert kinds == {"roof", "curtain_wall"}
    south = next(s for s in result.candidates if s.candidate.id == "a/-/1/b0")
    alone = estimate(["curtain_wall"], [90.0], [south.candidate.azimuth], [south.candidate.usable_area_m2])
    assert south.kwp == pytest.approx(float(alone.capacity_kwp[0]))
    assert south.annual_kwh == pytest.approx(float(alone.annual_kwh[0]), rel=2e-3)
    assert south.kwh_per_kwp == south.kwh_per_kwp_unshaded
    assert south.shading_loss is None and south.sky_view_factor is None
    roof = next(s for s in result.candidates if s.candidate.kind == "roof")
    assert roof.kwh_per_kwp > south.kwh_per_kwp  # a flat roof beats a vertical wall in Shanghai
    assert result.provenance["shading"] == SHADING_METHOD
    assert result.provenance["weather"]["synthetic"] is True
    assert result.warnings == []


def test_candidates_under_the_minimum_yield_are_skipped_with_their_figure() -> None:
    result = survey(stock(prism("a", SLAB, 12.0)), min_kwh_per_kwp=600.0)
    kept = {s.candidate.source.faces for s in result.candidates}
    assert (2,) not in kept and (4,) not in kept  # east and west walls: about 505 kWh/kWp
    assert (1,) in kept and (0,) in kept
    east = [s.reason for s in result.skipped if s.source.faces == (2,)]
    assert east and all("under the minimum 600 kWh/kWp" in r for r in east)


def test_totals_add_the_candidates_by_kind() -> None:
    result = survey(
        stock(prism("a", SLAB, 12.0), prism("b", [(x + 100, y) for x, y in SLAB], 30.0, feature=1))
    )
    t = totals(result)
    assert set(t["by_kind"]) == {"roof", "curtain_wall", "corridor", "walkway"}
    walls = [s for s in result.candidates if s.candidate.kind == "curtain_wall"]
    assert t["by_kind"]["curtain_wall"]["count"] == len(walls) > 0
    assert t["by_kind"]["curtain_wall"]["kwp"] == pytest.approx(sum(s.kwp for s in walls), abs=1e-3)
    assert t["kwp"] == pytest.approx(sum(s.kwp for s in result.candidates), abs=1e-2)
    assert t["annual_mwh"] == pytest.approx(sum(s.annual_kwh for s in result.candidates) / 1000, abs=1e-2)


def test_far_buildings_get_a_warning_naming_the_distance() -> None:
    delft = replace(
        default_weather(), latitude=52.01, longitude=4.36
    )  # the Shanghai year, said recorded in Delft
    result = survey(stock(prism("a", SLAB, 12.0)), weather=delft)
    assert len(result.warnings) == 1
    assert "km from where the weather year was recorded (lon 4.3600, lat 52.0100)" in result.warnings[0]
    assert survey(stock(prism("a", SLAB, 12.0))).warnings == []


def test_survey_json_has_the_keys_of_the_command() -> None:
    weather = default_weather()
    result = survey(
        stock(prism("a", SLAB, 12.0)), weather=weather, rules=CandidateRules(band_height_m=6.0), shading=False
    )
    doc = survey_json(result, weather=weather, wall_s=1.23456)
    assert list(doc) == ["buildings", "weather", "candidates", "skipped", "totals", "warnings", "wall_s"]
    assert doc["buildings"] == 1 and doc["wall_s"] == 1.235
    assert doc["weather"] == {"name": weather.label, "sha256": weather.sha256, "synthetic": True}
    row = next(c for c in doc["candidates"] if c["id"] == "a/-/1/b1")
    assert row["source"] == {"object": None, "feature": 0, "faces": [1]}
    lon, lat, z = row["centroid"]  # the file's own coordinates: WGS84 lon, lat and metres
    assert lon == pytest.approx(row["lon"]) and lat == pytest.approx(row["lat"]) and z == pytest.approx(9.0)
    assert row["area_m2"] == pytest.approx(240.0) and row["usable_area_m2"] == pytest.approx(72.0)
    assert row["shading_loss"] is None and row["sky_view_factor"] is None
    assert {"source", "reason"} == set(doc["skipped"][0])


def test_one_call_over_distinct_orientations_gives_what_a_call_over_every_candidate_gives() -> None:
    turned = [(x * 0.8 - y * 0.6, x * 0.6 + y * 0.8) for x, y in SLAB]  # a second street direction
    two = stock(prism("a", SLAB, 30.0), prism("b", turned, 20.0, feature=1))  # overlapping: unshaded here
    result = survey(two, min_kwh_per_kwp=0.0, shading=False)
    cands = [s.candidate for s in result.candidates]
    direct = estimate(
        [c.kind for c in cands],
        [c.tilt for c in cands],
        [c.azimuth for c in cands],
        [c.usable_area_m2 for c in cands],
    )
    assert len({(c.kind, round(c.azimuth, 6)) for c in cands}) < len(cands)
    assert [s.kwp for s in result.candidates] == pytest.approx(direct.capacity_kwp.tolist(), rel=1e-12)
    assert [s.annual_kwh for s in result.candidates] == pytest.approx(direct.annual_kwh.tolist(), rel=1e-9)
