"""Who is calling the API: the user behind the request's bearer token."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from fastapi.security import OAuth2PasswordBearer

from pvhub.accounts import service as accounts
from pvhub.accounts.models import User
from pvhub.core.errors import NotAuthenticated
from pvhub.core.http import SessionDep, SettingsDep
from pvhub.core.security import read_token

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


def get_optional_user(
    session: SessionDep, settings: SettingsDep, token: Annotated[str | None, Depends(oauth2_scheme)]
) -> User | None:
    """The token's user while the token still counts (active, issued since the last new password)."""
    claims = read_token(settings.secret, token, settings.token_max_age_s) if token else None
    if claims is None:
        return None
    return accounts.signed_in_user(
        session=session, user_id=claims.user_id, credential_version=claims.credential_version
    )


def get_current_user(user: Annotated[User | None, Depends(get_optional_user)]) -> User:
    if user is None:
        raise NotAuthenticated("A valid bearer token is required (POST /api/v1/auth/token).")
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]
OptionalUser = Annotated[User | None, Depends(get_optional_user)]
