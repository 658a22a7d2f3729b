"""The audit trail's reader on a real database: filters, the readable difference, CSV, and sealed bids
(receipts before the deadline, contents after), office only."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from pvhub.accounts.models import User
from pvhub.audit import service
from pvhub.audit.service import AuditFilters
from pvhub.core import audit
from pvhub.core.audit_events import AuditEvent
from pvhub.core.enums import Role
from pvhub.core.errors import InvalidInput, PermissionDenied
from pvhub.register import service as register
from pvhub.register.models import SiteCreate, SiteUpdate
from tests.pvhub.tenderworld import (
    DEADLINE,
    SECRET_NOTE,
    SECRET_TOTAL,
    World,
    bid,
    build_world,
    lot_ids,
    publish_round,
)


@pytest.fixture
def world(session: Session, make_user: Callable[..., User]) -> World:
    return build_world(session, make_user)


def _site(session: Session, world: World, name: str) -> int:
    site = register.create_site(
        session=session, actor=world.owner, data=SiteCreate(name=name, lon=121.48, lat=31.23)
    )
    session.commit()
    assert site.id is not None
    return site.id


def test_diff_lists_only_the_changed_fields() -> None:
    before = {"name": "A", "height_m": 20, "tags": [1]}
    after = {"name": "B", "height_m": 20, "tags": [1], "use": "office"}
    changes = service.diff(before, after)
    assert [(c.field, c.before, c.after) for c in changes] == [("name", "A", "B"), ("use", None, "office")]
    assert [c.field for c in service.diff(None, {"a": 1, "b": None})] == ["a"]  # None set is no change
    assert [(c.before, c.after) for c in service.diff({"a": 1}, None)] == [(1, None)]


def test_filters_by_entity_user_organisation_action_and_time(session: Session, world: World) -> None:
    site_id = _site(session, world, "审计大楼")
    register.update_site(
        session=session, actor=world.owner, site_id=site_id, changes=SiteUpdate(name="新名字")
    )
    session.commit()
    other = _site(session, world, "Other")
    office = world.office

    page = service.list_events(
        session=session, user=office, filters=AuditFilters(entity="site", entity_id=str(site_id))
    )
    assert [v.event.action for v in page.items] == ["update", "create"]  # newest first
    update = page.items[0]
    assert [(c.field, c.before, c.after) for c in update.changes if c.field == "name"] == [
        ("name", "审计大楼", "新名字")
    ]
    assert all(c.field not in {"height_m", "organisation_id"} for c in update.changes)

    by_action = service.list_events(session=session, user=office, filters=AuditFilters(action="update"))
    assert {v.event.entity_id for v in by_action.items} == {str(site_id)}
    by_user = service.list_events(session=session, user=office, filters=AuditFilters(user_id=world.owner.id))
    assert by_user.total == 3 and {v.event.entity_id for v in by_user.items} == {str(site_id), str(other)}
    by_org = service.list_events(
        session=session, user=office, filters=AuditFilters(organisation_id=world.suppliers[0].organisation_id)
    )
    assert by_org.total == 0
    by_org = service.list_events(
        session=session, user=office, filters=AuditFilters(organisation_id=world.owner.organisation_id)
    )
    assert by_org.total == 3
    future = datetime.now(UTC) + timedelta(hours=1)
    assert service.list_events(session=session, user=office, filters=AuditFilters(since=future)).total == 0
    assert service.list_events(session=session, user=office, filters=AuditFilters(until=future)).total >= 3
    paged = service.list_events(
        session=session, user=office, filters=AuditFilters(entity="site"), limit=1, offset=1
    )
    assert paged.total == 3 and len(paged.items) == 1
    with pytest.raises(InvalidInput, match="after its start"):
        service.list_events(session=session, user=office, filters=AuditFilters(since=future, until=future))


def test_only_the_office_reads_the_log(session: Session, world: World) -> None:
    for user in (world.owner, world.suppliers[0]):
        with pytest.raises(PermissionDenied):
            service.list_events(session=session, user=user, filters=AuditFilters())
        with pytest.raises(PermissionDenied):
            service.check_export(session=session, user=user, filters=AuditFilters())


def test_a_tender_shows_receipts_before_its_deadline_and_contents_after(
    session: Session, world: World
) -> None:
    tender = publish_round(session, World(world.office, world.suppliers, world.owner, world.bundles[:2]))
    other = publish_round(session, World(world.office, world.suppliers, world.owner, world.bundles[2:]))
    lot = lot_ids(session, tender)[0]
    receipt = bid(session, world.suppliers[0], tender, lot, SECRET_TOTAL, notes=SECRET_NOTE)
    bid(session, world.suppliers[1], other, lot_ids(session, other)[0], 600_000)
    filters = AuditFilters(tender_id=tender.id)

    before = service.list_events(
        session=session, user=world.office, filters=filters, now=DEADLINE - timedelta(seconds=1)
    )
    bids = [v for v in before.items if v.event.entity == "bid"]
    assert [v.event.entity_id for v in bids] == [str(receipt.bid_id)]  # not the other tender's bid
    assert {v.event.entity for v in before.items} == {"bid", "tender"}
    assert bids[0].sealed and bids[0].bid_content is None
    fields = {c.field: c.after for c in bids[0].changes}
    assert fields["content_sha256"] == receipt.content_sha256
    assert set(fields) <= service.RECEIPT_FIELDS
    text = json.dumps(
        [[c.__dict__ for c in v.changes] for v in before.items], default=str, ensure_ascii=False
    )
    assert SECRET_NOTE not in text and str(SECRET_TOTAL) not in text

    after = service.list_events(session=session, user=world.office, filters=filters, now=DEADLINE)
    opened = next(v for v in after.items if v.event.entity == "bid")
    assert not opened.sealed
    assert opened.bid_content is not None
    assert (
        opened.bid_content["notes"] == SECRET_NOTE and opened.bid_content["total_price_cny"] == SECRET_TOTAL
    )


def test_a_sealed_bid_event_shows_receipt_fields_only_whatever_the_log_holds(
    session: Session, world: World
) -> None:
    """Belt and braces: even a bid event written with more than the receipt shows only the receipt."""
    tender = publish_round(session, world)
    receipt = bid(session, world.suppliers[0], tender, lot_ids(session, tender)[0], SECRET_TOTAL)
    audit.record(
        session,
        actor=world.suppliers[0],
        entity="bid",
        entity_id=receipt.bid_id,
        action="odd",
        after={"content_sha256": "x", "total_price_cny": SECRET_TOTAL},
    )
    session.commit()
    page = service.list_events(
        session=session,
        user=world.office,
        filters=AuditFilters(action="odd"),
        now=DEADLINE - timedelta(days=1),
    )
    assert [c.field for c in page.items[0].changes] == ["content_sha256"]


def test_csv_has_a_bom_and_every_matching_event_in_chunks(
    session: Session, engine: Engine, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    site_id = _site(session, world, '=HYPERLINK("x")')
    for i in range(6):
        register.update_site(
            session=session, actor=world.owner, site_id=site_id, changes=SiteUpdate(name=f"名{i}")
        )
        session.commit()
    monkeypatch.setattr(service, "CSV_CHUNK", 4)  # several chunks over seven events
    text = "".join(service.iter_csv(engine=engine, user=world.office, filters=AuditFilters(entity="site")))
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert len(rows) == 7 and len({r["id"] for r in rows}) == 7
    assert [int(r["id"]) for r in rows] == sorted((int(r["id"]) for r in rows), reverse=True)
    assert "name: 名4 → 名5" in rows[0]["changes"]
    assert rows[-1]["action"] == "create" and 'name:  → =HYPERLINK("x")' in rows[-1]["changes"]
    created = session.get(AuditEvent, int(rows[-1]["id"]))
    assert created is not None and created.entity_id == str(site_id)


def test_csv_is_refused_to_others(session: Session, engine: Engine, world: World) -> None:
    with pytest.raises(PermissionDenied):
        next(service.iter_csv(engine=engine, user=world.owner, filters=AuditFilters()))
    assert world.owner.role == Role.owner
