"""``benchmarks/shading_engine.py`` runs end to end on a few hundred surfaces and prints both cases, the
ratio and the table-vs-exact check. The real figures come from a full run (benchmarks/README.md,
"Building shade in the yield engine")."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.faults.live import ROOT

pytestmark = pytest.mark.slow


def test_the_shading_engine_benchmark_prints_both_cases_and_their_ratio() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "shading_engine.py"), "--surfaces=400", "--sample=10"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    for case in ("off", "on"):
        line = rf"^shading {case}: 400 surfaces, \d+\.\d s wall, .* peak [\d,]+ MB"
        assert re.search(line, out, re.M), case
    assert re.search(r"^ratio on/off: \d+\.\dx wall", out, re.M)
    # 400 shaded surfaces take the table path (auto: more than 256), and it is checked against exact
    assert "table yield x (1 - monthly loss" in out
    assert re.search(r"^table vs exact on 10 shaded surfaces: annual energy max \d+\.\d\d %", out, re.M)
