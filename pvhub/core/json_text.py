"""Texts in a JSON body must be Unicode: a lone UTF-16 surrogate is refused before any handler runs.

Pydantic refuses a lone surrogate (``"\\ud800"``, see :mod:`pvhub.core.text`) where a field is a string, but
a free-form field (a GeoJSON footprint or geometry, a programme boundary) would pass it on to the
database. :func:`refuse_lone_surrogates`, a dependency of the whole API router, refuses every JSON body
holding one with a 422 naming the JSON path of the text (or key) at fault, before validation.
"""

from __future__ import annotations

import json
import re

from fastapi import Request

from pvhub.core.errors import InvalidInput
from pvhub.core.text import surrogate_path

# Only a body holding one of these can decode to a surrogate: the escape, or its raw UTF-8-like bytes
_MAY_HOLD_ONE = re.compile(rb"\\u[dD][89a-fA-F]|\xed[\xa0-\xbf]")
_FORMS = ("multipart/form-data", "application/x-www-form-urlencoded")


async def refuse_lone_surrogates(request: Request) -> None:
    """Refuse a JSON body holding a lone surrogate (422, the field named); anything else passes.

    Whatever the content type says (``application/JSON``, none): a body that parses as JSON is
    checked, one that does not (a form, a file, broken JSON) is left for FastAPI to answer as usual.
    Only a body holding the escape or its bytes is parsed here at all.
    """
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type in _FORMS:  # parsed (and consumed) as a form by FastAPI; not JSON
        return
    body = await request.body()
    if not _MAY_HOLD_ONE.search(body):
        return
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        return
    path = surrogate_path(document)
    if path is not None:
        raise InvalidInput(
            "{field}: the text holds a lone UTF-16 surrogate (\\ud800–\\udfff), which is not a "
            "character; send valid Unicode text.",
            field=path or "body",
        )
