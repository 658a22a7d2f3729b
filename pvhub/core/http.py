"""What every route needs: the settings, one transaction that the request owns, and the response types
the domains share."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import JSONResponse
from sqlmodel import Session

from pvhub.core.settings import Settings


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


class GeoJSONResponse(JSONResponse):
    """JSON sent as ``application/geo+json`` (RFC 7946), and documented so in the OpenAPI schema."""

    media_type = "application/geo+json"


ATTACHMENT = {"Content-Disposition": {"description": "attachment; filename=…", "schema": {"type": "string"}}}
