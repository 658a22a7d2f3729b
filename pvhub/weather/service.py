"""The programme's weather year: set by upload or from PVGIS, validated, stored, kept as a history.

The rules live here; the API, the pages and the CLI only call these functions. Setting a year
writes nothing unless the file reads, passes :mod:`pvhub.weather.validation`, and lies within
:data:`~pvhub.weather.validation.FAR_KM` of the programme (or the office confirmed it); then the
file's bytes are stored once per SHA-256 (:class:`WeatherDataset`) and a :class:`WeatherChoice`
records who set it when. The latest choice is the current year; with none, the embedded synthetic
year is used and labelled as such.

Estimates are not re-run here: the estimates domain sits above this one and compares its stored
weather SHA-256 with :func:`current_weather_sha256`.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
from collections import OrderedDict
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path, PurePath
from typing import Any

import httpx
from shapely.geometry import shape
from sqlmodel import Session, col, select

from pvhub.accounts.models import User
from pvhub.core import audit, policy
from pvhub.core.errors import Conflict, InvalidInput
from pvhub.programme.service import get_programme
from pvhub.weather import validation
from pvhub.weather.enums import WeatherPurpose
from pvhub.weather.models import WeatherChoice, WeatherDataset
from pvhub.yieldengine import default_weather
from pvhub.yieldengine.weather import PVGIS_URL, WeatherError, WeatherYear, read_weather

#: Where the programme is while it has no boundary: Huangpu District, Shanghai, the district this
#: programme was built for — 31°13′54″ N 121°29′05″ E, the district's coordinates in Wikipedia's
#: "Huangpu District, Shanghai" (the district government, near People's Square).
HUANGPU_LAT_LON = (31.2317, 121.4846)

#: Largest weather file accepted [bytes]: an EPW is ~1.6 MB, a PVGIS TMY JSON ~3 MB.
MAX_WEATHER_BYTES = 20_000_000

#: The file types the readers tell apart (by name, then content).
WEATHER_SUFFIXES = (".epw", ".csv", ".json", ".tmy3")

PVGIS_TIMEOUT_S = 30.0

_CACHE_SIZE = 4
_cache: OrderedDict[str, WeatherYear] = OrderedDict()


class FarLocation(Conflict):
    """The file's location is over :data:`~pvhub.weather.validation.FAR_KM` from the programme's;
    the office must confirm it (``confirm_far``). ``distance_km`` lets a client ask."""

    def __init__(self, *, filename: str, distance_km: float) -> None:
        super().__init__(
            "{filename} was recorded {distance_km:,.0f} km from the programme's location, more than "
            "{limit_km:,.0f} km; confirm the far location (confirm_far) to use it anyway.",
            filename=filename,
            distance_km=distance_km,
            limit_km=validation.FAR_KM,
            field="confirm_far",
        )
        self.distance_km = distance_km


@dataclass(frozen=True)
class WeatherSummary:
    """The programme's current weather year as pages, the API and the CLI show it."""

    name: str
    label: str
    source: str
    sha256: str
    latitude: float
    longitude: float
    distance_km: float | None
    set_at: datetime | None
    set_by: str | None
    synthetic: bool
    hours: int
    annual_ghi_kwh_m2: float | None


@dataclass(frozen=True)
class WeatherHistoryItem:
    """One time the office set the programme's weather year."""

    set_at: datetime
    set_by: str | None
    dataset_id: int
    name: str
    source: str
    sha256: str


# --- reading an upload ------------------------------------------------------------------------------


