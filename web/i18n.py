"""The bilingual UI (简体中文 / English) with Babel catalogues.

The locale of a request comes from the ``lang`` cookie (the switch), else the browser's
Accept-Language, else zh_CN. Templates call ``_()``; the translations of the current request
live in a context variable so one Jinja environment serves every request.

A domain error is shown with :func:`error_text`: its template in the request's language, its
values formatted in, enum values and field names as the words the rest of the UI uses.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from contextvars import ContextVar
from datetime import datetime
from enum import Enum
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from fastapi import Request

from pvhub.core.errors import DomainError, render
from pvhub.jobs.models import Job
from web.vocabulary import TERM_PREFIXES

TRANSLATIONS_DIR = Path(__file__).parent / "translations"
LOCALES = ("zh_CN", "en")
DEFAULT_LOCALE = "zh_CN"

_current: ContextVar[str] = ContextVar("pvhub_locale", default=DEFAULT_LOCALE)


@cache
def translations_for(locale: str) -> NullTranslations:
    """Compiled catalogue of ``locale``; compiled from the .po in memory when no .mo was built."""
    mo = TRANSLATIONS_DIR / locale / "LC_MESSAGES" / "messages.mo"
    po = mo.with_suffix(".po")
    if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as fh:
            return Translations(fh)
    if po.exists():
        with po.open("rb") as fh:
            catalog = read_po(fh, locale=locale)
        buf = io.BytesIO()
        write_mo(buf, catalog)
        buf.seek(0)
        return Translations(buf)
    return NullTranslations()


def negotiate(cookie: str | None, accept_language: str | None) -> str:
    """Pick the locale: explicit choice first, then the browser's preference, then zh_CN."""
    if cookie in LOCALES:
        return cookie
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("zh"):
            return "zh_CN"
        if tag.startswith("en"):
            return "en"
    return DEFAULT_LOCALE


def set_locale(locale: str) -> None:
    _current.set(locale)


def current_locale() -> str:
    return _current.get()


def gettext(message: str) -> str:
    return translations_for(_current.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations_for(_current.get()).ngettext(singular, plural, n)


def _vocabulary(msgid: str, fallback: str) -> str:
    """The catalogue's word for ``msgid``, or ``fallback`` where the vocabulary has none."""
    word = gettext(msgid)
    return fallback if word == msgid else word


class PageWording:
    """The request's language for :meth:`pvhub.core.errors.DomainError.localized`."""

    def gettext(self, message: str) -> str:
        return gettext(message)

    def term(self, value: Enum) -> str:
        prefix = TERM_PREFIXES.get(type(value))
        raw = str(value.value)
        return _vocabulary(f"{prefix}.{raw}", raw) if prefix else raw

    def field(self, name: str) -> str:
        return _vocabulary(f"field.{name}", name)


def error_text(exc: DomainError) -> str:
    """``exc``'s message in the request's language (the API and the CLI keep ``exc.message``)."""
    return exc.localized(PageWording())


def job_error_text(job: Job, reason: Callable[[str], str] | None = None) -> str | None:
    """A failed or cancelled job's error in the request's language.

    The job keeps the English text in ``error`` and, for a domain error with plain values, its template
    and values in ``result["failure"]`` (:func:`pvhub.jobs.service.failure_parts`); ``reason``, when given,
    translates the value named ``reason`` (the optimiser's own English sentence). A constant message
    (a cancellation) is looked up as it is; any other text is shown as stored.
    """
    if job.error is None:
        return None
    return _stored_text(job.error, (job.result or {}).get("failure"), reason)


def job_step_text(job: Job) -> str:
    """A running job's last progress message in the request's language (``detail["step"]``, kept by
    :class:`pvhub.jobs.service.JobProgress` for a :class:`~pvhub.core.errors.Phrase`); otherwise as stored."""
    return _stored_text(job.message, (job.detail or {}).get("step"), None)


def _stored_text(english: str, parts: Any, reason: Callable[[str], str] | None) -> str:
    """``parts`` ({template, params}, see :mod:`pvhub.jobs.service`) rendered here, else ``english``
    looked up."""
    if not isinstance(parts, dict) or not isinstance(parts.get("template"), str):
        return gettext(english)
    params = dict(parts.get("params") or {})
    field = params.pop("field", None)
    if reason is not None and isinstance(params.get("reason"), str):
        params["reason"] = reason(params["reason"])
    wording = PageWording()
    values = {**params, "field": wording.field(field) if isinstance(field, str) else None}
    try:
        return render(parts["template"], values, wording)
    except (KeyError, IndexError, ValueError):  # a template changed since the job stored it
        return english


def local_formatter(request: Request) -> Callable[[datetime | None], str]:
    """A function for templates: an aware time as 'YYYY-MM-DD HH:MM (UTC+08:00)' in the programme's zone."""
    return zone_formatter(request.app.state.settings.timezone)


def zone_formatter(zone_name: str) -> Callable[[datetime | None], str]:
    """An aware time as 'YYYY-MM-DD HH:MM (UTC+08:00)' in ``zone_name`` (pages and e-mails)."""
    zone = ZoneInfo(zone_name)

    def fmt(value: datetime | None) -> str:
        if value is None:
            return "–"
        local = value.astimezone(zone)
        offset = local.strftime("%z")
        return f"{local:%Y-%m-%d %H:%M} (UTC{offset[:3]}:{offset[3:]})"

    return fmt
