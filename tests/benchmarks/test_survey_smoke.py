"""``benchmarks/survey.py`` runs end to end on a small city: every stage timed, the peak memory and the
per-building baseline reported. The real figures come from a full run (benchmarks/README.md, "Survey")."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.faults.live import ROOT

pytestmark = pytest.mark.slow


def test_the_survey_benchmark_runs_on_a_small_city() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "survey.py"), "--buildings=300", "--sample=5"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "city: 300 buildings" in out
    for stage in ("read_stock_file", "derive", "estimate", "screen", "total"):
        assert re.search(rf"^{stage} +\d+\.\d s", out, re.M), stage
    # the figures are printed; how fast or how big they are is the benchmark's to record, not a test's
    assert re.search(r"peak [\d,]+ MB", out)
    assert re.search(r"estimate [\d,]+×, survey [\d,]+× slower", out)
