"""Economics over the REST API: a surface's and a site's (bundles' are with the bundles), and the
office's economic assumptions."""

from __future__ import annotations

from fastapi import APIRouter, Query

from pvhub.accounts.deps import CurrentUser
from pvhub.core import policy
from pvhub.core.http import SessionDep
from pvhub.economics import service
from pvhub.economics import settings as configured
from pvhub.economics.assumptions import SOURCES, TAX_NOTE
from pvhub.economics.schemas import EconomicSettingsPublic, EconomicSettingsUpdate, EconomicsPublic, ModelName

router = APIRouter(tags=["economics"])

MODEL_QUERY = Query(default=None, description="Business model; default: the site's own")


@router.get("/surfaces/{surface_id}/economics", response_model=EconomicsPublic)
def surface_economics(
    surface_id: int, user: CurrentUser, session: SessionDep, model: ModelName | None = MODEL_QUERY
) -> EconomicsPublic:
    """The surface as a system of its own: each party's yearly cash flow, NPV, IRR, payback; LCOE."""
    return EconomicsPublic.of(
        service.surface_economics(session=session, user=user, surface_id=surface_id, model=model)
    )


@router.get("/sites/{site_id}/economics", response_model=EconomicsPublic)
def site_economics(
    site_id: int, user: CurrentUser, session: SessionDep, model: ModelName | None = MODEL_QUERY
) -> EconomicsPublic:
    """The site's live estimated surfaces as one system, under its business model or the one named."""
    return EconomicsPublic.of(
        service.site_economics(session=session, user=user, site_id=site_id, model=model)
    )


def _public(value: configured.ConfiguredEconomics) -> EconomicSettingsPublic:
    return EconomicSettingsPublic(
        values=value.values.as_dict(),
        sources=SOURCES,
        tax_note=TAX_NOTE,
        default=value.is_default,
        version_id=value.version_id,
        set_at=value.set_at,
    )


@router.get("/programme/economics", response_model=EconomicSettingsPublic)
def read_economic_settings(user: CurrentUser, session: SessionDep) -> EconomicSettingsPublic:
    """The economic assumptions in force, with the source of each default."""
    policy.require(user, "programme:read")
    return _public(configured.current_economics(session=session))


@router.patch("/programme/economics", response_model=EconomicSettingsPublic)
def update_economic_settings(
    changes: EconomicSettingsUpdate, user: CurrentUser, session: SessionDep
) -> EconomicSettingsPublic:
    """Edit the economic assumptions (office), audited; every economic figure follows at once."""
    edits = changes.model_dump(exclude_none=True)
    return _public(configured.set_economics(session=session, actor=user, changes=edits))
