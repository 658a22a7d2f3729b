"""Live progress and cancellation of a bundling run, for a background job that shows and can stop it.

A :class:`Tracker` holds the run's best solution and best *valid* bound, and passes them to the caller's
``on_progress`` at most every ``PROGRESS_INTERVAL_S`` (always at a phase change, and once at the end with
phase ``"done"`` and fraction 1.0). It also polls the caller's ``should_stop``: between phases, inside the
heuristics' loops, and from a watcher thread while CP-SAT runs (which then calls ``stop_search``), so a
cancel takes effect within about ``POLL_S`` even when the solver finds no new solution.

Both callables may be called from a solver or watcher thread; calls to ``on_progress`` never overlap.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

PROGRESS_INTERVAL_S = 0.5  # at most two reports a second between phase changes
POLL_S = 0.1  # how often the watcher thread asks should_stop while CP-SAT runs

PHASES = ("greedy", "local_search", "eliminate", "recreate", "capacity", "cost", "bound", "done")


@dataclass(frozen=True)
class BundlingProgress:
    """One progress report of a bundling run.

    ``phase``: ``greedy`` (warm start), ``local_search`` (improving it), ``eliminate`` (emptying the
    least-filled bundles into their neighbours), ``recreate`` (ruin and recreate), ``capacity`` (CP-SAT
    maximises the bundled kWp), ``cost`` (CP-SAT or neighbourhood search lowers the cost), ``bound``
    (computing the lower bound), ``done``. ``fraction`` is the share of the time limit used (1.0 at ``done``).
    ``best_cost_m`` and ``bundled_kw`` describe the best solution known so far (``None`` before the first;
    the cost is ``None`` while CP-SAT maximises capacity, where only the kWp is known). ``bound_m`` is only
    ever a lower bound valid for the instance as stated (real distances, all anchors) at the run's bundled
    capacity, the same kind as ``BundlingResult.bound_m``; the live bound of a restricted model is never
    reported, so ``bound_m`` is ``None`` until such a valid bound is known.
    """

    phase: str
    elapsed_s: float
    fraction: float
    best_cost_m: float | None
    bound_m: float | None
    bundled_kw: float | None


class Cancelled(Exception):
    """Raised inside the solver when ``should_stop`` answered True; the run returns ``unknown``."""


class Tracker:
    """Best-known figures of a run, throttled reporting and the cancel flag."""

    def __init__(
        self,
        start: float,
        time_limit_s: float,
        on_progress: Callable[[BundlingProgress], None] | None,
        should_stop: Callable[[], bool] | None,
    ) -> None:
        self.start, self.time_limit_s = start, max(time_limit_s, 1e-9)
        self.on_progress, self.should_stop = on_progress, should_stop
        self.phase_name = "greedy"
        self.best_cost_m: float | None = None
        self.bundled_kw: float | None = None
        self.bound_m: float | None = None
        self._last_emit = -float("inf")
        self._last_elapsed = 0.0
        self._stopped = False
        self._lock = threading.Lock()
        # told the cost of each new best solution (the bound process aims its steps at it)
        self.on_best: Callable[[float], None] | None = None

    # -- cancellation ------------------------------------------------------------------------------
    def stopped(self) -> bool:
        """True once ``should_stop`` has answered True (it is not asked again after that)."""
        if not self._stopped and self.should_stop is not None and self.should_stop():
            self._stopped = True
        return self._stopped

    def check(self) -> None:
        """Raise :class:`Cancelled` when the run was asked to stop."""
        if self.stopped():
            raise Cancelled

    @contextmanager
    def watch(self, solver: Any) -> Iterator[None]:
        """While the block runs, poll ``should_stop`` and stop ``solver`` (a CP-SAT solver); heartbeat."""
        if self.should_stop is None and self.on_progress is None:
            yield
            return
        done = threading.Event()

        def loop() -> None:
            while not done.wait(POLL_S):
                if self.stopped():
                    solver.stop_search()
                    return
                self.emit()

        thread = threading.Thread(target=loop, name="bundling-watch", daemon=True)
        thread.start()
        try:
            yield
        finally:
            done.set()
            thread.join()

    # -- figures -----------------------------------------------------------------------------------
    def phase(self, name: str) -> None:
        """Enter a phase and report it at once."""
        self.check()
        self.phase_name = name
        self.emit(force=True)

    def solution(self, cost_m: float | None, bundled_kw: float | None) -> None:
        """Record a solution if it is better (more kWp, then less cost) and report, throttled.

        ``bundled_kw`` None means "at least the current best kWp" (CP-SAT's cost phase holds it).
        """
        with self._lock:
            kw = self.bundled_kw if bundled_kw is None else bundled_kw
            more = kw is not None and (self.bundled_kw is None or kw > self.bundled_kw + 1e-6)
            cheaper = cost_m is not None and (self.best_cost_m is None or cost_m < self.best_cost_m)
            if more:
                self.bound_m = None  # a bound at a lower capacity says nothing about the new one
                self.best_cost_m, self.bundled_kw = cost_m, kw
            elif cheaper and (kw is None or self.bundled_kw is None or kw >= self.bundled_kw - 1e-6):
                self.best_cost_m, self.bundled_kw = cost_m, kw
            best = self.best_cost_m
        if self.on_best is not None and best is not None:
            self.on_best(best)
        self.emit()

    def bound(self, bound_m: float | None) -> None:
        """Record a valid lower bound (the best one is kept) and report, throttled."""
        if bound_m is None:
            return
        with self._lock:
            if self.bound_m is None or bound_m > self.bound_m:
                self.bound_m = bound_m
        self.emit()

    def emit(self, *, force: bool = False, final: bool = False) -> None:
        """Report the current figures unless the last report was under ``PROGRESS_INTERVAL_S`` ago."""
        if self.on_progress is None:
            return
        with self._lock:
            now = time.perf_counter()
            if not force and now - self._last_emit < PROGRESS_INTERVAL_S:
                return
            self._last_emit = now
            elapsed = max(self._last_elapsed, now - self.start)
            self._last_elapsed = elapsed
            fraction = 1.0 if final else min(1.0, elapsed / self.time_limit_s)
            bound = self.bound_m
            if bound is not None and self.best_cost_m is not None:
                bound = min(bound, self.best_cost_m)
            report = BundlingProgress(
                self.phase_name, elapsed, fraction, self.best_cost_m, bound, self.bundled_kw
            )
            self.on_progress(report)

    def done(self, cost_m: float | None, bound_m: float | None, bundled_kw: float | None) -> None:
        """Final report: the result's own figures, phase ``done``, fraction 1.0."""
        with self._lock:
            self.phase_name = "done"
            self.best_cost_m, self.bound_m, self.bundled_kw = cost_m, bound_m, bundled_kw
        self.emit(force=True, final=True)
