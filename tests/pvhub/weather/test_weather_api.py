"""/api/v1/programme/weather over the whole app and a real database."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from pvhub.core.enums import Role
from pvhub.weather.models import WeatherChoice, WeatherDataset
from tests.conftest import api_token
from tests.pvhub.weather import files

URL = "/api/v1/programme/weather"


def stored(session: Session) -> tuple[int, int]:
    session.expire_all()
    return (
        session.exec(select(func.count()).select_from(WeatherDataset)).one(),
        session.exec(select(func.count()).select_from(WeatherChoice)).one(),
    )


def test_office_sets_the_year_anyone_signed_in_reads_it(
    client: TestClient,
    session: Session,
    make_user,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    make_user("office@api.test", Role.office)
    make_user("owner@api.test", Role.owner)
    office, owner = api_token(client, "office@api.test"), api_token(client, "owner@api.test")
    assert client.get(URL).status_code == 401
    default = client.get(URL, headers=owner).json()
    assert default["current"]["synthetic"] is True and default["history"] == []

    content = files.epw_bytes(tmp_path)
    refused = client.post(URL, headers=owner, files={"file": ("near.epw", content)})
    assert refused.status_code == 403 and stored(session) == (0, 0)

    created = client.post(URL, headers=office, files={"file": ("near.epw", content)})
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["synthetic"] is False and body["name"] == "near.epw" and body["set_by"] == "office@api.test"
    overview = client.get(URL, headers=owner).json()
    assert overview["current"]["sha256"] == body["sha256"]
    assert [item["name"] for item in overview["history"]] == ["near.epw"]


def test_a_far_file_is_409_with_its_distance_until_confirmed(
    client: TestClient,
    session: Session,
    make_user,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    make_user("office@api.test", Role.office)
    office = api_token(client, "office@api.test")
    content = files.epw_bytes(tmp_path, files.greensboro())
    far = client.post(URL, headers=office, files={"file": ("gso.epw", content)})
    assert far.status_code == 409
    assert 12_000 < far.json()["distance_km"] < 12_500 and far.json()["field"] == "confirm_far"
    assert stored(session) == (0, 0)
    confirmed = client.post(
        URL, headers=office, files={"file": ("gso.epw", content)}, data={"confirm_far": "true"}
    )
    assert confirmed.status_code == 201 and confirmed.json()["distance_km"] > 12_000


def test_bad_and_oversized_files_change_nothing(
    client: TestClient,
    session: Session,
    make_user,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    make_user("office@api.test", Role.office)
    office = api_token(client, "office@api.test")
    bad = files.with_epw_value(files.epw_bytes(tmp_path), 4381, files.EPW_GHI, "2150")
    refused = client.post(URL, headers=office, files={"file": ("bad.epw", bad)})
    assert refused.status_code == 422 and refused.json()["field"] == "file"
    assert "record 4,381" in refused.json()["detail"] and "ghi" in refused.json()["detail"]
    huge = client.post(URL, headers=office, files={"file": ("huge.epw", b"0" * 20_000_001)})
    assert huge.status_code == 413
    assert stored(session) == (0, 0)


def test_pvgis_is_for_the_office(client: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("owner@api.test", Role.owner)
    owner = api_token(client, "owner@api.test")
    assert client.post(f"{URL}/pvgis", headers=owner, json={"confirm_far": False}).status_code == 403
