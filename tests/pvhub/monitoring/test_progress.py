"""Programme progress: stage totals, the forecast, breakdowns, overdue milestones and yield ratios."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import Session

from pvhub.accounts.models import User
from pvhub.bundling.enums import BundleStatus
from pvhub.bundling.models import Bundle, BundleSite
from pvhub.construction import energy as measured_energy
from pvhub.construction import service as construction
from pvhub.construction.enums import MilestoneKind
from pvhub.construction.service import ORDER
from pvhub.core.enums import Role
from pvhub.monitoring import demonstration, progress
from pvhub.monitoring import totals as programme_totals
from pvhub.monitoring.progress import STAGES, StageFilter, forecast_target_date
from pvhub.tendering import handover
from pvhub.tendering.enums import TenderStatus
from pvhub.tendering.models import Tender, TenderLot
from tests.pvhub.programme_state import MONTH_SHARE, confirmed_award, estimated_site

AWARDED = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
TODAY = date(2026, 11, 20)


# --- the forecast, on known synthetic progress ---------------------------------------------------


def test_the_forecast_extrapolates_the_pace_of_the_last_180_days() -> None:
    today = date(2026, 7, 1)
    # 100 kWp every 10 days from 11 January: 18 connections by 1 July, all within the window
    connections = [(date(2026, 1, 1) + timedelta(days=10 * i), 100.0) for i in range(1, 19)]
    result = forecast_target_date(
        connections, target_kwp=10_000, today=today, construction_began=date(2025, 6, 1)
    )
    assert result.window_start == today - timedelta(days=180)
    assert result.connected_kwp == 1800
    assert result.rate_kwp_per_day == pytest.approx(10.0)
    assert result.forecast_date == today + timedelta(days=820)  # 8,200 kWp left at 10 kWp a day
    assert not result.met


def test_the_pace_counts_from_when_construction_began_if_that_is_recent() -> None:
    today = date(2026, 7, 1)
    began = today - timedelta(days=50)
    result = forecast_target_date(
        [(today - timedelta(days=5), 500.0)], target_kwp=1000, today=today, construction_began=began
    )
    assert result.rate_kwp_per_day == pytest.approx(10.0)
    assert result.forecast_date == today + timedelta(days=50)


def test_connections_older_than_the_window_count_in_the_total_not_the_pace() -> None:
    today = date(2026, 7, 1)
    old = [(date(2025, 1, 1), 4000.0)]
    recent = [(today - timedelta(days=1), 90.0)]
    result = forecast_target_date(old + recent, target_kwp=5000, today=today, construction_began=None)
    assert result.connected_kwp == 4090
    assert result.rate_kwp_per_day == pytest.approx(0.5)
    assert result.forecast_date == today + timedelta(days=1820)


def test_no_pace_no_forecast_and_a_met_target_is_dated() -> None:
    today = date(2026, 7, 1)
    empty = forecast_target_date([], target_kwp=10_000, today=today, construction_began=None)
    assert (empty.forecast_date, empty.rate_kwp_per_day) == (None, 0.0)
    met = forecast_target_date(
        [(date(2026, 5, 1), 600.0), (date(2026, 6, 1), 600.0)],
        target_kwp=1000,
        today=today,
        construction_began=date(2026, 1, 1),
    )
    assert met.met and met.forecast_date == date(2026, 6, 1)


# --- totals over a programme part-way there ------------------------------------------------------


@pytest.fixture
def people(make_user: Any) -> dict[str, User]:
    return {
        "office": make_user("o@office.cn", Role.office, "Office"),
        "owner": make_user("a@owner.cn", Role.owner, "Owner A"),
        "winner": make_user("w@supplier.cn", Role.supplier, "Winner"),
        "rival": make_user("r@supplier.cn", Role.supplier, "Rival"),
    }


def advance(
    session: Session, people: dict[str, User], surface_id: int, upto: MilestoneKind, day: date
) -> None:
    supplier = people["winner"]
    for kind in ORDER[: ORDER.index(upto) + 1]:
        m = construction.report_milestone(
            session, actor=supplier, surface_id=surface_id, kind=kind, actual_date=day, today=TODAY
        )
        assert m.id is not None
        construction.confirm_milestone(session, actor=people["office"], milestone_id=m.id)
    session.commit()


@pytest.fixture
def programme(session: Session, people: dict[str, User]) -> dict[str, Any]:
    """Sites at every stage: approved, bundled, tendered, awarded and built part-way or connected."""
    org = people["owner"].organisation_id
    approved, _ = estimated_site(session, org, "Approved", [("roof", 20, 100.0)], subdistrict="南京东路")
    bundled, _ = estimated_site(session, org, "Bundled", [("roof", 20, 50.0), ("walkway", 3, 5.0)])
    tendered, _ = estimated_site(session, org, "Tendered", [("curtain_wall", 30, 40.0)], subdistrict="豫园")
    built, built_surfaces = estimated_site(
        session, org, "Built", [("roof", 60, 200.0), ("curtain_wall", 30, 60.0), ("corridor", 12, 20.0)]
    )
    bundle = Bundle(code="B-1", status=BundleStatus.published)
    bundle2 = Bundle(code="B-2", status=BundleStatus.published)
    tender = Tender(code="T-1", title="Round 1", status=TenderStatus.published)
    session.add_all([bundle, bundle2, tender])
    session.flush()
    assert bundle.id and bundle2.id and tender.id
    session.add_all(
        [
            BundleSite(bundle_id=bundle.id, site_id=bundled.id),
            BundleSite(bundle_id=bundle2.id, site_id=tendered.id),
            TenderLot(tender_id=tender.id, bundle_id=bundle2.id),
        ]
    )
    session.commit()
    demonstration.designate_point(session, actor=people["office"], site_ids=[built.id], name="Built point")
    confirmed_award(
        session, people["winner"].organisation_id, [built.id], schedule_days=200, confirmed_at=AWARDED
    )
    handover.sync_construction(session)
    session.commit()
    roof, wall, corridor = (s.id for s in built_surfaces)
    advance(session, people, roof, MilestoneKind.grid_connected, date(2026, 6, 1))
    advance(session, people, wall, MilestoneKind.accepted, date(2026, 7, 1))
    advance(session, people, corridor, MilestoneKind.installed, date(2026, 7, 1))
    return {"approved": approved, "bundled": bundled, "tendered": tendered, "built": built, "roof": roof}


def test_stage_totals_equal_the_sum_over_surfaces(
    session: Session, people: dict[str, User], programme: Any
) -> None:
    result = progress.programme_progress(session, today=TODAY)
    expected = {
        "approved": (1, 100.0),
        "bundled": (2, 55.0),
        "tendered": (1, 40.0),
        "installed": (1, 20.0),
        "grid_connected": (1, 200.0),
        "accepted": (1, 60.0),
    }
    for total in result.stages:
        count, kwp = expected.get(total.stage, (0, 0.0))
        assert (total.surfaces, total.kwp) == (count, pytest.approx(kwp)), total.stage
        # the list behind the number holds exactly those surfaces
        listed, listed_kwp, rows = progress.list_by_stage(
            session, user=people["office"], filters=StageFilter(stage=total.stage), limit=100
        )
        assert (listed, listed_kwp) == (count, pytest.approx(kwp))
        assert sum(r.kwp for r in rows) == pytest.approx(kwp)
        assert total.cumulative_kwp == pytest.approx(
            sum(v[1] for s, v in expected.items() if STAGES.index(s) >= total.rank)
        )
    assert result.connected_kwp == pytest.approx(260.0)
    assert result.stage("approved").cumulative_kwp == pytest.approx(475.0)
    assert programme_totals.totals(session=session).connected_kwp == pytest.approx(260.0)


def test_breakdowns_by_kind_and_subdistrict_add_up(
    session: Session, people: dict[str, User], programme: Any
) -> None:
    result = progress.programme_progress(session, today=TODAY)
    by_kind = {b.key: b for b in result.by_kind}
    assert by_kind["roof"].approved_kwp == pytest.approx(350.0)
    assert by_kind["roof"].connected_kwp == pytest.approx(200.0)
    assert by_kind["corridor"].awarded_kwp == pytest.approx(20.0) and by_kind["corridor"].connected_kwp == 0
    assert sum(b.approved_kwp for b in result.by_subdistrict) == pytest.approx(475.0)
    assert {b.key for b in result.by_subdistrict} == {"外滩", "南京东路", "豫园"}
    assert result.by_subdistrict[0].key == "外滩"  # most connected first


def test_installed_capacity_replaces_the_estimate(
    session: Session, people: dict[str, User], programme: Any
) -> None:
    from sqlmodel import select

    from pvhub.construction.models import Construction

    item = session.exec(select(Construction).where(Construction.surface_id == programme["roof"])).one()
    item.installed_kwp = 180.0
    session.add(item)
    session.commit()
    assert progress.programme_progress(session, today=TODAY).connected_kwp == pytest.approx(240.0)


def test_the_burn_up_and_the_point(session: Session, programme: Any) -> None:
    result = progress.programme_progress(session, today=TODAY)
    assert result.burn_up.actual == [(date(2026, 6, 1), 200.0), (date(2026, 7, 1), 260.0)]
    assert result.burn_up.planned[-1] == (date(2026, 3, 2) + timedelta(days=190), 280.0)
    assert result.burn_up.construction_began == date(2026, 3, 2)
    assert result.forecast.connected_kwp == pytest.approx(260.0)
    assert result.forecast.rate_kwp_per_day == pytest.approx(260.0 / 180)
    [point] = result.points
    assert (point.surfaces, point.connected_surfaces, point.complete) == (3, 2, False)
    assert point.connected_kinds == ("roof", "curtain_wall")


def test_a_point_is_complete_when_all_its_surfaces_are_connected(
    session: Session, people: dict[str, User], programme: Any
) -> None:
    built = construction.get_surface_construction(
        session, user=people["office"], surface_id=programme["roof"], today=TODAY
    )
    _count, _kwp, installed = progress.list_by_stage(
        session, user=people["office"], filters=StageFilter(stage="installed")
    )
    corridor = installed[0]
    assert built.site.id == corridor.site_id
    for kind in (MilestoneKind.metering_and_contracts, MilestoneKind.grid_connected):
        m = construction.report_milestone(
            session,
            actor=people["winner"],
            surface_id=corridor.surface_id,
            kind=kind,
            actual_date=date(2026, 8, 1),
            today=TODAY,
        )
        assert m.id is not None
        construction.confirm_milestone(session, actor=people["office"], milestone_id=m.id)
    session.commit()
    [point] = demonstration.points_progress(session)
    assert point.complete and point.connected_kinds == ("roof", "curtain_wall", "corridor")


def test_overdue_milestones_are_listed_most_overdue_first(
    session: Session, people: dict[str, User], programme: Any
) -> None:
    # the corridor (installed on 1 July) was due for metering on 2 March + 170 days = 19 August;
    # the roof, connected, was due for acceptance on 2 March + 200 days = 18 September
    count, items = progress.overdue(session, user=people["office"], today=TODAY)
    assert count == 2
    assert [(i.milestone, i.planned_date, i.supplier_name) for i in items] == [
        ("metering_and_contracts", date(2026, 8, 19), "Winner"),
        ("accepted", date(2026, 9, 18), "Winner"),
    ]
    assert items[0].days_overdue == (TODAY - date(2026, 8, 19)).days
    assert progress.overdue(session, user=people["rival"], today=TODAY)[0] == 0
    listed, _kwp, _rows = progress.list_by_stage(
        session, user=people["office"], filters=StageFilter(overdue=True), today=TODAY
    )
    assert listed == 2


def test_yield_ratios_leave_out_the_partial_first_month_and_flag_outliers(
    session: Session, people: dict[str, User], programme: Any
) -> None:
    roof = programme["roof"]
    estimate_july = 200.0 * 1000 * MONTH_SHARE[6]
    estimate_aug = 200.0 * 1000 * MONTH_SHARE[7]
    rows = [
        (0, {"surface_id": roof, "month": "2026-06", "energy_kwh": 500}),  # connection month: left out
        (1, {"surface_id": roof, "month": "2026-07", "energy_kwh": 0.6 * estimate_july}),
        (2, {"surface_id": roof, "month": "2026-08", "energy_kwh": 0.6 * estimate_aug}),
    ]
    report = measured_energy.import_rows(
        session, actor=people["winner"], rows=rows, source="api", today=TODAY
    )
    assert report.ok, report.errors
    session.commit()
    summary = progress.yield_ratios(session)
    assert (summary.surfaces, summary.months) == (1, 2)
    assert summary.ratio == pytest.approx(0.6)
    assert [(o.surface_id, o.flag) for o in summary.outliers] == [(roof, "low")]
