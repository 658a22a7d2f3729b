"""A configured number checked against its range, the message naming the field (settings edits)."""

from __future__ import annotations

import math
from typing import Any

from pvhub.core.errors import InvalidInput


def checked_number(
    field: str, value: Any, *, minimum: float | None, maximum: float | None, unit: str = ""
) -> float:
    """``value`` as a float when it is a finite number within [minimum, maximum] (None: unbounded);
    else InvalidInput naming ``field`` (e.g. ``kinds.roof.losses_pct``) and the range."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidInput("{field}: must be a number.", field=field)
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise InvalidInput(
            "{field}: {value} is outside {minimum} … {maximum} {unit}.",
            field=field,
            value=value,
            minimum=minimum,
            maximum=maximum,
            unit=unit,
        )
    return float(value)
