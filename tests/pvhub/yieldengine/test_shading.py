"""Building shade in the yield engine: per-point horizons applied hour by hour.

Horizons are made by hand here (numpy): an unobstructed point's horizon is its own plane's,
the elevation below which the tilted plane hides the sky at each azimuth bin's centre.
"""

from typing import Any

import numpy as np
import pvlib
import pytest

from gis.shading import plane_horizon as gis_plane_horizon
from gis.shading import sky_view_factor as gis_sky_view_factor
from pvhub.yieldengine import (
    DEFAULT_ASSUMPTIONS,
    EstimateResult,
    ShadeProfile,
    estimate,
    prepare_sky,
    shaded_hours_by_month,
)

STEP = 2.0
AZ = np.arange(180) * STEP  # bin centres, true azimuth


def plane_horizon(tilt: float, azimuth: float) -> np.ndarray:
    """Elevation [deg] below which a plane of this tilt/azimuth hides the sky, per bin centre (>= 0)."""
    b = np.radians(tilt)
    el = np.degrees(np.arctan2(-np.sin(b) * np.cos(np.radians(AZ - azimuth)), np.cos(b)))
    return np.round(np.maximum(el, 0.0), 9).astype(np.float32)


def bare_svf(tilt: float) -> float:
    return 0.5 * (1 + np.cos(np.radians(tilt)))


def profile(tilts, azimuths, points=3, tower=None, svf_scale=1.0, only=None) -> ShadeProfile:
    """``points`` sample points per surface with their plane horizon, raised to ``tower``'s elevation in its
    azimuth range for the surfaces (or the points of each surface) ``only`` selects."""
    horizon, surface, svf = [], [], []
    for s, (t, g) in enumerate(zip(tilts, azimuths, strict=True)):
        for p in range(points):
            h = plane_horizon(t, g)
            if tower is not None and (only is None or only(s, p)):
                lo, hi, el = tower
                band = np.abs(AZ - (lo + hi) / 2) <= (hi - lo) / 2
                h[band] = np.maximum(h[band], el)
            horizon.append(h)
            surface.append(s)
            svf.append(
                bare_svf(t) * (svf_scale if tower is not None and (only is None or only(s, p)) else 1.0)
            )
    return ShadeProfile(np.array(horizon, dtype=np.float32), np.array(surface), np.array(svf), STEP)


# walls and roofs, some off the 2-degree grid
KINDS = ["curtain_wall", "curtain_wall", "curtain_wall", "roof", "roof", "corridor"]
TILTS = [90.0, 90.0, 90.0, 22.0, 0.0, 7.5]
AZIMUTHS = [180.0, 97.3, 251.0, 180.0, 0.0, 143.9]


def building_shade(res: EstimateResult) -> dict[str, Any]:
    info = res.provenance["building_shade"]
    assert info is not None
    return info


def run(shanghai, shade=None, **kw):
    return estimate(KINDS, TILTS, AZIMUTHS, [50.0] * 6, weather=shanghai, shade=shade, **kw)


def monthly_ac(poa: Any, effective: Any, sky: Any, a: Any) -> np.ndarray:
    """pvlib's SAPM cell temperature, PVWatts DC (with the kind's losses) and inverter, summed by month
    [kWh per kWp]: the tail of the independent chains below."""
    tp = a.temperature_params
    cell = pvlib.temperature.sapm_cell(poa, sky.temp_air, sky.wind_speed, tp["a"], tp["b"], tp["deltaT"])
    dc = pvlib.pvsystem.pvwatts_dc(effective, cell, 1000.0, a.gamma_pdc) * (1 - a.losses_pct / 100)
    ac = pvlib.inverter.pvwatts(dc, 1000.0 / a.dc_ac_ratio / a.eta_inv_nom, a.eta_inv_nom)
    return np.asarray(ac) @ sky.month_weights / 1000


