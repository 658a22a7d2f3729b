"""The measured weather of a period: uploaded by the office to judge measured energy against the sky
the surfaces actually saw (issue #17, part 4).

The same readers as the typical year (EPW, TMY3 CSV, PVGIS JSON/CSV/EPW) but keeping the file's own
dates (:func:`pvhub.yieldengine.read_weather` with ``keep_dates``). A period is accepted when:

- its records follow each other without a gap, repeat or jump (a typical year, whose months come
  from different years, fails here and is pointed to the programme's weather year instead);
- it starts at midnight on the 1st of a month and ends at midnight ending a month, in the file's
  local time: meters report calendar months, so a part-month could not be compared;
- it spans at most :data:`~pvhub.yieldengine.period.MAX_MONTHS` (12) months: the engine sums into
  the 12 calendar months, so a longer period would merge e.g. two Marches (upload one year at a time);
- every record is within the plausible ranges of :mod:`pvhub.weather.validation`;
- it lies within 100 km of the programme's location, or the office confirms (``confirm_far``).

Nothing is written unless all hold. Then the file is stored byte for byte (purpose ``measured``),
the upload is audited, and a job (:data:`NORMALISE_KIND`, run by :mod:`pvhub.monitoring.normalised`
above this domain) re-estimates every grid-connected surface on it.
"""

from __future__ import annotations

import json
from pathlib import PurePath
from typing import Any

from sqlmodel import Session, col, select

from pvhub.accounts.models import User
from pvhub.core import audit, policy
from pvhub.core.errors import Conflict, InvalidInput, NotFound
from pvhub.jobs import service as jobs
from pvhub.jobs.models import Job
from pvhub.weather import service, validation
from pvhub.weather.enums import WeatherPurpose
from pvhub.weather.models import WeatherDataset
from pvhub.yieldengine.period import MAX_MONTHS, first_gap, interval_bounds, is_month_start, period_months
from pvhub.yieldengine.weather import WeatherYear

#: The job that re-estimates the connected surfaces on a measured period (registered by
#: :mod:`pvhub.job_kinds` with :func:`pvhub.monitoring.normalised.normalise_job`).
NORMALISE_KIND = "weather_normalise"

#: Who may upload a measured period and start its normalisation: whoever sets the typical year.
PERMISSION = "programme:update"


# --- reading and checking --------------------------------------------------------------------------


def read_period(*, filename: str, content: bytes) -> WeatherYear:
    """Read an uploaded file keeping its dates, or :class:`InvalidInput` saying why (field ``file``)."""
    return service.read_upload(filename=filename, content=content, keep_dates=True)


def check_period(year: WeatherYear, *, filename: str) -> tuple[tuple[int, int], ...]:
    """The (year, month)s of a measured period once it is fit (see the module), else
    :class:`InvalidInput` naming the record at fault."""
    gap = first_gap(year)
    if gap is not None:
        raise InvalidInput(
            "{filename}, record {record:,} ({time}): the records are not consecutive (the one before "
            "covers {previous}). A measured period runs without gaps; a typical year, whose months come "
            "from different years, is set as the programme's weather year instead.",
            filename=filename,
            record=gap + 1,
            time=_interval_text(year, gap),
            previous=_interval_text(year, gap - 1),
            field="file",
        )
    start, end = interval_bounds(year)
    if not (is_month_start(start) and is_month_start(end)):
        raise InvalidInput(
            "{filename}: the records run from {start} to {end}; a measured period covers whole calendar "
            "months, from midnight on the 1st to midnight ending the last day (the file's local time).",
            filename=filename,
            start=f"{start:%Y-%m-%d %H:%M}",
            end=f"{end:%Y-%m-%d %H:%M}",
            field="file",
        )
    months = period_months(year)
    if len(months) > MAX_MONTHS:
        raise InvalidInput(
            "{filename} covers {months} months; upload at most {limit} consecutive months per file "
            "(one file per year).",
            filename=filename,
            months=len(months),
            limit=MAX_MONTHS,
            field="file",
        )
    validation.period_report(year).raise_for(filename)
    return months


def _interval_text(year: WeatherYear, position: int) -> str:
    centre = year.interval_centers()[position]
    half = year.interval.step / 2
    return f"{centre - half:%Y-%m-%d %H:%M}–{centre + half:%H:%M}"


# --- storing ----------------------------------------------------------------------------------------


