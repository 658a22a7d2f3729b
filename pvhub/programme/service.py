"""The programme: its one row of targets, read by anyone's page and changed by the office.

Reading never writes. A fresh database has no programme row: reads get the defaults, unsaved, and
the first write (:func:`update_programme`, or loading the demo) stores the row.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Session, col, select

from pvhub.accounts.models import User
from pvhub.core import audit, policy
from pvhub.core.errors import InvalidInput
from pvhub.programme.models import Programme, ProgrammeUpdate


def get_programme(*, session: Session) -> Programme:
    """The programme's row, or the defaults (not added to the session) while none is stored."""
    return _stored(session) or Programme()


def _stored(session: Session) -> Programme | None:
    return session.exec(select(Programme).order_by(col(Programme.id))).first()


def update_programme(*, session: Session, actor: User, changes: ProgrammeUpdate) -> Programme:
    """Change the targets (office only), audited; stores the row with its defaults first if missing."""
    policy.require(actor, "programme:update")
    programme = _stored(session)
    if programme is None:
        programme = Programme()
        session.add(programme)
        session.flush()
    before = audit.snapshot(programme)
    for key, value in changes.model_dump(exclude_unset=True, exclude_none=True).items():
        setattr(programme, key, value)
    if programme.demo_points_min > programme.demo_points_max:
        raise InvalidInput(
            "The minimum number of demonstration points exceeds the maximum.", field="demo_points_min"
        )
    programme.updated_at = datetime.now(UTC)
    session.add(programme)
    audit.record(
        session,
        actor=actor,
        entity="programme",
        entity_id=programme.id,
        action="update",
        before=before,
        after=audit.snapshot(programme),
    )
    return programme