def test_an_unobstructed_profile_gives_the_unshaded_engine(shanghai):
    bare = profile(TILTS, AZIMUTHS)
    plain = run(shanghai, method="exact")
    exact = run(shanghai, bare, method="exact")
    assert exact.annual_kwh == pytest.approx(plain.annual_kwh, rel=1e-6)
    assert exact.monthly_kwh == pytest.approx(plain.monthly_kwh, rel=1e-6)
    assert np.abs(exact.shading_loss).max() < 1e-6
    table = run(shanghai, bare, method="table")
    assert np.abs(table.shading_loss).max() < 1e-5
    assert table.sky_view_factor == pytest.approx([bare_svf(t) for t in TILTS])


def test_bare_planes_as_gis_shading_describes_them_give_the_unshaded_engine(shanghai):
    """gis.shading's own plane horizons and numerical sky-view factors (off by ~1e-4 at 2° bins)."""
    tilt, azimuth = np.repeat(TILTS, 3), np.repeat(AZIMUTHS, 3)
    b, g = np.radians(tilt), np.radians(azimuth)
    normal = np.stack([np.sin(b) * np.sin(g), np.sin(b) * np.cos(g), np.cos(b)], axis=1)
    horizon = gis_plane_horizon(normal)
    svf = gis_sky_view_factor(horizon, tilt, azimuth)
    bare = ShadeProfile(horizon.astype(np.float32), np.repeat(np.arange(6), 3), svf, STEP)
    shaded = run(shanghai, bare, method="exact")
    assert shaded.annual_kwh == pytest.approx(run(shanghai, method="exact").annual_kwh, rel=1e-6)
    assert shaded.sky_view_factor == pytest.approx([bare_svf(t) for t in TILTS], abs=1e-3)


def test_a_skyline_of_90_degrees_leaves_only_ground_reflected_light(shanghai):
    """Beam, circumsolar, sky and horizon band all hidden: an independent pvlib chain on ground light."""
    tilt, azimuth, a = 90.0, 180.0, DEFAULT_ASSUMPTIONS["curtain_wall"]
    walled = ShadeProfile(np.full((4, 180), 90.0, dtype=np.float32), np.zeros(4, int), np.zeros(4), STEP)
    area = [1000 / a.power_density_w_m2]  # 1 kWp
    res = estimate(["curtain_wall"], [tilt], [azimuth], area, weather=shanghai, shade=walled, method="exact")
    sky = prepare_sky(shanghai)
    poa = pvlib.irradiance.get_ground_diffuse(tilt, sky.ghi, albedo=a.albedo)
    expected = monthly_ac(poa, poa, sky, a)
    # the plane itself decides in the two bins its edges fall in (the sun within 1 degree of grazing):
    # what little light comes from there is within 0.1 %
    assert res.monthly_kwh[0] == pytest.approx(expected, rel=1e-3)
    assert res.shading_loss[0] > 0.8


def test_a_flat_roof_walled_off_to_the_east_loses_its_morning_beam_and_circumsolar(shanghai):
    """Independent chain: pvlib's Perez components, AOI and IAM, the hours the sun stands in the
    walled-off bins (nearest bin, the documented rule) losing beam and circumsolar, then pvlib's
    SAPM, PVWatts DC and inverter."""
    a = DEFAULT_ASSUMPTIONS["roof"]
    horizon = np.where(AZ < 180, 90.0, 0.0).astype(np.float32)  # bins 0..178 degrees: walled off
    walled = ShadeProfile(np.tile(horizon, (3, 1)), np.zeros(3, int), np.ones(3), STEP)
    area = [1000 / a.power_density_w_m2]  # 1 kWp
    res = estimate(["roof"], [0.0], [180.0], area, weather=shanghai, shade=walled, method="exact")
    sky = prepare_sky(shanghai)
    parts = pvlib.irradiance.perez(
        0.0, 180.0, sky.dhi, sky.dni, sky.dni_extra, sky.apparent_zenith, sky.solar_azimuth, sky.airmass,
        return_components=True,
    )  # fmt: skip
    aoi = pvlib.irradiance.aoi(0.0, 180.0, sky.apparent_zenith, sky.solar_azimuth)
    beam = sky.dni * np.maximum(np.cos(np.radians(aoi)), 0.0)
    hidden = (np.rint(sky.solar_azimuth / STEP) % 180) < 90
    kept = np.where(hidden, 0.0, 1.0)
    ground = pvlib.irradiance.get_ground_diffuse(0.0, sky.ghi, albedo=a.albedo)
    diffuse = np.nan_to_num(parts["poa_sky_diffuse"] - parts["poa_circumsolar"] * (1 - kept)) + ground
    poa = beam * kept + diffuse
    effective = beam * kept * np.nan_to_num(pvlib.iam.physical(aoi)) + diffuse
    expected = monthly_ac(poa, effective, sky, a)
    assert res.monthly_kwh[0] == pytest.approx(expected, rel=1e-6)
    assert 0.2 < res.shading_loss[0] < 0.5  # the morning's beam, not the afternoon's nor the sky


