"""``pvhub demo`` fills an empty database with the Huangpu demo and never overwrites real data."""

from __future__ import annotations

from sqlmodel import Session, func, select

from pvhub.accounts import service as accounts
from pvhub.accounts.models import Organisation, User
from pvhub.core.enums import Role
from pvhub.demo.loader import DEMO_PASSWORD, load_demo
from pvhub.programme.models import Programme
from pvhub.register.enums import SurfaceStatus
from pvhub.register.models import Site, Surface


def count(session: Session, model: type) -> int:
    return int(session.exec(select(func.count()).select_from(model)).one())


def test_the_demo_loads_into_an_empty_database_with_working_logins(session: Session) -> None:
    summary = load_demo(session=session)
    session.commit()
    assert summary is not None
    assert count(session, Site) == summary.sites == 300
    assert count(session, Surface) == sum(summary.surfaces.values())
    assert 900 <= count(session, Surface) <= 1100
    assert all(n > 0 for n in summary.surfaces.values())
    users = session.exec(select(User.email, User.role)).all()
    assert ("office@demo.pvhub", Role.office) in users
    assert sum(1 for _e, r in users if r == Role.owner) == 30
    assert sum(1 for _e, r in users if r == Role.supplier) == 8
    assert accounts.authenticate(session=session, email="owner07@demo.pvhub", password=DEMO_PASSWORD)
    assert session.exec(select(Programme)).one().boundary is not None
    subdistricts = set(session.exec(select(Site.subdistrict)).all())
    assert {
        "外滩",
        "南京东路",
        "豫园",
        "老西门",
        "小东门",
        "淮海中路",
        "瑞金二路",
        "打浦桥",
        "五里桥",
        "半淞园路",
    } == subdistricts
    statuses = set(session.exec(select(Surface.status)).all())
    assert SurfaceStatus.approved in statuses and SurfaceStatus.submitted in statuses


def test_the_demo_refuses_a_database_with_data_unless_reset(session: Session, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("real@owner.cn", Role.owner, "A real owner")
    assert load_demo(session=session) is None
    assert count(session, Site) == 0
    assert load_demo(session=session, reset=True) is not None
    session.commit()
    assert session.exec(select(User).where(User.email == "real@owner.cn")).first() is None
    assert count(session, Organisation) == 1 + 30 + 8
