"""The survey's rules through the API: read by anyone, edited by the office, refusals naming the rule."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session

from pvhub.core.enums import Role
from pvhub.survey import rules
from tests.conftest import api_token


def test_the_office_edits_the_survey_rules_through_the_api(
    client: TestClient, session: Session, make_user
) -> None:
    make_user("office@rules-api.test", Role.office)
    make_user("owner@rules-api.test", Role.owner)
    office_h = api_token(client, "office@rules-api.test")
    owner_h = api_token(client, "owner@rules-api.test")

    read = client.get("/api/v1/survey/rules")  # public: the potential map states them
    assert read.status_code == 200
    body = read.json()
    assert body["default"] is True and body["version_id"] is None and body["band_height_m"] is None
    assert body["min_kwh_per_kwp"] == 600.0 and body["roof_usable_ratio"] == 0.70

    assert client.patch("/api/v1/survey/rules", json={"min_area_m2": 20}).status_code == 401
    assert client.patch("/api/v1/survey/rules", json={"min_area_m2": 20}, headers=owner_h).status_code == 403

    edited = client.patch(
        "/api/v1/survey/rules", json={"band_height_m": 6, "min_area_m2": 20}, headers=office_h
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["band_height_m"] == 6.0 and edited.json()["default"] is False
    assert edited.json()["version_id"] and edited.json()["set_at"]
    # null sets one band per storey again; a rule not sent keeps its value
    back = client.patch("/api/v1/survey/rules", json={"band_height_m": None}, headers=office_h).json()
    assert back["band_height_m"] is None and back["min_area_m2"] == 20.0

    refused = client.patch("/api/v1/survey/rules", json={"opaque_share": 1.5}, headers=office_h)
    assert refused.status_code == 422
    assert "opaque_share" in refused.text and "0 … 1" in refused.text
    refused = client.patch("/api/v1/survey/rules", json={"min_area_m2": None}, headers=office_h)
    assert refused.status_code == 422 and "min_area_m2" in refused.text
    wrong_type = client.patch("/api/v1/survey/rules", json={"min_area_m2": "20"}, headers=office_h)
    assert wrong_type.status_code == 422
    session.expire_all()
    assert len(rules.rules_history(session)) == 2  # the refusals stored nothing
    assert client.get("/api/v1/survey/rules").json()["min_area_m2"] == 20.0


def test_the_rules_are_in_the_openapi_schema_with_their_refusals(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    patch = paths["/api/v1/survey/rules"]["patch"]
    assert {"200", "403", "422"} <= set(patch["responses"])
