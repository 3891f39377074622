"""Per-bot call limit: no sliding window of ``window`` seconds holds more than ``limit`` calls.

Calls over the limit wait; they are neither dropped nor failures (DESIGN.md 3.4). Times are the
clock's monotonic seconds, recorded at the moment a call goes out.
"""

from __future__ import annotations

from collections import deque

# A call is let through only once the oldest call of a full window is this much older than the
# window: the bot sees requests a few milliseconds after they leave, not always equally late.
WINDOW_MARGIN = 0.02


class SlidingWindowLimiter:
    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self._calls: dict[int, deque[float]] = {}

    def _recent(self, bot_id: int, now: float) -> deque[float]:
        calls = self._calls.setdefault(bot_id, deque())
        horizon = now - self.window - WINDOW_MARGIN
        while calls and calls[0] <= horizon:
            calls.popleft()
        return calls

    def next_free(self, bot_id: int, now: float) -> float:
        """The earliest time a new call to ``bot_id`` may start (``now`` when it may at once)."""
        calls = self._recent(bot_id, now)
        if len(calls) < self.limit:
            return now
        return calls[-self.limit] + self.window + WINDOW_MARGIN

    def available(self, bot_id: int, now: float, horizon: float = 0.0) -> int:
        """How many calls could start by ``now + horizon`` (an estimate used to claim work)."""
        calls = self._recent(bot_id, now)
        later = now + horizon - self.window - WINDOW_MARGIN
        leaving = 0  # calls oldest first: only those leaving the window by then are read
        for started in calls:
            if started > later:
                break
            leaving += 1
        return max(0, self.limit - (len(calls) - leaving))

    def record(self, bot_id: int, at: float) -> None:
        calls = self._calls.setdefault(bot_id, deque())
        calls.append(at)

    def try_acquire(self, bot_id: int, now: float) -> float:
        """Record a call at ``now`` and return 0, or return how long to wait before retrying."""
        free_at = self.next_free(bot_id, now)
        if free_at <= now:
            self.record(bot_id, now)
            return 0.0
        return free_at - now

    def prime(self, bot_id: int, at: float) -> None:
        """Count a call made before this process started (times must come in ascending order)."""
        self.record(bot_id, at)
