"""Vectorised yield engine: pvlib's PVWatts chain for many orientations at once.

The sky (solar position, airmass, extraterrestrial irradiance) is computed once per
weather year, as :class:`pvlib.modelchain.ModelChain` does it but with the sun at the middle
of each record's interval (of its sunlit part at sunrise and sunset; see
:mod:`pvhub.yieldengine.intervals`), and kept for the hours with light. Energy stays in the
interval it was measured in: each record counts for its interval's length, in the month of
the interval's middle. The plane-of-array chain — Perez transposition, beam incidence-angle
modifier, SAPM cell temperature, PVWatts DC, PVWatts system losses, PVWatts inverter — is
then evaluated as 2-D arrays (orientations × hours), one block of orientations at a time.

For many surfaces the engine fills a (tilt, azimuth) table of specific yield
(annual and 12 monthly kWh/kWp) on a 2° grid, lazily and only at the grid nodes the
surfaces need, and interpolates bilinearly; for few distinct orientations it evaluates
them exactly. Either way no Python loop runs over surfaces × hours.

Two shortcuts keep it fast and are checked against ModelChain in the tests: the Perez
coefficients F1, F2 are computed once per hour (with pvlib's private coefficient table,
``pvlib.irradiance._get_perez_coefficients``), and the beam IAM comes from a fine lookup
table of ``pvlib.iam.physical``/``ashrae`` over cos(AOI). Caches (sky per weather hash and
interval convention, tables per sky and yield-relevant assumptions) are per process and not locked:
use one estimate at a time per process, as the job runner does.
"""

from __future__ import annotations

import functools
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import numpy as np
import pvlib

from pvhub.yieldengine.assumptions import KindAssumptions
from pvhub.yieldengine.weather import WeatherYear

DEFAULT_STEP_DEG = 2.0
_BLOCK_CELLS = 1_500_000  # orientations × hours evaluated per block (memory ~ 12 MB per array)
_CACHE_SIZE = 8


@dataclass(frozen=True, eq=False)
class Sky:
    """Per-hour quantities of one weather year, daylight hours only (all arrays shape (H,)).

    ``rows`` are the positions of those hours in the weather data; ``sun_time`` the instants
    the sun was computed for [numpy datetime64, UTC]; angles in degrees, irradiance in W/m²,
    temperature in °C, wind in m/s.
    """

    key: tuple[Any, ...]  # (weather sha256, interval convention, first and last stamp, records)
    rows: np.ndarray
    sun_time: np.ndarray
    apparent_zenith: np.ndarray
    solar_azimuth: np.ndarray
    dni: np.ndarray
    ghi: np.ndarray
    dhi: np.ndarray
    dni_extra: np.ndarray
    airmass: np.ndarray
    temp_air: np.ndarray
    wind_speed: np.ndarray
    month_weights: np.ndarray  # (H, 12): hours of the interval in month m, else 0

    @property
    def weather_sha256(self) -> str:
        return str(self.key[0])

    @property
    def apparent_elevation(self) -> np.ndarray:
        return 90.0 - self.apparent_zenith


_SKY_CACHE: OrderedDict[tuple[Any, ...], Sky] = OrderedDict()


def _remember(cache: OrderedDict[Any, Any], key: Any, value: Any) -> None:
    cache[key] = value
    cache.move_to_end(key)
    while len(cache) > _CACHE_SIZE:
        cache.popitem(last=False)


