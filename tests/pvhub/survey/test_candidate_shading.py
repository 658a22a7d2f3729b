"""Building shade on the survey's candidates: sample points where the candidates are, and a low building
whose south wall faces a tall tower losing most on its lowest storeys (real rays, real engine)."""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import numpy as np
import pytest

from gis.candidates import derive_candidates
from gis.stock import Stock
from gis.stock_files import read_stock_file
from pvhub.demo.city import generate_city
from pvhub.survey.candidate_shading import (
    BAND_MAX_POINTS,
    ROOF_MAX_POINTS,
    candidate_points,
    shade_candidates,
)
from pvhub.survey.screen import ScreenedCandidate, survey
from tests.pvhub.survey.tower_stock import write_stock


@pytest.fixture(scope="module")
def tower_stock(tmp_path_factory: pytest.TempPathFactory) -> Stock:
    return read_stock_file(
        write_stock(tmp_path_factory.mktemp("shade") / "tower.geojson"), name="tower.geojson"
    )


@pytest.fixture(scope="module")
def shaded(tower_stock: Stock) -> list[ScreenedCandidate]:
    return survey(tower_stock, min_kwh_per_kwp=0.0).candidates


def south_bands(cands: list[ScreenedCandidate], building: str) -> list[ScreenedCandidate]:
    """The building's south-facing wall bands (true azimuth within 10° of 180), bottom first."""
    found = [
        s
        for s in cands
        if s.candidate.building == building
        and s.candidate.kind == "curtain_wall"
        and abs(s.candidate.azimuth - 180.0) < 10.0
    ]
    return sorted(found, key=lambda s: s.candidate.z_m)


def test_the_wall_facing_the_tower_loses_most_at_its_foot_and_its_twin_loses_nothing(
    shaded: list[ScreenedCandidate],
) -> None:
    low, twin = south_bands(shaded, "low"), south_bands(shaded, "twin")
    assert len(low) == len(twin) == 10  # ten storeys of 3 m
    losses = [s.shading_loss for s in low]
    twin_losses = [s.shading_loss for s in twin]
    assert all(v is not None for v in losses + twin_losses)
    lo = [float(v) for v in losses if v is not None]
    free = [float(v) for v in twin_losses if v is not None]
    # the ground storey loses the most, each storey above loses less, the top one still more than the
    # twin's, which loses nothing (its own building stands behind its wall)
    assert lo[0] > 0.2 and lo[0] > lo[-1] + 0.08
    assert all(a >= b - 0.005 for a, b in itertools.pairwise(lo))
    assert max(free) < 0.01 and lo[-1] > max(free) + 0.1
    for s in low:
        assert s.kwh_per_kwp < s.kwh_per_kwp_unshaded
        assert s.kwh_per_kwp == pytest.approx(
            s.kwh_per_kwp_unshaded * (1 - float(s.shading_loss or 0)), rel=1e-3
        )
    # the tower blocks a large share of the sky in front of the wall: the sky view drops below the twin's
    assert low[0].sky_view_factor is not None and twin[0].sky_view_factor is not None
    assert low[0].sky_view_factor < twin[0].sky_view_factor - 0.1
    assert twin[0].sky_view_factor == pytest.approx(0.5, abs=0.02)  # (1 + cos 90°) / 2, nothing around


def test_every_candidate_has_a_loss_within_0_and_1_and_a_sky_view_within_its_tilt_bound(
    shaded: list[ScreenedCandidate],
) -> None:
    assert shaded
    for s in shaded:
        assert s.shading_loss is not None and 0.0 <= s.shading_loss <= 1.0, s.candidate.id
        assert s.sky_view_factor is not None
        bound = (1.0 + math.cos(math.radians(s.candidate.tilt))) / 2.0
        assert 0.0 <= s.sky_view_factor <= bound + 1e-6, s.candidate.id


def test_the_survey_without_shading_leaves_the_fields_empty(tower_stock: Stock) -> None:
    plain = survey(tower_stock, min_kwh_per_kwp=0.0, shading=False)
    assert all(s.shading_loss is None and s.sky_view_factor is None for s in plain.candidates)
    assert all(s.kwh_per_kwp == s.kwh_per_kwp_unshaded for s in plain.candidates)
    assert isinstance(plain.provenance["shading"], str)


