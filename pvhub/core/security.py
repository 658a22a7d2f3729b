"""Password hashing (argon2id) and signed bearer tokens."""

from __future__ import annotations

import secrets
from typing import NamedTuple

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

# argon2id with the RFC 9106 "second recommended option" memory/time profile (64 MiB, t=3, p=4).
_HASHER = PasswordHasher(time_cost=3, memory_cost=64 * 1024, parallelism=4)
DUMMY_HASH = _HASHER.hash("pvhub-timing-equaliser")


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when the password matches; never raises for a wrong or malformed hash."""
    try:
        return _HASHER.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def generate_password() -> str:
    """A random password a person can still type: 16 URL-safe characters."""
    return secrets.token_urlsafe(12)


def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt="pvhub-api-token")


class TokenClaims(NamedTuple):
    user_id: int
    credential_version: int


def issue_token(secret: str, user_id: int, credential_version: int = 0) -> str:
    """A signed, time-stamped bearer token naming the user and their credential version at issue.

    The version lets a new password end the tokens issued before it
    (:func:`pvhub.accounts.service.signed_in_user`).
    """
    return _serializer(secret).dumps({"uid": user_id, "ver": credential_version})


def read_token(secret: str, token: str, max_age_s: int) -> TokenClaims | None:
    """The user id and credential version of a valid, unexpired token, else None.

    A token without a version was issued before versions existed, when every user was at 0.
    """
    try:
        data = _serializer(secret).loads(token, max_age=max_age_s)
    except (BadSignature, SignatureExpired):
        return None
    if not isinstance(data, dict):
        return None
    uid, version = data.get("uid"), data.get("ver", 0)
    if not isinstance(uid, int) or not isinstance(version, int):
        return None
    return TokenClaims(uid, version)