def prepare_sky(weather: WeatherYear) -> Sky:
    """Solar position, relative airmass and DNI_extra of a weather year's lit hours (cached).

    The sun is computed at :meth:`WeatherYear.sun_times` — the middle of each interval, or of
    its sunlit part at sunrise and sunset — never at the file's label.
    """
    # The same file read as a typical year (one year, 1990) and as a measured period (its own
    # dates) has one SHA-256 but other instants: the dates belong in the key.
    key = (weather.sha256, weather.interval, weather.data.index[0], weather.data.index[-1], len(weather.data))
    if key in _SKY_CACHE:
        return _SKY_CACHE[key]
    data = weather.data
    loc = pvlib.location.Location(weather.latitude, weather.longitude, altitude=weather.altitude)
    times, _ = weather.sun_times()
    # as ModelChain.prepare_inputs: air temperature refines refraction; airmass on apparent zenith
    solpos = loc.get_solarposition(times, temperature=data["temp_air"].to_numpy())
    airmass = loc.get_airmass(solar_position=solpos)["airmass_relative"]
    dni_extra = pvlib.irradiance.get_extra_radiation(times)
    lit = ((data["ghi"] > 0) | (data["dni"] > 0) | (data["dhi"] > 0)).to_numpy()
    step_h = weather.interval.step_minutes / 60.0
    months = weather.interval_centers().month.to_numpy()[lit] - 1
    weights = np.zeros((int(lit.sum()), 12))
    weights[np.arange(len(months)), months] = step_h

    def col(series: Any) -> np.ndarray:
        return np.ascontiguousarray(np.asarray(series, dtype=float)[lit])

    sky = Sky(
        key,
        np.flatnonzero(lit),
        times.tz_convert("UTC").tz_localize(None).to_numpy(dtype="datetime64[ns]")[lit],
        col(solpos["apparent_zenith"]),
        col(solpos["azimuth"]),
        col(data["dni"]),
        col(data["ghi"]),
        col(data["dhi"]),
        col(dni_extra),
        col(airmass),
        col(data["temp_air"]),
        col(data["wind_speed"]),
        weights,
    )
    _remember(_SKY_CACHE, key, sky)
    return sky


def horizon_beam_mask(
    solar_azimuth: Any, solar_elevation: Any, horizon_azimuth: Any, horizon_elevation: Any
) -> np.ndarray:
    """1 where the sun stands above the horizon profile, else 0 (beam blocked).

    Parameters
    ----------
    solar_azimuth, solar_elevation : array_like
        Sun position per hour [degrees; azimuth 0 = north, 90 = east].
    horizon_azimuth, horizon_elevation : array_like
        Horizon profile, PVGIS-style elevation per azimuth [degrees; pvlib azimuth
        convention — convert PVGIS's 0 = south first]; interpolated periodically.
    """
    h_az = np.asarray(horizon_azimuth, dtype=float) % 360.0
    h_el = np.asarray(horizon_elevation, dtype=float)
    if h_az.shape != h_el.shape or h_az.size == 0:
        raise ValueError("horizon azimuths and elevations must be non-empty and of equal length")
    elev = np.interp(np.asarray(solar_azimuth, dtype=float) % 360.0, h_az, h_el, period=360.0)
    return (np.asarray(solar_elevation, dtype=float) > elev).astype(float)


# IAM as a function of cos(aoi) on a fine grid: nearest node is within ~1e-5 of pvlib's value
_IAM_STEPS = 2**17
_IAM_GRID = np.linspace(0.0, 1.0, _IAM_STEPS + 1)


@functools.cache
def _iam_lut(model: str) -> np.ndarray:
    aoi = np.degrees(np.arccos(_IAM_GRID))
    return np.nan_to_num(np.asarray(pvlib.iam.ashrae(aoi) if model == "ashrae" else pvlib.iam.physical(aoi)))


def _iam_of_projection(projection: np.ndarray, model: str) -> np.ndarray:
    """pvlib's beam IAM (physical or ashrae) from max(cos(AOI), 0), by a dense lookup table."""
    index = (projection * _IAM_STEPS + 0.5).astype(np.intp)
    return _iam_lut(model)[index]


