"""A submitted form bound to the API's input model, so a page stores only what the API would.

:func:`bind` builds one of the API's pydantic input models (``AwardOverride``, ``ObjectionCreate``,
``BidCreate``, …) from a form and validates it exactly as the API does: the limits are declared once,
on the model, and a page can no longer take what the API refuses (a reason longer than its maximum).
Pydantic's first complaint becomes an :class:`~pvhub.core.errors.InvalidInput` naming the field, which a
page shows with :func:`web.i18n.error_text`: the field by its label, the problem in the reader's
words (:mod:`pvhub.core.validation_problems`) — the same message however the page was reached.

How a form's text becomes the model's values (a form has only text, and cannot say "none"):

- only the model's fields are read from the form; text is stripped;
- an empty field is left out, so the model's default applies or pydantic says it is required —
  except where the model lets the field be None, where empty means None;
- a whole or decimal number is read as a person types it, thousands separators allowed
  (``1,234,567.89``); what is not a finite number is refused naming the field;
- an id (a whole-number field named ``…_id``, or a list named ``…_ids``) is read by
  :func:`pvhub.core.ids.parse_id`: ASCII digits only, as every id in a form;
- a list field takes every value the form gives for it;
- values the page has read itself (a local time, ids from links, a differently named input) are
  passed as keywords and go to the model as they are.
"""

from __future__ import annotations

import math
import types
from collections.abc import Mapping
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from pvhub.core.errors import InvalidInput
from pvhub.core.ids import parse_id, parse_ids
from web.validation import first_problem

ModelT = TypeVar("ModelT", bound=BaseModel)
_TRUE = ("1", "true", "on", "yes")


def bind(model: type[ModelT], form: Mapping[str, Any], /, **parsed: Any) -> ModelT:
    """``model`` from ``form`` (a Starlette ``FormData`` or a mapping of text), with ``parsed`` values
    taken as they are; pydantic's first complaint raised as :class:`InvalidInput` on its field."""
    values: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        if name in parsed:
            values[name] = parsed[name]
        elif name in form:
            _read(values, name, info, form)
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        field, found = first_problem(exc)
        if field is None:
            raise InvalidInput("{problem}.", problem=found) from None
        raise InvalidInput("{field}: {problem}.", problem=found, field=field) from None


def _read(values: dict[str, Any], name: str, info: FieldInfo, form: Mapping[str, Any]) -> None:
    kind, optional, many = _shape(info.annotation)
    if many:
        raws = [str(raw) for raw in (form.getlist(name) if hasattr(form, "getlist") else form[name])]
        if kind is int and name.endswith("_ids"):
            values[name] = parse_ids(raws, name)  # none dropped: a bad id is refused
        else:
            values[name] = [_value(raw, name, kind) for raw in raws if raw.strip()]
        return
    raw = form[name]
    if not isinstance(raw, str):  # an upload under this name, or a value the caller parsed
        values[name] = raw
    elif raw.strip():
        values[name] = _value(raw, name, kind)
    elif optional:
        values[name] = None


def _value(raw: str, name: str, kind: Any) -> Any:
    text = raw.strip()
    if kind is int and name.endswith("_id"):
        return parse_id(text, name)
    if kind is bool:
        return text.lower() in _TRUE
    if kind in (int, float):
        return parse_number(text, name, integer=kind is int)
    return text


def parse_number(raw: str, name: str, *, integer: bool = False) -> float | int | None:
    """A number typed in a form field (thousands separators allowed); None when left empty."""
    text = raw.strip().replace(",", "").replace("，", "")
    if not text:
        return None
    try:
        value: float | int = int(text) if integer else float(text)
    except ValueError:
        raise InvalidInput("{field}: {raw!r} is not a number.", raw=raw, field=name) from None
    if not math.isfinite(value):  # "nan", "inf", 1e400
        raise InvalidInput("{field}: {raw!r} is not a number.", raw=raw, field=name)
    return value


def _shape(annotation: Any) -> tuple[Any, bool, bool]:
    """A field's annotation as (scalar type, whether None is allowed, whether it is a list)."""
    optional = False
    if get_origin(annotation) in (Union, types.UnionType):
        members = [a for a in get_args(annotation) if a is not type(None)]
        optional = len(members) < len(get_args(annotation))
        annotation = members[0] if len(members) == 1 else str
    if get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    if get_origin(annotation) is list:
        (item,) = get_args(annotation) or (str,)
        return _shape(item)[0], optional, True
    return annotation, optional, False
