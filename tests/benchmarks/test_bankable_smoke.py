"""``benchmarks/bankable.py`` runs end to end on the demo district with short solves: the three runs
(no floor, a floor of 0, the floor with one business model per bundle) are reported with the poor
surfaces bundled and the bundles' IRR. The real figures come from a full run (benchmarks/README.md,
"Bankable bundles")."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.faults.live import ROOT

pytestmark = pytest.mark.slow


def test_the_bankable_benchmark_runs_on_the_demo_district(demo_db: Path) -> None:
    script = str(ROOT / "benchmarks" / "bankable.py")
    done = subprocess.run(
        [sys.executable, script, f"--database-url=sqlite:///{demo_db}", "--time-limit=3"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    for label in ("poor surfaces bundled", "negative sites bundled", "bundle IRR, min", "bundle IRR, median"):
        assert any(line.startswith(label) for line in lines), label
    report = json.loads(lines[-1])
    assert report["sites"] > 0 and sum(report["poor_surfaces"].values()) > 0
    plain, floor, one = (report[k] for k in ("without_min_value", "min_value_0", "min_value_0_one_model"))
    # what the floor guarantees, whatever the solve's time: every bundle's sites add up to at least 0,
    # and with one model per bundle its investing party earns at least the hurdle rate (6 %)
    for run in (floor, one):
        assert run["bundle_value_min_cny"] is None or run["bundle_value_min_cny"] >= 0
    assert one["irr_min"] is None or one["irr_min"] >= 0.06 - 1e-4
    assert plain["poor_surfaces_bundled_total"] >= 0 and plain["status"] in ("optimal", "feasible")