def test_the_provenance_says_how_the_shade_was_computed(tower_stock: Stock) -> None:
    result = survey(tower_stock, min_kwh_per_kwp=0.0, radius_m=500.0, mismatch="martinez")
    shading = result.provenance["shading"]
    assert shading["radius_m"] == 500.0 and shading["step_deg"] == 2.0
    assert shading["mismatch"] == "martinez" and "Embree" in shading["method"]
    assert shading["points"] >= len(result.candidates)


def test_sample_points_lie_on_their_candidates(tower_stock: Stock) -> None:
    cands = derive_candidates(tower_stock).candidates
    points = candidate_points(tower_stock, cands)
    counts = np.bincount(points.surface, minlength=len(cands))
    assert counts.min() >= 1
    for i, c in enumerate(cands):
        xyz = points.xyz[points.surface == i]
        if c.band_m is None:  # a flat roof: its points at the roof's height, lifted off it
            assert counts[i] <= ROOF_MAX_POINTS
            assert np.allclose(xyz[:, 2], c.centroid[2], atol=0.1)
        else:  # a band: its points within the band's heights, within a few cm of the wall's plane
            assert counts[i] <= BAND_MAX_POINTS
            assert np.all((xyz[:, 2] >= c.band_m[0] - 1e-6) & (xyz[:, 2] <= c.band_m[1] + 1e-6))
            normal = points.normal[points.surface == i]
            off = (xyz[:, :2] - np.array(c.centroid[:2])) @ normal[0, :2]
            assert np.all(np.abs(off) < 0.2) and abs(normal[0, 2]) < 1e-9


def test_every_candidate_of_a_generated_city_finds_its_face_and_gets_a_profile(tmp_path: Path) -> None:
    path = tmp_path / "city.geojson"
    # towers, podium parts (a building of several features), a walkway
    path.write_text(json.dumps(generate_city(40, seed=3)), encoding="utf-8")
    city = read_stock_file(path, name=path.name)
    cands = derive_candidates(city).candidates
    assert {c.kind for c in cands} >= {"roof", "curtain_wall"}
    shares: list[float] = []
    shade = shade_candidates(city, cands, radius_m=300.0, progress=shares.append)
    profile = shade.profile
    assert profile.horizon.shape == (shade.points, 180) and profile.horizon.dtype == np.float32
    assert np.array_equal(np.unique(profile.surface), np.arange(len(cands)))
    assert profile.sky_view.shape == (shade.points,)
    assert np.all((profile.horizon >= -90.0) & (profile.horizon <= 90.0))
    assert shares and shares[-1] == 1.0 and shares == sorted(shares)
    assert set(shade.timings) >= {"scene_s", "sampling_s", "rays_s"} and shade.triangles > 0


def test_no_ray_is_cast_for_a_candidate_under_the_minimum_even_unshaded(tower_stock: Stock) -> None:
    result = survey(tower_stock)  # the default minimum, 600 kWh/kWp
    assert result.shade is not None
    shaded_ids = {c.id for c in result.shade.candidates}
    plain = survey(tower_stock, min_kwh_per_kwp=0.0, shading=False)
    worth = {s.candidate.id for s in plain.candidates if s.kwh_per_kwp_unshaded >= 600.0}
    assert shaded_ids == worth and len(worth) < len(plain.candidates)  # east and west walls: no rays
    assert result.provenance["shading"]["points"] == result.shade.points
    assert all(s.kwh_per_kwp >= 600.0 for s in result.candidates)


def test_a_minimum_nothing_reaches_casts_no_ray(tower_stock: Stock) -> None:
    result = survey(tower_stock, min_kwh_per_kwp=1500.0)  # no surface in Shanghai yields that much
    assert result.candidates == [] and result.shade is not None and result.shade.points == 0
    assert any("under the minimum 1500 kWh/kWp" in s.reason for s in result.skipped)
