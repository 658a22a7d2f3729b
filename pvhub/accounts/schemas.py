"""What the office types to add an organisation or a user, or to change one: the input models the API
and the `/accounts` page both validate with (``web.binding.bind``), so neither stores what the other
refuses."""

from __future__ import annotations

from pydantic import BaseModel, Field

from pvhub.core.columns import Flag, Number, Text
from pvhub.core.enums import Role


class OrganisationCreate(BaseModel):
    name: Text = Field(min_length=1, max_length=200)
    kind: Role
    annual_capacity_kw: Number | None = Field(
        default=None, ge=0, le=10_000_000, description="Suppliers: yearly installation capacity, kWp"
    )


class UserCreate(BaseModel):
    email: Text = Field(min_length=3, max_length=254, description="The login")
    full_name: Text | None = Field(default=None, max_length=200)
    organisation: Text = Field(
        min_length=1, max_length=200, description="Its name; the role follows its kind"
    )
    password: Text = Field(min_length=10, max_length=200, description="The first password")


class UserChange(BaseModel):
    active: Flag | None = Field(default=None, description="false keeps the user out at once")
    password: Text | None = Field(default=None, min_length=10, max_length=200, description="A new password")
