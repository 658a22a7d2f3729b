"""Large register imports as background jobs (DESIGN "Jobs": large imports run outside the request).

:func:`submit_import` refuses what :func:`~pvhub.register.imports.service.import_file` would refuse without
reading the file (who imports for whom, the datum, the minimum area) before anything is stored, then
stores the bytes under ``<data_dir>/imports/`` with a random name and queues a job of kind
``import``; the caller commits and starts it (:func:`pvhub.jobs.service.start`). :func:`runs_as_job` decides
when an import becomes a job: never for a dry run (a preview answers at once), else as the caller
asks, else when the file is larger than ``PVHUB_IMPORT_JOB_MB``. ``pvhub import`` never uses a job.

The job reads the file back (its size and SHA-256 must be those recorded at submission), runs
``import_file`` in the job's transaction — all or nothing as always, with the programme boundary as
it is when the job runs, on behalf of the user who submitted it (whose rights are checked again) —
and returns the report as JSON (:func:`result_of`). A file with errors writes nothing; the job still
succeeds (it ran to the end) and its result says ``"ok": false`` with every problem.

Each problem and skip of the result keeps its index, field and English text, and — where every value
it holds can be kept in JSON — its ``template`` and ``params``, so pages say it in the reader's
language (``web.import_job``; :func:`report_entries` rebuilds the :class:`Problem` and :class:`Skip`
objects). A value of ``params`` is a plain JSON value, a list of them, or one of three objects:
``{"field": name}`` (a field shown by its label), ``{"foreign": text}`` (a library's English sentence,
translated where its form is known) or ``{"template": …, "params": …}`` (a phrase within the phrase).
Other values (an enum, a mapping) leave ``template`` and ``params`` null: the English text stands.
At most :data:`MAX_LISTED` problems and skips each are kept (``errors_total`` and ``skipped_total``
count them all; a dry run lists every one).

The stored file is removed when the job function ends, whatever the outcome. It outlives its job
only when the job never ran (cancelled while queued) or its process died: :func:`remove_orphaned_uploads`,
run at every submission and at start-up after :func:`pvhub.jobs.service.recover_interrupted`, removes the
files no queued or running import job names once they are older than :data:`ORPHAN_GRACE_S` (a
younger one may belong to a submission another process has not committed yet).
"""

from __future__ import annotations

import hashlib
import math
import os
import secrets
import time
from enum import Enum
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from pvhub.accounts.models import User
from pvhub.core import policy
from pvhub.core.db import transaction
from pvhub.core.enums import RunStatus
from pvhub.core.errors import Conflict, FieldName, NotFound, PermissionDenied, Phrase
from pvhub.jobs import service as jobs
from pvhub.jobs.models import Job
from pvhub.jobs.progress import JobCancelled, Progress
from pvhub.programme.models import Programme
from pvhub.register import service as register
from pvhub.register.imports import service as imports
from pvhub.register.imports.rows import Foreign, Problem, Skip

KIND = "import"
#: Where in ``<data_dir>`` the uploads of queued and running imports wait.
UPLOAD_FOLDER = "imports"
UPLOAD_SUFFIX = ".upload"
#: The parameter naming the stored file; :func:`pvhub.jobs.service.public` leaves it out of what readers see.
UPLOAD_PARAMETER = "_upload"
#: A stored upload no active job names is removed once it is this old, seconds.
ORPHAN_GRACE_S = 15 * 60
#: Problems (and skips) a job's result lists at most.
MAX_LISTED = 10_000


def runs_as_job(*, size: int, dry_run: bool, background: bool | None, threshold_mb: float) -> bool:
    """Whether an import of ``size`` bytes runs as a job: never a dry run; else ``background`` when
    the caller says; else when the file is larger than ``threshold_mb`` (``PVHUB_IMPORT_JOB_MB``)."""
    if dry_run:
        return False
    if background is not None:
        return background
    return size > threshold_mb * 1e6


def import_or_queue(
    *,
    session: Session,
    actor: User,
    organisation_id: int | None,
    filename: str,
    content: bytes,
    dry_run: bool,
    background: bool | None,
    threshold_mb: float,
    data_dir: Path,
    crs: str | None = None,
    datum: str = "wgs84",
    min_area_m2: float = 1.0,
    skip_north_walls: bool = False,
) -> imports.ImportReport | Job:
    """One import request, from the API or the page: a queued job when :func:`runs_as_job` says so
    (the caller starts it after the commit), else the import itself in the caller's transaction,
    within the programme's boundary, for ``organisation_id`` or else an owner's own organisation (the
    office must name the owner: :func:`pvhub.register.service.owner_named`, the rule of a new site too).
    The one place that decides, so the two edges cannot differ."""
    options: dict[str, Any] = {
        "session": session,
        "actor": actor,
        "organisation_id": register.owner_named(actor=actor, organisation_id=organisation_id),
        "filename": filename,
        "content": content,
        "crs": crs,
        "datum": datum,
        "min_area_m2": min_area_m2,
        "skip_north_walls": skip_north_walls,
    }
    if runs_as_job(size=len(content), dry_run=dry_run, background=background, threshold_mb=threshold_mb):
        return submit_import(**options, data_dir=data_dir)
    return imports.import_file(**options, dry_run=dry_run, boundary=_boundary(session))