def test_a_wall_in_a_deep_canyon_gets_the_isotropic_sky_its_sky_view_factor_says(shanghai):
    """Skyline 90° in front (beam, circumsolar and horizon band gone), sky-view factor 0.2 given:
    pvlib's isotropic Perez component scaled from the bare wall's 0.5 to 0.2, plus ground light."""
    a = DEFAULT_ASSUMPTIONS["curtain_wall"]
    canyon = ShadeProfile(np.full((2, 180), 90.0, np.float32), np.zeros(2, int), np.full(2, 0.2), STEP)
    area = [1000 / a.power_density_w_m2]  # 1 kWp
    res = estimate(["curtain_wall"], [90.0], [180.0], area, weather=shanghai, shade=canyon, method="exact")
    sky = prepare_sky(shanghai)
    parts = pvlib.irradiance.perez(
        90.0, 180.0, sky.dhi, sky.dni, sky.dni_extra, sky.apparent_zenith, sky.solar_azimuth, sky.airmass,
        return_components=True,
    )  # fmt: skip
    isotropic = np.nan_to_num(np.asarray(parts["poa_isotropic"]))  # dhi (1 - F1) (1 + cos 90°) / 2
    poa = isotropic * 0.2 / 0.5 + pvlib.irradiance.get_ground_diffuse(90.0, sky.ghi, albedo=a.albedo)
    expected = monthly_ac(poa, poa, sky, a)
    # the plane decides in the bins of its own edges (the sun grazing it): within 0.1 %
    assert res.monthly_kwh[0] == pytest.approx(expected, rel=1e-3)
    assert res.sky_view_factor[0] == pytest.approx(0.2)


def test_a_tower_in_front_of_a_south_wall_takes_more_winter_than_summer_sun(shanghai):
    tower = (150.0, 210.0, 40.0)  # a block of skyline 40 degrees high over the south
    plain = estimate(["curtain_wall"], [90], [180], [50], weather=shanghai, method="exact")
    shaded = estimate(
        ["curtain_wall"], [90], [180], [50], weather=shanghai, method="exact",
        shade=profile([90.0], [180.0], tower=tower, svf_scale=0.8),
    )  # fmt: skip
    loss = 1 - shaded.monthly_kwh[0] / plain.monthly_kwh[0]
    assert loss[11] > 0.3 and loss[0] > 0.3  # December, January: the noon sun is below 40 degrees
    assert loss[11] > loss[5] + 0.15  # June: the sun passes the south above the tower
    assert 0 < shaded.shading_loss[0] < 1
    assert shaded.sky_view_factor[0] == pytest.approx(0.4)


def test_martinez_mismatch_loses_more_than_irradiance_for_a_partly_shaded_surface(shanghai):
    half = profile(
        [90.0, 22.0], [180.0, 180.0], points=4, tower=(130.0, 230.0, 45.0), only=lambda s, p: p < 2
    )
    irr = estimate(["curtain_wall", "roof"], [90, 22], [180, 180], [50, 50], shade=half, method="exact")
    mm = estimate(
        ["curtain_wall", "roof"],
        [90, 22],
        [180, 180],
        [50, 50],
        shade=half,
        method="exact",
        mismatch="martinez",
    )
    assert np.all(mm.shading_loss > irr.shading_loss + 0.01)
    assert building_shade(mm)["mismatch"] == "martinez"
    # fully shaded or not at all, the blocks make no difference
    whole = profile([90.0], [180.0], points=4, tower=(130.0, 230.0, 45.0))
    a = estimate(["curtain_wall"], [90], [180], [50], shade=whole, method="exact")
    b = estimate(["curtain_wall"], [90], [180], [50], shade=whole, method="exact", mismatch="martinez")
    assert b.annual_kwh == pytest.approx(a.annual_kwh, rel=1e-9)


