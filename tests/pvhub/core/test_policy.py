"""The role × action matrix: one policy module decides who may do what."""

from __future__ import annotations

import pytest

from pvhub.accounts.models import User
from pvhub.core import policy
from pvhub.core.enums import Role
from pvhub.core.errors import NotAuthenticated, PermissionDenied

OFFICE = User(id=1, email="o@x", role=Role.office, organisation_id=1, password_hash="")
OWNER_A = User(id=2, email="a@x", role=Role.owner, organisation_id=10, password_hash="")
OWNER_B = User(id=3, email="b@x", role=Role.owner, organisation_id=11, password_hash="")
SUPPLIER = User(id=4, email="s@x", role=Role.supplier, organisation_id=20, password_hash="")

# (user, action, owner organisation of the object, expected)
MATRIX = [
    (None, "programme:read_totals", None, True),
    (None, "programme:read", None, False),
    (None, "site:read", 10, False),
    (OFFICE, "site:read", 10, True),
    (OFFICE, "surface:review", 10, True),
    (OFFICE, "programme:update", None, True),
    (OWNER_A, "site:read", 10, True),
    (OWNER_A, "site:update", 10, True),
    (OWNER_A, "surface:submit", 10, True),
    (OWNER_A, "site:read", 11, False),
    (OWNER_A, "site:update", 11, False),
    (OWNER_A, "surface:update", 11, False),
    (OWNER_B, "surface:read", 10, False),
    (OWNER_A, "surface:review", 10, False),
    (OWNER_A, "programme:update", None, False),
    (SUPPLIER, "site:read", 10, False),
    (SUPPLIER, "surface:read", 10, False),
    (SUPPLIER, "tender:read_published", None, True),
    (SUPPLIER, "bundle:run", None, False),
    (SUPPLIER, "audit:read", None, False),
    (OWNER_A, "bid:submit", None, False),
]


@pytest.mark.parametrize(("user", "action", "owner_org", "allowed"), MATRIX)
def test_role_action_matrix(user: User | None, action: str, owner_org: int | None, allowed: bool) -> None:
    assert policy.can(user, action, owner_org_id=owner_org) is allowed


def test_an_inactive_user_has_only_public_rights() -> None:
    inactive = User(id=9, email="i@x", role=Role.office, organisation_id=1, password_hash="", active=False)
    assert not policy.can(inactive, "site:read", owner_org_id=1)
    assert policy.can(inactive, "programme:read_totals")


def test_require_says_who_and_what() -> None:
    with pytest.raises(NotAuthenticated):
        policy.require(None, "site:read")
    with pytest.raises(PermissionDenied, match="supplier"):
        policy.require(SUPPLIER, "surface:review")
