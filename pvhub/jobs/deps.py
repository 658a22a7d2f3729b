"""The one way a route or a page starts a background job."""

from __future__ import annotations

from typing import Annotated

from fastapi import BackgroundTasks, Depends, Request

from pvhub.core.http import SessionDep
from pvhub.jobs import service as jobs


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