def read_upload(*, filename: str, content: bytes, keep_dates: bool = False) -> WeatherYear:
    """Read an uploaded weather file (EPW, TMY3, PVGIS JSON/CSV/EPW), or :class:`InvalidInput` saying why.

    ``keep_dates`` keeps the file's own dates and accepts part of a year (measured weather, see
    :mod:`pvhub.weather.measured`); without it the file is read as a typical year.

    The pvlib readers need a path: the bytes are written under the file's own (sanitised) name in a
    temporary directory, so the year's label names the upload, and pvlib's complaints are passed on
    with the upload's name in place of the temporary path. ``sha256`` is that of ``content``.
    """
    _check_size(filename, content)
    safe = _safe_name(filename)
    with tempfile.TemporaryDirectory(prefix="pvhub-weather-") as tmp:
        path = Path(tmp) / safe
        path.write_bytes(content)
        try:
            year = read_weather(path, keep_dates=keep_dates)
        except WeatherError as exc:
            reason = str(exc).replace(str(path), filename).replace(tmp, "")
            raise InvalidInput(
                "{filename} cannot be read as a weather file: {reason}",
                filename=filename,
                reason=reason,
                field="file",
            ) from None
    return replace(year, sha256=hashlib.sha256(content).hexdigest())


def _check_size(filename: str, content: bytes) -> None:
    if not content:
        raise InvalidInput("{filename}: the file is empty.", filename=filename, field="file")
    if len(content) > MAX_WEATHER_BYTES:
        raise InvalidInput(
            "{filename}: {size_mb:.1f} MB is more than the {max_mb:g} MB allowed.",
            filename=filename,
            size_mb=len(content) / 1e6,
            max_mb=MAX_WEATHER_BYTES / 1e6,
            field="file",
        )
    if PurePath(filename).suffix.lower() not in WEATHER_SUFFIXES:
        raise InvalidInput(
            "{filename}: only {suffixes} files are accepted.",
            filename=filename,
            suffixes=list(WEATHER_SUFFIXES),
            field="file",
        )


def _safe_name(filename: str) -> str:
    """The upload's base name with only harmless characters (it becomes a path and a label)."""
    name = re.sub(r"[^\w.\-]+", "_", PurePath(filename.replace("\\", "/")).name).strip("._")
    suffix = PurePath(filename).suffix.lower()
    return (name[:100] or "weather") + ("" if name.lower().endswith(suffix) else suffix)


# --- setting the typical year -----------------------------------------------------------------------


def set_programme_weather(
    *,
    session: Session,
    actor: User | None,
    filename: str,
    content: bytes,
    confirm_far: bool = False,
) -> WeatherDataset:
    """Make an uploaded file the programme's typical year (office; ``actor`` None = the operator at
    the command line). Nothing is written unless it reads, validates and is near or confirmed."""
    if actor is not None:
        policy.require(actor, "programme:update")
    year = read_upload(filename=filename, content=content)
    return _set_typical(
        session=session, actor=actor, filename=filename, content=content, year=year, confirm_far=confirm_far
    )


def fetch_pvgis(
    *,
    session: Session,
    actor: User | None,
    confirm_far: bool = False,
    client: httpx.Client | None = None,
    url: str = PVGIS_URL,
) -> WeatherDataset:
    """Fetch PVGIS's TMY for the programme's location and set it as the typical year, as an upload.

    Where the server cannot reach PVGIS (offline, firewalled), :class:`Conflict` says to upload a
    file instead. ``client`` and ``url`` let a test serve the answer from a local server.
    """
    if actor is not None:
        policy.require(actor, "programme:update")
    lat, lon = programme_location(session=session)
    content = _download_pvgis(lat, lon, client=client, url=url)
    filename = f"pvgis_tmy_{lat:.4f}_{lon:.4f}.json"
    year = read_upload(filename=filename, content=content)
    return _set_typical(
        session=session, actor=actor, filename=filename, content=content, year=year, confirm_far=confirm_far
    )


def _download_pvgis(lat: float, lon: float, *, client: httpx.Client | None, url: str) -> bytes:
    """The bytes of PVGIS's TMY JSON for a location (the parameters of ``fetch_pvgis_tmy``)."""
    params: dict[str, str | float] = {"lat": round(lat, 4), "lon": round(lon, 4), "outputformat": "json"}
    try:
        if client is None:
            with httpx.Client(timeout=PVGIS_TIMEOUT_S) as own:
                response = own.get(url, params=params)
        else:
            response = client.get(url, params=params)
    except httpx.HTTPError:
        raise Conflict(
            "PVGIS cannot be reached from this server (offline?): upload a file instead.", field="pvgis"
        ) from None
    if response.status_code != 200:
        raise Conflict(
            "PVGIS refused the request ({status}): {reason}",
            status=response.status_code,
            reason=response.text[:200],
            field="pvgis",
        )
    return response.content


