"""Start an estimate run; read a surface's estimate."""

from __future__ import annotations

from fastapi import APIRouter, status
from pydantic import BaseModel, Field

from pvhub.accounts.deps import CurrentUser
from pvhub.core.http import SessionDep
from pvhub.core.ids import Id
from pvhub.estimates import service as estimates
from pvhub.estimates.models import EstimatePublic
from pvhub.jobs import service as jobs
from pvhub.jobs.deps import StartJob
from pvhub.jobs.models import JobPublic

router = APIRouter(tags=["estimates"])


class EstimateRunRequest(BaseModel):
    surface_ids: list[Id] | None = Field(
        default=None,
        max_length=200_000,
        description=(
            "Surfaces to estimate, each one that exists (else 404, nothing queued); "
            "default: approved ones without a current estimate"
        ),
    )
    all: bool = Field(default=False, strict=True, description="Re-estimate every approved surface")


@router.post("/estimates/runs", response_model=JobPublic, status_code=status.HTTP_202_ACCEPTED)
def start_estimate_run(
    body: EstimateRunRequest,
    user: CurrentUser,
    session: SessionDep,
    start_job: StartJob,
) -> JobPublic:
    """Queue an estimate run (office); follow it at ``GET /api/v1/jobs/{id}``."""
    job = estimates.request_run(
        session=session, actor=user, surface_ids=body.surface_ids, parameters=body.model_dump()
    )
    start_job.start(job.id)
    return jobs.public(job)


class EstimateStatus(BaseModel):
    """How current the register's estimates are, against the configuration in force."""

    out_of_date: int = Field(description="Estimates of approved surfaces a re-estimate would redo")
    weather_sha256: str = Field(description="SHA-256 of the programme's weather year in force")
    config_keys: dict[str, str] = Field(description="Per surface kind, the key of the configuration in force")


@router.get("/estimates/status", response_model=EstimateStatus)
def read_estimate_status(user: CurrentUser, session: SessionDep) -> EstimateStatus:
    """How many estimates are out of date (after a change of weather year or assumptions)."""
    return EstimateStatus(**estimates.status(session=session, user=user))


@router.get("/surfaces/{surface_id}/estimate", response_model=EstimatePublic)
def read_surface_estimate(surface_id: int, user: CurrentUser, session: SessionDep) -> EstimatePublic:
    """Capacity (kWp), annual and monthly AC energy (kWh), CO2, and what the estimate assumed."""
    return estimates.get_estimate(session=session, user=user, surface_id=surface_id)
