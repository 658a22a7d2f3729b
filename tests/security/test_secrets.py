"""Password hashing meets OWASP's argon2id minimums; no default key is used outside development."""

from __future__ import annotations

import base64
import re

import pytest
from pydantic import ValidationError

from pvhub.core.security import DUMMY_HASH, hash_password, verify_password
from pvhub.core.settings import DEV_SECRET, Settings

# OWASP Password Storage Cheat Sheet (Argon2id section, as of 2025): "Use Argon2id with a minimum
# configuration of 19 MiB of memory, an iteration count of 2, and 1 degree of parallelism", or one of
# the equally strong trade-offs it lists, all with parallelism 1. (memory KiB, iterations):
OWASP_ARGON2ID_MINIMUMS = [(47104, 1), (19456, 2), (12288, 3), (9216, 4), (7168, 5)]
# RFC 9106 §4 and argon2-cffi: a 16-byte salt is sufficient; a 128-bit tag suffices for verification.
MIN_SALT_BYTES, MIN_HASH_BYTES = 16, 16

PHC = re.compile(
    r"^\$(?P<variant>argon2(?:id|i|d))\$v=(?P<v>\d+)\$m=(?P<m>\d+),t=(?P<t>\d+),p=(?P<p>\d+)\$(?P<salt>[^$]+)\$(?P<hash>[^$]+)$"
)


def _b64_len(text: str) -> int:
    return len(base64.b64decode(text + "=" * (-len(text) % 4)))


@pytest.mark.parametrize(
    "stored", [hash_password("a long enough password"), DUMMY_HASH], ids=["user", "dummy"]
)
def test_passwords_are_hashed_with_argon2id_at_least_as_hard_as_owasp_asks(stored: str) -> None:
    match = PHC.match(stored)
    assert match, stored
    assert match["variant"] == "argon2id" and match["v"] == "19"  # Argon2 version 1.3
    memory_kib, iterations, lanes = int(match["m"]), int(match["t"]), int(match["p"])
    assert lanes >= 1
    assert any(memory_kib >= m and iterations >= t for m, t in OWASP_ARGON2ID_MINIMUMS), (
        memory_kib,
        iterations,
    )
    assert _b64_len(match["salt"]) >= MIN_SALT_BYTES and _b64_len(match["hash"]) >= MIN_HASH_BYTES


def test_each_hash_has_its_own_salt_and_verification_is_strict() -> None:
    a, b = hash_password("same password!"), hash_password("same password!")
    assert a != b
    assert verify_password(a, "same password!") and not verify_password(a, "same password")
    assert not verify_password("not a hash", "same password!")


@pytest.mark.parametrize("env", ["production", "test"])
def test_outside_development_a_secret_key_is_required(env: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PVHUB_SECRET_KEY", raising=False)
    with pytest.raises(ValidationError, match="PVHUB_SECRET_KEY is required"):
        Settings(env=env)  # type: ignore[arg-type]


@pytest.mark.parametrize("env", ["production", "test"])
@pytest.mark.parametrize("key", [DEV_SECRET, "short-key", ""], ids=["development-key", "short", "empty"])
def test_outside_development_the_development_key_or_a_short_key_is_refused(env: str, key: str) -> None:
    with pytest.raises(ValidationError, match="at least 32 characters and not the development key"):
        Settings(env=env, secret_key=key)  # type: ignore[arg-type]


def test_only_development_falls_back_to_the_development_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PVHUB_SECRET_KEY", raising=False)
    assert Settings(env="development").secret == DEV_SECRET
    assert Settings(env="production", secret_key="k" * 32).secret == "k" * 32


def test_no_secret_key_is_committed_in_the_deployment_files() -> None:
    """compose.yaml takes the key from the environment instead of carrying one."""
    from pathlib import Path

    compose = (Path(__file__).resolve().parents[2] / "compose.yaml").read_text(encoding="utf-8")
    for line in compose.splitlines():
        if "PVHUB_SECRET_KEY" in line and ":" in line:
            value = line.split(":", 1)[1].strip()
            assert value == "" or value.startswith("${"), f"a literal key in compose.yaml: {line.strip()}"
