"""Login throttling: too many failed logins for an account, or from an address, refuse further tries.

Two sliding windows of failures (:class:`ThrottleRules`): per account (the e-mail, from any address —
slows a distributed guess at one password) and per client address (slows one machine spraying
many accounts). While either holds ``max_failures`` failures younger than ``window_s``, every
login for that account or from that address is refused *without checking the password*, so a
right guess in the locked period does not get in and costs no argon2 time. The refusal says how
long to wait (until the oldest counted failure leaves the window). A successful login clears its
account's failures (not its address's, or one valid account would reset a sprayer's counter).

Where the failures are kept: in the database (:class:`DatabaseFailures`, what the app uses), so
every app process — ``pvhub serve --workers N``, several hosts — counts the same failures and a
restart forgets nothing; each failure is written in its own transaction, so a refused login that
rolls back its request still counts. :class:`MemoryFailures` keeps them in this process only
(unit tests with a fake clock).

Locking an account by address-independent failures lets someone who knows an e-mail keep its
owner out by failing on purpose (the classic trade-off); the per-account limit is set higher than
the per-address one for that reason, and the lock lasts only the window.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.engine import Engine
from sqlmodel import col, delete, select

from pvhub.accounts.models import LoginFailure
from pvhub.core.db import transaction
from pvhub.core.errors import DomainError


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
            "Too many failed logins for this account or from this address; try again in {minutes} minutes.",
            minutes=minutes,
        )
        self.minutes = minutes


class FailureStore(Protocol):
    """Where failed logins are counted: times (seconds) per key, oldest first."""

    def recent(self, keys: list[str], since: float) -> dict[str, list[float]]: ...

    def add(self, keys: list[str], at: float, forget_before: float) -> None: ...

    def clear(self, key: str) -> None: ...


class MemoryFailures:
    """Failures in this process's memory (thread-safe), bounded in size."""

    MAX_KEYS = 100_000  # beyond this, keys whose failures all aged out are dropped, then the oldest

    def __init__(self) -> None:
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def recent(self, keys: list[str], since: float) -> dict[str, list[float]]:
        with self._lock:
            return {key: [t for t in self._failures.get(key, ()) if t > since] for key in keys}

    def add(self, keys: list[str], at: float, forget_before: float) -> None:
        with self._lock:
            if len(self._failures) >= self.MAX_KEYS:
                self._prune(forget_before)
            for key in keys:
                failures = self._failures.setdefault(key, deque())
                while failures and failures[0] <= forget_before:
                    failures.popleft()
                failures.append(at)

    def clear(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)

    def _prune(self, forget_before: float) -> None:
        """Forget keys with no failure in the window; if still full, the least recent tenth."""
        for key in [k for k, v in self._failures.items() if not v or v[-1] <= forget_before]:
            del self._failures[key]
        if len(self._failures) >= self.MAX_KEYS:
            by_age = sorted(self._failures, key=lambda k: self._failures[k][-1])
            for key in by_age[: len(by_age) // 10 + 1]:
                del self._failures[key]


class DatabaseFailures:
    """Failures in the ``loginfailure`` table, shared by every process on the database.

    Each call is its own short transaction on ``engine``: a failure must stay counted when the
    login request itself ends in an error and rolls back.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def recent(self, keys: list[str], since: float) -> dict[str, list[float]]:
        out: dict[str, list[float]] = {key: [] for key in keys}
        with transaction(self.engine) as session:
            rows = session.exec(
                select(LoginFailure.key, LoginFailure.at_s)
                .where(col(LoginFailure.key).in_(keys), col(LoginFailure.at_s) > since)
                .order_by(col(LoginFailure.at_s))
            ).all()
        for key, at in rows:
            out[key].append(at)
        return out

    def add(self, keys: list[str], at: float, forget_before: float) -> None:
        with transaction(self.engine) as session:
            session.exec(delete(LoginFailure).where(col(LoginFailure.at_s) <= forget_before))
            session.add_all([LoginFailure(key=key, at_s=at) for key in keys])

    def clear(self, key: str) -> None:
        with transaction(self.engine) as session:
            session.exec(delete(LoginFailure).where(col(LoginFailure.key) == key))


class LoginThrottle:
    """Failed logins of the last window, per account and per address, counted in ``store``."""

    def __init__(
        self,
        rules: ThrottleRules | None = None,
        clock: Callable[[], float] = time.time,
        store: FailureStore | None = None,
    ) -> None:
        self.rules = rules or ThrottleRules()
        self._clock = clock
        self.store: FailureStore = store if store is not None else MemoryFailures()

    @staticmethod
    def _keys(email: str, address: str | None) -> list[tuple[str, int]]:
        return [(f"account:{email.strip().lower()}", 0), (f"address:{address or 'unknown'}", 1)]

    def _limit(self, kind: int) -> int:
        return self.rules.max_failures_per_account if kind == 0 else self.rules.max_failures_per_address

    def check(self, email: str, address: str | None) -> None:
        """Raise :class:`TooManyLoginAttempts` while the account or the address is over its limit."""
        now = self._clock()
        keys = self._keys(email, address)
        recent = self.store.recent([key for key, _ in keys], now - self.rules.window_s)
        wait = 0.0
        for key, kind in keys:
            failures, limit = recent[key], self._limit(kind)
            if len(failures) >= limit:
                # the window frees a try when the failure that reached the limit ages out
                wait = max(wait, failures[-limit] + self.rules.window_s - now)
        if wait > 0:
            raise TooManyLoginAttempts(wait)

    def failed(self, email: str, address: str | None) -> None:
        now = self._clock()
        keys = [key for key, _ in self._keys(email, address)]
        self.store.add(keys, now, forget_before=now - self.rules.window_s)

    def succeeded(self, email: str) -> None:
        self.store.clear(self._keys(email, None)[0][0])
