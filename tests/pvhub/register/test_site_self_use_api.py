"""A site's own self-use share over REST (issue #20): set on create, changed and cleared (null: back
to its tariff class's default) on update, refused outside 0–1 naming the field, and used by the
site's economics."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.pvhub.register.test_register_api import Users, add_site, users

__all__ = ["users"]


def test_a_site_keeps_its_own_self_use_share_until_it_is_cleared(client: TestClient, users: Users) -> None:
    site = add_site(client, users["owner"], use="office", self_use_share=0.5)
    assert site["self_use_share"] == 0.5
    url = f"/api/v1/sites/{site['id']}"
    changed = client.patch(url, json={"self_use_share": 0.95}, headers=users["owner"])
    assert changed.status_code == 200 and changed.json()["self_use_share"] == 0.95
    other = client.patch(url, json={"name": "Renamed"}, headers=users["owner"])
    assert other.json()["self_use_share"] == 0.95  # left out: kept
    cleared = client.patch(url, json={"self_use_share": None}, headers=users["owner"])
    assert cleared.status_code == 200 and cleared.json()["self_use_share"] is None
    assert add_site(client, users["owner"])["self_use_share"] is None


def test_a_share_outside_zero_to_one_is_refused_naming_the_field(client: TestClient, users: Users) -> None:
    body = {"name": "Too much", "footprint": add_site(client, users["owner"])["footprint"]}
    refused = client.post("/api/v1/sites", json=body | {"self_use_share": 1.5}, headers=users["owner"])
    assert refused.status_code == 422 and "self_use_share" in refused.text
    site = add_site(client, users["owner"])
    url = f"/api/v1/sites/{site['id']}"
    patched = client.patch(url, json={"self_use_share": -0.1}, headers=users["owner"])
    assert patched.status_code == 422 and "self_use_share" in patched.text
    assert client.get(url, headers=users["owner"]).json()["self_use_share"] is None
