"""A large import over the API runs as a background job: 202 and the job to poll, then the report as its
result; a dry run, and an import asked not to, stay an answer of the request."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from pvhub.core.enums import Role
from pvhub.core.settings import Settings
from pvhub.jobs.models import Job
from pvhub.register.models import Site, Surface
from tests.conftest import api_token
from tests.pvhub.jobs.test_jobs import wait_for
from tests.pvhub.register.test_imports_api import BAD_CSV, CSV


@pytest.fixture
def small_jobs(settings: Settings, tmp_path: Path) -> Path:
    """Every import of more than 100 bytes is a job; uploads wait under ``tmp_path``."""
    settings.import_job_mb = 0.0001
    settings.data_dir = tmp_path
    assert len(CSV.encode()) > 100
    return tmp_path


def count(session: Session, model: type) -> int:
    session.rollback()  # a fresh snapshot: the job wrote on its own connection
    return int(session.exec(select(func.count()).select_from(model)).one())


def uploads(data_dir: Path) -> list[Path]:
    folder = data_dir / "imports"
    return sorted(folder.iterdir()) if folder.exists() else []


def post(client: TestClient, headers: dict[str, str], content: bytes, **data: str) -> Any:
    files = {"file": ("survey.csv", content, "text/csv")}
    return client.post("/api/v1/imports", files=files, data=data, headers=headers)


def test_a_file_over_the_threshold_is_imported_by_a_job(
    client: TestClient, session: Session, make_user, small_jobs: Path
) -> None:  # type: ignore[no-untyped-def]
    owner = make_user("w@x.cn", Role.owner, "外滩物业")
    headers = api_token(client, "w@x.cn")
    response = post(client, headers, CSV.encode())
    assert response.status_code == 202, response.text
    job_id = response.json()["job_id"]
    assert response.json() == {"job_id": job_id, "status_url": f"/api/v1/jobs/{job_id}"}
    assert response.headers["location"] == f"/api/v1/jobs/{job_id}"

    job = wait_for(client, job_id, headers)
    assert job["kind"] == "import" and job["status"] == "succeeded" and job["progress"] == 1.0
    assert job["result"]["ok"] is True
    assert job["result"]["created"] == {
        "sites": 1,
        "surfaces": {"roof": 1, "curtain_wall": 1, "corridor": 0, "walkway": 0},
    }
    params = job["parameters"]
    assert params["filename"] == "survey.csv" and params["size"] == len(CSV.encode())
    assert params["actor_id"] == owner.id and params["organisation_id"] == owner.organisation_id
    assert not [k for k in params if k.startswith("_")]  # not where the server keeps the file
    assert str(small_jobs) not in json.dumps(job)
    assert count(session, Site) == 1 and count(session, Surface) == 2
    assert uploads(small_jobs) == []


def test_a_bad_large_file_imports_nothing_and_its_job_lists_the_problems(
    client: TestClient, session: Session, make_user, small_jobs: Path
) -> None:  # type: ignore[no-untyped-def]
    make_user("w@x.cn", Role.owner, "外滩物业")
    headers = api_token(client, "w@x.cn")
    synchronous = post(client, headers, BAD_CSV.encode(), background="false")
    assert synchronous.status_code == 422

    response = post(client, headers, BAD_CSV.encode())
    assert response.status_code == 202
    job = wait_for(client, response.json()["job_id"], headers)
    assert job["status"] == "succeeded" and job["result"]["ok"] is False
    errors = job["result"]["errors"]
    assert [(e["index"], e["field"], e["message"]) for e in errors] == [
        (e["index"], e["field"], e["message"]) for e in synchronous.json()["errors"]
    ]
    assert any(e["index"] == 4 and e["field"] == "tilt_deg" and e["template"] for e in errors), errors
    assert job["result"]["created"]["sites"] == 0
    assert count(session, Site) == 0 and count(session, Surface) == 0
    assert uploads(small_jobs) == []


def test_a_bad_geojson_feature_is_named_by_its_index(
    client: TestClient, session: Session, make_user, small_jobs: Path
) -> None:  # type: ignore[no-untyped-def]
    make_user("w@x.cn", Role.owner, "外滩物业")
    headers = api_token(client, "w@x.cn")
    ring = [[121.490, 31.238], [121.4902, 31.238], [121.4902, 31.2382], [121.490, 31.2382], [121.490, 31.238]]
    good = {"site_name": "外滩大楼", "kind": "roof", "tilt_deg": 10, "azimuth_deg": 180}
    features = [
        {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [ring]}, "properties": props}
        for props in (good, {**good, "tilt_deg": 120})
    ]
    content = json.dumps({"type": "FeatureCollection", "features": features}).encode()
    response = client.post(
        "/api/v1/imports",
        files={"file": ("roofs.geojson", content)},
        data={"background": "true"},
        headers=headers,
    )
    assert response.status_code == 202
    result = wait_for(client, response.json()["job_id"], headers)["result"]
    assert result["ok"] is False and result["format"] == "geojson"
    assert [(e["index"], e["field"]) for e in result["errors"]] == [(1, "tilt_deg")]
    assert count(session, Site) == 0


def test_background_false_answers_in_the_request(
    client: TestClient, session: Session, make_user, small_jobs: Path
) -> None:  # type: ignore[no-untyped-def]
    make_user("w@x.cn", Role.owner, "外滩物业")
    response = post(client, api_token(client, "w@x.cn"), CSV.encode(), background="false")
    assert response.status_code == 200 and response.json()["created"]["sites"] == 1
    assert count(session, Job) == 0 and count(session, Site) == 1 and uploads(small_jobs) == []


def test_a_dry_run_is_never_a_job(client: TestClient, session: Session, make_user, small_jobs: Path) -> None:  # type: ignore[no-untyped-def]
    make_user("w@x.cn", Role.owner, "外滩物业")
    headers = api_token(client, "w@x.cn")
    for background in ({}, {"background": "true"}):
        response = post(client, headers, CSV.encode(), dry_run="true", **background)
        assert response.status_code == 200 and response.json()["dry_run"] is True
    assert count(session, Job) == 0 and count(session, Site) == 0 and uploads(small_jobs) == []


def test_background_true_makes_a_small_file_a_job_and_the_default_threshold_does_not(
    client: TestClient, make_user, settings: Settings, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    settings.data_dir = tmp_path
    assert settings.import_job_mb == 1.0
    make_user("w@x.cn", Role.owner, "外滩物业")
    headers = api_token(client, "w@x.cn")
    assert post(client, headers, CSV.encode()).status_code == 200
    response = post(client, headers, CSV.encode(), background="true")
    assert response.status_code == 202
    assert wait_for(client, response.json()["job_id"], headers)["status"] == "succeeded"


def test_refusals_are_those_of_an_import_in_the_request_and_store_nothing(
    client: TestClient, session: Session, make_user, small_jobs: Path
) -> None:  # type: ignore[no-untyped-def]
    make_user("s@x.cn", Role.supplier, "EPC")
    other = make_user("b@x.cn", Role.owner, "Other owner")
    make_user("w@x.cn", Role.owner, "Owner")
    owner, supplier = api_token(client, "w@x.cn"), api_token(client, "s@x.cn")
    answers: dict[str, list[tuple[int, Any]]] = {}
    for background in ("true", "false"):
        answers[background] = [
            (r.status_code, r.json())
            for r in (
                post(
                    client,
                    owner,
                    CSV.encode(),
                    organisation_id=str(other.organisation_id),
                    background=background,
                ),
                post(client, supplier, CSV.encode(), background=background),
                post(client, owner, CSV.encode(), datum="itrf", background=background),
            )
        ]
    assert answers["true"] == answers["false"]  # a job is refused as the request's own import is
    assert [status for status, _ in answers["true"]] == [404, 403, 422]
    assert answers["true"][0][1]["detail"] == f"No organisation with id {other.organisation_id}."
    assert count(session, Job) == 0 and count(session, Site) == 0 and uploads(small_jobs) == []


def test_an_import_job_is_read_by_whoever_submitted_it_and_the_office(
    client: TestClient, make_user, small_jobs: Path
) -> None:  # type: ignore[no-untyped-def]
    make_user("w@x.cn", Role.owner, "Owner")
    make_user("b@x.cn", Role.owner, "Other owner")
    make_user("o@x.cn", Role.office, "Office")
    headers = api_token(client, "w@x.cn")
    job_id = post(client, headers, CSV.encode()).json()["job_id"]
    wait_for(client, job_id, headers)
    assert client.get(f"/api/v1/jobs/{job_id}", headers=api_token(client, "b@x.cn")).status_code == 404
    assert client.get(f"/api/v1/jobs/{job_id}", headers=api_token(client, "o@x.cn")).status_code == 200


def test_a_file_name_holding_a_nul_is_refused_before_anything_is_stored(
    client: TestClient, session: Session, make_user, small_jobs: Path
) -> None:  # type: ignore[no-untyped-def]
    """The name goes to the audit log and the job's progress, text columns that hold no NUL."""
    make_user("w@x.cn", Role.owner, "Owner")
    headers = api_token(client, "w@x.cn")
    boundary = "pvhub-boundary"
    for background in ("true", "false"):
        body = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="background"\r\n\r\n{background}\r\n'
                f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a\x00b.csv"\r\n'
                "Content-Type: text/csv\r\n\r\n"
            ).encode()
            + CSV.encode()
            + f"\r\n--{boundary}--\r\n".encode()
        )
        response = client.post(
            "/api/v1/imports",
            content=body,
            headers={**headers, "content-type": f"multipart/form-data; boundary={boundary}"},
        )
        assert response.status_code == 422, response.text
        assert response.json() == {
            "detail": "filename must not contain a NUL character.",
            "field": "filename",
        }
    assert count(session, Job) == 0 and count(session, Site) == 0 and uploads(small_jobs) == []
