"""Whoever acts, as the core sees them.

The access policy and the audit log need a user's id, e-mail, role, organisation and whether the
account is active, but they sit below the accounts domain that declares the ``User`` table. This
protocol names just what they read, so the core imports no domain; ``pvhub.accounts.models.User``
satisfies it (mypy checks every call).
"""

from __future__ import annotations

from typing import Protocol

from pvhub.core.enums import Role


class Actor(Protocol):
    """A signed-in user: ``pvhub.accounts.models.User`` in the application."""

    @property
    def id(self) -> int | None: ...

    @property
    def email(self) -> str: ...

    @property
    def role(self) -> Role: ...

    @property
    def organisation_id(self) -> int: ...

    @property
    def active(self) -> bool: ...
