"""Construction: milestones planned from the award, reported in order by the winner, decided by the office."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import Session, select

from pvhub.accounts.models import User
from pvhub.construction import energy as measured_energy
from pvhub.construction import service as construction
from pvhub.construction.enums import MilestoneKind, MilestoneStatus
from pvhub.construction.models import Construction, MeasuredEnergy, Milestone
from pvhub.construction.service import ORDER
from pvhub.core.audit_events import AuditEvent
from pvhub.core.enums import Role
from pvhub.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from pvhub.notifications.models import Notification
from pvhub.tendering import awards, handover
from pvhub.tendering import bids as tenders_bids
from pvhub.tendering.enums import AwardStatus
from pvhub.tendering.models import Bid
from tests.pvhub.programme_state import confirmed_award, estimated_site
from tests.pvhub.tenderworld import DEADLINE, bid, build_world, lot_ids, publish_round

AWARDED = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
START = date(2026, 3, 2)
TODAY = date(2026, 11, 20)


@pytest.fixture
def people(make_user: Any) -> dict[str, User]:
    return {
        "office": make_user("o@office.cn", Role.office, "Office"),
        "owner": make_user("a@owner.cn", Role.owner, "Owner A"),
        "stranger": make_user("b@owner.cn", Role.owner, "Owner B"),
        "winner": make_user("w@supplier.cn", Role.supplier, "Winner"),
        "rival": make_user("r@supplier.cn", Role.supplier, "Rival"),
    }


@pytest.fixture
def awarded(session: Session, people: dict[str, User]) -> list[int]:
    """Two surfaces of one site, awarded to the winner with a 200-day schedule and started."""
    site, surfaces = estimated_site(
        session, people["owner"].organisation_id, "Tower", [("roof", 40, 100.0), ("curtain_wall", 20, 30.0)]
    )
    confirmed_award(
        session, people["winner"].organisation_id, [site.id], schedule_days=200, confirmed_at=AWARDED
    )
    assert handover.sync_construction(session) == 2
    session.commit()
    return [s.id for s in surfaces if s.id is not None]


def walk(session: Session, people: dict[str, User], surface_id: int, upto: MilestoneKind, day: date) -> None:
    """Report and confirm every milestone up to ``upto``, all on ``day``."""
    for kind in ORDER[: ORDER.index(upto) + 1]:
        m = construction.report_milestone(
            session, actor=people["winner"], surface_id=surface_id, kind=kind, actual_date=day, today=TODAY
        )
        assert m.id is not None
        construction.confirm_milestone(session, actor=people["office"], milestone_id=m.id)
    session.commit()


def test_a_confirmed_award_plans_eight_milestones_from_the_bids_schedule(
    session: Session, awarded: list[int]
) -> None:
    item = session.exec(select(Construction).where(Construction.surface_id == awarded[0])).one()
    assert (item.started_on, item.schedule_days, item.stage_rank) == (START, 200, 0)
    milestones = session.exec(select(Milestone).where(Milestone.surface_id == awarded[0])).all()
    planned = {m.kind: m.planned_date for m in milestones}
    assert list(planned) == list(ORDER) or set(planned) == set(ORDER)
    assert planned[MilestoneKind.design_approved] == START + timedelta(days=20)
    assert planned[MilestoneKind.grid_connected] == START + timedelta(days=190)
    assert planned[MilestoneKind.accepted] == START + timedelta(days=200)
    assert handover.sync_construction(session) == 0  # idempotent


def test_awards_not_yet_confirmed_start_nothing(session: Session, people: dict[str, User]) -> None:
    site, _ = estimated_site(session, people["owner"].organisation_id, "T", [("roof", 40, 10.0)])
    confirmed_award(session, people["winner"].organisation_id, [site.id], status=AwardStatus.publicised)
    assert handover.sync_construction(session) == 0


def test_the_winner_reports_in_order_and_the_office_confirms(
    session: Session, people: dict[str, User], awarded: list[int]
) -> None:
    sid = awarded[0]
    with pytest.raises(Conflict, match="Report design_approved first"):
        construction.report_milestone(
            session,
            actor=people["winner"],
            surface_id=sid,
            kind=MilestoneKind.grid_application,
            actual_date=date(2026, 4, 1),
            today=TODAY,
        )
    first = construction.report_milestone(
        session,
        actor=people["winner"],
        surface_id=sid,
        kind=MilestoneKind.design_approved,
        actual_date=date(2026, 3, 20),
        note="设计审查通过",
        today=TODAY,
    )
    second = construction.report_milestone(
        session,
        actor=people["winner"],
        surface_id=sid,
        kind=MilestoneKind.grid_application,
        actual_date=date(2026, 4, 1),
        today=TODAY,
    )
    assert second.id is not None and first.id is not None
    with pytest.raises(Conflict, match="Confirm design_approved first"):
        construction.confirm_milestone(session, actor=people["office"], milestone_id=second.id)
    construction.confirm_milestone(session, actor=people["office"], milestone_id=first.id)
    construction.confirm_milestone(session, actor=people["office"], milestone_id=second.id)
    session.commit()
    item = session.exec(select(Construction).where(Construction.surface_id == sid)).one()
    assert item.stage_rank == 2
    actions = [
        e.action for e in session.exec(select(AuditEvent).where(AuditEvent.entity == "milestone")).all()
    ]
    assert actions == ["report", "report", "confirm", "confirm"]


def test_only_the_winning_supplier_reports(
    session: Session, people: dict[str, User], awarded: list[int]
) -> None:
    kwargs: dict[str, Any] = {
        "surface_id": awarded[0],
        "kind": MilestoneKind.design_approved,
        "actual_date": date(2026, 3, 20),
        "today": TODAY,
    }
    with pytest.raises(NotFound):
        construction.report_milestone(session, actor=people["rival"], **kwargs)
    for who in ("owner", "office"):
        with pytest.raises(PermissionDenied):
            construction.report_milestone(session, actor=people[who], **kwargs)


def test_a_report_needs_a_sensible_date(
    session: Session, people: dict[str, User], awarded: list[int]
) -> None:
    def report(day: date, kind: MilestoneKind = MilestoneKind.design_approved) -> Milestone:
        return construction.report_milestone(
            session, actor=people["winner"], surface_id=awarded[0], kind=kind, actual_date=day, today=TODAY
        )

    with pytest.raises(InvalidInput, match="in the future") as exc:
        report(TODAY + timedelta(days=1))
    assert exc.value.field == "date"
    with pytest.raises(InvalidInput, match="before the award was confirmed"):
        report(START - timedelta(days=1))
    report(date(2026, 5, 1))
    with pytest.raises(InvalidInput, match="before the previous milestone"):
        report(date(2026, 4, 30), MilestoneKind.grid_application)


def test_the_office_sends_a_milestone_back_and_the_supplier_hears_of_it(
    session: Session, people: dict[str, User], awarded: list[int]
) -> None:
    m = construction.report_milestone(
        session,
        actor=people["winner"],
        surface_id=awarded[0],
        kind=MilestoneKind.design_approved,
        actual_date=date(2026, 3, 20),
        today=TODAY,
    )
    assert m.id is not None
    with pytest.raises(InvalidInput):
        construction.send_back_milestone(session, actor=people["office"], milestone_id=m.id, reason=" ")
    construction.send_back_milestone(
        session, actor=people["office"], milestone_id=m.id, reason="缺少审图意见书"
    )
    session.commit()
    assert m.status == MilestoneStatus.sent_back
    note = session.exec(select(Notification)).one()
    assert note.organisation_id == people["winner"].organisation_id
    assert (note.kind, note.params["milestone_id"]) == ("milestone_sent_back", m.id)
    with pytest.raises(Conflict, match="only a reported one"):
        construction.confirm_milestone(session, actor=people["office"], milestone_id=m.id)
    again = construction.report_milestone(
        session,
        actor=people["winner"],
        surface_id=awarded[0],
        kind=MilestoneKind.design_approved,
        actual_date=date(2026, 3, 22),
        today=TODAY,
    )
    assert again.status == MilestoneStatus.reported and again.sent_back_reason is None


def test_grid_connection_sets_the_connection_date_and_installed_capacity(
    session: Session, people: dict[str, User], awarded: list[int]
) -> None:
    sid = awarded[0]
    walk(session, people, sid, MilestoneKind.metering_and_contracts, date(2026, 6, 1))
    with pytest.raises(InvalidInput, match="from the 'installed' milestone"):
        construction.report_milestone(
            session,
            actor=people["winner"],
            surface_id=awarded[1],
            kind=MilestoneKind.design_approved,
            actual_date=date(2026, 6, 1),
            installed_kwp=90,
            today=TODAY,
        )
    m = construction.report_milestone(
        session,
        actor=people["winner"],
        surface_id=sid,
        kind=MilestoneKind.grid_connected,
        actual_date=date(2026, 6, 18),
        installed_kwp=96.5,
        today=TODAY,
    )
    assert m.id is not None
    construction.confirm_milestone(session, actor=people["office"], milestone_id=m.id)
    session.commit()
    item = session.exec(select(Construction).where(Construction.surface_id == sid)).one()
    assert (item.stage_rank, item.connected_on, item.installed_kwp) == (7, date(2026, 6, 18), 96.5)
    assert construction.connected_surfaces(session) == [sid]


def test_overdue_and_late_flags(session: Session, people: dict[str, User], awarded: list[int]) -> None:
    sid = awarded[0]
    # design approval was due on 22 March; reported on 1 April it is late, not overdue
    construction.report_milestone(
        session,
        actor=people["winner"],
        surface_id=sid,
        kind=MilestoneKind.design_approved,
        actual_date=date(2026, 4, 1),
        today=TODAY,
    )
    view = construction.get_surface_construction(
        session, user=people["office"], surface_id=sid, today=date(2026, 4, 2)
    )
    flags = {v.milestone.kind: (v.overdue, v.late) for v in view.milestones}
    assert flags[MilestoneKind.design_approved] == (False, True)
    assert flags[MilestoneKind.grid_application] == (False, False)  # due 22 April
    later = construction.get_surface_construction(
        session, user=people["office"], surface_id=sid, today=date(2026, 5, 1)
    )
    assert {v.milestone.kind for v in later.milestones if v.overdue} == {MilestoneKind.grid_application}


def test_who_sees_a_surfaces_construction(
    session: Session, people: dict[str, User], awarded: list[int]
) -> None:
    for who in ("office", "owner", "winner"):
        view = construction.get_surface_construction(
            session, user=people[who], surface_id=awarded[0], today=TODAY
        )
        assert len(view.milestones) == 8
    for who in ("stranger", "rival"):
        with pytest.raises(NotFound):
            construction.get_surface_construction(
                session, user=people[who], surface_id=awarded[0], today=TODAY
            )
    winner_view = construction.get_surface_construction(
        session, user=people["winner"], surface_id=awarded[0], today=TODAY
    )
    assert [v.can_report for v in winner_view.milestones] == [True] + [False] * 7
    assert not any(v.can_confirm for v in winner_view.milestones)


def test_a_declined_award_gives_its_surfaces_back(
    session: Session, people: dict[str, User], awarded: list[int]
) -> None:
    item = session.exec(select(Construction).where(Construction.surface_id == awarded[0])).one()
    from pvhub.tendering.models import Award

    award = session.get(Award, item.award_id)
    assert award is not None
    award.status = AwardStatus.declined
    session.add(award)
    session.commit()
    handover.sync_construction(session)
    session.commit()
    assert session.exec(select(Construction)).all() == []
    assert session.exec(select(Milestone)).all() == []


def test_confirming_an_award_starts_its_construction_and_declining_gives_it_back(
    session: Session, make_user: Any
) -> None:
    """Construction follows the award where the award changes, not on the next read."""
    world = build_world(session, make_user)
    tender = publish_round(session, world)
    lots = lot_ids(session, tender)
    winner = world.suppliers[0]
    bid(session, winner, tender, lots[0], 1_000_000, schedule_days=200)
    opened = DEADLINE + timedelta(hours=1)
    for placed in session.exec(select(Bid)).all():
        tenders_bids.set_technical_score(
            session=session, actor=world.office, bid_id=placed.id or 0, technical_score=80, now=opened
        )
    awards.run_now(session=session, actor=world.office, tender_id=tender.id or 0, now=opened)
    [award] = awards.start_publicity(
        session=session, actor=world.office, tender_id=tender.id or 0, now=opened
    )
    assert session.exec(select(Construction)).all() == []
    confirmed_at = opened + timedelta(days=3, hours=16)  # 02:00 the next day in Shanghai
    awards.confirm(
        session=session,
        actor=world.office,
        award_id=award.id or 0,
        timezone="Asia/Shanghai",
        now=confirmed_at,
    )
    started = session.exec(select(Construction)).all()
    assert [c.award_id for c in started] == [award.id] and started[0].supplier_id == winner.organisation_id
    assert (started[0].started_on, started[0].schedule_days) == (date(2026, 3, 27), 200)
    assert len(session.exec(select(Milestone)).all()) == len(ORDER)
    assert handover.sync_construction(session) == 0  # nothing left to catch up
    session.commit()

    awards.decline(
        session=session,
        actor=winner,
        award_id=award.id or 0,
        reason="no crew",
        now=confirmed_at + timedelta(days=1),
    )
    assert session.exec(select(Construction)).all() == [] and session.exec(select(Milestone)).all() == []
    actions = [
        e.action for e in session.exec(select(AuditEvent).where(AuditEvent.entity == "construction")).all()
    ]
    assert actions == ["start", "drop_declined"]


# --- measured energy ------------------------------------------------------------------------------


@pytest.fixture
def connected(session: Session, people: dict[str, User], awarded: list[int]) -> int:
    """The roof (100 kWp) grid-connected on 18 June 2026."""
    walk(session, people, awarded[0], MilestoneKind.metering_and_contracts, date(2026, 6, 1))
    m = construction.report_milestone(
        session,
        actor=people["winner"],
        surface_id=awarded[0],
        kind=MilestoneKind.grid_connected,
        actual_date=date(2026, 6, 18),
        today=TODAY,
    )
    assert m.id is not None
    construction.confirm_milestone(session, actor=people["office"], milestone_id=m.id)
    session.commit()
    return awarded[0]


def test_measured_energy_imports_from_csv(session: Session, people: dict[str, User], connected: int) -> None:
    content = f'表面编号,月份,发电量(kWh)\n{connected},2026-07,11000\n{connected},2026-08,"10,500"\n'.encode()
    report = measured_energy.import_csv(session, actor=people["winner"], content=content, today=TODAY)
    assert report.as_dict() == {"ok": True, "stored": 2, "replaced": 0, "errors": []}
    session.commit()
    again = measured_energy.import_rows(
        session,
        actor=people["owner"],
        rows=[(0, {"surface_id": connected, "month": "2026-08", "energy_kwh": 10400})],
        source="api",
        today=TODAY,
    )
    assert (again.ok, again.replaced) == (True, 1)
    session.commit()
    assert [m.energy_kwh for m in measured_energy.measured_for(session, connected)] == [11000, 10400]


def test_a_bad_energy_file_names_every_problem_and_stores_nothing(
    session: Session, people: dict[str, User], connected: int, awarded: list[int]
) -> None:
    lines = [
        "surface_id,month,energy_kwh",
        f"{connected},2026-07,9000",  # 2: fine
        f"{connected},2026-13,9000",  # 3: no such month
        f"{connected},2026-05,9000",  # 4: before connection
        f"{connected},2026-11,9000",  # 5: current month
        f"{awarded[1]},2026-07,100",  # 6: not connected
        f"{connected},2026-08,-3",  # 7: negative
        f"{connected},2026-09,9000000",  # 8: impossible for 100 kWp
        f"{connected},2026-07,9100",  # 9: duplicate of line 2
        "x,2026-07,1",  # 10: not an id
    ]
    report = measured_energy.import_csv(
        session, actor=people["office"], content="\n".join(lines).encode(), today=TODAY
    )
    assert not report.ok
    problems = {(e.index, e.field) for e in report.errors}
    assert problems == {
        (3, "month"),
        (4, "month"),
        (5, "month"),
        (6, "surface_id"),
        (7, "energy_kwh"),
        (8, "energy_kwh"),
        (9, "month"),
        (10, "surface_id"),
    }
    assert session.exec(select(MeasuredEnergy)).all() == []


def test_only_those_concerned_report_energy(
    session: Session, people: dict[str, User], connected: int
) -> None:
    rows = [(0, {"surface_id": connected, "month": "2026-07", "energy_kwh": 9000})]
    for who in ("rival", "stranger"):
        report = measured_energy.import_rows(session, actor=people[who], rows=rows, source="api", today=TODAY)
        assert [(e.index, e.field) for e in report.errors] == [(0, "surface_id")]


def test_an_energy_file_without_the_columns_is_refused(session: Session, people: dict[str, User]) -> None:
    report = measured_energy.import_csv(
        session, actor=people["office"], content=b"id,kwh\n1,2\n", today=TODAY
    )
    assert {e.field for e in report.errors} == {"surface_id", "month"}


# --- evidence -------------------------------------------------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_the_supplier_attaches_evidence_that_those_concerned_may_read(
    session: Session, people: dict[str, User], awarded: list[int], tmp_path: Any
) -> None:
    from pvhub.construction import documents as milestone_documents

    m = construction.report_milestone(
        session,
        actor=people["winner"],
        surface_id=awarded[0],
        kind=MilestoneKind.design_approved,
        actual_date=date(2026, 3, 20),
        today=TODAY,
    )
    assert m.id is not None
    kwargs: dict[str, Any] = {"milestone_id": m.id, "data_dir": tmp_path, "max_bytes": 10_000}
    doc = milestone_documents.add_evidence(
        session, actor=people["winner"], filename="审图意见.png", content=PNG, **kwargs
    )
    session.commit()
    assert (doc.content_type, doc.size_bytes) == ("image/png", len(PNG))
    for who in ("office", "owner", "winner"):
        found, content = milestone_documents.read_evidence(
            session, user=people[who], document_id=doc.id or 0, data_dir=tmp_path
        )
        assert content == PNG and found.filename == "审图意见.png"
    with pytest.raises(NotFound):
        milestone_documents.read_evidence(
            session, user=people["rival"], document_id=doc.id or 0, data_dir=tmp_path
        )
    with pytest.raises(InvalidInput, match="not a PNG"):
        milestone_documents.add_evidence(
            session, actor=people["winner"], filename="x.png", content=b"MZ", **kwargs
        )
    with pytest.raises(InvalidInput, match="only"):
        milestone_documents.add_evidence(
            session, actor=people["winner"], filename="x.exe", content=PNG, **kwargs
        )
    with pytest.raises(InvalidInput, match="more than"):
        milestone_documents.add_evidence(
            session, actor=people["winner"], filename="big.png", content=PNG * 500, **kwargs
        )
    construction.confirm_milestone(session, actor=people["office"], milestone_id=m.id)
    with pytest.raises(Conflict, match="final"):
        milestone_documents.add_evidence(
            session, actor=people["winner"], filename="late.png", content=PNG, **kwargs
        )
    assert milestone_documents.evidence_for(session, [m.id]) == {m.id: [doc]}
