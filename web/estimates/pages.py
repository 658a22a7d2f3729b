"""Estimating from the pages: the office's one-click run over every surface lacking a current estimate."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from pvhub.core.http import SessionDep
from pvhub.jobs import service as jobs
from pvhub.jobs.deps import StartJob
from web import csrf
from web.shell import LoggedIn, follow_job

router = APIRouter(include_in_schema=False)


@router.post("/estimates/run", dependencies=[Depends(csrf.verify)])
def start_estimates(request: Request, user: LoggedIn, session: SessionDep, start_job: StartJob) -> Response:
    """One click: estimate every approved surface that lacks a current estimate, as a background job."""
    job = jobs.submit(session=session, actor=user, kind="estimate", parameters={"all": False})
    return follow_job(request, user, session, start_job, job.id)
