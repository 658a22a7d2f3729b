"""Default modelling assumptions per surface kind, in one configuration place.

Each surface kind (``roof``, ``curtain_wall``, ``corridor``, ``walkway``) has a
:class:`KindAssumptions`: how densely modules fill the usable area, how they are
mounted (which sets the SAPM cell-temperature parameters), the PVWatts temperature
coefficient, system losses and the inverter. A surface may override any of these
with :func:`dataclasses.replace`.

``losses_pct`` is the whole PVWatts system-loss percentage (soiling, generic shading,
mismatch, wiring, connections, LID, nameplate, availability). It defaults to PVWatts'
14.08 % and a given value *replaces* it; it never adds to it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

from pvlib.pvsystem import pvwatts_losses
from pvlib.temperature import TEMPERATURE_MODEL_PARAMETERS

SURFACE_KINDS = ("roof", "curtain_wall", "corridor", "walkway")

#: PVWatts v5 default system losses, percent (soiling 2, shading 3, mismatch 2, wiring 2,
#: connections 0.5, LID 1.5, nameplate 1, availability 3; combined multiplicatively).
PVWATTS_DEFAULT_LOSSES_PCT = round(float(pvwatts_losses()), 2)

#: Shanghai's published emission factor for purchased electricity (2022), tCO2/MWh.
DEFAULT_CO2_T_PER_MWH = 0.42


@dataclass(frozen=True)
class KindAssumptions:
    """Modelling assumptions for one surface kind.

    Attributes
    ----------
    kind : str
        Surface kind the assumptions belong to.
    power_density_w_m2 : float
        Installed DC nameplate per m² of *usable* area [Wp/m²].
    mounting : str
        Key of :data:`pvlib.temperature.TEMPERATURE_MODEL_PARAMETERS['sapm']`
        (e.g. ``open_rack_glass_polymer``, ``close_mount_glass_glass``).
    gamma_pdc : float
        PVWatts DC temperature coefficient [1/°C].
    losses_pct : float
        PVWatts system losses [%]; replaces, never adds to, the default 14.08.
    eta_inv_nom : float
        Inverter nominal efficiency [-].
    dc_ac_ratio : float
        DC nameplate over inverter AC rating [-].
    albedo : float
        Ground albedo seen by the surface [-].
    iam_model : str
        pvlib incidence-angle model for the beam: ``physical`` or ``ashrae``.
    """

    kind: str
    power_density_w_m2: float
    mounting: str = "open_rack_glass_polymer"
    gamma_pdc: float = -0.0035
    losses_pct: float = PVWATTS_DEFAULT_LOSSES_PCT
    eta_inv_nom: float = 0.96
    dc_ac_ratio: float = 1.2
    albedo: float = 0.2
    iam_model: str = "physical"

    def __post_init__(self) -> None:
        if self.mounting not in TEMPERATURE_MODEL_PARAMETERS["sapm"]:
            raise ValueError(f"unknown SAPM mounting {self.mounting!r}")
        if not 0.0 <= self.losses_pct < 100.0:
            raise ValueError("losses_pct must be in [0, 100)")
        if self.iam_model not in ("physical", "ashrae"):
            raise ValueError("iam_model must be 'physical' or 'ashrae'")
        if self.power_density_w_m2 < 0 or self.dc_ac_ratio <= 0 or not 0 < self.eta_inv_nom <= 1:
            raise ValueError("power density, DC/AC ratio and inverter efficiency must be positive")

    @property
    def temperature_params(self) -> dict[str, float]:
        """SAPM cell-temperature parameters ``a``, ``b``, ``deltaT`` of the mounting."""
        return dict(TEMPERATURE_MODEL_PARAMETERS["sapm"][self.mounting])

    def yield_key(self) -> tuple[Any, ...]:
        """The fields that change kWh/kWp (power density only scales capacity)."""
        return (
            self.mounting,
            self.gamma_pdc,
            self.losses_pct,
            self.eta_inv_nom,
            self.dc_ac_ratio,
            self.albedo,
            self.iam_model,
        )

    def as_dict(self) -> dict[str, Any]:
        """Plain-data form for provenance, with the SAPM parameters spelled out."""
        out = asdict(self)
        out["temperature_model"] = "sapm"
        out["temperature_params"] = self.temperature_params
        return out


#: Defaults: modern ~21 %-efficient modules; curtain walls are glass-glass BIPV with
#: spacing for daylight (lower density) and run hotter (close mount, no rear ventilation);
#: corridor and walkway canopies are open-rack glass-glass roofs with gaps.
DEFAULT_ASSUMPTIONS: dict[str, KindAssumptions] = {
    "roof": KindAssumptions("roof", power_density_w_m2=180.0, mounting="open_rack_glass_polymer"),
    "curtain_wall": KindAssumptions(
        "curtain_wall", power_density_w_m2=120.0, mounting="close_mount_glass_glass"
    ),
    "corridor": KindAssumptions("corridor", power_density_w_m2=150.0, mounting="open_rack_glass_polymer"),
    "walkway": KindAssumptions("walkway", power_density_w_m2=150.0, mounting="open_rack_glass_polymer"),
}


def assumptions_for(
    kind: str, *, losses_pct: float | None = None, table: dict[str, KindAssumptions] | None = None
) -> KindAssumptions:
    """Return the assumptions of ``kind``; ``losses_pct`` replaces the kind's losses [%]."""
    base = (table or DEFAULT_ASSUMPTIONS).get(kind)
    if base is None:
        raise ValueError(f"unknown surface kind {kind!r}; expected one of {SURFACE_KINDS}")
    return base if losses_pct is None else replace(base, losses_pct=float(losses_pct))
