"""The bound process of large instances: its bounds reach the progress and the result while the
heuristics run, and it never outlives the run, whether the run finishes, is cancelled or the process dies.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

from optimiser.bundling import BundlingProgress, solve_bundling
from optimiser.bundling.bounds.background import BoundJob, BoundProcess
from optimiser.bundling.progress import Tracker
from tests.optimiser.districts import district


def _children() -> set[int]:
    """Live child processes of this test process (Linux /proc)."""
    tasks = Path(f"/proc/{os.getpid()}/task")
    files = [t / "children" for t in tasks.iterdir()] if tasks.exists() else []
    if not files or not files[0].exists():
        pytest.skip("this kernel does not list child processes in /proc/PID/task/TID/children")
    pids: set[int] = set()
    for f in files:
        try:
            pids |= {int(p) for p in f.read_text().split()}
        except OSError:
            continue  # a thread that ended meanwhile
    return pids


def test_the_child_listing_sees_a_child_until_it_is_reaped() -> None:
    """The tests below compare this listing before and after a run: an empty one would pass them all."""
    child = subprocess.Popen(["sleep", "30"])
    try:
        assert child.pid in _children()
    finally:
        child.kill()
        child.wait()
    assert child.pid not in _children()


def test_bound_arrives_while_the_heuristics_run() -> None:
    before = _children()
    inst = district(450, 1)
    seen: list[BundlingProgress] = []
    res = solve_bundling(inst, time_limit_s=8, seed=0, num_workers=2, on_progress=seen.append)
    assert res.status == "feasible" and len(res.unbundled) == 0
    assert res.bound_m is not None and 0 < res.bound_m <= res.cost_m
    early = [p.bound_m for p in seen if p.phase not in ("bound", "done") and p.bound_m is not None]
    assert early, "no bound was reported before the bound phase: the bound did not run beside the search"
    assert max(early) <= res.bound_m + 1e-6  # the final bound is the best the process reported
    # the bound holds against the solution a one-worker run finds
    alone = solve_bundling(inst, time_limit_s=8, seed=0, num_workers=1)
    assert res.bound_m <= alone.cost_m + 1e-6
    assert _children() <= before


def test_cancel_ends_the_bound_process() -> None:
    before = _children()
    seen: list[BundlingProgress] = []
    res = solve_bundling(
        district(450, 2),
        time_limit_s=60,
        seed=0,
        num_workers=2,
        on_progress=seen.append,
        should_stop=lambda: any(p.bound_m is not None for p in seen),
    )
    assert res.status == "unknown" and res.message == "cancelled" and not res.bundles
    assert _children() <= before


def test_a_killed_bound_process_leaves_a_note_and_no_bound() -> None:
    inst = district(450, 3)
    everything = set(range(len(inst.sites)))
    job = BoundJob(
        inst=inst,
        candidate_anchors=25,
        assign=np.full(len(inst.sites), -1, dtype=np.int64),
        required=everything,
        fit=everything,
        cost=1e9,
        bundled=sum(s.capacity_kw for s in inst.sites),
        ends_at=time.time() + 600,
    )
    process = BoundProcess(job, Tracker(0.0, 600, None, None))
    os.kill(process.pid, signal.SIGKILL)  # as the out-of-memory killer would
    outcome = process.result()  # returns at once: the reader sees the end of the stream
    assert outcome.bounds == []
    assert outcome.notes == ["the bound process ended without a result"]
    assert process.pid not in _children()
