"""Browser tests: a real pvhub server (uvicorn, SQLite file, demo loaded) and Debian's Chromium.

Playwright cannot download its own browsers here, so the pip package drives the system Chromium
(``PVHUB_CHROMIUM``, default ``/usr/bin/chromium``; ``make test`` installs it).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.faults.live import wait_for_jobs

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "var" / "screenshots"
CHROMIUM = os.environ.get("PVHUB_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium not found at {CHROMIUM}; `make test` installs it (apt package chromium)")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def demo_server(folder: Path, **settings: str) -> Iterator[str]:
    """``pvhub db upgrade``, ``pvhub demo`` and ``pvhub serve`` on a fresh SQLite file in ``folder``,
    as a user would; ``settings`` are extra ``PVHUB_*`` variables. Yields the server's URL."""
    db = folder / "pvhub.db"
    env = {**os.environ, "PVHUB_ENV": "development", "PVHUB_DATABASE_URL": f"sqlite:///{db}", **settings}
    pvhub = str(Path(sys.executable).with_name("pvhub"))
    subprocess.run([pvhub, "db", "upgrade"], env=env, check=True, capture_output=True)
    subprocess.run([pvhub, "demo"], env=env, check=True, capture_output=True)
    port = _free_port()
    server = subprocess.Popen(
        [pvhub, "serve", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if httpx.get(f"{url}/login", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            raise RuntimeError("pvhub serve did not answer within 10 s")
        wait_for_jobs(db)  # the demo's survey, queued for the app's start-up
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The demo district on a live server, shared by the browser tests."""
    with demo_server(tmp_path_factory.mktemp("live")) as url:
        yield url


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    """A browser in Shanghai: Chinese first, so pages open in 简体中文 from Accept-Language."""
    return {**browser_context_args, "locale": "zh-CN", "timezone_id": "Asia/Shanghai"}
