"""Login throttling: too many failed logins for an account, or from an address, refuse further tries.

Two sliding windows of failures (:class:`ThrottleRules`): per account (the e-mail, from any address —
slows a distributed guess at one password) and per client address (slows one machine spraying
many accounts). While either holds ``max_failures`` failures younger than ``window_s``, every
login for that account or from that address is refused *without checking the password*, so a
right guess in the locked period does not get in and costs no argon2 time. The refusal says how
long to wait (until the oldest counted failure leaves the window). A successful login clears its
account's failures (not its address's, or one valid account would reset a sprayer's counter).

Limitations, by choice for now:

* The counters live in this process's memory. With several app processes (``pvhub serve
  --workers N``, or several hosts) each counts on its own, so an attacker gets up to N times the
  limit, and a restart forgets the counts. Both stay bounded — far below what an unthrottled
  endpoint allows — but a deployment that needs one shared count needs the failures in the
  database (a table and a migration) or a shared cache.
* Locking an account by address-independent failures lets someone who knows an e-mail keep its
  owner out by failing on purpose (the classic trade-off); the per-account limit is set higher
  than the per-address one for that reason, and the lock lasts only the window.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from pvhub.errors import DomainError


@dataclass(frozen=True)
class ThrottleRules:
    max_failures_per_account: int = 10
    max_failures_per_address: int = 30
    window_s: float = 15 * 60


class TooManyLoginAttempts(DomainError):
    """Refused before checking the password; ``retry_after_s`` says when trying makes sense again."""

    status_code = 429

    def __init__(self, retry_after_s: float) -> None:
        self.retry_after_s = max(1, math.ceil(retry_after_s))
        minutes = max(1, math.ceil(self.retry_after_s / 60))
        super().__init__(
            f"Too many failed logins for this account or from this address; try again in {minutes} minutes."
        )
        self.minutes = minutes


class LoginThrottle:
    """Failed logins of the last window, per account and per address, in this process (thread-safe)."""

    MAX_KEYS = 100_000  # beyond this, keys whose failures all aged out are dropped, then the oldest

    def __init__(
        self, rules: ThrottleRules | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rules = rules or ThrottleRules()
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _keys(email: str, address: str | None) -> list[tuple[str, int]]:
        return [(f"account:{email.strip().lower()}", 0), (f"address:{address or 'unknown'}", 1)]

    def _limit(self, kind: int) -> int:
        return self.rules.max_failures_per_account if kind == 0 else self.rules.max_failures_per_address

    def _recent(self, key: str, now: float) -> deque[float]:
        failures = self._failures.get(key, deque())
        while failures and failures[0] <= now - self.rules.window_s:
            failures.popleft()
        return failures

    def check(self, email: str, address: str | None) -> None:
        """Raise :class:`TooManyLoginAttempts` while the account or the address is over its limit."""
        now = self._clock()
        wait = 0.0
        with self._lock:
            for key, kind in self._keys(email, address):
                failures = self._recent(key, now)
                limit = self._limit(kind)
                if len(failures) >= limit:
                    # the window frees a try when the failure that reached the limit ages out
                    wait = max(wait, failures[-limit] + self.rules.window_s - now)
        if wait > 0:
            raise TooManyLoginAttempts(wait)

    def failed(self, email: str, address: str | None) -> None:
        now = self._clock()
        with self._lock:
            if len(self._failures) >= self.MAX_KEYS:
                self._prune(now)
            for key, _kind in self._keys(email, address):
                failures = self._recent(key, now)
                failures.append(now)
                self._failures[key] = failures

    def succeeded(self, email: str) -> None:
        with self._lock:
            self._failures.pop(self._keys(email, None)[0][0], None)

    def _prune(self, now: float) -> None:
        """Forget keys with no failure in the window; if still full, the least recent tenth."""
        for key in [k for k, v in self._failures.items() if not v or v[-1] <= now - self.rules.window_s]:
            del self._failures[key]
        if len(self._failures) >= self.MAX_KEYS:
            by_age = sorted(self._failures, key=lambda k: self._failures[k][-1])
            for key in by_age[: len(by_age) // 10 + 1]:
                del self._failures[key]
