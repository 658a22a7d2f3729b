"""The embedded default weather year: synthetic, built offline from monthly normals.

Hourly clear-sky irradiance (pvlib Ineichen with pvlib's bundled Linke turbidity) is
scaled day by day by a deterministic daily clear-sky index drawn from a bimodal Beta
distribution, so that months mix clear, broken and overcast days rather than uniformly
hazy ones. Each month's GHI is then scaled to match its normal exactly, and GHI is split
into DNI and DHI with the Erbs decomposition. Air temperature follows a diurnal cycle
around the monthly mean whose amplitude grows with the day's clearness.

Each value is the mean of the hour centred on its time stamp (convention ``center``). The
clear sky of an hour is taken where the engine will put the sun for it — the middle of the
hour, or of its sunlit part at sunrise and sunset — times the hour's sunlit share, so the
year and the engine agree on where the sun is.

Estimates made from this year are labelled ``synthetic``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pvlib

from pvhub.yieldengine.intervals import IntervalConvention, sun_times
from pvhub.yieldengine.weather import COLUMNS, WeatherYear, data_sha256

#: Shanghai Longhua (WMO 583670), typical-year monthly GHI totals [kWh/m²], Jan–Dec.
SHANGHAI_GHI_KWH_M2 = (66.1, 66.2, 86.5, 121.2, 127.7, 120.1, 148.3, 156.9, 97.7, 103.5, 76.0, 71.8)
#: Shanghai Longhua monthly mean air temperature [°C], Jan–Dec.
SHANGHAI_TEMP_C = (4.3, 5.5, 8.9, 14.6, 19.9, 24.0, 28.2, 27.7, 23.8, 18.2, 12.2, 7.1)
SHANGHAI_LOCATION = (31.17, 121.43, 4.0)  # Longhua: latitude, longitude [deg], altitude [m]

_YEAR = 1990
_TZ = "Asia/Shanghai"
_SEED = 583670
# a + b of the daily clear-sky index Beta: < 2 gives a U-shaped (bimodal) clear/overcast mix;
# 0.75 gives the annual diffuse fraction of about 0.54 (Longhua: about 0.55)
_BETA_SHAPE = 0.75
INTERVAL = IntervalConvention(
    "center", 60.0, 0.0, "pvhub synthetic year: each value is the mean of the hour centred on its stamp"
)


def _daily_index(rng: np.random.Generator, mean: float, n_days: int) -> np.ndarray:
    """Daily clear-sky indices with the given mean: a bimodal mix of clear and overcast days."""
    m = float(np.clip(mean, 0.1, 0.9))
    draws = rng.beta(m * _BETA_SHAPE, (1 - m) * _BETA_SHAPE, n_days)
    return 0.05 + 0.95 * draws


def synthetic_year(
    monthly_ghi_kwh_m2: tuple[float, ...] = SHANGHAI_GHI_KWH_M2,
    monthly_temp_c: tuple[float, ...] = SHANGHAI_TEMP_C,
    *,
    latitude: float = SHANGHAI_LOCATION[0],
    longitude: float = SHANGHAI_LOCATION[1],
    altitude: float = SHANGHAI_LOCATION[2],
    tz: str = _TZ,
    label: str = "Shanghai Longhua (WMO 583670) monthly normals",
    seed: int = _SEED,
) -> WeatherYear:
    """Build a deterministic synthetic hourly year matching 12 monthly normals.

    Parameters
    ----------
    monthly_ghi_kwh_m2 : 12 floats
        Monthly global horizontal irradiation totals [kWh/m²]; matched exactly.
    monthly_temp_c : 12 floats
        Monthly mean air temperature [°C]; matched exactly.
    latitude, longitude, altitude : float
        Location [degrees, degrees, m].
    """
    if len(monthly_ghi_kwh_m2) != 12 or len(monthly_temp_c) != 12:
        raise ValueError("need 12 monthly GHI and 12 monthly temperature normals")
    times = pd.date_range(f"{_YEAR}-01-01 00:30", periods=8760, freq="h", tz=tz)
    loc = pvlib.location.Location(latitude, longitude, tz, altitude)
    sun, sunlit = sun_times(times, INTERVAL, latitude, longitude)
    solpos = loc.get_solarposition(sun)
    cs = loc.get_clearsky(sun, model="ineichen", solar_position=solpos)
    cs_ghi = cs["ghi"].to_numpy() * sunlit
    months = times.month.to_numpy() - 1
    day_of_year = times.day_of_year.to_numpy() - 1
    rng = np.random.default_rng(seed)

    kc_day = np.empty(365)
    for m in range(12):
        days = np.unique(day_of_year[months == m])
        cs_daily = np.bincount(day_of_year[months == m], cs_ghi[months == m], minlength=365)[days]
        target = monthly_ghi_kwh_m2[m] * 1000.0 / cs_daily.sum()
        k = _daily_index(rng, target, len(days))
        for _ in range(20):  # rescale towards the month's mean while keeping every day physical
            k = np.clip(k * target * cs_daily.sum() / (k * cs_daily).sum(), 0.03, 1.0)
        kc_day[days] = k

    ghi = cs_ghi * kc_day[day_of_year]
    for m in range(12):  # exact monthly totals
        sel = months == m
        ghi[sel] *= monthly_ghi_kwh_m2[m] * 1000.0 / ghi[sel].sum()
    parts = pvlib.irradiance.erbs(ghi, solpos["zenith"].to_numpy(), times.day_of_year.to_numpy())
    dni = np.nan_to_num(np.asarray(parts["dni"], dtype=float))
    dhi = np.nan_to_num(np.asarray(parts["dhi"], dtype=float))

    hour = times.hour.to_numpy() + 0.5
    amplitude = 2.0 + 6.0 * kc_day[day_of_year]  # clear days swing more (°C, half of daily range)
    temp = np.asarray(monthly_temp_c)[months] + amplitude * np.cos(2 * np.pi * (hour - 14.5) / 24.0)
    for m in range(12):  # exact monthly means
        sel = months == m
        temp[sel] += monthly_temp_c[m] - temp[sel].mean()
    wind = 2.6 + 0.8 * np.sin(2 * np.pi * (hour - 9.0) / 24.0)

    data = pd.DataFrame(
        {"ghi": ghi, "dni": dni, "dhi": dhi, "temp_air": temp, "wind_speed": wind}, index=times
    )[list(COLUMNS)]
    return WeatherYear(
        data,
        latitude,
        longitude,
        altitude,
        "synthetic",
        f"synthetic: {label}",
        data_sha256(data),
        INTERVAL,
        {"seed": seed, "method": "ineichen+linke at the sunlit midpoint, beta daily kc, erbs"},
    )
