"""What a supplier reports and what the office answers about a milestone: the input models the API
and the pages both validate with (``web.binding.bind``)."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from pvhub.construction.enums import MilestoneKind
from pvhub.core.columns import Text


class MilestoneReport(BaseModel):
    """A milestone reached, reported by the supplier that won the surface."""

    kind: MilestoneKind
    date: dt.date = Field(description="Day it was reached (local date, not in the future)")
    note: Text = Field(default="", max_length=2000)
    installed_kwp: float | None = Field(
        default=None, gt=0, le=100_000, description="DC nameplate installed, kWp (from 'installed' on)"
    )


class SendBack(BaseModel):
    reason: Text = Field(min_length=1, max_length=2000)
