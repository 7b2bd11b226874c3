"""Who is reviewing which report right now, so that two reviewers do not take the same one.

Opening a report claims it for :data:`TTL` seconds, renewed by every action on it; another reviewer
sees who holds it, is not sent to it by 下一份待审核, and may take it over deliberately. Claims live in
the UI server's memory: they are short-lived, and one ``xxgk ui`` serves every reviewer of an office
(several UI servers on one database would not see each other's claims).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime

TTL = 30 * 60.0


@dataclass(frozen=True)
class Claim:
    document_id: int
    who: str
    since: datetime
    until: float  # time.monotonic() when it lapses


class Claims:
    """A table of claims, safe across the server's threads."""

    def __init__(self, ttl: float = TTL, clock=time.monotonic) -> None:
        self.ttl, self._clock = ttl, clock
        self._held: dict[int, Claim] = {}
        self._lock = threading.Lock()

    def holder(self, doc_id: int) -> Claim | None:
        with self._lock:
            claim = self._held.get(doc_id)
            if claim is not None and claim.until <= self._clock():
                del self._held[doc_id]
                return None
            return claim

    def claim(self, doc_id: int, who: str, *, take_over: bool = False, only: bool = False) -> Claim:
        """Claim (or renew) ``doc_id`` for ``who``; returns the holder, who may be someone else.

        ``only``: the reviewer has moved on to this report, so their claims on others are let go.
        """
        now = self._clock()
        with self._lock:
            if only:
                for d in [d for d, c in self._held.items() if c.who == who and d != doc_id]:
                    del self._held[d]
            claim = self._held.get(doc_id)
            if claim is not None and claim.who != who and claim.until > now and not take_over:
                return claim
            since = claim.since if claim is not None and claim.who == who and claim.until > now else datetime.now(UTC)
            self._held[doc_id] = Claim(doc_id, who, since, now + self.ttl)
            return self._held[doc_id]

    def release(self, doc_id: int, who: str) -> None:
        with self._lock:
            claim = self._held.get(doc_id)
            if claim is not None and claim.who == who:
                del self._held[doc_id]

    def release_all(self, who: str) -> None:
        with self._lock:
            for doc_id in [d for d, c in self._held.items() if c.who == who]:
                del self._held[doc_id]

    def held_by_others(self, who: str) -> dict[int, Claim]:
        now = self._clock()
        with self._lock:
            return {d: c for d, c in self._held.items() if c.who != who and c.until > now}


CLAIMS = Claims()  # the server's one table
