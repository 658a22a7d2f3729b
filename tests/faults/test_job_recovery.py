"""Start-up recovery tells a dead job's process from a live one, even when its pid was reused.

The workers named here are real processes (this one, and a child that sleeps); only the job rows
are written by hand, as a process that ran them would have left them.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from pvhub.core.enums import RunStatus
from pvhub.jobs import service as jobs
from pvhub.jobs.models import Job


@pytest.fixture
def sleeper() -> Iterator[int]:
    """The pid of a live process on this host."""
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        yield child.pid
    finally:
        child.kill()
        child.wait()


def _running(session: Session, worker: str) -> int:
    job = Job(kind="estimate", status=RunStatus.running, worker=worker, message="started")
    session.add(job)
    session.commit()
    assert job.id is not None
    return job.id


def _status(session: Session, job_id: int) -> RunStatus:
    session.expire_all()
    job = session.get(Job, job_id)
    assert job is not None
    return job.status


def test_a_job_of_a_live_process_is_left_running(engine: Engine, session: Session, sleeper: int) -> None:
    started = jobs._start_ticks(sleeper)
    assert started is not None, "Linux /proc gives each process its start time"
    job_id = _running(session, f"{socket.gethostname()}:{sleeper}/{started}")
    assert jobs.recover_interrupted(engine) == 0
    assert _status(session, job_id) == RunStatus.running


def test_a_job_whose_pid_now_belongs_to_another_process_is_failed(
    engine: Engine, session: Session, sleeper: int
) -> None:
    started = jobs._start_ticks(sleeper)
    assert started is not None
    job_id = _running(session, f"{socket.gethostname()}:{sleeper}/{started - 100}")  # an earlier holder
    assert jobs.recover_interrupted(engine) == 1
    assert _status(session, job_id) == RunStatus.failed


def test_a_job_recorded_under_this_processs_pid_by_an_earlier_process_is_failed(
    engine: Engine, session: Session
) -> None:
    """As in a container restarted as PID 1, with a row written before start times were recorded."""
    job_id = _running(session, f"{socket.gethostname()}:{os.getpid()}")
    assert jobs.recover_interrupted(engine) == 1
    assert _status(session, job_id) == RunStatus.failed
    mine = _running(session, jobs.worker_id())  # this process's own running job is left alone
    assert jobs.recover_interrupted(engine) == 0
    assert _status(session, mine) == RunStatus.running


def test_a_job_on_another_host_is_left_to_that_host(engine: Engine, session: Session) -> None:
    job_id = _running(session, "another-host.example:4242/1")
    assert jobs.recover_interrupted(engine) == 0
    assert _status(session, job_id) == RunStatus.running
