"""Pure yield engine: pvlib estimates for many surfaces at once (no database, no web).

Public API: :func:`estimate`, :func:`orientation_report`, :class:`EstimateResult`,
:class:`EstimateProvenance`, :class:`KindAssumptions`, :data:`DEFAULT_ASSUMPTIONS`,
:class:`WeatherYear` with its :class:`IntervalConvention`, :func:`read_weather`,
:func:`fetch_pvgis_tmy`, :func:`synthetic_year`, :func:`default_weather`, :func:`horizon_beam_mask`;
building shade: :class:`ShadeProfile`, :data:`Mismatch`, :func:`shaded_hours_by_month`.
"""

from pvhub.yieldengine.assumptions import (
    DEFAULT_ASSUMPTIONS,
    DEFAULT_CO2_T_PER_MWH,
    PVWATTS_DEFAULT_LOSSES_PCT,
    SURFACE_KINDS,
    KindAssumptions,
    assumptions_for,
)
from pvhub.yieldengine.engine import horizon_beam_mask, prepare_sky, specific_yield_exact, yield_table
from pvhub.yieldengine.estimate import (
    EstimateProvenance,
    EstimateResult,
    default_weather,
    estimate,
    orientation_report,
)
from pvhub.yieldengine.intervals import IntervalConvention
from pvhub.yieldengine.shading import Mismatch, ShadeProfile, shaded_hours_by_month
from pvhub.yieldengine.synthetic import synthetic_year
from pvhub.yieldengine.weather import (
    WeatherError,
    WeatherYear,
    fetch_pvgis_tmy,
    pvgis_to_pvlib_azimuth,
    read_epw,
    read_pvgis_tmy,
    read_tmy3,
    read_weather,
)

__all__ = [
    "DEFAULT_ASSUMPTIONS",
    "DEFAULT_CO2_T_PER_MWH",
    "PVWATTS_DEFAULT_LOSSES_PCT",
    "SURFACE_KINDS",
    "EstimateProvenance",
    "EstimateResult",
    "IntervalConvention",
    "KindAssumptions",
    "Mismatch",
    "ShadeProfile",
    "WeatherError",
    "WeatherYear",
    "assumptions_for",
    "default_weather",
    "estimate",
    "fetch_pvgis_tmy",
    "horizon_beam_mask",
    "orientation_report",
    "prepare_sky",
    "pvgis_to_pvlib_azimuth",
    "read_epw",
    "read_pvgis_tmy",
    "read_tmy3",
    "read_weather",
    "shaded_hours_by_month",
    "specific_yield_exact",
    "synthetic_year",
    "yield_table",
]
