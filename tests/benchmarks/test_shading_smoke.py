"""``benchmarks/shading.py`` runs end to end on a small demo stock and a small city: every stage timed,
the peak memory, the baselines and the engine's figures printed. The real figures come from a full run
(benchmarks/README.md, "Building shade")."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.faults.live import ROOT

pytestmark = pytest.mark.slow


def test_the_shading_benchmark_runs_on_a_small_city() -> None:
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "shading.py"),
            "--buildings=300",
            "--demo-buildings=100",
            "--sample=5",
            "--surfaces=500",  # a disc of the city: the rest shades as neighbours
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert re.search(r"^demo: [\d,]+ buildings; unshaded survey \d+\.\d s", out, re.M)
    assert re.search(r"^demo shade: \d+\.\d% of the kept candidates' energy", out, re.M)
    assert "city: 300 buildings" in out
    assert re.search(r"disc of [\d,]+ surfaces", out), out
    for stage in ("read_stock_file", "derive", "estimate", "scene", "sampling", "rays", "engine", "screen"):
        assert re.search(rf"^{stage} +\d+\.\d s", out, re.M), stage
    # the figures are printed; how fast or how big they are is the benchmark's to record, not a test's
    assert re.search(r"peak [\d,]+ MB", out)
    assert re.search(r"extrapolated [\d,]+ s: [\d,.]+× the batched rays", out)
    assert re.search(r"shade off \d+\.\d\d s, on \d+\.\d\d s", out)
