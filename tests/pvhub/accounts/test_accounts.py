"""Accounts: organisations, users, argon2 passwords, and the audit trail of each change."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from pvhub.accounts import service as accounts
from pvhub.accounts.models import Organisation
from pvhub.core.audit_events import AuditEvent
from pvhub.core.enums import Role
from pvhub.core.errors import Conflict, InvalidInput, NotFound


def test_a_user_is_created_with_an_argon2_hash_and_an_audit_event(session: Session) -> None:
    accounts.create_organisation(session=session, actor=None, name="黄浦物业", kind=Role.owner)
    user = accounts.create_user(
        session=session,
        actor=None,
        email=" Owner@Example.cn ",
        role=Role.owner,
        organisation="黄浦物业",
        password="long-enough-pw",
    )
    session.commit()
    assert user.email == "owner@example.cn"
    assert user.password_hash.startswith("$argon2id$")
    events = session.exec(select(AuditEvent).where(AuditEvent.entity == "user")).all()
    assert len(events) == 1 and events[0].after is not None
    assert "password_hash" not in events[0].after
    assert accounts.authenticate(session=session, email="OWNER@example.cn", password="long-enough-pw") == user
    assert accounts.authenticate(session=session, email="owner@example.cn", password="wrong-password") is None
    assert accounts.authenticate(session=session, email="nobody@example.cn", password="x") is None


def test_a_user_must_match_its_organisation_kind(session: Session) -> None:
    accounts.create_organisation(session=session, actor=None, name="PV EPC Ltd", kind=Role.supplier)
    with pytest.raises(InvalidInput, match="supplier organisation"):
        accounts.create_user(
            session=session,
            actor=None,
            email="x@y.cn",
            role=Role.owner,
            organisation="PV EPC Ltd",
            password="long-enough-pw",
        )


def test_duplicates_and_unknown_organisations_are_refused(session: Session) -> None:
    accounts.create_organisation(session=session, actor=None, name="Office", kind=Role.office)
    with pytest.raises(Conflict):
        accounts.create_organisation(session=session, actor=None, name="Office", kind=Role.office)
    accounts.create_user(
        session=session,
        actor=None,
        email="a@b.cn",
        role=Role.office,
        organisation="Office",
        password="long-enough-pw",
    )
    with pytest.raises(Conflict, match="already exists"):
        accounts.create_user(
            session=session,
            actor=None,
            email="A@b.cn",
            role=Role.office,
            organisation="Office",
            password="long-enough-pw",
        )
    with pytest.raises(NotFound, match="No organisation"):
        accounts.create_user(
            session=session,
            actor=None,
            email="c@b.cn",
            role=Role.office,
            organisation="Nope",
            password="long-enough-pw",
        )
    with pytest.raises(InvalidInput, match="10 characters"):
        accounts.create_user(
            session=session,
            actor=None,
            email="d@b.cn",
            role=Role.office,
            organisation="Office",
            password="short",
        )


def test_a_rolled_back_change_leaves_no_audit_event(session: Session) -> None:
    accounts.create_organisation(session=session, actor=None, name="Gone", kind=Role.owner)
    session.flush()
    # the change was audited in its transaction: the rollback below has an event to take back
    assert [(e.entity, e.action) for e in session.exec(select(AuditEvent)).all()] == [
        ("organisation", "create")
    ]
    session.rollback()
    assert session.exec(select(AuditEvent)).all() == []
    assert session.exec(select(Organisation).where(Organisation.name == "Gone")).all() == []


def test_only_the_office_manages_users(session: Session, make_user) -> None:  # type: ignore[no-untyped-def]
    owner = make_user("own@x.cn", Role.owner)
    from pvhub.core.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        accounts.create_organisation(session=session, actor=owner, name="Mine", kind=Role.owner)
