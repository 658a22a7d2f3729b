"""The estimating assumptions: read by anyone signed in, edited by the office."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from pvhub.accounts.deps import CurrentUser
from pvhub.core import policy
from pvhub.core.columns import Number, Text
from pvhub.core.http import SessionDep
from pvhub.programme import assumptions as configured
from pvhub.yieldengine import SURFACE_KINDS

router = APIRouter(tags=["programme"])


class AssumptionsPublic(BaseModel):
    """The assumptions in force, per surface kind, and when and by whom they were set (none: defaults)."""

    kinds: dict[str, dict[str, Any]] = Field(
        description=(
            "Per surface kind: power_density_w_m2 [Wp/m² usable], mounting (SAPM), gamma_pdc [1/°C], "
            "losses_pct [%], eta_inv_nom, dc_ac_ratio, albedo, iam_model"
        )
    )
    co2_t_per_mwh: float = Field(description="Avoided CO2 per MWh of PV energy [tCO2/MWh]")
    default: bool = Field(description="True while the office has stored no version: the engine's defaults")
    version_id: int | None
    set_at: datetime | None


class AssumptionsUpdate(BaseModel):
    """Edits: only the fields given change; each is checked against its range."""

    kinds: dict[Text, dict[Text, Number | Text]] | None = Field(
        default=None, max_length=len(SURFACE_KINDS), description='e.g. {"roof": {"losses_pct": 12}}'
    )
    co2_t_per_mwh: Number | None = None


def _public(value: configured.ConfiguredAssumptions) -> AssumptionsPublic:
    return AssumptionsPublic(
        **value.as_dict(), default=value.is_default, version_id=value.version_id, set_at=value.set_at
    )


@router.get("/programme/assumptions", response_model=AssumptionsPublic)
def read_assumptions(user: CurrentUser, session: SessionDep) -> AssumptionsPublic:
    """The estimating assumptions in force."""
    policy.require(user, "programme:read")
    return _public(configured.current_assumptions(session=session))


@router.patch("/programme/assumptions", response_model=AssumptionsPublic)
def update_assumptions(
    changes: AssumptionsUpdate, user: CurrentUser, session: SessionDep
) -> AssumptionsPublic:
    """Edit the assumptions (office), audited; estimates made under the old ones become out of date
    (``GET /api/v1/estimates/status`` counts them; ``POST /api/v1/estimates/runs`` re-estimates)."""
    updated = configured.set_assumptions(
        session=session, actor=user, kinds=changes.kinds, co2_t_per_mwh=changes.co2_t_per_mwh
    )
    return _public(updated)
