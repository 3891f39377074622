"""Client-side rate limit: never more than ``limit`` calls in any window of ``period`` seconds.

Pyrus allows 5,000 API calls per 10 minutes per user and answers 429 beyond that. The limiter
hands out send times ("reservations") instead of blocking, so one object serves the async and
the sync client alike: the caller sleeps the returned delay in its own way. Reservations are
monotonic and each is at least ``period`` after the ``limit``-th previous one, which keeps every
sliding window within the limit.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

__all__ = ["RateLimiter"]


class RateLimiter:
    """A sliding-window limiter; thread-safe, shareable between clients of one user."""

    def __init__(
        self, limit: int, period: float, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if limit < 1 or period <= 0:
            raise ValueError("rate limit needs limit >= 1 and period > 0")
        self.limit = limit
        self.period = period
        self._clock = clock
        self._sent: deque[float] = deque()
        self._lock = threading.Lock()

    def reserve(self) -> float:
        """Book the next call; returns how many seconds the caller must wait before sending."""
        with self._lock:
            now = self._clock()
            while self._sent and self._sent[0] <= now - self.period:
                self._sent.popleft()
            at = now
            if self._sent:
                at = max(at, self._sent[-1])
            if len(self._sent) >= self.limit:
                at = max(at, self._sent[-self.limit] + self.period)
            self._sent.append(at)
            return at - now
