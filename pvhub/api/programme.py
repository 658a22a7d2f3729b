"""Programme targets (office) and public totals."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter

from pvhub import policy
from pvhub.api.deps import CurrentUser, SessionDep
from pvhub.models import ProgrammeUpdate
from pvhub.models.programme import ProgrammeBase
from pvhub.services import programme as programme_service
from pvhub.services import programme_totals

router = APIRouter(tags=["programme"])


@router.get("/programme/totals")
def read_totals(session: SessionDep) -> dict[str, Any]:
    """Programme totals anyone may see (no names, no bids)."""
    return asdict(programme_totals.totals(session=session))


@router.get("/programme", response_model=ProgrammeBase)
def read_programme(user: CurrentUser, session: SessionDep) -> ProgrammeBase:
    policy.require(user, "programme:read")
    return ProgrammeBase.model_validate(programme_service.get_programme(session=session))


@router.patch("/programme", response_model=ProgrammeBase)
def update_programme(changes: ProgrammeUpdate, user: CurrentUser, session: SessionDep) -> ProgrammeBase:
    """Change the targets: capacity, date, number of demonstration points (office)."""
    updated = programme_service.update_programme(session=session, actor=user, changes=changes)
    return ProgrammeBase.model_validate(updated)
