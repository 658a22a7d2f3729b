"""``benchmarks/shading_rays.py`` runs end to end on a small city and prints its figures (rays/s,
points/s, the one-point-at-a-time baseline, the extrapolation); how fast is the benchmark's to record."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.faults.live import ROOT

pytestmark = pytest.mark.slow


def test_the_rays_benchmark_runs_on_a_small_city() -> None:
    args = ["--buildings=400", "--points=300", "--baseline=3", "--radius=200"]
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "shading_rays.py"), *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "city: 400 boxes, 2,000 faces" in out
    assert re.search(r"^measured: 300 points \(\d+% on walls\)", out, re.M)
    for threads in (1, 2):
        assert re.search(
            rf"^horizons, {threads} thread\(s\): [\d.]+ s wall, [\d.]+ s CPU, [\d,]+ rays", out, re.M
        )
    assert re.search(r"^baseline, one point at a time: 3 points", out, re.M)
    assert re.search(r"[\d,]+ CPU seconds \([\d,]+ points per CPU second\)", out)
