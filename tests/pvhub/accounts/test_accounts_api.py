"""The office's directory over the API: organisations and users, office only."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from pvhub.accounts.models import Organisation, User
from pvhub.core.enums import Role
from tests.conftest import api_token


def test_the_office_adds_an_organisation_and_a_user_and_keeps_them_out(
    client: TestClient, make_user: Any
) -> None:
    office = make_user("office@x.cn", Role.office)
    make_user("s@x.cn", Role.supplier)
    h = api_token(client, "office@x.cn")
    supplier = api_token(client, "s@x.cn")
    assert client.get("/api/v1/organisations", headers=supplier).status_code == 403
    empty = client.post("/api/v1/users", json={}, headers=h)  # validation answers the office
    assert empty.status_code == 422 and {e["loc"][-1] for e in empty.json()["detail"]} >= {
        "email",
        "password",
    }

    org = client.post(
        "/api/v1/organisations",
        json={"name": "浦江光伏工程", "kind": "supplier", "annual_capacity_kw": 4000},
        headers=h,
    )
    assert org.status_code == 201 and org.json()["annual_capacity_kw"] == 4000
    again = client.post("/api/v1/organisations", json={"name": "浦江光伏工程", "kind": "owner"}, headers=h)
    assert again.status_code == 409 and "already exists" in again.json()["detail"]

    body = {"email": "Li@PJ.cn", "organisation": "浦江光伏工程", "password": "first-password-1"}
    assert (
        client.post("/api/v1/users", json={**body, "email": "not-an-address"}, headers=h).status_code == 422
    )
    assert client.post("/api/v1/users", json={**body, "organisation": "Nobody"}, headers=h).status_code == 404
    created = client.post("/api/v1/users", json=body, headers=h)
    assert created.status_code == 201, created.text
    li = created.json()
    assert (
        li["email"] == "li@pj.cn" and li["role"] == "supplier" and li["organisation_name"] == "浦江光伏工程"
    )
    token = api_token(client, "li@pj.cn", "first-password-1")
    assert client.get("/api/v1/me", headers=token).status_code == 200

    out = client.patch(f"/api/v1/users/{li['id']}", json={"active": False}, headers=h)
    assert out.status_code == 200 and out.json()["active"] is False
    assert client.get("/api/v1/me", headers=token).status_code == 401  # the open token stops working
    back = client.patch(
        f"/api/v1/users/{li['id']}", json={"active": True, "password": "second-password-2"}, headers=h
    )
    assert back.status_code == 200 and back.json()["active"] is True
    assert (
        client.get("/api/v1/me", headers=api_token(client, "li@pj.cn", "second-password-2")).status_code
        == 200
    )
    assert client.patch(f"/api/v1/users/{office.id}", json={"active": False}, headers=h).status_code == 409
    assert client.patch("/api/v1/users/999999", json={"active": False}, headers=h).status_code == 404
    names = {
        e["organisation"]["name"]: e["users"] for e in client.get("/api/v1/organisations", headers=h).json()
    }
    assert [u["email"] for u in names["浦江光伏工程"]] == ["li@pj.cn"]


def test_no_one_but_the_office_manages_the_directory_even_with_a_valid_request(
    client: TestClient, session: Session, make_user: Any
) -> None:
    """Valid bodies, so that validation cannot be what refuses: the permission check must answer."""
    make_user("office@x.cn", Role.office)
    supplier = make_user("s@x.cn", Role.supplier, "浦江光伏工程")
    owner = make_user("w@x.cn", Role.owner, "外滩物业")
    user_body = {"email": "mallory@x.cn", "organisation": "浦江光伏工程", "password": "long-enough-pw-1"}
    org_body = {"name": "Mallory Solar", "kind": "supplier", "annual_capacity_kw": 100}
    for email, other in (("s@x.cn", owner), ("w@x.cn", supplier)):
        headers = api_token(client, email)
        assert client.get("/api/v1/organisations", headers=headers).status_code == 403
        assert client.post("/api/v1/organisations", json=org_body, headers=headers).status_code == 403
        assert client.post("/api/v1/users", json=user_body, headers=headers).status_code == 403
        change = client.patch(f"/api/v1/users/{other.id}", json={"active": False}, headers=headers)
        assert change.status_code == 403
        reset = client.patch(
            f"/api/v1/users/{other.id}", json={"password": "taken-over-pw-1"}, headers=headers
        )
        assert reset.status_code == 403
    session.expire_all()
    assert session.exec(select(Organisation).where(Organisation.name == "Mallory Solar")).first() is None
    assert session.exec(select(User).where(User.email == "mallory@x.cn")).first() is None
    assert all(u.active for u in (session.get(User, owner.id), session.get(User, supplier.id)))  # type: ignore[union-attr]
    # the office's requests of the same shape go through, so the bodies above were valid
    office = api_token(client, "office@x.cn")
    assert client.post("/api/v1/organisations", json=org_body, headers=office).status_code == 201
    assert client.post("/api/v1/users", json=user_body, headers=office).status_code == 201
    assert (
        client.patch(f"/api/v1/users/{owner.id}", json={"active": False}, headers=office).status_code == 200
    )
    empty = client.post("/api/v1/organisations", json={}, headers=office)
    assert empty.status_code == 422 and [e["loc"][-1] for e in empty.json()["detail"]] == ["name", "kind"]
