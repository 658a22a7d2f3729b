"""``pvhub export-all`` / ``import-all``: the whole database round-trips, on SQLite and PostgreSQL.

The operator's story: export the live database, restore it into a fresh one, and get back exactly
what was there — sealed bids, audit trail, odd floats and JSON nulls included — or, when the file or
the target is wrong, a clear refusal that writes nothing.
"""

from __future__ import annotations

import gzip
import json
import math
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, SQLModel, select

from pvhub import backup
from pvhub.accounts.models import Organisation, User
from pvhub.core import migrate
from pvhub.core.audit_events import AuditEvent
from pvhub.core.db import make_engine, normalise_url
from pvhub.core.enums import Role
from pvhub.demo.loader import load_demo
from pvhub.register.models import Surface
from pvhub.tendering.models import Bid
from tests.pvhub import tenderworld

pytestmark = pytest.mark.db


@pytest.fixture
def fresh_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """A second, empty database on the same engine kind as the test database (not migrated)."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'restored.db'}"
        return
    url = make_url(normalise_url(database_url))
    name = f"{url.database}_restore"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def restored(fresh_url: str) -> Iterator[Engine]:
    """The fresh database, migrated and empty."""
    migrate.upgrade(fresh_url)
    engine = make_engine(fresh_url)
    yield engine
    engine.dispose()


def _odd_values(session: Session) -> None:
    """Values a naive backup loses: float edge cases, SQL NULL next to JSON null, -0.0, unicode."""
    surface = session.exec(select(Surface).order_by(Surface.id)).first()
    assert surface is not None
    session.execute(
        sa.update(Surface)
        .where(Surface.id == surface.id)  # type: ignore[arg-type]
        .values(shading_loss=0.1 + 0.2, height_m=float("-inf"), power_density_w_m2=5e-324, losses_pct=-0.0)
    )
    session.execute(
        sa.insert(AuditEvent).values(
            actor_label="test",
            entity="backup",
            entity_id="x",
            action="odd",
            before=sa.null(),
            after=sa.JSON.NULL,
        )
    )
    session.execute(
        sa.insert(AuditEvent).values(
            actor_label="测试 ☀",
            entity="backup",
            entity_id="y",
            action="odd",
            before={"third": 1 / 3, "big": 1e308, "nested": [None, True, "«»\u2028"]},
            after=None,
        )
    )
    session.commit()


def test_floats_that_json_cannot_hold_are_written_as_words() -> None:
    # SQLite stores NaN as NULL, so NaN is checked on the codec; PostgreSQL keeps it.
    encode, decode = backup._codecs(Surface.__table__.c.height_m)  # type: ignore[attr-defined]
    for value, word in (
        (float("nan"), '"NaN"'),
        (float("inf"), '"Infinity"'),
        (float("-inf"), '"-Infinity"'),
    ):
        text = json.dumps(encode(value))
        assert text == word
        back = decode(json.loads(text))
        assert (math.isnan(back) and math.isnan(value)) or back == value
    with pytest.raises(ValueError, match="not a number"):
        decode("12")


def _demo_with_sealed_bids(session: Session, make_user: Callable[..., User]) -> None:
    load_demo(session=session)
    session.commit()
    world = tenderworld.build_world(session, make_user)
    tender = tenderworld.publish_round(session, world)
    lots = tenderworld.lot_ids(session, tender)
    tenderworld.bid(
        session, world.suppliers[0], tender, lots[0], tenderworld.SECRET_TOTAL, notes=tenderworld.SECRET_NOTE
    )
    _odd_values(session)


def _body(path: Path) -> list[str]:
    """The file's lines after the header (whose export time differs from run to run)."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as f:  # type: ignore[operator]
        return f.read().splitlines()[1:]


def test_the_demo_with_sealed_bids_round_trips_exactly(
    engine: Engine, session: Session, make_user: Callable[..., User], restored: Engine, tmp_path: Path
) -> None:
    _demo_with_sealed_bids(session, make_user)
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl.gz"

    counts = backup.export_all(engine, first)
    assert counts["surface"] > 900 and counts["bid"] >= 1 and counts["auditevent"] > 0
    assert set(counts) == {t.name for t in SQLModel.metadata.sorted_tables}
    assert backup.import_all(restored, first) == counts
    assert backup.export_all(restored, second) == counts

    assert _body(first) == _body(second)
    header = json.loads(first.read_text(encoding="utf-8").splitlines()[0])
    assert next(iter(header)) == "warning"
    assert "sealed bids" in header["warning"].lower() and "personal data" in header["warning"].lower()
    assert oct(first.stat().st_mode & 0o777) == "0o600"

    with Session(restored) as s:
        odd = s.exec(select(Surface).order_by(Surface.id)).first()
        assert odd is not None and odd.shading_loss == 0.1 + 0.2 and odd.height_m == float("-inf")
        assert odd.power_density_w_m2 == 5e-324 and odd.losses_pct is not None
        # SQLite itself stores -0.0 as 0; PostgreSQL keeps the sign, and so must the backup
        assert math.copysign(1, odd.losses_pct) == (-1 if restored.dialect.name == "postgresql" else 1)
        nulls = s.execute(
            sa.select(AuditEvent.before.is_(None), AuditEvent.after.is_(None)).where(  # type: ignore[union-attr]
                AuditEvent.action == "odd", AuditEvent.entity_id == "x"
            )
        ).one()
        assert tuple(nulls) == (True, False)  # SQL NULL stayed SQL NULL, JSON null stayed JSON null
        sealed = [b for b in s.exec(select(Bid)).all() if b.content.get("notes") == tenderworld.SECRET_NOTE]
        assert len(sealed) == 1 and sealed[0].received_at.tzinfo is not None
        # ids continue after the restored ones (PostgreSQL sequences were moved on)
        org = Organisation(name="after restore", kind=Role.owner)
        s.add(org)
        s.commit()
        assert org.id is not None and org.id > counts["organisation"]