def towered(tilt, azimuth, rng, points) -> ShadeProfile:
    """Each surface's points (``points[s]`` of them) with three random towers in their skylines."""
    horizon, surface, svf = [], [], []
    for s in range(len(tilt)):
        for _ in range(points[s]):
            h = plane_horizon(tilt[s], azimuth[s])
            for _tower in range(3):  # towers of random width, height and bearing around each point
                c, w, el = rng.uniform(0, 360), rng.uniform(10, 60), rng.uniform(10, 60)
                band = np.abs((AZ - c + 180) % 360 - 180) <= w / 2
                h[band] = np.maximum(h[band], el)
            horizon.append(h)
            surface.append(s)
            svf.append(bare_svf(tilt[s]) * rng.uniform(0.5, 0.9))
    return ShadeProfile(np.array(horizon, np.float32), np.array(surface), np.array(svf), STEP)


def mixed_surfaces(n, rng):
    kinds = np.where(np.arange(n) % 2, "roof", "curtain_wall")
    tilt = np.where(kinds == "roof", rng.uniform(0, 35, n), 90.0)
    return kinds, tilt, rng.uniform(0, 360, n)


@pytest.mark.parametrize("mismatch", ["irradiance", "martinez"])
def test_the_table_path_agrees_with_the_exact_chain_within_2_percent(shanghai, mismatch):
    rng = np.random.default_rng(7)
    n = 24
    kinds, tilt, azimuth = mixed_surfaces(n, rng)
    shade = towered(tilt, azimuth, rng, rng.integers(1, 7, n))  # 1 to 6 points per surface
    kw = dict(weather=shanghai, shade=shade, mismatch=mismatch)
    exact = estimate(kinds, tilt, azimuth, [50.0] * n, method="exact", **kw)
    table = estimate(kinds, tilt, azimuth, [50.0] * n, method="table", **kw)
    assert exact.shading_loss.min() > 0.05  # really shaded
    assert np.abs(table.annual_kwh / exact.annual_kwh - 1).max() < 0.02
    assert np.abs(table.shading_loss - exact.shading_loss).max() < 0.02
    assert "table" in building_shade(table)["method"]
    assert "exact" in building_shade(exact)["method"]


def test_provenance_says_how_building_shade_was_applied(shanghai):
    shade = profile([90.0], [180.0], points=5, tower=(150.0, 210.0, 40.0))
    res = estimate(["curtain_wall", "roof"], [90, 22], [180, 180], [50, 50], weather=shanghai, shade=shade)
    assert res.provenance["building_shade"] == {
        "method": "exact hourly chain per surface",
        "mismatch": "irradiance",
        "surfaces": 1,
        "points": 5,
        "step_deg": 2.0,
    }
    # the surface without points: no building shade, NaN loss and sky view
    assert np.isnan(res.shading_loss[1]) and np.isnan(res.sky_view_factor[1])
    plain = estimate(["roof"], [22], [180], [50], weather=shanghai)
    assert res.annual_kwh[1] == pytest.approx(plain.annual_kwh[0], rel=1e-9)
    assert plain.provenance["building_shade"] is None
    assert plain.shading_loss.shape == (1,) and np.isnan(plain.shading_loss[0])


