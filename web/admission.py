"""Admission control: at most ``slots`` requests inside the application at once per process.

The rest wait in the event loop, holding no thread and no database connection, and go in as
others finish (first come, first served).

Why: handlers are synchronous and run on anyio's request thread pool. A request that holds a row
lock — the tender lock that serialises bids, conditions and opening — needs a thread once more
after its handler returns (FastAPI validates the response on the pool) before its transaction
commits. When more requests than there are threads queue for that lock, every thread waits for
the lock and the lock holder waits for a thread: the server hangs until clients give up. Admitting
fewer requests than there are threads and pooled connections means the holder always finds both.
uvicorn's ``--limit-concurrency`` is not the tool: it answers 503 instead of queueing.
"""

from __future__ import annotations

import anyio
from anyio.to_thread import current_default_thread_limiter
from starlette.types import ASGIApp, Receive, Scope, Send

#: Threads kept free beyond the admitted requests: static files, background job hand-offs and
#: the response validation of a request whose handler just returned never wait for one.
SPARE_THREADS = 8
#: Pooled database connections beyond the admitted requests: background jobs (estimates, bundling,
#: award runs) each hold one while they work.
SPARE_CONNECTIONS = 10


class AdmissionControl:
    """ASGI middleware; the outermost one, so every HTTP request counts, pages and API alike."""

    def __init__(self, app: ASGIApp, slots: int) -> None:
        if slots < 1:
            raise ValueError("slots must be at least 1")
        self.app = app
        self.slots = slots
        self._semaphore: anyio.Semaphore | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self._semaphore is None:  # created on the server's event loop, at the first request
            self._semaphore = anyio.Semaphore(self.slots, fast_acquire=True)
            limiter = current_default_thread_limiter()
            limiter.total_tokens = max(limiter.total_tokens, self.slots + SPARE_THREADS)
        async with self._semaphore:
            await self.app(scope, receive, send)
