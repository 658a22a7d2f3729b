"""A real ``pvhub serve`` process on a SQLite file, to kill, restart and ask over HTTP.

The fault tests run the app the way an operator does (the ``pvhub`` command in its own process),
because what they prove — a killed process leaves nothing half-written, a restart tells the
truth — cannot be shown inside the test's own process.
"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from contextlib import closing, suppress
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
PVHUB = str(Path(sys.executable).with_name("pvhub"))
DEMO_PASSWORD = "pvhub-demo"
OFFICE = "office@demo.pvhub"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def environment(db: Path, **extra: str) -> dict[str, str]:
    """The environment of a test deployment on the SQLite file ``db`` (a real secret key, not dev)."""
    return {
        **os.environ,
        "PVHUB_ENV": "test",
        "PVHUB_SECRET_KEY": "fault-tests-" + "k" * 32,
        "PVHUB_DATABASE_URL": f"sqlite:///{db}",
        "PVHUB_DATA_DIR": str(db.parent),
        **extra,
    }


def pvhub(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """Run a ``pvhub`` command to the end (never raises; the caller checks the exit code)."""
    return subprocess.run([PVHUB, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)


def copy_database(source: Path, target: Path) -> Path:
    """A consistent copy of a SQLite database (WAL included) through SQLite's backup API."""
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)
    return target


def wait_for_jobs(db: Path, limit_s: float = 900.0) -> None:
    """Wait until no job of the database is queued or running: ``pvhub demo`` queues the district's
    survey for the app's start-up, and while it stores its candidates SQLite's one writer would make
    a test's first writes wait past their timeouts. The survey shades its candidates (issue #19):
    about 3 minutes on two busy cores, hence the limit."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        with closing(sqlite3.connect(db, timeout=30)) as connection:
            query = "SELECT count(*) FROM job WHERE status IN ('queued', 'running')"
            (pending,) = connection.execute(query).fetchone()
        if not pending:
            return
        time.sleep(0.5)
    raise RuntimeError(f"the jobs of {db} did not finish within {limit_s:.0f} s")


class Server:
    """``pvhub serve`` on a free port; ``kill`` is SIGKILL (no clean-up at all), ``stop`` is SIGTERM."""

    def __init__(
        self, env: dict[str, str], log: Path, *, workers: int = 1, prefix: tuple[str, ...] = ()
    ) -> None:
        """``prefix`` runs the command under another, e.g. ``unshare`` (see :attr:`pid`)."""
        self.env, self.log_path, self.workers, self.prefix = env, log, workers, prefix
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout_s: float = 90) -> Server:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [*self.prefix, PVHUB, "serve", "--port", str(self.port), "--workers", str(self.workers)],
                env=self.env,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"pvhub serve exited with {self.process.returncode}:\n{self.output()}")
            try:
                if httpx.get(f"{self.url}/login", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"pvhub serve did not answer within {timeout_s:.0f} s:\n{self.output()}")

    @property
    def pid(self) -> int:
        """The pid of the ``pvhub serve`` process (under a prefix: the prefix's child)."""
        assert self.process is not None
        if not self.prefix:
            return self.process.pid
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        return int(children[0])

    def kill(self) -> None:
        """SIGKILL: the process gets no chance to roll back, finish a job or say anything."""
        assert self.process is not None
        os.kill(self.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            if self.prefix:  # the prefix (unshare) does not pass the signal on to the server
                with suppress(OSError, IndexError, ValueError):
                    os.kill(self.pid, signal.SIGTERM)
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=30)

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def token(self, email: str = OFFICE) -> dict[str, str]:
        response = httpx.post(
            f"{self.url}/api/v1/auth/token", data={"username": email, "password": DEMO_PASSWORD}, timeout=30
        )
        response.raise_for_status()
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    def get(self, path: str, headers: dict[str, str] | None = None, **params: Any) -> Any:
        response = httpx.get(f"{self.url}{path}", headers=headers, params=params or None, timeout=60)
        assert response.status_code == 200, f"GET {path}: {response.status_code} {response.text[:500]}"
        return response.json()

    def post(self, path: str, headers: dict[str, str], body: dict[str, Any]) -> Any:
        response = httpx.post(f"{self.url}{path}", headers=headers, json=body, timeout=60)
        assert response.status_code < 300, f"POST {path}: {response.status_code} {response.text[:500]}"
        return response.json()


def rows(db: Path, query: str) -> list[tuple[Any, ...]]:
    """Rows read straight from the file with the sqlite3 module (no pvhub code in between)."""
    with closing(sqlite3.connect(db)) as conn:
        return conn.execute(query).fetchall()
