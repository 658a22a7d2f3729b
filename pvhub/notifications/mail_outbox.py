"""E-mail for notifications, where SMTP is configured (DESIGN, "Around the flow").

Every notification is still written in the transaction of what caused it (see
:mod:`pvhub.notifications.service`); this outbox mails the committed ones afterwards, so an action
that rolls back sends nothing, and a mail server that is down delays mail but never fails an
action. Each user of the addressed organisation gets the e-mail in their own language (the page
layer renders it: :data:`Render`), at the address they log in with.

* **Once, with several processes:** a sender claims a notification with a conditional UPDATE (as
  :func:`pvhub.tendering.tenders.open_due` opens a tender), so of two app processes exactly one
  mails it. A claim older than :data:`CLAIM_TIMEOUT` (a sender that died mid-batch) may be taken over.
* **Failures:** a connection or SMTP error leaves the notification unsent with the error and one
  more attempt counted; every later round retries it until it is :data:`MAX_AGE` old, so a mail
  server down for hours delays mail and loses none. A recipient the server refuses does not hold
  back the others.
* **Only news:** notifications older than :data:`MAX_AGE` are not mailed (e.g. everything from
  before SMTP was configured); they stay in the app.
* **Nothing sealed:** notifications hold identifiers, codes and times, never bid content, so their
  e-mails cannot leak a sealed bid.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid

from sqlalchemy import or_, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from pvhub.accounts.models import User
from pvhub.core.db import transaction
from pvhub.core.settings import Settings
from pvhub.notifications.models import Notification

LOG = logging.getLogger(__name__)
MAX_AGE = timedelta(days=1)
CLAIM_TIMEOUT = timedelta(minutes=10)
BATCH = 200
SMTP_TIMEOUT_S = 20.0

#: (notification, the recipient's language) -> (subject, body), in that language
Render = Callable[[Notification, str], tuple[str, str]]


@dataclass
class Round:
    """What one round of the outbox did: notifications mailed, messages sent, failures."""

    notifications: int = 0
    messages: int = 0
    failed: int = 0
    error: str | None = None


def send_due(engine: Engine, settings: Settings, render: Render, now: datetime | None = None) -> Round:
    """Mail the committed notifications that are due; one SMTP connection for the round."""
    if not settings.smtp_host:
        return Round()
    now = now or datetime.now(UTC)
    claimed = _claim(engine, now)
    if not claimed:
        return Round()
    outcome = Round()
    try:
        with _connect(settings) as smtp:
            for note_id in claimed:
                sent = _mail_one(engine, smtp, settings, render, note_id)
                outcome.notifications += 1
                outcome.messages += sent
    except (OSError, smtplib.SMTPException) as exc:  # the server is down or refused the session
        outcome.error = f"{type(exc).__name__}: {exc}"[:500]
        outcome.failed = _release_unsent(engine, claimed, outcome.error)
    return outcome


def _claim(engine: Engine, now: datetime) -> list[int]:
    """Take the due notifications for this sender in one conditional UPDATE; a concurrent sender's
    UPDATE finds them claimed (PostgreSQL re-checks the condition on rows it waited for; SQLite
    runs writers one at a time)."""
    unclaimed = (
        col(Notification.emailed_at).is_(None),
        or_(
            col(Notification.email_claimed_at).is_(None),
            col(Notification.email_claimed_at) < now - CLAIM_TIMEOUT,
        ),
    )
    due = (
        select(Notification.id)
        .where(*unclaimed, col(Notification.created_at) >= now - MAX_AGE)
        .order_by(col(Notification.id))
        .limit(BATCH)
    )
    claim = (
        update(Notification)
        .where(col(Notification.id).in_(due), *unclaimed)
        .values(email_claimed_at=now)
        .returning(col(Notification.id))
    )
    with transaction(engine) as session:
        return sorted(session.execute(claim).scalars().all())


def _connect(settings: Settings) -> smtplib.SMTP:
    assert settings.smtp_host is not None
    if settings.smtp_security == "tls":
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(
            settings.smtp_host,
            settings.smtp_port,
            timeout=SMTP_TIMEOUT_S,
            context=ssl.create_default_context(),
        )
    else:
        smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=SMTP_TIMEOUT_S)
        if settings.smtp_security == "starttls":
            smtp.starttls(context=ssl.create_default_context())
    if settings.smtp_user:
        smtp.login(settings.smtp_user, settings.smtp_password or "")
    return smtp


def _mail_one(engine: Engine, smtp: smtplib.SMTP, settings: Settings, render: Render, note_id: int) -> int:
    """Mail one claimed notification to every active user of its organisation; mark it sent."""
    with Session(engine) as session:
        note = session.get(Notification, note_id)
        assert note is not None
        users = session.exec(
            select(User).where(User.organisation_id == note.organisation_id, col(User.active).is_(True))
        ).all()
        messages = [
            _message(settings, user, *render(note, user.language or settings.default_language))
            for user in users
        ]
    refused: list[str] = []
    for user, message in zip(users, messages, strict=True):
        try:
            smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused:  # one bad address must not hold back the others
            refused.append(user.email)
    with transaction(engine) as session:
        row = session.get(Notification, note_id)
        assert row is not None
        row.emailed_at = datetime.now(UTC)
        row.email_error = f"refused: {', '.join(refused)}"[:500] if refused else None
    return len(messages) - len(refused)


def _message(settings: Settings, user: User, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = user.email
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain=settings.mail_from.rpartition("@")[2] or None)
    message.set_content(body)  # UTF-8: Chinese subjects and bodies are encoded by the library
    return message


def _release_unsent(engine: Engine, claimed: list[int], error: str) -> int:
    """After a failed round, the claimed notifications not yet sent wait for the next round."""
    with transaction(engine) as session:
        result = session.exec(
            update(Notification)
            .where(col(Notification.id).in_(claimed), col(Notification.emailed_at).is_(None))
            .values(
                email_claimed_at=None,
                email_error=error,
                email_attempts=Notification.email_attempts + 1,
            )
        )
        return int(result.rowcount)


class Outbox:
    """A thread that runs a round every ``mail_interval_s`` while the app runs (only with SMTP set)."""

    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        render: Render,
        before_round: Callable[[], object] | None = None,
    ) -> None:
        """``before_round`` runs first in each round: what writes timed notifications (reminders)."""
        self._engine, self._settings, self._render = engine, settings, render
        self._before_round = before_round
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="pvhub-mail-outbox", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=SMTP_TIMEOUT_S + 5)

    def _run(self) -> None:
        while not self._stop.wait(self._settings.mail_interval_s):
            try:
                if self._before_round is not None:
                    self._before_round()
                outcome = send_due(self._engine, self._settings, self._render)
            except Exception:  # the outbox must outlive a bad round (a database hiccup); the next retries
                LOG.exception("mail outbox: the round failed")
                continue
            if outcome.error:
                LOG.warning(
                    "mail outbox: %d notification(s) wait for the next round: %s",
                    outcome.failed,
                    outcome.error,
                )
