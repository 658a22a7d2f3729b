"""A notification's e-mail in its recipient's language (:mod:`pvhub.notifications.mail_outbox` sends it).

The sentence is the one the Notifications page shows (message id ``notification.<kind>``), so the
e-mail and the app say the same thing; times are in the programme's time zone.
"""

from __future__ import annotations

import contextvars

from pvhub.core.settings import Settings
from pvhub.notifications.mail_outbox import Render
from pvhub.notifications.models import Notification
from web import i18n
from web.i18n import zone_formatter
from web.notifications.pages import notification_text

SUBJECT_CHARS = 120


def mail_renderer(settings: Settings) -> Render:
    """The outbox's ``render``: (notification, language) -> (subject, body)."""
    fmt = zone_formatter(settings.timezone)
    link = settings.public_url.rstrip("/")

    def render(note: Notification, language: str) -> tuple[str, str]:
        def in_language() -> tuple[str, str]:
            i18n.set_locale(language if language in ("zh_CN", "en") else settings.default_language)
            sentence = notification_text(note.kind, note.params, fmt)
            tender_id = note.params.get("tender_id")
            page = f"/tenders/{int(tender_id)}" if isinstance(tender_id, int) else "/notifications"
            where = (
                i18n.gettext("Open pvhub to see it: {url}").format(url=f"{link}{page}")
                if link
                else i18n.gettext("Log in to pvhub to see it under Notifications.")
            )
            footer = i18n.gettext(
                "You get this e-mail because your organisation takes part in the programme on pvhub."
            )
            subject = " ".join(f"pvhub · {sentence}".split())  # a header holds one line
            if len(subject) > SUBJECT_CHARS:
                subject = subject[: SUBJECT_CHARS - 1] + "…"
            return subject, f"{sentence}\n\n{where}\n\n-- \n{footer}\n"

        # in a copy of the context, so the caller's language (a request's, a test's) is left alone
        return contextvars.copy_context().run(in_language)

    return render
