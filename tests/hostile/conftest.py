"""A programme with a district boundary, an office and an owner, for the hostile-input tests."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlmodel import Session, func, select

from pvhub.core.audit_events import AuditEvent
from pvhub.core.enums import Role
from pvhub.programme.models import Programme
from pvhub.register.models import Site, Surface
from tests.hostile.corpus import BOUNDARY


@dataclass(frozen=True)
class World:
    office: str
    owner: str
    owner_org: int


@pytest.fixture
def world(session: Session, make_user) -> World:  # type: ignore[no-untyped-def]
    session.add(Programme(boundary=BOUNDARY))
    session.commit()
    make_user("office@hostile.cn", Role.office, "Office")
    owner = make_user("owner@hostile.cn", Role.owner, "Bund Properties")
    return World("office@hostile.cn", "owner@hostile.cn", owner.organisation_id)


def written(session: Session) -> tuple[int, int, int]:
    """Sites, surfaces and audit events: what an import that failed must not have added to."""
    session.expire_all()
    return tuple(  # type: ignore[return-value]
        int(session.exec(select(func.count()).select_from(model)).one())
        for model in (Site, Surface, AuditEvent)
    )
