"""Page sessions: a random id per login, and revocation of that id when its holder logs out.

The session itself is a signed cookie (Starlette's SessionMiddleware). Logging out clears the
browser's copy, but a copy taken earlier — a shared computer, a stolen cookie — would stay valid
until it expired. Revoking the session's id on the server closes that: the row lives until no
cookie carrying the id can still pass the signature's age check, then it is swept away.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, col, delete

from pvhub.accounts.models import RevokedSession


def new_session_id() -> str:
    """A fresh, unguessable id for a session starting at login (192 random bits)."""
    return secrets.token_urlsafe(24)


def revoke(session: Session, sid: str, *, max_age_s: int, now: datetime | None = None) -> None:
    """Refuse the session ``sid`` from now on; expired revocations are removed on the way.

    A revoked session is never signed again (see :func:`is_revoked`'s caller), so its last
    cookie was signed before ``now`` and fails the age check after ``now + max_age_s``.
    """
    now = now or datetime.now(UTC)
    session.exec(delete(RevokedSession).where(col(RevokedSession.expires_at) < now))
    if session.get(RevokedSession, sid) is None:
        session.add(RevokedSession(sid=sid, expires_at=now + timedelta(seconds=max_age_s)))


def is_revoked(session: Session, sid: str) -> bool:
    return session.get(RevokedSession, sid) is not None
