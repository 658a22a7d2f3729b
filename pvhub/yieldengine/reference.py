"""The naive reference: one pvlib ModelChain per surface, with the engine's assumptions.

Slow by design; used by the tests and the benchmark to check the engine's numbers. The
ModelChain is given the weather indexed by the instants the sun is to be computed for
(the engine's: :meth:`~pvhub.yieldengine.weather.WeatherYear.sun_times`, unless ``sun_at``
says otherwise), and its energy is summed by the month of each record's interval.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pvlib

from pvhub.yieldengine.assumptions import KindAssumptions
from pvhub.yieldengine.weather import WeatherYear

_LOSS_NAMES = (
    "shading",
    "snow",
    "mismatch",
    "wiring",
    "connections",
    "lid",
    "nameplate_rating",
    "age",
    "availability",
)


def modelchain_monthly(
    weather: WeatherYear,
    tilt: float,
    azimuth: float,
    assumptions: KindAssumptions,
    sun_at: Any = None,
) -> np.ndarray:
    """Monthly AC energy per kWp from a pvlib ModelChain for one orientation, shape (12,) [kWh/kWp].

    ``sun_at``: a DatetimeIndex, one instant per record, to compute the sun at instead of the
    engine's (e.g. ``weather.data.index``, the file's labels, as pvhub did before engine 2).
    """
    a = assumptions
    location = pvlib.location.Location(weather.latitude, weather.longitude, altitude=weather.altitude)
    # one loss term carries the whole percentage, so pvwatts_losses() returns losses_pct exactly
    losses = {"soiling": a.losses_pct, **dict.fromkeys(_LOSS_NAMES, 0.0)}
    system = pvlib.pvsystem.PVSystem(
        surface_tilt=tilt,
        surface_azimuth=azimuth,
        albedo=a.albedo,
        module_parameters={"pdc0": 1000.0, "gamma_pdc": a.gamma_pdc},
        inverter_parameters={"pdc0": 1000.0 / a.dc_ac_ratio / a.eta_inv_nom, "eta_inv_nom": a.eta_inv_nom},
        temperature_model_parameters=a.temperature_params,
        losses_parameters=losses,
    )
    chain = pvlib.modelchain.ModelChain(
        system,
        location,
        aoi_model=a.iam_model,
        spectral_model="no_loss",
        losses_model="pvwatts",
        transposition_model="perez",
        temperature_model="sapm",
        dc_model="pvwatts",
        ac_model="pvwatts",
    )
    times = weather.sun_times()[0] if sun_at is None else pd.DatetimeIndex(sun_at)
    chain.run_model(weather.data.set_axis(times, axis=0))
    ac = chain.results.ac.clip(lower=0).fillna(0.0).to_numpy() * weather.interval.step_minutes / 60.0
    months = weather.interval_centers().month.to_numpy()
    return np.bincount(months - 1, weights=ac, minlength=12) / 1000.0
