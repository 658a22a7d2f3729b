"""What pvhub takes as text: no lone UTF-16 surrogates anywhere, no NUL in what it stores.

JSON may write ``"\\ud800"`` — half of a UTF-16 pair with no other half — and Python's parser turns it
(and the bytes ``ED A0 80``, which it decodes with ``surrogatepass``) into a string no UTF-8 encoder
accepts: the database refuses to store it and an answer that echoes it cannot be sent. Pydantic
refuses such a text where a field is a string; :func:`surrogate_path` finds one anywhere in a parsed
document (a free-form GeoJSON field, a CityJSON object id), so the API and the import refuse the
document up front, naming where it is, and :func:`safe_to_echo` makes a value safe to echo.
"""

from __future__ import annotations

import re
from typing import Any

LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def safe_to_echo(value: Any) -> Any:
    """``value`` as an answer may echo it: every lone surrogate in its texts (keys included) replaced
    by U+FFFD, and bytes (a body that was not parsed) decoded as UTF-8 with the same replacement."""
    if isinstance(value, bytes | bytearray):
        value = bytes(value).decode("utf-8", "replace")
    if isinstance(value, str):
        return LONE_SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {safe_to_echo(key): safe_to_echo(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [safe_to_echo(item) for item in value]
    return value


def surrogate_path(document: Any) -> str | None:
    """The dotted path (``footprint.properties.name``, ``rows.3.meter``) of the first text or key of
    ``document`` holding a lone surrogate, ``""`` for the document itself, None when there is none.

    Iterative, so a document nested as deep as the parser allows cannot exhaust the stack here.
    """
    stack: list[tuple[tuple[str, ...], Any]] = [((), document)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            if LONE_SURROGATE.search(value):
                return ".".join(path)
        elif isinstance(value, dict):
            for key, item in reversed(value.items()):
                if isinstance(key, str) and LONE_SURROGATE.search(key):
                    return ".".join((*path, safe_to_echo(key)))
                stack.append(((*path, str(key)), item))
        elif isinstance(value, list):
            stack.extend(((*path, str(index)), item) for index, item in reversed(list(enumerate(value))))
    return None
