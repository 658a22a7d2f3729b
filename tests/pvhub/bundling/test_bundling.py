"""Bundling runs on the real register: limits hold, locks and published bundles are respected,
demonstration points stay whole, and a failed or cancelled run changes nothing."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from pvhub.accounts.models import User
from pvhub.bundling import bundles
from pvhub.bundling import runs as bundling
from pvhub.bundling.enums import BundleStatus
from pvhub.bundling.models import Bundle, BundleSite
from pvhub.bundling.runs import BundlingParameters
from pvhub.core.enums import Role, RunStatus
from pvhub.core.errors import Conflict, InvalidInput
from pvhub.estimates import service as estimates
from pvhub.estimates.models import Estimate
from pvhub.jobs import service as jobs
from pvhub.jobs.models import Job
from pvhub.programme.models import DemonstrationPoint, DemonstrationPointSite
from tests.conftest import add_site

BIG_ROOF = {"kind": "roof", "tilt_deg": 10, "azimuth_deg": 180, "gross_area_m2": 2500, "usable_area_m2": 2000}
PARAMS = BundlingParameters(
    min_capacity_kwp=500, max_capacity_kwp=1200, max_sites=4, max_distance_m=1500, time_limit_s=5
)


def _district(session: Session, make_user, n: int = 12) -> tuple[User, list[int]]:  # type: ignore[no-untyped-def]
    """An office user and ``n`` sites ~190 m apart on a grid, each with one estimated 2,000 m² roof."""
    office = make_user("office@x.cn", Role.office, "Office")
    owner = make_user("owner@x.cn", Role.owner, "Owner")
    site_ids, surface_ids = [], []
    for i in range(n):
        site, (roof,) = add_site(session, owner.organisation_id, f"Site {i}", BIG_ROOF)
        site.lon, site.lat = 121.47 + 0.002 * (i % 4), 31.22 + 0.002 * (i // 4)
        session.add(site)
        assert site.id is not None and roof.id is not None
        site_ids.append(site.id)
        surface_ids.append(roof.id)
    estimates.estimate_surfaces(session=session, actor=None, surface_ids=surface_ids)
    session.commit()
    return office, site_ids


def _membership(session: Session) -> dict[int, str]:
    rows = session.exec(select(BundleSite.site_id, Bundle.code).join(Bundle)).all()
    return {site: code for site, code in rows}


def test_a_run_makes_draft_bundles_within_every_limit(session: Session, make_user) -> None:  # type: ignore[no-untyped-def]
    office, site_ids = _district(session, make_user)
    run = bundling.run_now(session=session, actor=office, params=PARAMS)
    session.commit()
    views = bundles.list_bundles(session=session, user=office)
    assert views and run.result is not None and run.result["status"] in ("optimal", "feasible")
    seen: list[int] = []
    for view in views:
        assert view.status == BundleStatus.draft and view.code.startswith("BDL-")
        assert 500 <= view.capacity_kwp <= 1200 and len(view.site_ids) <= 4
        assert view.anchor_site_id in view.site_ids and view.warnings == []
        assert view.kinds == {"roof": len(view.site_ids)} and view.annual_kwh > 0
        seen += view.site_ids
    assert len(seen) == len(set(seen)) and set(seen) <= set(site_ids)
    # every site is 360 kWp, so all 12 fit (2-3 per bundle): the most capacity means all of them
    assert sorted(seen) == sorted(site_ids)


def test_locked_bundles_keep_their_sites_and_published_ones_leave_the_instance(
    session: Session, make_user
) -> None:  # type: ignore[no-untyped-def]
    office, _ = _district(session, make_user)
    bundling.run_now(session=session, actor=office, params=PARAMS)
    first, second, *_ = bundles.list_bundles(session=session, user=office)
    bundles.set_locked(session=session, actor=office, bundle_id=first.id, locked=True)
    bundles.publish(session=session, actor=office, bundle_id=second.id)
    session.commit()
    again = bundling.run_now(session=session, actor=office, params=PARAMS.model_copy(update={"seed": 3}))
    session.commit()
    after = {v.code: v for v in bundles.list_bundles(session=session, user=office)}
    assert set(first.site_ids) <= set(after[first.code].site_ids)
    assert after[first.code].status == BundleStatus.locked
    assert (
        after[second.code].site_ids == second.site_ids and after[second.code].status == BundleStatus.published
    )
    assert again.result is not None and again.result["published_kwp"] == pytest.approx(second.capacity_kwp)
    others = [s for code, v in after.items() if code != second.code for s in v.site_ids]
    assert not set(others) & set(second.site_ids)
    with pytest.raises(Conflict, match="published"):
        bundles.move_site(session=session, actor=office, site_id=second.site_ids[0], bundle_id=first.id)


def test_a_demonstration_point_is_bundled_whole(session: Session, make_user) -> None:  # type: ignore[no-untyped-def]
    office, site_ids = _district(session, make_user)
    point = DemonstrationPoint(name="示范点")
    session.add(point)
    session.flush()
    assert point.id is not None
    far_apart = [site_ids[0], site_ids[3]]  # opposite ends of a row, ~570 m apart
    session.add_all([DemonstrationPointSite(point_id=point.id, site_id=s) for s in far_apart])
    session.commit()
    bundling.run_now(session=session, actor=office, params=PARAMS)
    member = _membership(session)
    assert member[far_apart[0]] == member[far_apart[1]]


def test_an_infeasible_run_changes_nothing(session: Session, make_user) -> None:  # type: ignore[no-untyped-def]
    office, _ = _district(session, make_user)
    bundling.run_now(session=session, actor=office, params=PARAMS)
    session.commit()
    before = _membership(session)
    impossible = PARAMS.model_copy(
        update={"max_capacity_kwp": 300, "min_capacity_kwp": 0, "require_all": True}
    )
    with pytest.raises(InvalidInput, match="no bundling"):
        bundling.run_now(session=session, actor=office, params=impossible)
    session.rollback()
    assert _membership(session) == before


def test_sites_with_a_stale_estimate_are_left_out_with_the_reason(session: Session, make_user) -> None:  # type: ignore[no-untyped-def]
    office, _ = _district(session, make_user, n=6)
    stale = session.exec(select(Estimate)).first()
    assert stale is not None
    stale.stale = True
    session.add(stale)
    session.commit()
    run = bundling.run_now(session=session, actor=office, params=PARAMS)
    assert run.result is not None
    (skipped,) = run.result["skipped"]
    assert "re-estimate" in skipped["reason"]
    assert skipped["site_id"] not in _membership(session)


def test_moving_a_site_updates_totals_and_flags_broken_limits(session: Session, make_user) -> None:  # type: ignore[no-untyped-def]
    office, _ = _district(session, make_user)
    bundling.run_now(session=session, actor=office, params=PARAMS)
    first, second, *_ = bundles.list_bundles(session=session, user=office)
    moved = second.site_ids[0]
    bundles.move_site(session=session, actor=office, site_id=moved, bundle_id=first.id)
    bundles.move_site(session=session, actor=office, site_id=second.site_ids[1], bundle_id=first.id)
    session.commit()
    now = {v.code: v for v in bundles.list_bundles(session=session, user=office)}
    assert moved in now[first.code].site_ids
    assert now[first.code].capacity_kwp == pytest.approx(first.capacity_kwp + 2 * 360, rel=0.01)
    assert any("maximum" in w.text() for w in now[first.code].warnings)
    bundles.move_site(session=session, actor=office, site_id=moved, bundle_id=None)
    session.commit()
    assert moved not in _membership(session)


def test_suppliers_see_published_bundles_only(session: Session, make_user) -> None:  # type: ignore[no-untyped-def]
    office, _ = _district(session, make_user, n=6)
    supplier = make_user("s@x.cn", Role.supplier, "Supplier")
    bundling.run_now(session=session, actor=office, params=PARAMS)
    first, *_ = bundles.list_bundles(session=session, user=office)
    assert bundles.list_bundles(session=session, user=supplier) == []
    bundles.publish(session=session, actor=office, bundle_id=first.id)
    session.commit()
    assert [v.code for v in bundles.list_bundles(session=session, user=supplier)] == [first.code]


def test_a_cancelled_job_stores_no_bundles(engine: Engine, session: Session, make_user) -> None:  # type: ignore[no-untyped-def]
    office, _ = _district(session, make_user, n=40)
    run = bundling.submit_run(
        session=session, actor=office, params=PARAMS.model_copy(update={"time_limit_s": 60})
    )
    session.commit()
    assert run.job_id is not None
    thread = threading.Thread(target=jobs.run, args=(engine, run.job_id))
    thread.start()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with Session(engine) as s:
            job = s.get(Job, run.job_id)
            if job is not None and job.status == RunStatus.running:
                break
        time.sleep(0.1)
    with Session(engine) as s:
        jobs.cancel(session=s, actor=s.get(User, office.id), job_id=run.job_id)  # type: ignore[arg-type]
        s.commit()
    thread.join(timeout=30)
    assert not thread.is_alive()
    with Session(engine) as s:
        job = s.get(Job, run.job_id)
        assert (
            job is not None
            and job.status == RunStatus.cancelled
            and "nothing was stored" in (job.error or "")
        )
        assert s.exec(select(Bundle)).all() == []
        state, _ = bundling.run_state(s, s.get(bundling.BundlingRun, run.id))  # type: ignore[arg-type]
        assert state == RunStatus.cancelled


def test_a_job_run_stores_bundles_and_reports_progress(engine: Engine, session: Session, make_user) -> None:  # type: ignore[no-untyped-def]
    office, _ = _district(session, make_user, n=8)
    run = bundling.submit_run(
        session=session, actor=office, params=PARAMS.model_copy(update={"time_limit_s": 3})
    )
    session.commit()
    assert run.job_id is not None
    jobs.run(engine, run.job_id)
    with Session(engine) as s:
        job = s.get(Job, run.job_id)
        assert job is not None and job.status == RunStatus.succeeded, job.error if job else None
        assert job.detail is not None and job.detail["series"], "the live chart had no points"
        assert s.exec(select(Bundle)).all()


def test_review_after_publication_keeps_tendered_surfaces(session: Session, make_user) -> None:  # type: ignore[no-untyped-def]
    """An approved surface in a published bundle cannot be rejected; a newly submitted one can."""
    from pvhub.register import service as register
    from pvhub.register.enums import SurfaceStatus
    from pvhub.register.models import Surface

    office, _ = _district(session, make_user, n=4)
    bundling.run_now(session=session, actor=office, params=PARAMS)
    first, *_ = bundles.list_bundles(session=session, user=office)
    bundles.publish(session=session, actor=office, bundle_id=first.id)
    site_id = first.site_ids[0]
    approved = session.exec(select(Surface).where(Surface.site_id == site_id)).one()
    newcomer = Surface.model_validate({**BIG_ROOF, "site_id": site_id, "status": SurfaceStatus.submitted})
    session.add(newcomer)
    session.commit()
    assert approved.id is not None and newcomer.id is not None
    with pytest.raises(Conflict, match="published bundle"):
        register.reject_surface(session=session, actor=office, surface_id=approved.id, reason="late doubts")
    rejected = register.reject_surface(session=session, actor=office, surface_id=newcomer.id, reason="漏水")
    assert rejected.status == SurfaceStatus.rejected


def test_a_second_run_is_refused_while_one_is_under_way(session: Session, make_user) -> None:  # type: ignore[no-untyped-def]
    office, _ = _district(session, make_user, n=4)
    bundling.submit_run(session=session, actor=office, params=PARAMS)
    session.commit()
    with pytest.raises(Conflict, match="already under way"):
        bundling.submit_run(session=session, actor=office, params=PARAMS)
