"""The submitted form as a dependency, so that page handlers can be plain ``def``s.

FastAPI runs an ``async def`` handler on the event loop and a ``def`` handler on the thread pool.
A handler that awaits ``request.form()`` has to be ``async``, and then everything after the
await — the service call, its queries, geometry, template rendering — runs on the loop and holds
up every other request meanwhile. Receiving the form is the one part that must be async; this
dependency does it (Starlette caches the parsed form on the request, so the CSRF check and the
handler read it once), and the handler itself runs on a worker thread.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from starlette.datastructures import FormData


async def read_form(request: Request) -> FormData:
    """The request's form fields (urlencoded or multipart), parsed once."""
    return await request.form()


PageForm = Annotated[FormData, Depends(read_form)]
