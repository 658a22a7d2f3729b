"""Token login (OAuth2 password flow) and the current user."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel

from pvhub.accounts import service as accounts
from pvhub.accounts.deps import CurrentUser
from pvhub.accounts.models import Organisation, UserPublic
from pvhub.core.errors import NotAuthenticated
from pvhub.core.http import SessionDep, SettingsDep
from pvhub.core.security import issue_token

router = APIRouter(tags=["auth"])


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"


@router.post(
    "/auth/token",
    response_model=Token,
    responses={
        429: {"description": "Too many failed logins for the account or from the address; see Retry-After"}
    },
)
def login_for_token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
) -> Token:
    """Exchange an e-mail (as ``username``) and password for a bearer token.

    After too many failed logins for the account or from the client's address the answer is 429
    with ``Retry-After`` (seconds), whatever the password.
    """
    user = accounts.authenticate_throttled(
        session=session,
        email=form.username,
        password=form.password,
        address=request.client.host if request.client else None,
        throttle=request.app.state.login_throttle,
    )
    if user is None or user.id is None:
        raise NotAuthenticated("Wrong e-mail or password.")
    return Token(access_token=issue_token(settings.secret, user.id, user.credential_version))


@router.get("/me", response_model=UserPublic)
def read_me(user: CurrentUser, session: SessionDep) -> UserPublic:
    """The authenticated user, with the organisation's name."""
    org = session.get(Organisation, user.organisation_id)
    return UserPublic.model_validate(user, update={"organisation_name": org.name if org else None})