def _perez_f1_f2(sky: Sky) -> tuple[np.ndarray, np.ndarray]:
    """Perez (allsitescomposite1990) brightening coefficients per hour, as in pvlib.irradiance.perez."""
    kappa = 1.041
    z = np.radians(sky.apparent_zenith)
    delta = sky.dhi * sky.airmass / sky.dni_extra
    with np.errstate(invalid="ignore", divide="ignore"):
        eps = ((sky.dhi + sky.dni) / sky.dhi + kappa * z**3) / (1 + kappa * z**3)
    ebin = np.digitize(eps, (0.0, 1.065, 1.23, 1.5, 1.95, 2.8, 4.5, 6.2))
    ebin[np.isnan(eps)] = 0
    ebin -= 1
    f1c, f2c = pvlib.irradiance._get_perez_coefficients("allsitescomposite1990")
    nans = np.full(3, np.nan)
    f1c, f2c = np.vstack((f1c, nans)), np.vstack((f2c, nans))
    f1 = np.maximum(f1c[ebin, 0] + f1c[ebin, 1] * delta + f1c[ebin, 2] * z, 0)
    f2 = f2c[ebin, 0] + f2c[ebin, 1] * delta + f2c[ebin, 2] * z
    # no diffuse light (DHI = 0, so no clearness bin): no sky diffuse, where pvlib gives NaN
    return np.nan_to_num(f1), np.nan_to_num(f2)


@dataclass(frozen=True, eq=False)
class BuildingShade:
    """Building shade of a block of k orientations, as the hourly chain applies it.

    :mod:`pvhub.yieldengine.shading` derives these from the surfaces' sample points and says
    why each term is treated so. ``visible`` (k, H): share of the sample points that see the
    sun each lit hour (scales beam and circumsolar); ``sky_view`` (k,): replaces
    (1 + cos tilt) / 2 on the isotropic diffuse; ``horizon_band`` (k,): share of the Perez
    horizon band left; ``points`` (k,): sample points per surface for the Martínez mismatch
    (``pvlib.shading.direct_martinez``), None for the plain irradiance loss.
    """

    visible: np.ndarray
    sky_view: np.ndarray
    horizon_band: np.ndarray
    points: np.ndarray | None = None


