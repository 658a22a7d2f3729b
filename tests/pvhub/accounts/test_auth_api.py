"""The API's OAuth2 password flow, /me, and its documented errors."""

from __future__ import annotations

from fastapi.testclient import TestClient

from pvhub.core.enums import Role
from tests.conftest import api_token


def test_a_user_gets_a_token_and_reads_itself(client: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("owner@x.cn", Role.owner, "业主甲")
    headers = api_token(client, "owner@x.cn")
    me = client.get("/api/v1/me", headers=headers)
    assert me.status_code == 200
    body = me.json()
    assert body["email"] == "owner@x.cn" and body["role"] == "owner" and body["organisation_name"] == "业主甲"
    assert "password_hash" not in body


def test_wrong_password_and_missing_or_forged_tokens_get_401(client: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("o@x.cn", Role.office)
    bad = client.post("/api/v1/auth/token", data={"username": "o@x.cn", "password": "nope"})
    assert bad.status_code == 401 and bad.json()["detail"] == "Wrong e-mail or password."
    assert client.get("/api/v1/me").status_code == 401
    forged = client.get("/api/v1/me", headers={"Authorization": "Bearer eyJ1aWQiOjF9.forged.sig"})
    assert forged.status_code == 401
    assert forged.headers["WWW-Authenticate"] == "Bearer"


def test_the_openapi_schema_documents_error_responses(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    me = schema["paths"]["/api/v1/me"]["get"]["responses"]
    assert {"200", "401", "403", "404"} <= set(me)
    assert all(not path.startswith("/login") for path in schema["paths"])
