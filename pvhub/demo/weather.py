"""The demo's measured weather: a period of "another year's" weather over the months suppliers have
reported energy for, so the dashboard shows the weather-normalised yield ratio beside the typical one.

The demo has no real measurements. Its period is a synthetic Shanghai year with other random days
than the typical year's (same monthly normals, another seed: other clear and overcast days), given
the real dates of the months with meter readings, and uploaded by the office as a file would be
(:func:`pvhub.weather.measured.upload_measured`), then compared as the office's job compares it.
Its file name says it is synthetic.
"""

from __future__ import annotations

import calendar
from dataclasses import replace
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import pandas as pd
from sqlmodel import Session, col, func, select

from pvhub.accounts.models import User
from pvhub.construction.models import MeasuredEnergy
from pvhub.monitoring.normalised import normalise_job
from pvhub.weather import measured
from pvhub.yieldengine import synthetic_year
from pvhub.yieldengine.weather import data_sha256
from pvhub.yieldengine.writers import write_epw

#: Another seed than the typical year's (583670): the same climate, other days.
DEMO_MEASURED_SEED = 2026
#: Longest period one measured-weather file may hold (pvhub.weather.measured refuses more).
MAX_MONTHS = 12


class _Quiet:
    """A job's progress channel for a step the demo runs in its own transaction."""

    def __call__(self, fraction: float, message: Any, detail: dict[str, Any] | None = None) -> None:
        return None

    def cancelled(self) -> bool:
        return False


def _months(session: Session) -> list[tuple[int, int]]:
    """The whole months with meter readings, the last :data:`MAX_MONTHS` of them."""
    first, last = session.exec(
        select(
            func.min(col(MeasuredEnergy.year) * 100 + col(MeasuredEnergy.month)),
            func.max(col(MeasuredEnergy.year) * 100 + col(MeasuredEnergy.month)),
        )
    ).one()
    if first is None or last is None:
        return []
    months = []
    year, month = divmod(int(first), 100)
    while year * 100 + month <= int(last):
        months.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months[-MAX_MONTHS:]


def _period_weather(months: list[tuple[int, int]]) -> Any:
    """The synthetic year's hours of these calendar months, re-dated to their real years (a leap
    year's 29 February repeats the 28th)."""
    source = synthetic_year(seed=DEMO_MEASURED_SEED, label="demo measured weather (synthetic)")
    # China kept summer time in 1990, the synthetic year's year: read it on standard time (UTC+8),
    # which has every hour once
    data = source.data.tz_convert("Etc/GMT-8")
    parts = []
    for year, month in months:
        for day in range(1, calendar.monthrange(year, month)[1] + 1):
            hours = data[
                (data.index.month == month) & (data.index.day == min(day, 28 if month == 2 else day))
            ]
            stamps = [pd.Timestamp(year, month, day, t.hour, t.minute, tz=t.tz) for t in hours.index]
            parts.append(hours.set_axis(pd.DatetimeIndex(stamps)))
    period = pd.concat(parts)
    return replace(source, data=period, sha256=data_sha256(period))


def load_demo_measured_weather(session: Session, office_email: str) -> int:
    """Upload the demo's measured weather as the office and compare it; returns the surfaces compared
    (0 when no supplier has reported energy yet)."""
    months = _months(session)
    if not months:
        return 0
    office = session.exec(select(User).where(User.email == office_email)).one()
    (y0, m0), (y1, m1) = months[0], months[-1]
    name = f"demo-synthetic-{y0}{m0:02d}-{y1}{m1:02d}.epw"  # short: it heads a table column
    with TemporaryDirectory(prefix="pvhub-demo-") as tmp:
        path = write_epw(_period_weather(months), Path(tmp) / name, city="Huangpu (demo)", keep_dates=True)
        content = path.read_bytes()
    dataset = measured.upload_measured(session=session, actor=office, filename=name, content=content)
    assert dataset.id is not None
    result = normalise_job(session, {"dataset_id": dataset.id}, _Quiet())
    return int(result.get("surfaces", 0))
