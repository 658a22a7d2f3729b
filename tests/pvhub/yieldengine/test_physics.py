"""The office can trust the engine's numbers to behave like the sun does."""

import numpy as np
import pytest

from pvhub.yieldengine import estimate, orientation_report


def test_a_south_25_degree_roof_beats_a_vertical_north_wall(shanghai):
    res = estimate(["roof", "curtain_wall"], [25, 90], [180, 0], [100, 100], weather=shanghai)
    assert res.specific_yield[0] > 2 * res.specific_yield[1]
    assert res.annual_kwh[0] > res.annual_kwh[1]


def test_an_east_and_a_west_5_degree_canopy_agree_within_1_percent(shanghai):
    res = estimate(["corridor", "corridor"], [5, 5], [90, 270], [50, 50], weather=shanghai)
    assert abs(res.annual_kwh[0] / res.annual_kwh[1] - 1) < 0.01


def test_zero_usable_area_gives_zero_capacity_and_energy(shanghai):
    res = estimate(["roof"], [22], [180], [0.0], weather=shanghai)
    assert res.capacity_kwp[0] == 0 and res.annual_kwh[0] == 0 and res.co2_t[0] == 0
    assert np.all(res.monthly_kwh[0] == 0)


def test_a_south_22_degree_roof_in_huangpu_yields_1000_to_1100_kwh_per_kwp():
    report = orientation_report(22, 180)
    assert 1000 <= report["annual_kwh_per_kwp"] <= 1100
    assert report["weather"]["synthetic"] is True


def test_losses_pct_replaces_the_default_rather_than_adding_to_it(shanghai):
    default = estimate(["roof"], [22], [180], [100], weather=shanghai)
    none = estimate(["roof"], [22], [180], [100], weather=shanghai, losses_pct=0.0)
    ten = estimate(["roof"], [22], [180], [100], weather=shanghai, losses_pct=10.0)
    assert none.provenance["assumption_sets"][0]["losses_pct"] == 0.0
    # below inverter clipping energy is linear in (1 - losses)
    assert ten.annual_kwh[0] / none.annual_kwh[0] == pytest.approx(0.90, rel=2e-3)
    assert default.annual_kwh[0] / none.annual_kwh[0] == pytest.approx(1 - 0.1408, rel=2e-3)


def test_shading_loss_and_capacity_scale_energy(shanghai):
    res = estimate(["roof"] * 2, [22, 22], [180, 180], [100, 200], [0.0, 0.1], weather=shanghai)
    assert res.capacity_kwp[1] == pytest.approx(2 * res.capacity_kwp[0])
    assert res.annual_kwh[1] == pytest.approx(2 * 0.9 * res.annual_kwh[0])
    assert res.monthly_kwh.sum(axis=1) == pytest.approx(res.annual_kwh)
    assert res.co2_t == pytest.approx(res.annual_kwh / 1000 * 0.42)


def test_overrides_of_power_density_change_capacity_not_specific_yield(shanghai):
    res = estimate(
        ["roof"] * 2, [22, 22], [180, 180], [100, 100], weather=shanghai, power_density_w_m2=[np.nan, 200.0]
    )
    assert res.capacity_kwp.tolist() == pytest.approx([18.0, 20.0])
    assert res.specific_yield[0] == pytest.approx(res.specific_yield[1])


def test_a_horizon_profile_that_hides_the_low_sun_reduces_the_yield(shanghai):
    kw = dict(weather=shanghai, site=["a", "b"])
    hill = ([0, 90, 180, 270], [30, 30, 30, 30])
    res = estimate(["roof"] * 2, [22, 22], [180, 180], [100, 100], horizons={"a": hill}, **kw)
    assert res.annual_kwh[0] < 0.95 * res.annual_kwh[1]
    assert res.provenance["horizon_sites"] == ["a"]


def test_bad_inputs_are_refused(shanghai):
    with pytest.raises(ValueError, match=r"tilt must be within \[0, 90\] degrees"):
        estimate(["roof"], [95], [180], [10], weather=shanghai)
    with pytest.raises(ValueError, match="usable_area_m2 must be >= 0"):
        estimate(["roof"], [20], [180], [-1], weather=shanghai)
    with pytest.raises(ValueError, match="unknown surface kind"):
        estimate(["carport"], [20], [180], [10], weather=shanghai)


def test_the_horizon_mask_blocks_the_sun_below_the_profile():
    from pvhub.yieldengine import horizon_beam_mask

    mask = horizon_beam_mask([90, 180, 270], [5, 20, 5], [0, 180], [10, 10])
    assert mask.tolist() == [0.0, 1.0, 0.0]
