"""Background jobs whose state lives in the database.

A job runs in a thread of the process that accepted it. Its work has two phases: compute (reads
only; reports progress, which also beats the heartbeat) and store (one transaction at the end).
So a job that fails or whose process dies writes no partial results, and on SQLite the progress
updates never wait behind the job's own writes. On start-up :func:`recover_interrupted` marks
jobs whose process is gone as failed, with the reason, so a page reload tells the truth.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from pvhub.accounts.models import User
from pvhub.core import audit, policy
from pvhub.core.db import transaction
from pvhub.core.enums import RunStatus
from pvhub.core.errors import DomainError, NotFound, Phrase
from pvhub.jobs.models import Job, JobPublic
from pvhub.jobs.progress import JobCancelled, Progress
from pvhub.jobs.progress import ProgressFn as ProgressFn  # re-exported: what a job function may take

CANCEL_POLL_S = 0.5


class JobProgress:
    """The :class:`~pvhub.jobs.progress.Progress` of a job run here: each report commits on its own
    connection (so it also beats the heartbeat), and cancellation is read from the job's row."""

    def __init__(self, engine: Engine, job_id: int) -> None:
        self._engine, self._job_id = engine, job_id
        self._checked_at = 0.0
        self._cancelled = False

    def __call__(self, fraction: float, message: str | Phrase, detail: dict[str, Any] | None = None) -> None:
        step = _plain_parts(message.template, message.params) if isinstance(message, Phrase) else None
        if step is not None:
            detail = {**(detail or {}), "step": step}
        with transaction(self._engine) as s:
            row = s.get(Job, self._job_id)
            if row is not None:
                row.progress, row.message = max(0.0, min(1.0, fraction)), str(message)[:500]
                row.heartbeat_at = datetime.now(UTC)
                if detail is not None:
                    row.detail = detail
                self._cancelled = self._cancelled or row.cancel_requested

    def cancelled(self) -> bool:
        """True once someone asked to cancel this job (polled at most every ``CANCEL_POLL_S``)."""
        now = time.monotonic()
        if not self._cancelled and now - self._checked_at >= CANCEL_POLL_S:
            self._checked_at = now
            with Session(self._engine) as s:
                self._cancelled = bool(
                    s.exec(select(Job.cancel_requested).where(Job.id == self._job_id)).first()
                )
        return self._cancelled


# A job function: (session, parameters, progress) -> result summary (JSON-safe dict).
JobFn = Callable[[Session, dict[str, Any], Progress], dict[str, Any]]


@dataclass(frozen=True)
class JobKind:
    """What a kind of job needs: the policy action that may start it, and the function that does it."""

    permission: str
    run: JobFn


# The kinds this process runs. This module knows none itself: pvhub.job_kinds registers the
# application's (the app and the test suite call job_kinds.install()), so the services that submit
# jobs import this module and this module imports no service.
_KINDS: dict[str, JobKind] = {}


def add_kind(kind: str, permission: str, run: JobFn) -> None:
    """Make ``kind`` known here: ``permission`` (a policy action) starts it, ``run`` does the work."""
    _KINDS[kind] = JobKind(permission, run)


def register(kind: str, permission: str) -> Callable[[JobFn], JobFn]:
    """:func:`add_kind` as a decorator."""

    def decorate(fn: JobFn) -> JobFn:
        add_kind(kind, permission, fn)
        return fn

    return decorate


def _kind(kind: str) -> JobKind:
    if kind not in _KINDS:
        raise NotFound("No job kind {kind!r}.", kind=kind)
    return _KINDS[kind]


def worker_id() -> str:
    """``host:pid/start`` of this process; ``start`` is when it started (Linux; left out elsewhere).

    The start time tells a later process with the same pid from the one that ran a job: in a
    container the app is PID 1 on the same host name after every restart.
    """
    pid = os.getpid()
    started = _start_ticks(pid)
    return f"{socket.gethostname()}:{pid}" + (f"/{started}" if started is not None else "")