def upload_folder(data_dir: Path) -> Path:
    return Path(data_dir).resolve() / UPLOAD_FOLDER


def submit_import(
    *,
    session: Session,
    actor: User,
    organisation_id: int,
    filename: str,
    content: bytes,
    data_dir: Path,
    crs: str | None = None,
    datum: str = "wgs84",
    min_area_m2: float = 1.0,
    skip_north_walls: bool = False,
) -> Job:
    """Store the file and queue its import (the caller commits, then calls :func:`pvhub.jobs.service.start`).

    Refuses as ``import_file`` does, before anything is stored; the file's own problems come with
    the job's result.
    """
    imports.check_request(
        session=session,
        actor=actor,
        organisation_id=organisation_id,
        filename=filename,
        datum=datum,
        min_area_m2=min_area_m2,
    )
    policy.require(actor, "site:import")
    remove_orphaned_uploads(session, data_dir)
    folder = upload_folder(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{secrets.token_hex(16)}{UPLOAD_SUFFIX}"
    _write_private(path, content)
    try:
        return jobs.submit(
            session=session,
            actor=actor,
            kind=KIND,
            parameters={
                "actor_id": actor.id,
                "organisation_id": organisation_id,
                "filename": filename,
                "size": len(content),
                "sha256": hashlib.sha256(content).hexdigest(),
                "crs": crs,
                "datum": datum,
                "min_area_m2": min_area_m2,
                "skip_north_walls": skip_north_walls,
                UPLOAD_PARAMETER: str(path),
            },
        )
    except BaseException:  # no file without its job
        path.unlink(missing_ok=True)
        raise


def _write_private(path: Path, content: bytes) -> None:
    """A new file readable by this user only (an upload may hold an owner's building data)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(content)
    except BaseException:  # a full disk: no half-written file left behind
        path.unlink(missing_ok=True)
        raise


def remove_orphaned_uploads(session: Session, data_dir: Path, *, grace_s: float = ORPHAN_GRACE_S) -> int:
    """Remove stored uploads that no queued or running import job names, older than ``grace_s``;
    returns how many."""
    folder = upload_folder(data_dir)
    if not folder.is_dir():
        return 0
    active = session.exec(
        select(Job.parameters).where(
            Job.kind == KIND, col(Job.status).in_([RunStatus.queued, RunStatus.running])
        )
    ).all()
    keep = {
        Path(p[UPLOAD_PARAMETER]).name
        for p in active
        if isinstance(p, dict) and isinstance(p.get(UPLOAD_PARAMETER), str)
    }
    removed, now = 0, time.time()
    for path in folder.glob(f"*{UPLOAD_SUFFIX}"):
        try:
            if path.name in keep or now - path.stat().st_mtime < grace_s:
                continue
            path.unlink()
        except FileNotFoundError:  # its job ended meanwhile and removed it
            continue
        removed += 1
    return removed


def remove_orphaned_uploads_on_start(engine: Engine, data_dir: Path) -> int:
    """:func:`remove_orphaned_uploads` in a transaction of its own (start-up, after the jobs of dead
    processes have been marked failed)."""
    with transaction(engine) as session:
        return remove_orphaned_uploads(session, data_dir)


def import_job(session: Session, parameters: dict[str, Any], progress: Progress) -> dict[str, Any]:
    """Job: import the stored file for its organisation; the file is removed whatever happens."""
    path = Path(parameters[UPLOAD_PARAMETER])
    filename = str(parameters["filename"])
    step = _Steps(progress)
    try:
        step(0.05, Phrase("reading and checking {filename}", filename=filename))
        content = read_upload(path, parameters)
        actor = session.get(User, int(parameters["actor_id"]))
        if actor is None or not actor.active:
            raise PermissionDenied(
                "The account that submitted this import is no longer active; nothing was imported."
            )
        report = imports.import_file(
            session=session,
            actor=actor,
            organisation_id=int(parameters["organisation_id"]),
            filename=filename,
            content=content,
            dry_run=False,
            crs=parameters.get("crs"),
            datum=str(parameters.get("datum", "wgs84")),
            boundary=_boundary(session),
            min_area_m2=float(parameters.get("min_area_m2", 1.0)),
            skip_north_walls=bool(parameters.get("skip_north_walls", False)),
            progress=step,
        )
    finally:
        path.unlink(missing_ok=True)
    return result_of(report, filename=filename)


class _Steps:
    """Report a step on the job, then stop (before anything is written) if someone cancelled it."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress

    def __call__(self, fraction: float, message: str | Phrase) -> None:
        self.progress(fraction, message)
        if self.progress.cancelled():
            raise JobCancelled()


def read_upload(path: Path, parameters: dict[str, Any]) -> bytes:
    """The bytes of a file a job was queued for, checked against the size and SHA-256 recorded when
    it was submitted (shared by every file import that runs as a job)."""
    try:
        content = path.read_bytes()
    except FileNotFoundError:
        raise NotFound(
            "The uploaded file {filename!r} is no longer on the server; nothing was imported. "
            "Upload it again.",
            filename=str(parameters["filename"]),
        ) from None
    if len(content) != parameters["size"] or hashlib.sha256(content).hexdigest() != parameters["sha256"]:
        raise Conflict(
            "The uploaded file {filename!r} changed on the server after it was submitted; nothing was "
            "imported. Upload it again.",
            filename=str(parameters["filename"]),
        )
    return content


def _boundary(session: Session) -> dict[str, Any] | None:
    """The programme boundary, read without creating the programme row (the job writes once, at the end)."""
    boundary = session.exec(select(Programme.boundary).order_by(col(Programme.id))).first()
    return boundary if isinstance(boundary, dict) else None


# --- the report as JSON, and back ------------------------------------------------------------------


class _NotPlain(Exception):
    """A value JSON cannot keep so that the page could render it the same."""


def result_of(report: imports.ImportReport, *, filename: str) -> dict[str, Any]:
    """The job's result: the API's report with the format, the file's name, the totals, and each
    problem's and skip's ``template`` and ``params`` (see the module's docstring)."""
    out = report.as_dict()
    out["format"], out["filename"] = report.format, filename
    out["errors_total"], out["skipped_total"] = len(report.errors), len(report.skipped)
    out["errors"] = [
        {"index": e.index, "field": e.field, "message": e.message, **_parts(e.phrase)}
        for e in report.errors[:MAX_LISTED]
    ]
    out["skipped"] = [
        {"index": s.index, "reason": s.reason, **_parts(s.phrase)} for s in report.skipped[:MAX_LISTED]
    ]
    return out


def _parts(phrase: Phrase | None) -> dict[str, Any]:
    if phrase is not None:
        try:
            return _phrase(phrase)
        except _NotPlain:
            pass
    return {"template": None, "params": None}


def _phrase(phrase: Phrase) -> dict[str, Any]:
    return {"template": phrase.template, "params": {k: _value(v) for k, v in phrase.params.items()}}


def _value(value: Any) -> Any:
    if isinstance(value, FieldName):
        return {"field": str(value)}
    if isinstance(value, Foreign):
        return {"foreign": str(value)}
    if isinstance(value, Phrase):
        return _phrase(value)
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, Enum):
        raise _NotPlain
    if isinstance(value, str):
        return str(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float) and math.isfinite(value):
        return float(value)
    if isinstance(value, list | tuple):
        return [_value(item) for item in value]
    raise _NotPlain


