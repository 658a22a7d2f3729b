"""The office's directory over the API: organisations and users (the `/accounts` page's rules, in
:mod:`pvhub.accounts.service`). Personal data, so the office only."""

from __future__ import annotations

from fastapi import APIRouter, status
from pydantic import BaseModel

from pvhub.accounts import service as accounts
from pvhub.accounts.deps import CurrentUser
from pvhub.accounts.models import Organisation, OrganisationPublic, User, UserPublic
from pvhub.accounts.schemas import OrganisationCreate, UserChange, UserCreate
from pvhub.core.http import SessionDep

router = APIRouter(
    tags=["accounts"],
    responses={409: {"description": "The name or e-mail is taken, or you would lock yourself out"}},
)


class DirectoryEntry(BaseModel):
    organisation: OrganisationPublic
    users: list[UserPublic]


def _public(user: User, organisation_name: str | None) -> UserPublic:
    return UserPublic.model_validate(user, update={"organisation_name": organisation_name})


@router.get("/organisations", response_model=list[DirectoryEntry])
def directory(user: CurrentUser, session: SessionDep) -> list[DirectoryEntry]:
    """Every organisation with its users (office)."""
    return [
        DirectoryEntry(
            organisation=OrganisationPublic.model_validate(v.organisation),
            users=[_public(u, v.organisation.name) for u in v.users],
        )
        for v in accounts.directory(session=session, actor=user)
    ]


@router.post("/organisations", response_model=OrganisationPublic, status_code=status.HTTP_201_CREATED)
def add_organisation(body: OrganisationCreate, user: CurrentUser, session: SessionDep) -> OrganisationPublic:
    """Add an organisation (office); names are unique."""
    org = accounts.create_organisation(
        session=session,
        actor=user,
        name=body.name,
        kind=body.kind,
        annual_capacity_kw=body.annual_capacity_kw,
    )
    return OrganisationPublic.model_validate(org)


@router.post("/users", response_model=UserPublic, status_code=status.HTTP_201_CREATED)
def add_user(body: UserCreate, user: CurrentUser, session: SessionDep) -> UserPublic:
    """Add a user to an organisation (office); the role is the organisation's kind."""
    created = accounts.create_user(
        session=session,
        actor=user,
        email=body.email,
        organisation=body.organisation,
        password=body.password,
        full_name=body.full_name,
    )
    return _public(created, body.organisation)


@router.patch("/users/{user_id}", response_model=UserPublic)
def change_user(user_id: int, body: UserChange, user: CurrentUser, session: SessionDep) -> UserPublic:
    """Deactivate or reactivate a user, or set a new password (office)."""
    changed = accounts.get_user_for(session=session, actor=user, user_id=user_id)
    if body.active is not None:
        accounts.set_active(session=session, actor=user, user_id=user_id, active=body.active)
    if body.password is not None:
        accounts.reset_password(session=session, actor=user, user_id=user_id, password=body.password)
    org = session.get(Organisation, changed.organisation_id)
    return _public(changed, org.name if org else None)
