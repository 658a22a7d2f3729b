"""``benchmarks/load.py`` runs end to end with a tiny load: every kind of request answered without an
error and nothing lost. The real figures come from a full run (benchmarks/README.md, "Load")."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.faults.live import ROOT

pytestmark = pytest.mark.slow


def test_the_load_benchmark_runs_with_a_tiny_load_and_loses_nothing(demo_db: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "load.py"),
            f"--database-url=sqlite:///{demo_db}",
            "--surfaces=0",
            "--duration=2",
            "--workers=2",
            "--owners=1",
            "--suppliers=1",
            "--office=1",
            "--public=1",
            "--baseline-runs=1",
            "--import-features=200",
            "--import-probes=3",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "errors 0;" in done.stdout and "nothing lost:" in done.stdout
    assert "pages while a 200-feature dry-run import runs" in done.stdout
    for kind in ("owner: edit site", "supplier: bid", "office: dashboard", "public: progress page"):
        assert f"| {kind} |" in done.stdout, kind