def report_entries(result: dict[str, Any]) -> tuple[list[Problem], list[Skip]]:
    """The problems and skips of a job's result (:func:`result_of`) as the import made them: the
    English text, with the phrase a page renders where the result kept it."""
    problems = [
        Problem.said(e.get("index"), str(e.get("field", "")), str(e.get("message", "")), _restored(e))
        for e in result.get("errors") or []
        if isinstance(e, dict)
    ]
    skips = [
        Skip.said(s.get("index"), str(s.get("reason", "")), _restored(s))
        for s in result.get("skipped") or []
        if isinstance(s, dict)
    ]
    return problems, skips


def _restored(entry: dict[str, Any]) -> Phrase | None:
    try:
        return _phrase_back(entry)
    except (_NotPlain, TypeError):
        return None


def _phrase_back(parts: dict[str, Any]) -> Phrase:
    template, params = parts.get("template"), parts.get("params")
    if not isinstance(template, str) or not isinstance(params, dict):
        raise _NotPlain
    return Phrase.catalogued(template, **{str(k): _value_back(v) for k, v in params.items()})


def _value_back(value: Any) -> Any:
    if isinstance(value, list):
        return [_value_back(item) for item in value]
    if not isinstance(value, dict):
        return value
    if set(value) == {"field"} and isinstance(value["field"], str):
        return FieldName(value["field"])
    if set(value) == {"foreign"} and isinstance(value["foreign"], str):
        return Foreign(value["foreign"])
    return _phrase_back(value)
