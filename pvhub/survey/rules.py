"""The survey's thresholds, kept in one place and stated on the potential page.

They are not (yet) editable on the programme settings page: the assumptions there are per surface
kind and stored in a versioned table that estimates key on; the survey's rules decide which
candidates exist at all, and a run records the rules it used (``SurveyRun.rules``), so changing one
later is a new run, not an out-of-date estimate.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from gis.candidates import CandidateRules


@dataclass(frozen=True)
class SurveyRules:
    """What the survey keeps as a candidate.

    ``min_area_m2``: a face or band under this gross area is skipped (too small to carry a useful
    array; 10 m² holds about 2 kWp at the roof kind's default density). ``band_height_m``: facades are
    cut into horizontal bands this tall (None: one band per storey), because the top and the bottom
    of a tower's wall see different suns. ``opaque_share``: the part of a facade band that can carry
    BIPV (spandrels, not vision glass); 0.30 as :class:`gis.candidates.CandidateRules` derives it from
    GB 50189-2015 §3.2.2 (window-to-wall ratio at most 0.70).
    ``wall_azimuth_min``/``wall_azimuth_max``: walls facing outside this range (pvlib
    azimuth, 90 = east, 270 = west) are skipped as facing away from the sun. ``min_kwh_per_kwp``: a
    candidate whose estimated specific yield is lower is skipped with its figure.
    """

    min_area_m2: float = 10.0
    band_height_m: float | None = None
    opaque_share: float = 0.30
    wall_azimuth_min: float = 90.0
    wall_azimuth_max: float = 270.0
    min_kwh_per_kwp: float = 600.0

    def as_dict(self) -> dict[str, Any]:
        """The rules as a run records them."""
        return asdict(self)

    def candidate_rules(self) -> CandidateRules:
        """The geometric part of these rules, as :func:`gis.candidates.derive_candidates` takes it."""
        return CandidateRules(
            min_area_m2=self.min_area_m2,
            band_height_m=self.band_height_m,
            opaque_share=self.opaque_share,
            wall_azimuth_range=(self.wall_azimuth_min, self.wall_azimuth_max),
        )


#: The rules in force (one place; the potential page states them).
DEFAULT_RULES = SurveyRules()
