"""Organisations and users."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from pvhub.core.columns import UTCDateTime, enum_column, utcnow
from pvhub.core.enums import Role


class OrganisationBase(SQLModel):
    name: str = Field(min_length=1, max_length=200, index=True, unique=True)
    name_en: str | None = Field(default=None, max_length=200)
    kind: Role = Field(sa_type=enum_column(Role))
    annual_capacity_kw: float | None = Field(
        default=None, ge=0, description="Supplier's annual installation capacity, kWp"
    )
    certifications: str | None = Field(default=None, max_length=1000)
    contact_phone: str | None = Field(default=None, max_length=50)


class Organisation(OrganisationBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class OrganisationPublic(OrganisationBase):
    id: int


class UserBase(SQLModel):
    email: str = Field(max_length=254, index=True, unique=True)
    full_name: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=50)
    role: Role = Field(sa_type=enum_column(Role))
    active: bool = True


class User(UserBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    password_hash: str = Field(max_length=255)
    language: str | None = Field(default=None, max_length=10)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    credential_version: int = Field(
        default=0,
        description="Stamped into every session and token at login; raising it ends them all "
        "(pvhub.accounts.service.signed_in_user)",
    )


class UserPublic(UserBase):
    id: int
    organisation_id: int
    organisation_name: str | None = None


class RevokedSession(SQLModel, table=True):
    """A page session ended by logging out, refused until its cookie could no longer be valid.

    Page sessions live in a signed cookie (nothing on the server), so without this row a copy of
    the cookie taken before logout would keep working until it expired.
    """

    sid: str = Field(primary_key=True, max_length=64)
    expires_at: datetime = Field(sa_type=UTCDateTime, index=True)


class LoginFailure(SQLModel, table=True):
    """One failed login, counted under its account key and its address key.

    Kept in the database so every app process throttles on the same count
    (pvhub/accounts/login_throttle.py); rows older than the window are deleted as new ones come.
    """

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=300, index=True)
    at_s: float = Field(index=True, description="Unix time of the failure, seconds")
