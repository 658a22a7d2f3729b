"""What a stored weather file is for."""

from __future__ import annotations

import enum


class WeatherPurpose(enum.StrEnum):
    """``typical``: a typical year (TMY) the register is estimated on. ``measured``: the weather of a
    real period, against which measured energy is compared."""

    typical = "typical"
    measured = "measured"
