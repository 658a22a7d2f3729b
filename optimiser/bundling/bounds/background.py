"""The lower bound of a large instance, computed in a second process while the heuristics run.

Above ``FULL_MODEL_SITES`` the heuristics (greedy, local search, elimination, ruin and recreate) run on one
core in Python, and the Lagrangian bound used to wait for them: a quarter of the time limit at the end,
with the other core idle for most of the run. With two or more workers the bound now runs beside them,
from the moment the local search has a solution that bundles every unit that fits, until just before the
time limit. Its Polyak steps aim at the best cost known so far, which the parent passes on as it
improves.

A separate process, not a thread: the bound's loops hold the GIL, and a thread would only slow the
heuristics down. It is a plain ``python -c`` subprocess running :func:`child_main`, talking pickles over
its standard input and output, not :mod:`multiprocessing`: ``fork`` is unsafe from the threads of a web
server's background job (it copies locks other threads hold), and ``spawn`` re-runs the caller's main
script, which breaks every script that calls the solver without an ``if __name__ == "__main__"`` guard.
The child rebuilds the units from the instance (deterministic) rather than receiving them.

Results of the parent do not depend on the child (only the reported bound does), so a run with a fixed
seed gives the same bundles with or without it; with one worker the bound stays sequential, as before.
"""

from __future__ import annotations

import contextlib
import math
import os
import pickle
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np

from optimiser.bundling.bounds.instance_bounds import instance_bounds
from optimiser.bundling.instance import BundlingInstance
from optimiser.bundling.progress import Cancelled, Tracker
from optimiser.bundling.units import prepare

JOIN_S = 5.0  # how long the parent waits for the child's last message beyond its deadline
STOP_S = 2.0  # how long a stopped child may take to exit before it is killed


@dataclass
class BoundJob:
    """What the child needs: the instance, how to rebuild its units, and the solution it bounds."""

    inst: BundlingInstance
    candidate_anchors: int | None
    assign: np.ndarray
    required: set[int]
    fit: set[int]
    cost: float
    bundled: float
    ends_at: float  # wall-clock time (time.time()) to end by: the child starts a second or so later


@dataclass
class BoundOutcome:
    """The child's bounds and notes, as :func:`instance_bounds` returns them."""

    bounds: list[float] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class _Channel:
    """Pickled messages over a pair of byte streams; ``send`` may be called from several threads."""

    def __init__(self, read: IO[bytes] | None, write: IO[bytes] | None) -> None:
        self.read, self.write = read, write
        self._lock = threading.Lock()

    def send(self, *msg: Any) -> bool:
        """Send one message; False when the other side has gone."""
        if self.write is None:
            return False
        with self._lock:
            try:
                pickle.dump(msg, self.write, protocol=pickle.HIGHEST_PROTOCOL)
                self.write.flush()
            except (OSError, ValueError):
                return False
        return True

    def receive(self) -> tuple[Any, ...] | None:
        """The next message, or None at the end of the stream."""
        if self.read is None:
            return None
        try:
            msg: tuple[Any, ...] = pickle.load(self.read)
        except (EOFError, OSError, ValueError, pickle.UnpicklingError):
            return None
        return msg


class _ChildTracker(Tracker):
    """A tracker in the child: bounds go to the parent; stop when the parent says so."""

    def __init__(self, channel: _Channel, stop: threading.Event) -> None:
        super().__init__(time.perf_counter(), 1.0, None, stop.is_set)  # no progress reports here
        self.channel = channel

    def bound(self, bound_m: float | None) -> None:
        if bound_m is not None and (self.bound_m is None or bound_m > self.bound_m):
            self.bound_m = bound_m
            self.channel.send("bound", bound_m)


def child_main() -> None:
    """Entry point of the bound process: read the job, compute the bounds, send them; stop on EOF."""
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # anything a library prints goes to stderr, never into the message stream
    channel = _Channel(sys.stdin.buffer, out)
    first = channel.receive()
    if first is None:
        return
    job: BoundJob = first[1]
    upper = [job.cost]
    stop = threading.Event()

    def listen() -> None:  # better costs from the parent; the end of input means "stop"
        while (msg := channel.receive()) is not None:
            upper[0] = min(upper[0], float(msg[1]))
        stop.set()

    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    tracker = _ChildTracker(channel, stop)
    try:
        prep = prepare(job.inst, job.candidate_anchors)
        bounds, notes = instance_bounds(
            job.inst,
            prep,
            job.assign,
            complete=False,  # a complete model's own bound is valid: it needs no second process
            required=job.required,
            fit=job.fit,
            cost=job.cost,
            bundled=job.bundled,
            time_limit_s=max(0.0, job.ends_at - time.time()),
            tracker=tracker,
            upper_now=lambda: upper[0],
        )
    except Cancelled:
        bounds, notes = [], ["bound stopped with the run"]
    channel.send("done", bounds, notes)
    listener.join(STOP_S)  # the parent closes our input once it has the result
    out.close()
    # no interpreter shutdown: a daemon thread still blocked on stdin would make it abort noisily
    os._exit(0)


class BoundProcess:
    """The child process computing a bound, and a reader thread passing its bounds to ``tracker``."""

    def __init__(self, job: BoundJob, tracker: Tracker) -> None:
        root = str(Path(__file__).resolve().parents[3])  # so the child imports this very package
        path = os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))
        self._process = subprocess.Popen(
            [sys.executable, "-c", f"from {__name__} import child_main; child_main()"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": path},
        )
        self._channel = _Channel(self._process.stdout, self._process.stdin)
        self._deadline = time.perf_counter() + (job.ends_at - time.time())
        self._tracker = tracker
        self._outcome: BoundOutcome | None = None
        self._upper = job.cost
        self._done = threading.Event()
        self._channel.send("job", job)
        self._reader = threading.Thread(target=self._read, name="bundling-bound-reader", daemon=True)
        self._reader.start()

    @property
    def pid(self) -> int:
        """The child's process id."""
        return self._process.pid

    def offer(self, cost_m: float | None) -> None:
        """A better solution was found: the child's steps aim at its cost from now on."""
        if cost_m is not None and math.isfinite(cost_m) and cost_m < self._upper:
            self._upper = cost_m
            self._channel.send("upper", cost_m)

    def _read(self) -> None:
        outcome = BoundOutcome(notes=["the bound process ended without a result"])
        while (msg := self._channel.receive()) is not None:
            if msg[0] == "bound":
                self._tracker.bound(float(msg[1]))
            elif msg[0] == "done":
                outcome = BoundOutcome(list(msg[1]), list(msg[2]))
                break
        self._outcome = outcome
        self._done.set()

    def result(self) -> BoundOutcome:
        """Wait for the child's bounds (until its deadline plus ``JOIN_S``), then end it."""
        self._done.wait(max(0.0, self._deadline - time.perf_counter()) + JOIN_S)
        self.close()
        return self._outcome or BoundOutcome(notes=["the bound process did not finish in time"])

    def close(self) -> None:
        """Stop the child (idempotent): close its input, wait ``STOP_S``, then kill it."""
        stdin = self._process.stdin
        if stdin is not None and not stdin.closed:
            with contextlib.suppress(OSError):  # the child has gone already
                stdin.close()
        try:
            self._process.wait(STOP_S)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._done.wait(STOP_S)
        if self._process.stdout is not None:
            self._process.stdout.close()
