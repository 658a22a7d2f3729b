"""Pydantic's complaints as translatable phrases, for the pages and the register import alike.

The API's pydantic models say what is wrong in English sentences ("Input should be greater than or equal
to 1"). :func:`problem` turns one error into a :class:`~pvhub.core.errors.Phrase` for the error types a
form or an import row can produce (bounds, numbers, whole numbers, lengths, dates, choices), whose
template is a catalogue entry, so a page can say it in the reader's words; any other type keeps
pydantic's sentence, so a problem is never hidden. Our own validators raise ``ValueError`` with a
constant English sentence, which is itself a catalogue entry. ``web.validation`` shows these on form
pages; the register import keeps them with its row problems (:mod:`pvhub.register.imports.service`).
"""

from __future__ import annotations

import math
import string
from typing import Any

from pydantic_core import ErrorDetails

from pvhub.core.errors import N_, Phrase

# error type -> the problem, with pydantic's context values ({ge}, {max_length}, ...) as placeholders
PROBLEMS = {
    "greater_than_equal": N_("must be at least {ge}"),
    "greater_than": N_("must be more than {gt}"),
    "less_than_equal": N_("must be at most {le}"),
    "less_than": N_("must be less than {lt}"),
    "float_parsing": N_("must be a number"),
    "float_type": N_("must be a number"),
    "finite_number": N_("must be a finite number"),
    "int_parsing": N_("must be a whole number"),
    "int_from_float": N_("must be a whole number"),
    "int_type": N_("must be a whole number"),
    "bool_parsing": N_("must be yes or no"),
    "missing": N_("is required"),
    "string_too_short": N_("needs at least {min_length} characters"),
    "string_too_long": N_("may have at most {max_length} characters"),
    "date_parsing": N_("must be a date (YYYY-MM-DD)"),
    "date_from_datetime_parsing": N_("must be a date (YYYY-MM-DD)"),
    "datetime_parsing": N_("must be a date and time"),
    "datetime_from_date_parsing": N_("must be a date and time"),
    "enum": N_("must be one of: {expected}"),
}


def _shown(value: Any) -> Any:
    """Context values as a person writes them: 1 rather than 1.0."""
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    return value


def problem(error: ErrorDetails) -> Phrase | str:
    """One pydantic error's problem: a translatable phrase for a known type, else pydantic's text."""
    kind = error.get("type", "")
    ctx = dict(error.get("ctx") or {})
    if kind in ("too_long", "too_short") and isinstance(error.get("input"), str):
        # a length limit on an optional text (``Text | None``) reaches pydantic as a collection's: say it
        # in characters, as for a required text
        kind = f"string_{kind}"
    if kind == "value_error" and isinstance(ctx.get("error"), ValueError):
        return Phrase.catalogued(str(ctx["error"]))  # a sentence of our own validators, in the catalogue
    template = PROBLEMS.get(kind)
    if template is None:
        return str(error.get("msg", "invalid"))
    names = {name for _, name, _, _ in string.Formatter().parse(template) if name}
    if not names <= ctx.keys():
        return str(error.get("msg", "invalid"))
    return Phrase.catalogued(template, **{name: _shown(ctx[name]) for name in names})
