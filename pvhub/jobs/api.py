"""Follow any background job's progress."""

from __future__ import annotations

from fastapi import APIRouter

from pvhub.accounts.deps import CurrentUser
from pvhub.core.http import SessionDep
from pvhub.jobs import service as jobs
from pvhub.jobs.models import JobPublic

router = APIRouter(tags=["jobs"])


@router.get("/jobs/{job_id}", response_model=JobPublic)
def read_job(job_id: int, user: CurrentUser, session: SessionDep) -> JobPublic:
    """A job's status, progress, result or error (office, or whoever started it)."""
    return jobs.public(jobs.get(session=session, actor=user, job_id=job_id))
