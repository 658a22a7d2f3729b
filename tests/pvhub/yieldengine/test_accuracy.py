"""The fast engine agrees with one pvlib ModelChain per surface (same assumptions)."""

import numpy as np
import pytest

from pvhub.yieldengine import DEFAULT_ASSUMPTIONS, estimate, prepare_sky, specific_yield_exact
from pvhub.yieldengine.reference import modelchain_monthly


@pytest.mark.parametrize("kind", ["roof", "curtain_wall"])
def test_table_interpolation_is_within_half_a_percent_of_modelchain(shanghai, kind):
    rng = np.random.default_rng(7)
    tilt, azimuth = rng.uniform(0, 90, 10), rng.uniform(0, 360, 10)
    res = estimate([kind] * 10, tilt, azimuth, [100] * 10, weather=shanghai, method="table")
    assert "table" in res.provenance["method"]
    a = DEFAULT_ASSUMPTIONS[kind]
    naive = np.array(
        [modelchain_monthly(shanghai, t, z, a).sum() for t, z in zip(tilt, azimuth, strict=True)]
    )
    err = np.abs(res.specific_yield / naive - 1)
    assert err.max() < 0.005


def test_exact_evaluation_matches_modelchain_month_by_month(shanghai):
    a = DEFAULT_ASSUMPTIONS["roof"]
    mine = specific_yield_exact(prepare_sky(shanghai), [33.3], [123.4], a)[0]
    assert mine == pytest.approx(modelchain_monthly(shanghai, 33.3, 123.4, a), rel=1e-5)


def test_estimates_are_deterministic(shanghai):
    rng = np.random.default_rng(3)
    args = (["roof"] * 50, rng.uniform(0, 60, 50), rng.uniform(0, 360, 50), rng.uniform(1, 99, 50))
    one = estimate(*args, weather=shanghai)
    two = estimate(*args, weather=shanghai)
    assert np.array_equal(one.annual_kwh, two.annual_kwh)
    assert np.array_equal(one.monthly_kwh, two.monthly_kwh)
