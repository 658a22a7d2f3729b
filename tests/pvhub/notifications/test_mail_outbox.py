"""Notification e-mail through a real SMTP server (aiosmtpd on a local port): each user of the
organisation gets it once, in their language; a server that is down delays mail and loses none."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from pvhub.core.enums import Role
from pvhub.core.settings import Settings
from pvhub.notifications import mail_outbox
from pvhub.notifications import service as notifications
from pvhub.notifications.models import Notification
from web.app import create_app
from web.notifications.mail import mail_renderer

DEADLINE = datetime(2026, 12, 20, 9, 0, tzinfo=UTC)


class Inbox:
    """aiosmtpd handler: keeps every message; refuses recipients whose address starts with 'bounce'."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.lock = threading.Lock()

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address.startswith("bounce"):
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 Message accepted"

    def to(self, address: str) -> list[Message]:
        return [m for m in self.messages if m["To"] == address]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def settings_for(database_url: str, port: int, **extra: Any) -> Settings:
    return Settings(
        env="test",
        secret_key="t" * 40,
        database_url=database_url,
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_security="none",
        mail_from="pvhub@programme.example.cn",
        public_url="https://pvhub.example.cn/",
        **extra,
    )


@pytest.fixture
def supplier_users(make_user: Any, session: Session) -> int:
    zh = make_user("zhang@sun.cn", Role.supplier, "Sunrise EPC")
    en = make_user("li@sun.cn", Role.supplier, "Sunrise EPC")
    en.language = "en"
    session.add(en)
    session.commit()
    assert zh.organisation_id == en.organisation_id
    return int(zh.organisation_id)


def _published(session: Session, org_id: int, at: datetime | None = None) -> int:
    note = notifications.notify(
        session,
        organisation_id=org_id,
        kind="tender_published",
        params={"tender_id": 7, "code": "T-2026-007", "deadline": DEADLINE.isoformat()},
        at=at,
    )
    session.commit()
    assert note.id is not None
    return note.id


def test_each_user_gets_the_notification_once_in_their_language(
    engine: Engine, database_url: str, session: Session, smtp: tuple[Inbox, int], supplier_users: int
) -> None:
    inbox, port = smtp
    settings = settings_for(database_url, port)
    note_id = _published(session, supplier_users)

    outcome = mail_outbox.send_due(engine, settings, mail_renderer(settings))
    assert (outcome.notifications, outcome.messages, outcome.error) == (1, 2, None)
    (zh,) = inbox.to("zhang@sun.cn")
    assert zh["Subject"] == "pvhub · 新招标 T-2026-007 已发布，投标截止 2026-12-20 17:00 (UTC+08:00)。"
    assert "https://pvhub.example.cn/tenders/7" in zh.get_content()  # the page the notice is about
    assert zh["From"] == "pvhub@programme.example.cn"
    (en,) = inbox.to("li@sun.cn")
    assert en["Subject"].startswith("pvhub · Tender T-2026-007 is published; bids close 2026-12-20 17:00")

    # sent once: a second round finds nothing, and the notification says when it went
    assert mail_outbox.send_due(engine, settings, mail_renderer(settings)).messages == 0
    assert len(inbox.messages) == 2
    session.expire_all()
    stored = session.get(Notification, note_id)
    assert stored is not None and stored.emailed_at is not None and stored.email_error is None
    assert stored.read_at is None  # mailing is not reading: the app still shows it as new


def test_a_server_that_is_down_delays_mail_and_loses_none(
    engine: Engine, database_url: str, session: Session, supplier_users: int
) -> None:
    port = free_port()
    settings = settings_for(database_url, port)
    note_id = _published(session, supplier_users)

    for _ in range(12):  # down for a dozen rounds (six minutes at the default interval)
        down = mail_outbox.send_due(engine, settings, mail_renderer(settings))
        assert down.messages == 0 and down.failed == 1 and down.error is not None
    session.expire_all()
    stored = session.get(Notification, note_id)
    assert stored is not None and stored.emailed_at is None and stored.email_claimed_at is None
    assert stored.email_attempts == 12 and stored.email_error == down.error

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        back = mail_outbox.send_due(engine, settings, mail_renderer(settings))
    finally:
        controller.stop()
    assert back.messages == 2 and len(inbox.messages) == 2


def test_a_refused_address_does_not_hold_back_the_others(
    engine: Engine,
    database_url: str,
    session: Session,
    smtp: tuple[Inbox, int],
    supplier_users: int,
    make_user: Any,
) -> None:
    inbox, port = smtp
    make_user("bounce@sun.cn", Role.supplier, "Sunrise EPC")
    settings = settings_for(database_url, port)
    note_id = _published(session, supplier_users)
    outcome = mail_outbox.send_due(engine, settings, mail_renderer(settings))
    assert outcome.messages == 2 and {m["To"] for m in inbox.messages} == {"zhang@sun.cn", "li@sun.cn"}
    session.expire_all()
    stored = session.get(Notification, note_id)
    assert stored is not None and stored.emailed_at is not None
    assert stored.email_error == "refused: bounce@sun.cn"


def test_two_senders_at_once_mail_each_notification_once(
    engine: Engine, database_url: str, session: Session, smtp: tuple[Inbox, int], supplier_users: int
) -> None:
    inbox, port = smtp
    settings = settings_for(database_url, port)
    for _ in range(12):
        _published(session, supplier_users)
    barrier = threading.Barrier(2)
    results: list[mail_outbox.Round] = []

    def sender() -> None:
        barrier.wait()
        results.append(mail_outbox.send_due(engine, settings, mail_renderer(settings)))

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sum(r.notifications for r in results) == 12
    assert len(inbox.messages) == 24  # 12 notifications × 2 users, none twice


def test_old_notifications_and_no_smtp_send_nothing(
    engine: Engine, database_url: str, session: Session, smtp: tuple[Inbox, int], supplier_users: int
) -> None:
    inbox, port = smtp
    _published(session, supplier_users, at=datetime.now(UTC) - timedelta(days=2))
    settings = settings_for(database_url, port)
    assert mail_outbox.send_due(engine, settings, mail_renderer(settings)).notifications == 0
    _published(session, supplier_users)
    unset = Settings(env="test", secret_key="t" * 40, database_url=database_url)
    assert mail_outbox.send_due(engine, unset, mail_renderer(unset)).notifications == 0
    assert inbox.messages == []


def test_the_app_with_smtp_configured_mails_what_an_action_notifies(
    database_url: str, session: Session, smtp: tuple[Inbox, int], supplier_users: int
) -> None:
    inbox, port = smtp
    app = create_app(settings_for(database_url, port, mail_interval_s=0.2))
    with TestClient(app):
        _published(session, supplier_users)
        for _ in range(100):
            if len(inbox.messages) == 2:
                break
            time.sleep(0.1)
    app.state.engine.dispose()
    assert {m["To"] for m in inbox.messages} == {"zhang@sun.cn", "li@sun.cn"}
