"""The demo's construction step: a programme part-way there, one demonstration point complete and one
under way; and the step on its own, on whatever confirmed awards exist."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import Session, select

from pvhub.construction.enums import MilestoneStatus
from pvhub.construction.models import Construction, Milestone
from pvhub.core.enums import Role
from pvhub.demo.construction import advance_demo_construction, designate_demo_points
from pvhub.demo.loader import load_demo
from pvhub.monitoring import progress
from pvhub.programme.models import DemonstrationPoint
from tests.pvhub.programme_state import confirmed_award, estimated_site


def test_the_demo_shows_a_programme_part_way_with_one_point_complete(session: Session) -> None:
    load_demo(session=session)
    session.commit()
    assert len(session.exec(select(DemonstrationPoint)).all()) == 2  # designated before bundling
    result = progress.programme_progress(session)
    assert 0 < result.connected_kwp < result.target_kwp
    assert result.forecast.forecast_date is not None and result.forecast.rate_kwp_per_day > 0
    first, second = result.points
    assert first.complete and first.connected_surfaces == first.surfaces
    assert not second.complete and 0 < second.connected_surfaces < second.surfaces
    statuses = {m.status for m in session.exec(select(Milestone)).all()}
    assert {MilestoneStatus.confirmed, MilestoneStatus.reported, MilestoneStatus.sent_back} <= statuses
    built = len(session.exec(select(Construction)).all())
    overdue, _items = progress.overdue(session, user=None, today=result.today)
    assert 0 < overdue < built / 2
    yields = progress.yield_ratios(session)
    assert yields.surfaces > 0 and 0.85 < (yields.ratio or 0) < 1.0
    assert {o.flag for o in yields.outliers} == {"low", "high"}


def test_the_step_works_on_whatever_awards_exist_and_only_once(session: Session, make_user: Any) -> None:
    office = make_user("o@office.cn", Role.office, "Office")
    owner = make_user("a@owner.cn", Role.owner, "Owner")
    supplier = make_user("s@supplier.cn", Role.supplier, "Supplier")
    assert office.id is not None
    layers = [("roof", 60, 80.0), ("curtain_wall", 30, 20.0), ("walkway", 4, 5.0)]
    tower, _ = estimated_site(session, owner.organisation_id, "Tower", layers)
    plain, _ = estimated_site(session, owner.organisation_id, "Plain", [("roof", 20, 50.0)], lon=121.5)
    assert designate_demo_points(session) != []  # no generated candidates: pvhub's own proposals
    session.commit()
    assert advance_demo_construction(session).surfaces == 0  # nothing awarded yet
    confirmed_award(session, supplier.organisation_id, [tower.id, plain.id], schedule_days=150)
    today = date.today()
    summary = advance_demo_construction(session, today=today)
    session.commit()
    assert summary.surfaces == 4
    [point] = progress.programme_progress(session, today=today).points
    assert point.complete  # the first point is finished
    assert advance_demo_construction(session, today=today).surfaces == 0
