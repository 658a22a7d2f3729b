"""Texts in a JSON body must be Unicode: a lone UTF-16 surrogate is refused before any handler runs.

Pydantic refuses a lone surrogate (``"\\ud800"``, see :mod:`pvhub.text`) where a field is a string, but
a free-form field (a GeoJSON footprint or geometry, a programme boundary) would pass it on to the
database. :func:`refuse_lone_surrogates`, a dependency of the whole API router, refuses every JSON body
holding one with a 422 naming the JSON path of the text (or key) at fault, before validation.
"""

from __future__ import annotations

import re

from fastapi import Request

from pvhub.errors import InvalidInput
from pvhub.text import surrogate_path

# Only a body holding one of these can decode to a surrogate: the escape, or its raw UTF-8-like bytes
_MAY_HOLD_ONE = re.compile(rb"\\u[dD][89a-fA-F]|\xed[\xa0-\xbf]")


async def refuse_lone_surrogates(request: Request) -> None:
    """Refuse a JSON body holding a lone surrogate (422, the field named); anything else passes.

    FastAPI has parsed the body already (``request.json()`` returns it again); a body that is not
    JSON is left for FastAPI to answer as usual.
    """
    if "json" not in request.headers.get("content-type", ""):
        return
    if not _MAY_HOLD_ONE.search(await request.body()):
        return
    try:
        document = await request.json()
    except ValueError:
        return
    path = surrogate_path(document)
    if path is not None:
        raise InvalidInput(
            "{field}: the text holds a lone UTF-16 surrogate (\\ud800–\\udfff), which is not a "
            "character; send valid Unicode text.",
            field=path or "body",
        )