def _start_ticks(pid: int) -> int | None:
    """When process ``pid`` started, in clock ticks since boot (``/proc/PID/stat`` field 22), or None."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return int(stat.rpartition(")")[2].split()[19])
    except (OSError, ValueError, IndexError):
        return None


def submit(*, session: Session, actor: User | None, kind: str, parameters: dict[str, Any]) -> Job:
    """Queue a job (the caller commits, then calls :func:`start`)."""
    permission = _kind(kind).permission
    if actor is not None:
        policy.require(actor, permission)
    # The accepting process starts the job: recording it lets a restart tell a job lost with its
    # process from one another live process has just accepted.
    job = Job(
        kind=kind,
        parameters=parameters,
        created_by_id=actor.id if actor else None,
        message="queued",
        worker=worker_id(),
    )
    session.add(job)
    session.flush()
    audit.record(
        session,
        actor=actor,
        entity="job",
        entity_id=job.id,
        action="submit",
        after={"kind": kind, "parameters": parameters},
    )
    return job


def get(*, session: Session, actor: User, job_id: int) -> Job:
    """A job, for the office or the user who started it."""
    job = session.get(Job, job_id)
    if job is None or not (policy.can(actor, "job:read_all") or job.created_by_id == actor.id):
        raise NotFound("No job with id {job_id}.", job_id=job_id)
    _fail_if_lost(session, job)
    return job


#: Parameters whose name starts with this are the job's own bookkeeping (where the accepting process
#: stored an upload), kept out of what readers of the job see (:func:`public`); the audit log keeps them.
PRIVATE_PREFIX = "_"


def public(job: Job) -> JobPublic:
    """What a reader of the job sees (the API): the job without its private parameters."""
    view = JobPublic.model_validate(job)
    view.parameters = {k: v for k, v in job.parameters.items() if not k.startswith(PRIVATE_PREFIX)}
    return view


def cancel(*, session: Session, actor: User, job_id: int) -> Job:
    """Ask a job to stop: a queued one is cancelled at once, a running one at its next check.

    Finished jobs are left as they are (their results stand), which the caller sees in the status.
    """
    job = get(session=session, actor=actor, job_id=job_id)
    if job.status == RunStatus.queued:
        job.status, job.finished_at, job.message = RunStatus.cancelled, datetime.now(UTC), "cancelled"
        job.error = "Cancelled before it started; nothing was stored."
    elif job.status == RunStatus.running:
        job.cancel_requested, job.message = True, "cancelling"
    audit.record(session, actor=actor, entity="job", entity_id=job.id, action="cancel")
    return job


def start(engine: Engine, job_id: int) -> threading.Thread:
    """Run the job in a background thread of this process."""
    thread = threading.Thread(target=run, args=(engine, job_id), name=f"pvhub-job-{job_id}", daemon=True)
    thread.start()
    return thread


def run(engine: Engine, job_id: int) -> None:
    """Run a queued job to the end in this thread; never raises (failures are stored on the job)."""
    with transaction(engine) as session:
        job = session.get(Job, job_id)
        if job is None or job.status != RunStatus.queued:
            return
        now = datetime.now(UTC)
        job.status, job.started_at, job.heartbeat_at, job.worker = RunStatus.running, now, now, worker_id()
        job.message = "started"
        kind, parameters = job.kind, dict(job.parameters)

    progress = JobProgress(engine, job_id)
    try:
        with transaction(engine) as session:
            result = _kind(kind).run(session, parameters, progress)
    except JobCancelled:
        _finish(engine, job_id, RunStatus.cancelled, error="Cancelled on request; nothing was stored.")
    except DomainError as exc:
        _finish(engine, job_id, RunStatus.failed, error=exc.message, result=failure_parts(exc))
    except Exception as exc:
        detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        unexpected = DomainError("Unexpected error: {detail}", detail=detail)
        _finish(engine, job_id, RunStatus.failed, error=unexpected.message, result=failure_parts(unexpected))
    else:
        _finish(engine, job_id, RunStatus.succeeded, result=result)


def failure_parts(exc: DomainError) -> dict[str, Any] | None:
    """A failed job's ``result``: the error's template and values, for pages in the reader's language.

    ``error`` keeps the English text (the API, logs). Only plain values are kept (an enum or a phrase
    would need the web vocabulary to come back); without them the page shows the English text.
    """
    parts = _plain_parts(exc.template, {"field": exc.field, **exc.params})
    return None if parts is None else {"failure": parts}


def _plain_parts(template: str, params: dict[str, Any]) -> dict[str, Any] | None:
    """A message's template and values for a JSON column, or None unless every value is plain."""
    plain = all(
        value is None or (isinstance(value, str | int | float) and not isinstance(value, Enum))
        for value in params.values()
    )
    return {"template": template, "params": params} if plain else None