def _set_typical(
    *,
    session: Session,
    actor: User | None,
    filename: str,
    content: bytes,
    year: WeatherYear,
    confirm_far: bool,
) -> WeatherDataset:
    """Validate, check the distance, store (once per SHA-256), record the choice and audit it."""
    report = validation.typical_year_report(year)
    report.raise_for(filename)
    lat, lon = programme_location(session=session)
    distance = validation.distance_km(lat, lon, year.latitude, year.longitude)
    far = distance > validation.FAR_KM
    if far and not confirm_far:
        raise FarLocation(filename=filename, distance_km=distance)
    previous = current_dataset(session=session)
    dataset = _stored_dataset(session, year.sha256, WeatherPurpose.typical)
    if dataset is None:
        dataset = _new_dataset(actor, filename, content, year, report.annual_ghi_kwh_m2)
    dataset.distance_km = round(distance, 3)
    dataset.far_confirmed = dataset.far_confirmed or (far and confirm_far)
    session.add(dataset)
    session.flush()
    assert dataset.id is not None
    session.add(WeatherChoice(dataset_id=dataset.id, set_by_id=actor.id if actor else None))
    audit.record(
        session,
        actor=actor,
        entity="weather",
        entity_id=dataset.id,
        action="set_typical",
        before=audit.snapshot(previous),
        after=audit.snapshot(dataset),
    )
    session.flush()
    return dataset


def _stored_dataset(session: Session, sha256: str, purpose: WeatherPurpose) -> WeatherDataset | None:
    query = select(WeatherDataset).where(WeatherDataset.sha256 == sha256, WeatherDataset.purpose == purpose)
    return session.exec(query.order_by(col(WeatherDataset.id))).first()


def _new_dataset(
    actor: User | None, filename: str, content: bytes, year: WeatherYear, annual_ghi: float
) -> WeatherDataset:
    start, end = validation.period_bounds(year)
    return WeatherDataset(
        purpose=WeatherPurpose.typical,
        name=PurePath(filename).name[:200],
        source=year.source[:20],
        label=year.label[:300],
        sha256=year.sha256,
        latitude=year.latitude,
        longitude=year.longitude,
        altitude_m=year.altitude,
        hours=len(year.data),
        period_start=start.to_pydatetime(),
        period_end=end.to_pydatetime(),
        annual_ghi_kwh_m2=round(annual_ghi, 1),
        description=_json_safe(year.describe()),
        content=content,
        uploaded_by_id=actor.id if actor else None,
    )


def _json_safe(value: Any) -> Any:
    """The reader's provenance as plain JSON (numpy floats and the like become Python ones)."""
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, bool | int | float | str) or value is None:
        return value
    if hasattr(value, "item"):
        return value.item()
    return str(value)


# --- reading the current year -----------------------------------------------------------------------


def programme_location(*, session: Session) -> tuple[float, float]:
    """(lat, lon) of the programme: its boundary's centroid, or :data:`HUANGPU_LAT_LON` without one."""
    boundary = get_programme(session=session).boundary
    if not boundary:
        return HUANGPU_LAT_LON
    centroid = shape(boundary).centroid
    return float(centroid.y), float(centroid.x)


def _latest_choice(session: Session) -> WeatherChoice | None:
    query = select(WeatherChoice).order_by(col(WeatherChoice.set_at).desc(), col(WeatherChoice.id).desc())
    return session.exec(query).first()


