"""What the programme's configuration says an estimate is made from, and its fingerprint.

An estimate is made from the surface, the assumptions of its kind, the CO2 factor, the programme's
weather year and the engine's version. The last four are configuration: the office edits the first
two on the settings page (:mod:`pvhub.programme.assumptions`), sets the weather year
(:mod:`pvhub.weather.service`), and a new pvhub may change the engine. :meth:`EstimateConfig.key`
hashes them per surface kind; each estimate stores the key it was made under, so an estimate is out of
date exactly when its stored key differs from the current one — whichever of them changed, and without
rewriting any estimate row at the moment of the change.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

from sqlmodel import Session

from pvhub.programme.assumptions import current_assumptions
from pvhub.weather import service as weather_service
from pvhub.yieldengine import KindAssumptions, WeatherYear
from pvhub.yieldengine.estimate import ENGINE_VERSION


@dataclass(frozen=True)
class EstimateConfig:
    """The configured assumptions per kind, CO2 factor [tCO2/MWh] and weather year (by SHA-256).

    The weather year itself is loaded only when an estimate is computed (``weather()``): reading
    whether estimates are current needs its SHA-256, not its 8,760 hours.
    """

    assumptions: Mapping[str, KindAssumptions]
    co2_t_per_mwh: float
    weather_sha256: str
    load_weather: Callable[[], WeatherYear] = field(repr=False, compare=False)

    def key(self, kind: str) -> str:
        """A short hash of everything configured that an estimate of a ``kind`` surface depends on."""
        canonical = json.dumps(
            {
                "engine": ENGINE_VERSION,
                "assumptions": self.assumptions[kind].as_dict(),
                "co2_t_per_mwh": float(self.co2_t_per_mwh),
                "weather_sha256": self.weather_sha256,
            },
            sort_keys=True,
        )
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]

    def keys(self) -> dict[str, str]:
        """The key of every surface kind."""
        return {kind: self.key(kind) for kind in self.assumptions}

    def weather(self) -> WeatherYear:
        return self.load_weather()

    def with_overrides(
        self,
        *,
        assumptions: Mapping[str, KindAssumptions] | None = None,
        co2_t_per_mwh: float | None = None,
        weather: WeatherYear | None = None,
    ) -> EstimateConfig:
        """This configuration with some parts replaced (a one-off run on another year, tests)."""
        changed = self
        if assumptions is not None:
            changed = replace(changed, assumptions=assumptions)
        if co2_t_per_mwh is not None:
            changed = replace(changed, co2_t_per_mwh=float(co2_t_per_mwh))
        if weather is not None:
            changed = replace(changed, weather_sha256=weather.sha256, load_weather=lambda: weather)
        return changed


def current_config(*, session: Session) -> EstimateConfig:
    """The configuration in force: the office's assumptions (or the defaults) and weather year (or
    the embedded synthetic year)."""
    configured = current_assumptions(session=session)
    return EstimateConfig(
        assumptions=configured.kinds,
        co2_t_per_mwh=configured.co2_t_per_mwh,
        weather_sha256=weather_service.current_weather_sha256(session=session),
        load_weather=lambda: weather_service.current_weather(session=session),
    )
