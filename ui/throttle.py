"""Sign-in throttling: every failure makes the next try wait longer, per user name and per address.

The first few failures are free (a typo); after that the name — and, separately, the address the
attempts come from — must wait 1, 2, 4 … seconds, up to :data:`MAX_DELAY`, before the next password is
even checked. Kept in the server process, not in the browser session, which an attacker can renew at
will. A success clears the name's count, not the address's (an account of one's own must not
reset the count of guesses at others'); counts are forgotten after :data:`FORGET` seconds of quiet.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

FREE = 3  # failures before any delay
BASE_DELAY = 1.0
MAX_DELAY = 300.0
FORGET = 3600.0


@dataclass
class _Count:
    failures: int = 0
    last: float = 0.0
    until: float = 0.0  # no attempt before this (monotonic seconds)


class Throttle:
    """``wait(name, address)`` before checking a password; ``failed`` / ``succeeded`` after."""

    def __init__(self, *, free: int = FREE, base: float = BASE_DELAY, maximum: float = MAX_DELAY,
                 clock=time.monotonic) -> None:
        self.free, self.base, self.maximum, self._clock = free, base, maximum, clock
        self._counts: dict[str, _Count] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _keys(name: str, address: str | None) -> tuple[str, str]:
        return "name:" + name.strip().casefold(), "addr:" + (address or "local")

    def wait(self, name: str, address: str | None) -> float:
        """Seconds until the next attempt for this name and address may be checked (0: now)."""
        now = self._clock()
        with self._lock:
            self._forget(now)
            return max([0.0, *(self._counts[k].until - now for k in self._keys(name, address) if k in self._counts)])

    def delay_after(self, failures: int) -> float:
        """The wait that follows ``failures`` failures in a row."""
        if failures < self.free:
            return 0.0
        return min(self.maximum, self.base * 2 ** (failures - self.free))

    def failed(self, name: str, address: str | None) -> float:
        """Count a failure for both keys; returns the wait it imposes."""
        now = self._clock()
        wait = 0.0
        with self._lock:
            for key in self._keys(name, address):
                c = self._counts.setdefault(key, _Count())
                c.failures += 1
                c.last = now
                c.until = now + self.delay_after(c.failures)
                wait = max(wait, c.until - now)
        return wait

    def succeeded(self, name: str, address: str | None) -> None:
        with self._lock:
            self._counts.pop(self._keys(name, address)[0], None)

    def clear(self) -> None:
        """Forget every count (what a restarted server knows; each test starts from it)."""
        with self._lock:
            self._counts.clear()

    def _forget(self, now: float) -> None:
        for key in [k for k, c in self._counts.items() if now - c.last > FORGET and now >= c.until]:
            del self._counts[key]


SIGN_IN = Throttle()  # the server's one throttle