def test_the_manual_shading_loss_applies_on_top_of_building_shade(shanghai):
    shade = profile([90.0], [180.0], tower=(150.0, 210.0, 40.0))
    a = estimate(["curtain_wall"], [90], [180], [50], 0.0, weather=shanghai, shade=shade)
    b = estimate(["curtain_wall"], [90], [180], [50], 0.1, weather=shanghai, shade=shade)
    assert b.annual_kwh[0] == pytest.approx(0.9 * a.annual_kwh[0])
    assert b.shading_loss[0] == pytest.approx(a.shading_loss[0])


def test_the_site_horizon_still_applies_together_with_a_profile(shanghai):
    hill = ([0, 90, 180, 270], [25, 25, 25, 25])
    kw = dict(weather=shanghai, site=["s"], method="exact")
    terrain = estimate(["curtain_wall"], [90], [180], [50], horizons={"s": hill}, **kw)
    bare = estimate(
        ["curtain_wall"], [90], [180], [50], horizons={"s": hill}, shade=profile([90.0], [180.0]), **kw
    )
    assert bare.annual_kwh == pytest.approx(terrain.annual_kwh, rel=1e-6)  # buildings add nothing
    tower = profile([90.0], [180.0], tower=(150.0, 210.0, 40.0))
    both = estimate(["curtain_wall"], [90], [180], [50], horizons={"s": hill}, shade=tower, **kw)
    towers_only = estimate(["curtain_wall"], [90], [180], [50], shade=tower, **kw)
    assert both.annual_kwh[0] < min(terrain.annual_kwh[0], towers_only.annual_kwh[0])
    # the building loss is measured against the same surface with its terrain
    assert both.shading_loss[0] == pytest.approx(1 - both.annual_kwh[0] / terrain.annual_kwh[0], rel=1e-9)
    assert "site horizon" in both.provenance["method"]


def test_shaded_hours_by_month_counts_sunshine_hours_lost(shanghai):
    sky = prepare_sky(shanghai)
    sunny = (sky.dni > 0) & (sky.apparent_elevation > 0)
    sunshine = sky.month_weights[sunny].sum(axis=0)
    full = shaded_hours_by_month(shanghai, np.full((3, 180), 90.0))
    assert full == pytest.approx(sunshine)
    assert sunshine.sum() > 3000
    assert shaded_hours_by_month(shanghai, np.zeros((3, 180))) == pytest.approx(np.zeros(12))
    # one of two points behind a full wall: half the hours
    half = shaded_hours_by_month(shanghai, np.vstack([np.zeros(180), np.full(180, 90.0)]))
    assert half == pytest.approx(sunshine / 2)
    # a south wall's own plane hides the northern sky: summer mornings and evenings are lost
    wall = shaded_hours_by_month(shanghai, plane_horizon(90.0, 180.0)[None])
    assert wall[5] > wall[11] and wall[11] < 1.0


def test_a_profile_that_does_not_fit_is_refused_with_the_point_and_field(shanghai):
    good = profile([90.0], [180.0])
    bad_surface = ShadeProfile(good.horizon, good.surface + np.array([0, 0, 5]), good.sky_view)
    with pytest.raises(ValueError, match="point 2: surface"):
        estimate(["curtain_wall"], [90], [180], [50], shade=bad_surface)
    bad_svf = ShadeProfile(good.horizon, good.surface, np.array([0.5, 1.5, 0.5]))
    with pytest.raises(ValueError, match="point 1: sky_view"):
        estimate(["curtain_wall"], [90], [180], [50], shade=bad_svf)
    with pytest.raises(ValueError, match=r"\(points, 180\)"):
        estimate(
            ["curtain_wall"],
            [90],
            [180],
            [50],
            shade=ShadeProfile(good.horizon[:, :90], good.surface, good.sky_view),
        )
    with pytest.raises(ValueError, match="mismatch"):
        estimate(["curtain_wall"], [90], [180], [50], shade=good, mismatch="bypass")  # type: ignore[arg-type]


