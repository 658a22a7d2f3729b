"""Driving the app over raw ASGI, for tests that must see *when* it reads or answers.

A TestClient hides the order of events (it hands the app the whole body at once and runs its own
event loop); these tests need their own ``receive`` and ``send`` and one loop they control.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from starlette.types import Scope

T = TypeVar("T")


def scope_of(method: str, path: str, headers: dict[str, str]) -> Scope:
    """An HTTP request's ASGI scope from a local client."""
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode("latin-1")) for k, v in headers.items()],
        "client": ("127.0.0.1", 40000),
        "server": ("testserver", 80),
    }


def run_in_fresh_loop(coroutine: Coroutine[Any, Any, T], timeout_s: float = 120) -> T:
    """Run ``coroutine`` to the end on a new event loop in a thread of its own.

    Why a thread: in a pytest worker that also ran browser tests, Playwright's sync API leaves an
    event loop running in the main thread, and ``asyncio.run`` refuses to start a second one there.
    """

    async def bounded() -> T:
        return await asyncio.wait_for(coroutine, timeout=timeout_s)

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, bounded()).result()
