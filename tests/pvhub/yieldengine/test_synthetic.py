"""The embedded default year works offline and looks like Shanghai."""

import numpy as np
import pytest

from pvhub.yieldengine import prepare_sky, synthetic_year
from pvhub.yieldengine.synthetic import SHANGHAI_GHI_KWH_M2, SHANGHAI_TEMP_C


def test_monthly_ghi_totals_and_temperatures_match_the_normals(shanghai):
    d = shanghai.data
    ghi = d["ghi"].groupby(d.index.month).sum().to_numpy() / 1000
    assert ghi == pytest.approx(SHANGHAI_GHI_KWH_M2, abs=1e-6)
    temp = d["temp_air"].groupby(d.index.month).mean().to_numpy()
    assert temp == pytest.approx(SHANGHAI_TEMP_C, abs=1e-6)


def test_the_diffuse_share_is_near_shanghais(shanghai):
    d = shanghai.data
    assert 0.5 <= d["dhi"].sum() / d["ghi"].sum() <= 0.6


def test_days_mix_clear_and_overcast_rather_than_uniform_haze(shanghai):
    daily = shanghai.data["ghi"].resample("D").sum()
    ratio = (daily / daily.rolling(31, center=True, min_periods=1).mean()).to_numpy()
    assert (ratio > 1.3).mean() > 0.15 and (ratio < 0.5).mean() > 0.15
    assert np.all(daily.to_numpy() >= 0)


def test_the_year_is_deterministic_and_labelled_synthetic(shanghai):
    again = synthetic_year()
    assert again.sha256 == shanghai.sha256
    assert shanghai.source == "synthetic" and shanghai.describe()["synthetic"] is True


def test_the_year_lights_an_hour_only_where_the_engine_puts_the_sun_above_the_horizon(shanghai):
    # each hour's clear sky is taken at the middle of its sunlit part, where the engine puts the sun
    assert shanghai.interval.label == "center" and shanghai.interval.step_minutes == 60.0
    assert prepare_sky(shanghai).apparent_elevation.min() > -0.1