def plane_of_array(
    sky: Sky,
    tilt: np.ndarray,
    azimuth: np.ndarray,
    a: KindAssumptions,
    beam_mask: np.ndarray | None = None,
    shade: BuildingShade | None = None,
    *,
    dtype: Any = np.float64,
    unshaded: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Hourly plane-of-array irradiance of k orientations: (poa_global, effective, effective_unshaded).

    Arrays (k, H) [W/m²]. ``effective`` is after the beam IAM (and, with ``shade.points``, the
    Martínez mismatch); ``effective_unshaded`` (only with ``unshaded=True`` and a ``shade``) is
    the same orientation without building shade, from the same products (one cos AOI). The site
    ``beam_mask`` (terrain) applies to both. ``dtype=float32`` halves memory for loss fractions.
    """
    ct, st = np.cos(np.radians(tilt)).astype(dtype), np.sin(np.radians(tilt)).astype(dtype)
    ca, sa = np.cos(np.radians(azimuth)).astype(dtype), np.sin(np.radians(azimuth)).astype(dtype)
    zr, sunr = np.radians(sky.apparent_zenith), np.radians(sky.solar_azimuth)
    cz, sz = np.cos(zr), np.sin(zr)
    sun = np.stack([cz, sz * np.cos(sunr), sz * np.sin(sunr)]).astype(dtype)
    cos_aoi = np.stack([ct, st * ca, st * sa], axis=1) @ sun
    np.clip(cos_aoi, -1.0, 1.0, out=cos_aoi)
    f1, f2 = _perez_f1_f2(sky)
    b = np.maximum(cz, np.cos(np.radians(85.0)))
    lit = ~np.isnan(sky.airmass)
    iso = np.where(lit, sky.dhi * (1 - f1), 0.0).astype(dtype)
    cir = np.where(lit, sky.dhi * f1 / b, 0.0).astype(dtype)
    hor = np.where(lit, sky.dhi * f2, 0.0).astype(dtype)
    proj = np.maximum(cos_aoi, 0.0)
    ground = np.outer(0.5 * (1 - ct), (sky.ghi * a.albedo).astype(dtype))
    poa_direct = proj * sky.dni.astype(dtype)
    if beam_mask is not None:
        poa_direct *= beam_mask.astype(dtype)
    iam = _iam_of_projection(proj, a.iam_model).astype(dtype, copy=False)
    circumsolar = proj * cir
    plain_diffuse = np.maximum(np.outer(0.5 * (1 + ct), iso) + circumsolar + np.outer(st, hor), 0.0) + ground
    if shade is None:
        return poa_direct + plain_diffuse, poa_direct * iam + plain_diffuse, None
    plain_effective = poa_direct * iam + plain_diffuse if unshaded else None
    del plain_diffuse
    visible = shade.visible.astype(dtype, copy=False)
    rest = np.outer(shade.sky_view.astype(dtype), iso) + np.outer(
        (st * shade.horizon_band).astype(dtype), hor
    )
    poa_diffuse = np.maximum(rest + circumsolar * visible, 0.0) + ground
    shaded_direct = poa_direct * visible
    poa_global = shaded_direct + poa_diffuse
    if shade.points is None:
        effective = shaded_direct * iam + poa_diffuse
    else:
        # Martínez-Moreno et al. 2010 via pvlib: the beam and circumsolar (before building
        # shade) lose the shaded share and, per shaded block, 1 / (blocks + 1) more.
        whole = poa_direct * iam + np.maximum(rest + circumsolar, 0.0) + ground
        blocks = shade.points.astype(dtype)[:, None]
        with np.errstate(invalid="ignore", divide="ignore"):
            loss = pvlib.shading.direct_martinez(
                whole,
                poa_direct * iam + circumsolar,
                1.0 - visible,
                np.rint(blocks * (1.0 - visible)),
                blocks,
            )
        effective = whole * (1.0 - np.nan_to_num(np.asarray(loss, dtype=dtype)))
    return poa_global, effective, plain_effective


@functools.lru_cache(maxsize=_CACHE_SIZE)  # a Sky hashes by identity (eq=False)
def perez_components(sky: Sky) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-hour Perez terms before the orientation [W/m²], (H,) each: isotropic dhi·(1 − F1),
    circumsolar dhi·F1 / max(cos z, cos 85°) (times max(cos AOI, 0) on a plane) and horizon
    band dhi·F2 (times sin tilt)."""
    f1, f2 = _perez_f1_f2(sky)
    b = np.maximum(np.cos(np.radians(sky.apparent_zenith)), np.cos(np.radians(85.0)))
    lit = ~np.isnan(sky.airmass)
    return (
        np.where(lit, sky.dhi * (1 - f1), 0.0),
        np.where(lit, sky.dhi * f1 / b, 0.0),
        np.where(lit, sky.dhi * f2, 0.0),
    )


@functools.cache
def _iam_lut32(model: str) -> np.ndarray:
    return _iam_lut(model).astype(np.float32)


def _cos_aoi32(sky: Sky, tilt: np.ndarray, azimuth: np.ndarray, hours: np.ndarray) -> np.ndarray:
    """cos(AOI) of k orientations at the listed hours, float32 (len(hours), k)."""
    ct, st = np.cos(np.radians(tilt)), np.sin(np.radians(tilt))
    ca, sa = np.cos(np.radians(azimuth)), np.sin(np.radians(azimuth))
    zr, sunr = np.radians(sky.apparent_zenith[hours]), np.radians(sky.solar_azimuth[hours])
    cz, sz = np.cos(zr), np.sin(zr)
    sun = np.stack([cz, sz * np.cos(sunr), sz * np.sin(sunr)], axis=1).astype(np.float32)
    normal = np.stack([ct, st * ca, st * sa]).astype(np.float32)
    return np.einsum("hc,ck->hk", sun, normal)  # einsum beats BLAS for an inner size of 3


def facing_hours(
    sky: Sky, tilt: np.ndarray, azimuth: np.ndarray, hours: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The listed hours in which the sun is in front of at least one of the orientations, and
    cos(AOI) at those hours, float32 (len(those hours), k)."""
    cos_aoi = _cos_aoi32(sky, tilt, azimuth, hours)
    front = cos_aoi.max(axis=1, initial=0.0) > 0
    return hours[front], cos_aoi[front]


def direct_and_circumsolar(
    sky: Sky,
    tilt: np.ndarray,
    azimuth: np.ndarray,
    a: KindAssumptions,
    hours: np.ndarray,
    beam_mask: np.ndarray | None = None,
    cos_aoi: np.ndarray | None = None,
) -> np.ndarray:
    """Effective beam (after IAM and the site mask) plus circumsolar diffuse [W/m²], float32.

    Shape (len(hours), k): hours × orientations, for the listed lit hours (indices into the
    sky's). The part of the plane-of-array light that building shade scales hour by hour.
    ``cos_aoi``: the orientations' cos(AOI) at those hours if known (it is overwritten).
    """
    proj = _cos_aoi32(sky, tilt, azimuth, hours) if cos_aoi is None else cos_aoi
    np.clip(proj, 0.0, 1.0, out=proj)
    _, cir, _ = perez_components(sky)
    dni = sky.dni[hours] * (1.0 if beam_mask is None else beam_mask[hours])
    index = proj * np.float32(_IAM_STEPS)
    index += np.float32(0.5)
    out = _iam_lut32(a.iam_model)[index.astype(np.intp)]
    out *= dni.astype(np.float32)[:, None]
    out += cir[hours].astype(np.float32)[:, None]
    out *= proj
    return out


def ac_monthly(sky: Sky, poa_global: np.ndarray, effective: np.ndarray, a: KindAssumptions) -> np.ndarray:
    """AC energy per kWp per month from hourly POA irradiance (k, H): shape (k, 12) [kWh/kWp]."""
    tp = a.temperature_params
    temp_cell = pvlib.temperature.sapm_cell(
        poa_global, sky.temp_air, sky.wind_speed, tp["a"], tp["b"], tp["deltaT"]
    )
    dc = pvlib.pvsystem.pvwatts_dc(effective, temp_cell, 1000.0, a.gamma_pdc)  # W per kWp
    dc = dc * ((100.0 - a.losses_pct) / 100.0)
    ac = pvlib.inverter.pvwatts(dc, 1000.0 / a.dc_ac_ratio / a.eta_inv_nom, a.eta_inv_nom)
    return np.asarray(ac) @ sky.month_weights / 1000.0


def _block(
    sky: Sky, tilt: np.ndarray, azimuth: np.ndarray, a: KindAssumptions, beam_mask: np.ndarray | None
) -> np.ndarray:
    """AC energy per kWp per month for a block of orientations: shape (k, 12) [kWh/kWp].

    Same chain and numbers as ModelChain(aoi_model=physical|ashrae, transposition_model=perez,
    temperature_model=sapm, dc_model=pvwatts, losses_model=pvwatts, ac_model=pvwatts), but the
    orientation-dependent terms are written as outer products (cos AOI is a rank-3 product).
    """
    poa_global, effective, _ = plane_of_array(sky, tilt, azimuth, a, beam_mask)
    return ac_monthly(sky, poa_global, effective, a)


def specific_yield_exact(
    sky: Sky, tilt: Any, azimuth: Any, assumptions: KindAssumptions, beam_mask: np.ndarray | None = None
) -> np.ndarray:
    """Monthly specific yield for each orientation, evaluated exactly (no interpolation).

    Parameters
    ----------
    tilt, azimuth : array_like (n,)
        Surface tilt [degrees, 0 = horizontal] and azimuth [degrees, pvlib: 180 = south].

    Returns
    -------
    numpy.ndarray (n, 12)
        AC energy per kWp of DC nameplate, per calendar month [kWh/kWp].
    """
    tilt = np.atleast_1d(np.asarray(tilt, dtype=float))
    azimuth = np.atleast_1d(np.asarray(azimuth, dtype=float)) % 360.0
    out = np.empty((tilt.size, 12))
    per_block = max(1, _BLOCK_CELLS // max(1, sky.ghi.size))
    for start in range(0, tilt.size, per_block):
        stop = start + per_block
        out[start:stop] = _block(sky, tilt[start:stop], azimuth[start:stop], assumptions, beam_mask)
    return out


class YieldTable:
    """Specific yield on a (tilt, azimuth) grid, filled lazily at the nodes lookups need.

    ``monthly[i, j, m]`` is the kWh/kWp of month ``m`` at ``tilts[i]``, ``azimuths[j]``;
    NaN until computed. Azimuth runs 0…360 so that interpolation wraps around north.
    """

    def __init__(self, sky: Sky, assumptions: KindAssumptions, step_deg: float = DEFAULT_STEP_DEG):
        if not 0 < step_deg <= 15 or (90.0 / step_deg) % 1 or (360.0 / step_deg) % 1:
            raise ValueError("step_deg must divide 90 and 360")
        self.sky, self.assumptions, self.step = sky, assumptions, float(step_deg)
        self.tilts = np.linspace(0.0, 90.0, round(90 / step_deg) + 1)
        self.azimuths = np.linspace(0.0, 360.0, round(360 / step_deg) + 1)
        self.monthly = np.full((self.tilts.size, self.azimuths.size, 12), np.nan)

    @property
    def nodes_computed(self) -> int:
        return int(np.isfinite(self.monthly[:, :-1, 0]).sum())

    def _cell(self, tilt: np.ndarray, azimuth: np.ndarray) -> tuple[np.ndarray, ...]:
        ft, fa = tilt / self.step, (azimuth % 360.0) / self.step
        i = np.minimum(np.floor(ft).astype(int), self.tilts.size - 2)
        j = np.minimum(np.floor(fa).astype(int), self.azimuths.size - 2)
        return i, j, ft - i, fa - j

    def needed_nodes(self, tilt: np.ndarray, azimuth: np.ndarray) -> np.ndarray:
        """Flat indices (into a tilts × (azimuths-1) grid) of the nodes a lookup would use."""
        i, j, u, v = self._cell(tilt, azimuth)
        na = self.azimuths.size - 1
        ii = np.concatenate([i, i, i + 1, i + 1])
        jj = np.concatenate([j, j + 1, j, j + 1]) % na
        weight = np.concatenate([(1 - u) * (1 - v), (1 - u) * v, u * (1 - v), u * v])
        jj = np.where(ii == 0, 0, jj)  # horizontal: every azimuth is the same plane
        return np.unique((ii * na + jj)[weight > 0])  # a surface on a grid line needs no far nodes

    def fill(self, tilt: np.ndarray, azimuth: np.ndarray) -> None:
        na = self.azimuths.size - 1
        flat = self.needed_nodes(tilt, azimuth)
        ii, jj = np.divmod(flat, na)
        todo = ~np.isfinite(self.monthly[ii, jj, 0])
        if todo.any():
            ii, jj = ii[todo], jj[todo]
            self.monthly[ii, jj] = specific_yield_exact(
                self.sky, self.tilts[ii], self.azimuths[jj], self.assumptions
            )
        self.monthly[0, :] = self.monthly[0, 0]
        self.monthly[:, -1] = self.monthly[:, 0]

    def lookup(self, tilt: Any, azimuth: Any) -> np.ndarray:
        """Bilinearly interpolated monthly specific yield, shape (n, 12) [kWh/kWp]."""
        tilt = np.atleast_1d(np.asarray(tilt, dtype=float))
        azimuth = np.atleast_1d(np.asarray(azimuth, dtype=float))
        self.fill(tilt, azimuth)
        i, j, u, v = self._cell(tilt, azimuth)
        u, v, m = u[:, None], v[:, None], np.nan_to_num(self.monthly)  # NaN nodes carry zero weight
        return (
            (1 - u) * (1 - v) * m[i, j]
            + (1 - u) * v * m[i, j + 1]
            + u * (1 - v) * m[i + 1, j]
            + u * v * m[i + 1, j + 1]
        )


_TABLE_CACHE: OrderedDict[tuple[Any, ...], YieldTable] = OrderedDict()


def yield_table(sky: Sky, assumptions: KindAssumptions, step_deg: float = DEFAULT_STEP_DEG) -> YieldTable:
    """The (cached) yield table of a weather year and the yield-relevant assumptions."""
    key = (sky.key, assumptions.yield_key(), float(step_deg))
    table = _TABLE_CACHE.get(key)
    if table is None:
        table = YieldTable(sky, assumptions, step_deg)
        _remember(_TABLE_CACHE, key, table)
    return table


def clear_caches() -> None:
    """Forget cached skies and tables (e.g. after changing assumptions in a long-lived process)."""
    _SKY_CACHE.clear()
    _TABLE_CACHE.clear()
