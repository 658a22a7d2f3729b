"""Pydantic's complaints about a form, in the page's language.

The forms validate with the API's pydantic models, whose messages are English sentences ("Input should
be greater than or equal to 1"). A page names the field by its label and says the problem in the
reader's words for the error types a form can produce; any other type keeps pydantic's sentence, so a
problem is never hidden. Our own model validators raise ``ValueError`` with a constant English sentence,
which is looked up in the catalogue as it is. The table of error types and :func:`problem` live in
:mod:`pvhub.core.validation_problems`, which the register import shares.
"""

from __future__ import annotations

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from pvhub.core.errors import Phrase
from pvhub.core.validation_problems import problem
from web import i18n


def problem_text(error: ErrorDetails) -> str:
    """:func:`problem` in the request's language."""
    found = problem(error)
    return found.render(i18n.PageWording()) if isinstance(found, Phrase) else found


def first_problem(exc: ValidationError) -> tuple[str | None, Phrase | str]:
    """The first complaint's field (dotted location, None for the whole form) and problem."""
    error = exc.errors()[0]
    field = ".".join(str(part) for part in error.get("loc", ())) or None
    return field, problem(error)
