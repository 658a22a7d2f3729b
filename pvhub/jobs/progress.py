"""What a job function reports through, and how it stops: the types a service needs to be run as a job.

They live apart from :mod:`pvhub.jobs.service` (the mechanism that queues, runs and records jobs) so that a
service can offer a job function without knowing how jobs run, and :mod:`pvhub.job_kinds` can
register it without the mechanism importing any service.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from pvhub.core.errors import Phrase

# (fraction, message): a Phrase keeps its template and values, so the job page can say it in the
# reader's language; the stored message stays English (the API, logs).
ProgressFn = Callable[[float, str | Phrase], None]


class Progress(Protocol):
    """A running job's channel: progress (also the heartbeat), live detail, cancellation.

    Called as ``(fraction, message)`` it is a plain :data:`ProgressFn`, so code that only reports
    progress takes a :data:`ProgressFn` and runs inside or outside a job alike.
    """

    def __call__(self, fraction: float, message: str | Phrase, detail: dict[str, Any] | None = None) -> None:
        """Report ``fraction`` (0–1) done and ``message``; ``detail`` (JSON-safe) replaces the live one."""

    def cancelled(self) -> bool:
        """True once someone asked to cancel the job."""


class JobCancelled(Exception):
    """Raised by a job function that saw :meth:`Progress.cancelled`; nothing it computed is stored."""
