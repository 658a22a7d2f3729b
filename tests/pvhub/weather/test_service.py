"""The programme's weather year through the service, on a real database and real weather files."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from sqlmodel import Session, func, select

from pvhub.accounts.models import User
from pvhub.core.audit_events import AuditEvent
from pvhub.core.enums import Role
from pvhub.core.errors import Conflict, InvalidInput, PermissionDenied
from pvhub.programme.models import Programme
from pvhub.weather import service
from pvhub.weather.models import WeatherChoice, WeatherDataset
from pvhub.yieldengine import default_weather
from tests.pvhub.weather import files


@pytest.fixture
def office(make_user) -> User:  # type: ignore[no-untyped-def]
    return make_user("office@weather.test", Role.office)


def counts(session: Session) -> tuple[int, int, int]:
    """Rows of the tables a weather change writes: datasets, choices, audit events."""
    return tuple(  # type: ignore[return-value]
        session.exec(select(func.count()).select_from(table)).one()
        for table in (WeatherDataset, WeatherChoice, AuditEvent)
    )


def test_the_synthetic_year_is_the_default_and_says_so(session: Session) -> None:
    summary = service.current_summary(session=session)
    assert summary.synthetic and summary.source == "synthetic" and summary.set_at is None
    assert summary.sha256 == default_weather().sha256 == service.current_weather_sha256(session=session)
    assert service.current_weather(session=session) is default_weather()
    assert service.current_dataset(session=session) is None and service.history(session=session) == []


def test_an_epw_upload_becomes_the_programme_year(session: Session, office: User, tmp_path: Path) -> None:
    content = files.epw_bytes(tmp_path)
    dataset = service.set_programme_weather(
        session=session, actor=office, filename="shanghai.epw", content=content
    )
    session.commit()
    sha = hashlib.sha256(content).hexdigest()
    assert (dataset.name, dataset.source, dataset.sha256, dataset.hours) == ("shanghai.epw", "epw", sha, 8760)
    assert dataset.distance_km is not None and dataset.distance_km < 5 and not dataset.far_confirmed
    assert dataset.description["interval"]["label"] == "start" and dataset.content == content
    assert (dataset.period_end - dataset.period_start).days == 365
    assert dataset.annual_ghi_kwh_m2 == pytest.approx(1566, abs=2)

    summary = service.current_summary(session=session)
    assert not summary.synthetic and summary.sha256 == sha and summary.set_by == office.email
    assert service.current_weather_sha256(session=session) == sha
    year = service.current_weather(session=session)
    assert year.sha256 == sha and year.source == "epw" and "shanghai.epw" in year.label
    [item] = service.history(session=session)
    assert (item.name, item.sha256, item.set_by) == ("shanghai.epw", sha, office.email)
    event = session.exec(select(AuditEvent).where(AuditEvent.entity == "weather")).one()
    assert event.actor_label == office.email and "content" not in (event.after or {})


def test_tmy3_then_pvgis_keep_a_history_newest_first(session: Session, office: User, tmp_path: Path) -> None:
    service.set_programme_weather(
        session=session, actor=office, filename="near.csv", content=files.tmy3_bytes(tmp_path)
    )
    service.set_programme_weather(
        session=session, actor=office, filename="near.json", content=files.pvgis_json_bytes(tmp_path)
    )
    session.commit()
    assert [item.source for item in service.history(session=session)] == ["pvgis", "tmy3"]
    assert service.current_summary(session=session).source == "pvgis"


def test_the_same_file_is_stored_once(session: Session, office: User, tmp_path: Path) -> None:
    content = files.epw_bytes(tmp_path)
    first = service.set_programme_weather(session=session, actor=office, filename="a.epw", content=content)
    again = service.set_programme_weather(session=session, actor=office, filename="b.epw", content=content)
    session.commit()
    assert first.id == again.id
    assert counts(session)[:2] == (1, 2)


def test_a_truncated_file_says_why_and_changes_nothing(
    session: Session, office: User, tmp_path: Path
) -> None:
    lines = files.epw_bytes(tmp_path).splitlines(keepends=True)
    before = counts(session)
    with pytest.raises(InvalidInput) as caught:
        service.set_programme_weather(
            session=session, actor=office, filename="cut.epw", content=b"".join(lines[: 8 + 4000])
        )
    session.rollback()
    assert "cut.epw" in caught.value.message and "full year" in caught.value.message
    assert "/tmp" not in caught.value.message and caught.value.field == "file"
    assert counts(session) == before


def test_a_value_out_of_range_names_the_record_and_field(
    session: Session, office: User, tmp_path: Path
) -> None:
    content = files.with_epw_value(files.epw_bytes(tmp_path), 4381, files.EPW_GHI, "2150")
    content = files.with_epw_value(content, 20, files.EPW_TEMP, "71.5")
    before = counts(session)
    with pytest.raises(InvalidInput) as caught:
        service.set_programme_weather(session=session, actor=office, filename="odd.epw", content=content)
    session.rollback()
    message = caught.value.message
    assert "odd.epw" in message and "(2 problems)" in message
    assert "record 20 (1990-01-01 19:00–20:00): temp_air 71.5 °C is above the plausible 55" in message
    assert "record 4,381 (1990-07-02 12:00–13:00): ghi 2,150.0 W/m² is above the plausible 1,400" in message
    assert counts(session) == before


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        ("empty.epw", b"", "empty"),
        ("notes.txt", b"hello", "only"),
        ("junk.epw", b"LOCATION,nowhere\n1,2,3\n", "cannot be read"),
    ],
)
def test_files_that_are_not_weather_are_refused(
    session: Session, office: User, name: str, content: bytes, says: str
) -> None:
    with pytest.raises(InvalidInput, match=says):
        service.set_programme_weather(session=session, actor=office, filename=name, content=content)


def test_a_far_file_needs_confirmation(session: Session, office: User, tmp_path: Path) -> None:
    content = files.epw_bytes(tmp_path, files.greensboro())
    before = counts(session)
    with pytest.raises(service.FarLocation) as caught:
        service.set_programme_weather(session=session, actor=office, filename="gso.epw", content=content)
    session.rollback()
    assert isinstance(caught.value, Conflict) and caught.value.status_code == 409
    assert 12_000 < caught.value.distance_km < 12_500 and "confirm" in caught.value.message
    assert counts(session) == before

    dataset = service.set_programme_weather(
        session=session, actor=office, filename="gso.epw", content=content, confirm_far=True
    )
    session.commit()
    assert dataset.far_confirmed and dataset.distance_km is not None and dataset.distance_km > 12_000


def test_the_programme_location_is_its_boundary_centroid(session: Session) -> None:
    assert service.programme_location(session=session) == service.HUANGPU_LAT_LON
    square = [[121.0, 31.0], [122.0, 31.0], [122.0, 32.0], [121.0, 32.0], [121.0, 31.0]]
    session.add(Programme(boundary={"type": "Polygon", "coordinates": [square]}))
    session.commit()
    assert service.programme_location(session=session) == pytest.approx((31.5, 121.5))


def test_only_the_office_sets_the_year(session: Session, make_user, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    owner = make_user("owner@weather.test", Role.owner)
    with pytest.raises(PermissionDenied):
        service.set_programme_weather(
            session=session, actor=owner, filename="a.epw", content=files.epw_bytes(tmp_path)
        )
    with pytest.raises(PermissionDenied):
        service.fetch_pvgis(session=session, actor=owner, url="http://127.0.0.1:9/")


def test_pvgis_offline_says_to_upload_a_file(session: Session, office: User) -> None:
    before = counts(session)
    with pytest.raises(Conflict, match=r"PVGIS cannot be reached from this server \(offline\?\)"):
        service.fetch_pvgis(session=session, actor=office, url="http://127.0.0.1:9/api/tmy")
    session.rollback()
    assert counts(session) == before


@pytest.fixture
def pvgis_server(tmp_path: Path) -> Iterator[tuple[str, list[dict[str, list[str]]]]]:
    """A local HTTP server answering like PVGIS's /api/tmy with a TMY JSON written by pvhub's writer."""
    body = files.pvgis_json_bytes(tmp_path)
    asked: list[dict[str, list[str]]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked.append(parse_qs(urlparse(self.path).query))
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/api/tmy", asked
    server.shutdown()
    server.server_close()


def test_pvgis_fetch_sets_the_year(
    session: Session, office: User, pvgis_server: tuple[str, list[dict[str, list[str]]]]
) -> None:
    url, asked = pvgis_server
    dataset = service.fetch_pvgis(session=session, actor=office, url=url)
    session.commit()
    assert asked == [{"lat": ["31.2317"], "lon": ["121.4846"], "outputformat": ["json"]}]
    assert dataset.source == "pvgis" and dataset.name == "pvgis_tmy_31.2317_121.4846.json"
    assert json.loads(dataset.content)["inputs"]["location"]["latitude"] == files.NEAR[0]
    assert service.current_summary(session=session).source == "pvgis"
