"""Domain errors raised by services; the API and the pages map them to HTTP codes and messages.

A message is an English ``str.format`` template and the values it names, so that a page can show it
in the reader's language::

    raise NotFound("No site with id {site_id}.", site_id=site_id)
    raise InvalidInput("{field}: the base line has zero length.", field=field)

``message`` is the English text (the API's ``detail``, the CLI, logs). The pages show
``exc.localized(wording)`` (see ``web.i18n.error_text``): the template looked up in the request's
catalogue, then formatted with the same values. Hence the template is always a string literal, never
an f-string; ``tests/web/test_translations.py`` collects every template from the source and requires
a Chinese and an English entry for each, with the same placeholders.

How a value is shown:

- ``field``, the keyword that names the field at fault, may appear as ``{field}``; pages show the
  field's label where the vocabulary has one, as for any :class:`FieldName` value;
- an :class:`~enum.Enum` member (a surface status, a milestone) is its ``value`` in English and a
  word of the UI's vocabulary on pages;
- a :class:`Phrase` is a translatable clause of its own (an item of a list of problems);
- a list or tuple is joined with ", " (with "; " when its items are phrases), separators translated;
- anything else is formatted as it is (numbers keep their format spec: ``{area:,.0f}``).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Any, Protocol


class Wording(Protocol):
    """How a message is put into words: the catalogue, the vocabulary and the field labels."""

    def gettext(self, message: str) -> str: ...

    def term(self, value: Enum) -> str: ...

    def field(self, name: str) -> str: ...


class English:
    """The source language: templates, enum values and field names as they are."""

    def gettext(self, message: str) -> str:
        return message

    def term(self, value: Enum) -> str:
        return str(value.value)

    def field(self, name: str) -> str:
        return name


ENGLISH = English()


def N_(message: str) -> str:
    """Mark a catalogue entry for extraction (``pybabel extract -k N_``); returns it unchanged."""
    return message


class FieldName(str):
    """The name of an input field inside a message (``structural_load_ok``), shown by its label."""


class Phrase:
    """A translatable clause inside a message, e.g. one unscored bid of a list."""

    def __init__(self, template: str, /, **params: Any) -> None:
        self.template = template
        self.params = params

    @classmethod
    def catalogued(cls, template: str, /, **params: Any) -> Phrase:
        """A phrase whose template is not a literal here but a catalogue entry kept elsewhere: a table
        of ``N_``-marked templates, or the sentence of a pydantic validator (``web/validation.py``).
        Where its templates come from is tested there (``tests/web/test_validation.py``); a literal
        template is written ``Phrase("…")`` and tested with the error messages."""
        return cls(template, **params)

    def render(self, wording: Wording = ENGLISH) -> str:
        return render(self.template, self.params, wording)

    def __str__(self) -> str:
        return self.render()

    def __repr__(self) -> str:
        return f"Phrase({self.render()!r})"


def render(template: str, params: Mapping[str, Any], wording: Wording) -> str:
    """``template`` in ``wording``'s language, formatted with ``params`` shown in that language."""
    values = {name: _shown(value, wording) for name, value in params.items()}
    return wording.gettext(template).format(**values)


def _shown(value: Any, wording: Wording) -> Any:
    if isinstance(value, Enum):
        return wording.term(value)
    if isinstance(value, FieldName):
        return wording.field(value)
    if isinstance(value, Phrase):
        return value.render(wording)
    if isinstance(value, list | tuple):
        separator = "; " if any(isinstance(item, Phrase) for item in value) else ", "
        return wording.gettext(separator).join(str(_shown(item, wording)) for item in value)
    return value


class DomainError(Exception):
    """Base of every error a user can act on. ``message`` is safe to show.

    ``template`` is an English ``str.format`` string literal; ``params`` are the values it names;
    ``field`` names the input at fault (and may appear in the template as ``{field}``).
    """

    status_code = 400

    def __init__(self, template: str, /, *, field: str | None = None, **params: Any) -> None:
        self.template = template
        self.params = params
        self.field = field
        self.message = self.localized(ENGLISH)
        super().__init__(self.message)

    def localized(self, wording: Wording) -> str:
        """The message in ``wording``'s language (the English ``message`` for :data:`ENGLISH`)."""
        label = wording.field(self.field) if self.field is not None else None
        return render(self.template, {"field": label, **self.params}, wording)

    def __reduce__(self) -> tuple[Any, ...]:
        # Exception pickles its args (the English text), which is not a template; keep the parts.
        return (_restore, (type(self), self.__dict__))


def _restore(cls: type[DomainError], state: dict[str, Any]) -> DomainError:
    error = cls.__new__(cls)
    error.__dict__.update(state)
    error.args = (state["message"],)
    return error


class NotFound(DomainError):
    status_code = 404


class PermissionDenied(DomainError):
    status_code = 403


class NotAuthenticated(DomainError):
    status_code = 401


class Conflict(DomainError):
    status_code = 409


class InvalidInput(DomainError):
    status_code = 422