@pytest.mark.parametrize("method", ["exact", "table"])
def test_surfaces_estimated_together_get_what_each_gets_alone(shanghai, method):
    """Blocks, the ordering by point count and orientation, and the facing hours change nothing."""
    rng = np.random.default_rng(11)
    n = 9
    kinds, tilt, azimuth = mixed_surfaces(n, rng)
    counts = rng.integers(1, 6, n)
    shade = towered(tilt, azimuth, rng, counts)
    together = estimate(kinds, tilt, azimuth, [50.0] * n, weather=shanghai, shade=shade, method=method)
    for s in range(n):
        mine = shade.surface == s
        alone = ShadeProfile(shade.horizon[mine], np.zeros(counts[s], int), shade.sky_view[mine], STEP)
        one = estimate(kinds[s : s + 1], tilt[s : s + 1], azimuth[s : s + 1], [50.0], weather=shanghai,
                       shade=alone, method=method)  # fmt: skip
        assert one.annual_kwh[0] == pytest.approx(together.annual_kwh[s], rel=1e-6)
        assert one.shading_loss[0] == pytest.approx(together.shading_loss[s], rel=1e-6)
        assert one.sky_view_factor[0] == pytest.approx(shade.sky_view[mine].mean())


def test_the_table_path_keeps_the_site_horizon(shanghai):
    rng = np.random.default_rng(3)
    n = 6
    kinds, tilt, azimuth = mixed_surfaces(n, rng)
    shade = towered(tilt, azimuth, rng, [3] * n)
    kw = dict(
        weather=shanghai, shade=shade, site=["s"] * n, horizons={"s": ([0, 90, 180, 270], [20, 20, 20, 20])}
    )
    exact = estimate(kinds, tilt, azimuth, [50.0] * n, method="exact", **kw)
    table = estimate(kinds, tilt, azimuth, [50.0] * n, method="table", **kw)
    assert np.abs(table.annual_kwh / exact.annual_kwh - 1).max() < 0.02
    no_hill = estimate(kinds, tilt, azimuth, [50.0] * n, weather=shanghai, shade=shade, method="table")
    assert np.all(table.annual_kwh < no_hill.annual_kwh)


def test_many_surfaces_in_several_blocks_get_what_each_gets_alone(shanghai):
    """500 surfaces of 4 points fill more than one block of the table path (8 M hour-point cells)."""
    rng = np.random.default_rng(5)
    n = 500
    kinds, tilt, azimuth = mixed_surfaces(n, rng)
    horizon = np.repeat(
        np.stack([plane_horizon(t, g) for t, g in zip(tilt, azimuth, strict=True)]), 4, axis=0
    )
    towers = rng.uniform(0, 50, (n * 4, 1)) * (
        np.abs((AZ - rng.uniform(0, 360, (n * 4, 1)) + 180) % 360 - 180) < 20
    )
    horizon = np.maximum(horizon, towers).astype(np.float32)
    svf = np.repeat([bare_svf(t) for t in tilt], 4) * 0.8
    shade = ShadeProfile(horizon, np.repeat(np.arange(n), 4), svf, STEP)
    # method="table" for both: "auto" would take the unshaded yield of 500 orientations exactly
    together = estimate(kinds, tilt, azimuth, [50.0] * n, weather=shanghai, shade=shade, method="table")
    assert "table" in building_shade(together)["method"]
    for s in rng.choice(n, 8, replace=False):
        mine = shade.surface == s
        alone = ShadeProfile(shade.horizon[mine], np.zeros(4, int), shade.sky_view[mine], STEP)
        one = estimate(kinds[s : s + 1], tilt[s : s + 1], azimuth[s : s + 1], [50.0], weather=shanghai,
                       shade=alone, method="table")  # fmt: skip
        assert one.annual_kwh[0] == pytest.approx(together.annual_kwh[s], rel=1e-6)


def test_an_empty_profile_shades_nothing(shanghai):
    empty = ShadeProfile(np.zeros((0, 180), np.float32), np.zeros(0, int), np.zeros(0), STEP)
    res = estimate(["roof"], [22], [180], [50], weather=shanghai, shade=empty)
    plain = estimate(["roof"], [22], [180], [50], weather=shanghai)
    assert res.annual_kwh == pytest.approx(plain.annual_kwh, rel=1e-12)
    assert building_shade(res)["surfaces"] == 0 and np.isnan(res.shading_loss[0])
