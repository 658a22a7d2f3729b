"""Dependencies of the API: the request's transaction and the authenticated user."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import BackgroundTasks, Depends, Request
from fastapi.security import OAuth2PasswordBearer
from sqlmodel import Session

from pvhub import jobs
from pvhub.errors import NotAuthenticated
from pvhub.models import User
from pvhub.security import read_token
from pvhub.services import accounts
from pvhub.settings import Settings

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_session(request: Request) -> Iterator[Session]:
    """One transaction per request: committed when the handler returns, rolled back on any error."""
    with Session(request.app.state.engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


# scope="function": commit before the response is sent, so a client that follows a redirect or
# reads right after a write never sees the state from before it (FastAPI's default runs the exit
# code of yield dependencies only after the response has gone out).
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]


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


class JobStarter:
    """The one way a route or a page starts a job: after the request's transaction has committed.

    The job runs in another thread on its own connection, so it must find its row (and whatever the
    request wrote beside it) committed; and it must not start before the response, or a failure
    after the submit could leave a job running for a request that was rolled back. So: commit now,
    start once the response has been sent (FastAPI's background tasks).
    """

    def __init__(self, request: Request, session: SessionDep, background: BackgroundTasks) -> None:
        self._engine = request.app.state.engine
        self._session = session
        self._background = background

    def start(self, job_id: int | None) -> int:
        """Commit the request's transaction and run job ``job_id`` after the response; returns the id."""
        if job_id is None:
            raise ValueError("the job has no id: submit it (and flush) first")
        self._session.commit()
        self._background.add_task(jobs.start, self._engine, job_id)
        return job_id


StartJob = Annotated[JobStarter, Depends()]
