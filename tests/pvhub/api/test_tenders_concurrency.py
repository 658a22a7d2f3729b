"""50 bids sent at once over HTTP to a running pvhub (two worker processes) are each stored exactly
once — on SQLite and, when the suite runs against it, on PostgreSQL — including ten revisions
racing each other from one supplier, which get versions 1–10 with exactly one current."""

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
from sqlmodel import Session, col, select

from pvhub.models import Bid, Role
from pvhub.security import issue_token
from tests.pvhub.api.test_tenders_api import bid_body, open_round
from tests.pvhub.tenderworld import build_world

SECRET = "s" * 40
ROOT = Path(__file__).resolve().parents[3]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server(database_url: str, session: Session, tmp_path: Path) -> Iterator[str]:
    """``pvhub serve --workers 2`` on the test database (stopped before the database is emptied)."""
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
        [pvhub, "serve", "--port", str(port), "--workers", "2"],
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


def test_fifty_concurrent_bids_are_each_stored_exactly_once(
    server: str,
    session: Session,
    make_user,  # type: ignore[no-untyped-def]
) -> None:
    world = build_world(session, make_user)
    tender = open_round(session, world)
    bidders = [make_user(f"c{i:02d}@t.cn", Role.supplier, f"Concurrent {i:02d}") for i in range(40)]
    reviser = world.suppliers[0]
    with httpx.Client(base_url=server, timeout=60) as http:
        token = issue_token(SECRET, world.office.id or 0)
        lots = http.get(f"/api/v1/tenders/{tender.id}", headers={"Authorization": f"Bearer {token}"}).json()[
            "lots"
        ]
    lot = lots[0]["id"]
    requests = [(user, 1_000_000 + i * 1000) for i, user in enumerate(bidders)]
    requests += [(reviser, 1_100_000 + i * 1000) for i in range(10)]

    def send(item: tuple[object, float]) -> int:
        user, total = item
        headers = {"Authorization": f"Bearer {issue_token(SECRET, user.id)}"}  # type: ignore[attr-defined]
        with httpx.Client(base_url=server, timeout=60) as http:
            response = http.post(
                f"/api/v1/tenders/{tender.id}/bids", json=bid_body(lot, total), headers=headers
            )
        return response.status_code

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=50) as pool:
        codes = list(pool.map(send, requests))
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
