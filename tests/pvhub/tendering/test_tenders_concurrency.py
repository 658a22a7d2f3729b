"""50 bids sent at once over HTTP to a running pvhub are each stored exactly once — on SQLite and,
when the suite runs against it, on PostgreSQL — including ten revisions racing each other from one
supplier, which get versions 1–10 with exactly one current; and 50 bids that pile up behind a held
tender lock in one worker process all get through once it is released."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from pvhub.accounts.models import User
from pvhub.core.enums import Role
from pvhub.core.security import issue_token
from pvhub.tendering import tenders
from pvhub.tendering.models import Bid
from tests.pvhub.tendering.test_tenders_api import bid_body, open_round
from tests.pvhub.tenderworld import build_world

SECRET = "s" * 40
ROOT = Path(__file__).resolve().parents[3]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve(database_url: str, tmp_path: Path, workers: int) -> Iterator[str]:
    """``pvhub serve --workers N`` on the test database (stopped before the database is emptied)."""
    env = {
        **os.environ,
        "PVHUB_ENV": "test",
        "PVHUB_DATABASE_URL": database_url,
        "PVHUB_SECRET_KEY": SECRET,
        "PVHUB_DATA_DIR": str(tmp_path),
    }
    port = _free_port()
    pvhub = str(Path(sys.executable).with_name("pvhub"))
    process = subprocess.Popen(
        [pvhub, "serve", "--port", str(port), "--workers", str(workers)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if httpx.get(f"{url}/login", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            raise RuntimeError("pvhub serve did not answer within 20 s")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)


@pytest.fixture
def server(database_url: str, session: Session, tmp_path: Path) -> Iterator[str]:
    """Two worker processes: the bids race across processes, not only across threads."""
    yield from _serve(database_url, tmp_path, workers=2)


@pytest.fixture
def one_worker(database_url: str, session: Session, tmp_path: Path) -> Iterator[str]:
    """One worker process: every request competes for the same threads and connections."""
    yield from _serve(database_url, tmp_path, workers=1)


def _send_bids(server: str, tender_id: int, requests: list[tuple[User, float]], lot: int) -> list[int]:
    """POST every bid at once (one client thread each); the status codes, in order."""

    def send(item: tuple[User, float]) -> int:
        user, total = item
        headers = {"Authorization": f"Bearer {issue_token(SECRET, user.id or 0)}"}
        with httpx.Client(base_url=server, timeout=60) as http:
            response = http.post(
                f"/api/v1/tenders/{tender_id}/bids", json=bid_body(lot, total), headers=headers
            )
        return response.status_code

    with ThreadPoolExecutor(max_workers=len(requests)) as pool:
        return list(pool.map(send, requests))


def _first_lot(server: str, tender_id: int, office: User) -> int:
    with httpx.Client(base_url=server, timeout=60) as http:
        token = issue_token(SECRET, office.id or 0)
        tender = http.get(f"/api/v1/tenders/{tender_id}", headers={"Authorization": f"Bearer {token}"})
    return int(tender.json()["lots"][0]["id"])


def test_fifty_concurrent_bids_are_each_stored_exactly_once(
    server: str,
    session: Session,
    make_user,  # type: ignore[no-untyped-def]
) -> None:
    world = build_world(session, make_user)
    tender = open_round(session, world)
    bidders = [make_user(f"c{i:02d}@t.cn", Role.supplier, f"Concurrent {i:02d}") for i in range(40)]
    reviser = world.suppliers[0]
    lot = _first_lot(server, tender.id or 0, world.office)
    requests = [(user, 1_000_000 + i * 1000) for i, user in enumerate(bidders)]
    requests += [(reviser, 1_100_000 + i * 1000) for i in range(10)]
    started = time.perf_counter()
    codes = _send_bids(server, tender.id or 0, requests, lot)
    elapsed = time.perf_counter() - started
    assert codes == [201] * 50, codes
    session.expire_all()
    stored = session.exec(select(Bid).order_by(col(Bid.id))).all()
    assert len(stored) == 50
    assert len({(b.supplier_id, b.version) for b in stored}) == 50
    mine = [b for b in stored if b.supplier_id == reviser.organisation_id]
    assert sorted(b.version for b in mine) == list(range(1, 11))
    assert [b.version for b in mine if b.current] == [10]
    assert sum(b.current for b in stored) == 41
    print(f"50 concurrent bids stored in {elapsed:.2f} s")


def test_bids_piled_up_behind_the_tender_lock_all_get_through(
    one_worker: str,
    session: Session,
    engine: Engine,
    make_user,  # type: ignore[no-untyped-def]
) -> None:
    """The tender lock is held (as a long change of conditions would) while 50 bids arrive at one
    worker; released, every bid is stored. Without admission control, the requests waiting for the
    lock took every request thread and the one that got the lock found no thread to finish on: the
    server hung until the clients gave up (seen in CI on PostgreSQL)."""
    world = build_world(session, make_user)
    tender = open_round(session, world)
    bidders = [make_user(f"q{i:02d}@t.cn", Role.supplier, f"Queued {i:02d}") for i in range(50)]
    lot = _first_lot(one_worker, tender.id or 0, world.office)
    requests = [(user, 1_000_000 + i * 1000) for i, user in enumerate(bidders)]
    with ThreadPoolExecutor(max_workers=1) as background, Session(engine) as office_change:
        tenders.lock_tender(office_change, tender.id or 0)
        pending = background.submit(_send_bids, one_worker, tender.id or 0, requests, lot)
        time.sleep(3)  # let all 50 requests reach the server and queue behind the lock
        assert not pending.done(), "the bids did not wait for the tender lock"
        office_change.commit()
        codes = pending.result(timeout=300)
    assert codes == [201] * 50, codes
    session.expire_all()
    assert len(session.exec(select(Bid)).all()) == 50