def current_dataset(*, session: Session) -> WeatherDataset | None:
    """The stored file of the latest choice, or None while the synthetic default is in use."""
    choice = _latest_choice(session)
    return None if choice is None else session.get(WeatherDataset, choice.dataset_id)


def load_dataset(dataset: WeatherDataset) -> WeatherYear:
    """The stored file read again (cached in this process by its SHA-256: reading takes ~0.3 s)."""
    cached = _cache.get(dataset.sha256)
    if cached is not None:
        _cache.move_to_end(dataset.sha256)
        return cached
    year = read_upload(filename=dataset.name, content=dataset.content)
    _cache[dataset.sha256] = year
    while len(_cache) > _CACHE_SIZE:
        _cache.popitem(last=False)
    return year


def current_weather(*, session: Session) -> WeatherYear:
    """The programme's weather year: the stored file, or the embedded synthetic year while none is set."""
    dataset = current_dataset(session=session)
    return default_weather() if dataset is None else load_dataset(dataset)


def current_weather_sha256(*, session: Session) -> str:
    """The current year's SHA-256 without reading its file (estimates compare theirs with it)."""
    choice = _latest_choice(session)
    if choice is None:
        return default_weather().sha256
    sha = session.exec(select(WeatherDataset.sha256).where(WeatherDataset.id == choice.dataset_id)).one()
    return str(sha)


def current_summary(*, session: Session) -> WeatherSummary:
    """What the programme's weather year is, who set it when; the synthetic default says so."""
    choice = _latest_choice(session)
    dataset = None if choice is None else session.get(WeatherDataset, choice.dataset_id)
    if choice is None or dataset is None:
        return _default_summary(session)
    return WeatherSummary(
        name=dataset.name,
        label=dataset.label,
        source=dataset.source,
        sha256=dataset.sha256,
        latitude=dataset.latitude,
        longitude=dataset.longitude,
        distance_km=dataset.distance_km,
        set_at=choice.set_at,
        set_by=_who(session, choice.set_by_id),
        synthetic=False,
        hours=dataset.hours,
        annual_ghi_kwh_m2=dataset.annual_ghi_kwh_m2,
    )


def _default_summary(session: Session) -> WeatherSummary:
    year = default_weather()
    lat, lon = programme_location(session=session)
    return WeatherSummary(
        name="synthetic",
        label=year.label,
        source=year.source,
        sha256=year.sha256,
        latitude=year.latitude,
        longitude=year.longitude,
        distance_km=round(validation.distance_km(lat, lon, year.latitude, year.longitude), 3),
        set_at=None,
        set_by=None,
        synthetic=True,
        hours=len(year.data),
        annual_ghi_kwh_m2=round(validation.annual_ghi_kwh_m2(year), 1),
    )


def history(*, session: Session) -> list[WeatherHistoryItem]:
    """Every time a typical year was set, newest first: when, by whom, which file."""
    query = (
        select(WeatherChoice, WeatherDataset)
        .join(WeatherDataset, col(WeatherDataset.id) == col(WeatherChoice.dataset_id))
        .order_by(col(WeatherChoice.set_at).desc(), col(WeatherChoice.id).desc())
    )
    users = _emails(session)
    return [
        WeatherHistoryItem(
            set_at=choice.set_at,
            set_by=None if choice.set_by_id is None else users.get(choice.set_by_id),
            dataset_id=dataset.id or 0,
            name=dataset.name,
            source=dataset.source,
            sha256=dataset.sha256,
        )
        for choice, dataset in session.exec(query).all()
    ]


def _who(session: Session, user_id: int | None) -> str | None:
    """The e-mail of whoever set a year; None for the operator at the command line."""
    if user_id is None:
        return None
    user = session.get(User, user_id)
    return None if user is None else user.email


def _emails(session: Session) -> dict[int, str]:
    ids = select(WeatherChoice.set_by_id).where(col(WeatherChoice.set_by_id).is_not(None))
    rows = session.exec(select(User.id, User.email).where(col(User.id).in_(ids))).all()
    return {int(uid): email for uid, email in rows if uid is not None}