def _finish(
    engine: Engine,
    job_id: int,
    status: RunStatus,
    *,
    result: dict[str, Any] | None = None,
    error: str | None = None,
) -> None:
    with transaction(engine) as session:
        job = session.get(Job, job_id)
        if job is None:
            return
        before = audit.snapshot(job)
        job.status, job.result, job.error = status, result, (error or "")[:2000] or None
        job.finished_at = datetime.now(UTC)
        job.progress = 1.0 if status == RunStatus.succeeded else job.progress
        job.message = status.value if status != RunStatus.succeeded else "done"
        audit.record(
            session,
            actor=None,
            entity="job",
            entity_id=job_id,
            action=status.value,
            before=before,
            after=audit.snapshot(job),
        )


def recover_interrupted(engine: Engine) -> int:
    """Mark queued or running jobs whose process is gone as failed, saying why; returns how many."""
    with transaction(engine) as session:
        active = session.exec(
            select(Job).where(col(Job.status).in_([RunStatus.queued, RunStatus.running]))
        ).all()
        return sum(_fail_if_lost(session, job) for job in active)


def _fail_if_lost(session: Session, job: Job) -> bool:
    """Fail a queued or running job whose process (on this host) is gone, saying why.

    Runs at start-up and whenever a job is read, so a page polling a job whose worker was killed
    shows it failed at once — not "running" or "cancelling" until the next restart.
    """
    if job.status not in (RunStatus.queued, RunStatus.running):
        return False
    if job.worker == worker_id() or (job.worker and _process_alive(job.worker)):
        return False
    if job.status == RunStatus.queued and job.worker is None and _recent(job.created_at):
        return False  # a row from before jobs recorded the accepting process: give it time
    if job.status == RunStatus.queued:
        lost = DomainError(
            "The process that accepted this job ({worker}) stopped before starting it; nothing was "
            "stored. Run it again.",
            worker=job.worker or "unknown",
        )
    else:
        lost = DomainError(
            "The process running this job ({worker}) stopped before it finished; nothing it computed "
            "was stored. Run it again.",
            worker=job.worker or "unknown",
        )
    job.error, job.result = lost.message, failure_parts(lost)
    job.status, job.finished_at = RunStatus.failed, datetime.now(UTC)
    job.message = "failed"
    audit.record(session, actor=None, entity="job", entity_id=job.id, action="recovered_as_failed")
    return True


def _recent(when: datetime, seconds: float = 60) -> bool:
    return (datetime.now(UTC) - when).total_seconds() < seconds


def _process_alive(worker: str) -> bool:
    """True when ``host:pid[/start]`` (see :func:`worker_id`) is still running on this host (other
    hosts: assume alive). A pid now held by another process — this one, or one that started at
    another time — is a dead worker."""
    host, _, rest = worker.rpartition(":")
    if host != socket.gethostname():
        return True
    pid_text, _, started = rest.partition("/")
    try:
        pid = int(pid_text)
        os.kill(pid, 0)
    except (ProcessLookupError, ValueError):
        return False
    except PermissionError:
        pass
    if pid == os.getpid():
        return False  # the caller checked the job is not this process's own
    now = _start_ticks(pid)
    return not (started and now is not None and str(now) != started)