def test_import_refuses_a_database_that_holds_data(
    engine: Engine, session: Session, make_user: Callable[..., User], tmp_path: Path
) -> None:
    make_user("someone@owner.cn", Role.owner)
    path = tmp_path / "b.jsonl"
    backup.export_all(engine, path)
    with pytest.raises(backup.BackupError, match=r"only into an empty database.*'organisation' holds 1 rows"):
        backup.import_all(engine, path)
    assert len(session.exec(select(User)).all()) == 1


def test_import_refuses_an_unmigrated_database(
    engine: Engine, session: Session, fresh_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "b.jsonl"
    backup.export_all(engine, path)
    target = make_engine(fresh_url)
    try:
        with pytest.raises(backup.BackupError, match=r"not migrated.*pvhub db upgrade"):
            backup.import_all(target, path)
    finally:
        target.dispose()


def _count_rows(engine: Engine) -> int:
    with engine.connect() as conn:
        return sum(
            conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
            for t in SQLModel.metadata.sorted_tables
        )


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda lines: lines[:-1], "truncated"),
        (lambda lines: [*lines[:-2], lines[-2][:-5], lines[-1]], "not valid JSON"),
        (lambda lines: [*lines[:-2], '["not", "a", "row"]', lines[-1]], "values for"),
        (lambda lines: [lines[0].replace('"pvhub-backup"', '"other"'), *lines[1:]], "not a pvhub export-all"),
        (lambda lines: [*lines[:-1], '{"end": {"site": 999}}'], "trailer counts"),
    ],
    ids=["truncated", "cut-line", "short-row", "foreign-file", "wrong-trailer"],
)
def test_a_damaged_file_writes_nothing(
    engine: Engine,
    session: Session,
    make_user: Callable[..., User],
    restored: Engine,
    tmp_path: Path,
    damage: Callable[[list[str]], list[str]],
    message: str,
) -> None:
    for n in range(3):
        make_user(f"u{n}@owner.cn", Role.owner)
    path = tmp_path / "b.jsonl"
    backup.export_all(engine, path)
    lines = damage(path.read_text(encoding="utf-8").splitlines())
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(backup.BackupError, match=message):
        backup.import_all(restored, path)
    assert _count_rows(restored) == 0


def test_a_row_the_database_refuses_rolls_back_every_table(
    engine: Engine, session: Session, make_user: Callable[..., User], restored: Engine, tmp_path: Path
) -> None:
    make_user("a@owner.cn", Role.owner)
    make_user("b@owner.cn", Role.owner)
    path = tmp_path / "b.jsonl"
    backup.export_all(engine, path)
    lines = path.read_text(encoding="utf-8").splitlines()
    # the second user gets the first one's e-mail: the unique index refuses it after earlier tables went in
    lines = [line.replace('"b@owner.cn"', '"a@owner.cn"') for line in lines]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    unique = r"table user, .*refused them \((UNIQUE constraint failed|duplicate key value violates unique)"
    with pytest.raises(backup.BackupError, match=unique):  # SQLite's words, or PostgreSQL's
        backup.import_all(restored, path)
    assert _count_rows(restored) == 0


def test_the_command_line_exports_and_refuses_to_overwrite(tmp_path: Path) -> None:
    pvhub = str(Path(sys.executable).with_name("pvhub"))
    env = {**os.environ, "PVHUB_ENV": "development", "PVHUB_DATABASE_URL": f"sqlite:///{tmp_path}/cli.db"}
    env.pop("PVHUB_SECRET_KEY", None)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([pvhub, *args], env=env, capture_output=True, text=True, timeout=120)

    assert run("db", "upgrade").returncode == 0
    assert run("user", "add", "pm@office.cn", "--role", "office", "--org", "Office").returncode == 0
    out = tmp_path / "all.jsonl.gz"
    exported = run("export-all", str(out))
    assert exported.returncode == 0, exported.stderr
    assert "sealed bids" in exported.stderr
    again = run("export-all", str(out))
    assert again.returncode == 1 and "already exists" in again.stderr
    refused = run("import-all", str(out))
    assert refused.returncode == 1 and "empty database" in refused.stderr
    env["PVHUB_DATABASE_URL"] = f"sqlite:///{tmp_path}/other.db"
    assert run("db", "upgrade").returncode == 0
    imported = run("import-all", str(out))
    assert imported.returncode == 0, imported.stderr
    assert "imported" in imported.stdout
