"""Background jobs: start an estimate run, follow any job's progress."""

from __future__ import annotations

from fastapi import APIRouter, status
from pydantic import BaseModel, Field

from pvhub import jobs
from pvhub.api.deps import CurrentUser, SessionDep, StartJob
from pvhub.ids import Id
from pvhub.models import JobPublic
from pvhub.services import estimates

router = APIRouter(tags=["jobs"])


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


@router.get("/jobs/{job_id}", response_model=JobPublic)
def read_job(job_id: int, user: CurrentUser, session: SessionDep) -> JobPublic:
    """A job's status, progress, result or error (office, or whoever started it)."""
    return jobs.public(jobs.get(session=session, actor=user, job_id=job_id))