def upload_measured(
    *, session: Session, actor: User, filename: str, content: bytes, confirm_far: bool = False
) -> WeatherDataset:
    """Store the measured weather of a period (office). Nothing is written unless it reads, is a
    whole-month period of plausible values, and is near the programme or confirmed far
    (:class:`~pvhub.weather.service.FarLocation` otherwise). The caller starts the normalisation
    (:func:`request_normalisation`)."""
    policy.require(actor, PERMISSION)
    year = read_period(filename=filename, content=content)
    months = check_period(year, filename=filename)
    lat, lon = service.programme_location(session=session)
    distance = validation.distance_km(lat, lon, year.latitude, year.longitude)
    far = distance > validation.FAR_KM
    if far and not confirm_far:
        raise service.FarLocation(filename=filename, distance_km=distance)
    _refuse_duplicate(session, year.sha256, filename)
    dataset = _new_dataset(actor, filename, content, year, months, distance, far)
    session.add(dataset)
    session.flush()
    audit.record(
        session,
        actor=actor,
        entity="weather",
        entity_id=dataset.id,
        action="upload_measured",
        after=audit.snapshot(dataset),  # the file's bytes are left out (audit redacts ``content``)
    )
    return dataset


def _refuse_duplicate(session: Session, sha256: str, filename: str) -> None:
    query = select(WeatherDataset.id).where(
        WeatherDataset.sha256 == sha256, WeatherDataset.purpose == WeatherPurpose.measured
    )
    found = session.exec(query).first()
    if found is not None:
        raise Conflict(
            "{filename} is already stored as measured weather #{dataset_id}; run its comparison again "
            "instead of uploading it twice.",
            filename=filename,
            dataset_id=found,
            field="file",
        )


def _new_dataset(
    actor: User,
    filename: str,
    content: bytes,
    year: WeatherYear,
    months: tuple[tuple[int, int], ...],
    distance: float,
    far: bool,
) -> WeatherDataset:
    start, end = interval_bounds(year)
    description = _plain(year.describe())
    description["months"] = [f"{y:04d}-{m:02d}" for y, m in months]
    return WeatherDataset(
        purpose=WeatherPurpose.measured,
        name=PurePath(filename.replace("\\", "/")).name[:200],
        source=year.source[:20],
        label=year.label[:300],
        sha256=year.sha256,
        latitude=year.latitude,
        longitude=year.longitude,
        altitude_m=year.altitude,
        distance_km=round(distance, 3),
        far_confirmed=far,
        hours=len(year.data),
        period_start=start.to_pydatetime(),
        period_end=end.to_pydatetime(),
        # over the period, not a year: the column is the irradiation the file holds
        annual_ghi_kwh_m2=round(validation.annual_ghi_kwh_m2(year), 1),
        description=description,
        content=content,
        uploaded_by_id=actor.id,
    )


def _plain(value: dict[str, Any]) -> dict[str, Any]:
    """The reader's provenance as plain JSON (numpy numbers become Python ones)."""
    out: dict[str, Any] = json.loads(
        json.dumps(value, default=lambda v: v.item() if hasattr(v, "item") else str(v))
    )
    return out


def request_normalisation(*, session: Session, actor: User | None, dataset_id: int) -> Job:
    """Queue the job that re-estimates the connected surfaces on measured weather ``dataset_id``
    (the caller commits and starts it)."""
    get_measured(session=session, dataset_id=dataset_id)
    return jobs.submit(
        session=session, actor=actor, kind=NORMALISE_KIND, parameters={"dataset_id": dataset_id}
    )


# --- reading ----------------------------------------------------------------------------------------


def get_measured(*, session: Session, dataset_id: int) -> WeatherDataset:
    """A stored measured period, or :class:`~pvhub.core.errors.NotFound`."""
    dataset = session.get(WeatherDataset, dataset_id)
    if dataset is None or dataset.purpose != WeatherPurpose.measured:
        raise NotFound("No measured weather with id {dataset_id}.", dataset_id=dataset_id)
    return dataset


def list_measured(*, session: Session) -> list[WeatherDataset]:
    """Every stored measured period, the latest upload first."""
    query = select(WeatherDataset).where(WeatherDataset.purpose == WeatherPurpose.measured)
    return list(
        session.exec(query.order_by(col(WeatherDataset.uploaded_at).desc(), col(WeatherDataset.id).desc()))
    )


def load_period(dataset: WeatherDataset) -> WeatherYear:
    """The stored file read again with its own dates."""
    return read_period(filename=dataset.name, content=dataset.content)
