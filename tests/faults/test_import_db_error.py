"""A database error in the middle of an import writes nothing.

The database itself refuses a row part-way through the write — a trigger created for the test
fails the Nth insert into ``site`` or ``surface``, on SQLite and on PostgreSQL — after the rows
before it have reached the database in the same transaction. The import, by the API and by the
command line, then leaves sites, surfaces and the audit log exactly as they were.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from pvhub.core.audit_events import AuditEvent
from pvhub.core.enums import Role
from pvhub.register.models import Site, Surface
from tests.conftest import api_token

FAULT = "injected fault: no space left on device"
ORG = "Faulty Estates"
# Five buildings of three surfaces each: the trigger lets 3 sites or 7 surfaces through, then refuses.
SURVEY = "site_name,address,lon,lat,kind,tilt_deg,azimuth_deg,gross_area_m2\n" + "".join(
    f"Block {b},Fault Road {b},{121.47 + b / 1000:.3f},31.23,{kind},{tilt},180,{area}\n"
    for b in range(1, 6)
    for kind, tilt, area in (("roof", 5, 900), ("curtain_wall", 90, 300), ("walkway", 3, 120))
)
LET_THROUGH = {"site": 3, "surface": 7}


@pytest.fixture(params=sorted(LET_THROUGH))
def failing_table(request: pytest.FixtureRequest, engine: Engine) -> Iterator[str]:
    """A trigger that makes the database refuse inserts into the table once it holds N more rows
    (counting rows the refused transaction wrote itself); dropped after the test."""
    table: str = request.param
    with engine.begin() as conn:
        limit = conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one() + LET_THROUGH[table]
        if engine.dialect.name == "sqlite":
            conn.execute(
                sa.text(
                    f"CREATE TRIGGER fault_{table} BEFORE INSERT ON {table} "
                    f"WHEN (SELECT count(*) FROM {table}) >= {limit} "
                    f"BEGIN SELECT RAISE(ABORT, '{FAULT}'); END"
                )
            )
        else:
            conn.execute(
                sa.text(
                    f"CREATE FUNCTION fault_{table}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                    f"IF (SELECT count(*) FROM {table}) >= {limit} THEN RAISE EXCEPTION '{FAULT}'; END IF; "
                    "RETURN NEW; END $$"
                )
            )
            conn.execute(
                sa.text(
                    f"CREATE TRIGGER fault_{table} BEFORE INSERT ON {table} "
                    f"FOR EACH ROW EXECUTE FUNCTION fault_{table}()"
                )
            )
    try:
        yield table
    finally:
        with engine.begin() as conn:
            if engine.dialect.name == "sqlite":
                conn.execute(sa.text(f"DROP TRIGGER fault_{table}"))
            else:
                conn.execute(sa.text(f"DROP TRIGGER fault_{table} ON {table}"))
                conn.execute(sa.text(f"DROP FUNCTION fault_{table}()"))


def held(session: Session) -> tuple[int, ...]:
    """Sites, surfaces and audit events. The read's transaction is ended: on PostgreSQL it would
    keep its locks, and the trigger could not be dropped."""
    counts = tuple(
        int(session.exec(select(func.count()).select_from(model)).one())
        for model in (Site, Surface, AuditEvent)
    )
    session.rollback()
    return counts


def test_the_api_import_writes_nothing_when_the_database_fails_mid_write(
    client: TestClient, session: Session, make_user, failing_table: str
) -> None:  # type: ignore[no-untyped-def]
    make_user("estates@faults.cn", Role.owner, ORG)
    headers = api_token(client, "estates@faults.cn")
    before = held(session)
    dry = client.post(
        "/api/v1/imports",
        files={"file": ("survey.csv", SURVEY.encode(), "text/csv")},
        data={"dry_run": "true"},
        headers=headers,
    )
    assert dry.status_code == 200 and dry.json()["created"]["sites"] == 5  # the file itself is good
    with pytest.raises(sa.exc.DBAPIError, match=FAULT):  # the app's own exception, not a mock's
        client.post(
            "/api/v1/imports", files={"file": ("survey.csv", SURVEY.encode(), "text/csv")}, headers=headers
        )
    assert held(session) == before


def test_the_command_line_import_writes_nothing_and_says_so_when_the_database_fails(
    database_url: str, session: Session, make_user, failing_table: str, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    make_user("estates@faults.cn", Role.owner, ORG)
    survey = tmp_path / "survey.csv"
    survey.write_text(SURVEY, encoding="utf-8")
    before = held(session)
    env = {**os.environ, "PVHUB_ENV": "development", "PVHUB_DATABASE_URL": database_url}
    done = subprocess.run(
        [str(Path(sys.executable).with_name("pvhub")), "import", str(survey), "--org", ORG],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert FAULT in done.stderr and "nothing was imported" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    assert held(session) == before
