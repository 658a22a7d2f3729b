"""Programme targets (office) and public totals."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter

from pvhub.accounts.deps import CurrentUser
from pvhub.core import policy
from pvhub.core.http import SessionDep
from pvhub.monitoring import totals as programme_totals
from pvhub.programme import service as programme_service
from pvhub.programme.models import ProgrammeBase, ProgrammeUpdate

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
