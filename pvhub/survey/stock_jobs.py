"""Large building-stock imports as background jobs (DESIGN "Jobs"), as register imports run
(:mod:`pvhub.register.imports.jobs`): the request is checked, the bytes are stored under
``<data_dir>/stock-imports/`` with a random name (readable by this user only), a job of kind
``stock_import`` is queued; the job reads the file back (size and SHA-256 as submitted), runs
:func:`pvhub.survey.stock.import_stock` in its transaction on behalf of the submitter (whose rights
are checked again) and returns the report's JSON. A file with problems writes nothing; the job
still succeeds and its result says ``"ok": false``. The stored file is removed when the job ends.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import time
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from pvhub.accounts.models import User
from pvhub.core.enums import RunStatus
from pvhub.core.errors import PermissionDenied, Phrase
from pvhub.jobs import service as jobs
from pvhub.jobs.models import Job
from pvhub.jobs.progress import JobCancelled, Progress
from pvhub.register.imports.jobs import read_upload
from pvhub.survey import stock

KIND = "stock_import"
UPLOAD_FOLDER = "stock-imports"
UPLOAD_SUFFIX = ".upload"
#: Private job parameter (:data:`pvhub.jobs.service.PRIVATE_PREFIX`): readers do not see it.
UPLOAD_PARAMETER = "_upload"
#: A stored upload no queued or running job names is removed once this old, seconds.
ORPHAN_GRACE_S = 15 * 60


def runs_as_job(*, size: int, dry_run: bool, background: bool | None, threshold_mb: float) -> bool:
    """Never a preview; else as the caller says; else when larger than ``threshold_mb``."""
    if dry_run:
        return False
    if background is not None:
        return background
    return size > threshold_mb * 1e6


def import_or_queue(
    *,
    session: Session,
    actor: User,
    filename: str,
    content: bytes,
    crs: str | None,
    datum: str,
    dry_run: bool,
    background: bool | None,
    threshold_mb: float,
    data_dir: Path,
) -> stock.StockReport | Job:
    """One import request from the API or the page: the report, or the queued job (the caller
    commits and starts it). The one place that decides, so the two edges cannot differ."""
    if runs_as_job(size=len(content), dry_run=dry_run, background=background, threshold_mb=threshold_mb):
        return submit(
            session=session,
            actor=actor,
            filename=filename,
            content=content,
            crs=crs,
            datum=datum,
            data_dir=data_dir,
        )
    return stock.import_stock(
        session=session,
        actor=actor,
        filename=filename,
        content=content,
        crs=crs,
        datum=datum,
        dry_run=dry_run,
    )


def submit(
    *,
    session: Session,
    actor: User,
    filename: str,
    content: bytes,
    crs: str | None,
    datum: str,
    data_dir: Path,
) -> Job:
    """Store the file and queue its import (refused as the import would be, before storing)."""
    stock.check_request(actor=actor, filename=filename, datum=datum)
    remove_orphaned_uploads(session, data_dir)
    folder = Path(data_dir).resolve() / UPLOAD_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{secrets.token_hex(16)}{UPLOAD_SUFFIX}"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(content)
        return jobs.submit(
            session=session,
            actor=actor,
            kind=KIND,
            parameters={
                "actor_id": actor.id,
                "filename": filename,
                "size": len(content),
                "sha256": hashlib.sha256(content).hexdigest(),
                "crs": crs,
                "datum": datum,
                UPLOAD_PARAMETER: str(path),
            },
        )
    except BaseException:  # no file without its job
        path.unlink(missing_ok=True)
        raise


def remove_orphaned_uploads(session: Session, data_dir: Path, *, grace_s: float = ORPHAN_GRACE_S) -> int:
    """Remove stored uploads no queued or running stock import names, older than ``grace_s``."""
    folder = Path(data_dir).resolve() / UPLOAD_FOLDER
    if not folder.is_dir():
        return 0
    active = session.exec(
        select(Job.parameters).where(
            Job.kind == KIND, col(Job.status).in_([RunStatus.queued, RunStatus.running])
        )
    ).all()
    keep = {Path(str(p.get(UPLOAD_PARAMETER))).name for p in active if isinstance(p, dict)}
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


def stock_import_job(session: Session, parameters: dict[str, Any], progress: Progress) -> dict[str, Any]:
    """Job: import the stored building file; the file is removed whatever happens."""
    path = Path(parameters[UPLOAD_PARAMETER])
    filename = str(parameters["filename"])

    def step(fraction: float, message: str | Phrase) -> None:
        progress(fraction, message)
        if progress.cancelled():
            raise JobCancelled()

    try:
        step(0.02, Phrase("reading and checking {filename}", filename=filename))
        content = read_upload(path, parameters)
        actor = session.get(User, int(parameters["actor_id"]))
        if actor is None or not actor.active:
            raise PermissionDenied(
                "The account that submitted this import is no longer active; nothing was imported."
            )
        report = stock.import_stock(
            session=session,
            actor=actor,
            filename=filename,
            content=content,
            crs=parameters.get("crs"),
            datum=str(parameters.get("datum", "wgs84")),
            progress=step,
        )
    finally:
        path.unlink(missing_ok=True)
    return report.as_dict()
