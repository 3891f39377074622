"""The delivery rules, without I/O: every time is passed in, nothing here reads a clock.

The worker reads the outbox, asks these functions what an event means and writes the answer
(DESIGN.md 3.4, 4):

- the retry schedule: attempt N of a series is due ``schedule[N-1]`` seconds after the trigger
  that started the series (a slow attempt makes the next one due at once);
- what an attempt's result means (:func:`judge_attempt`): success, a failed attempt to retry,
  the last failed attempt of a series (the (bot, task) pair pauses), a failed attempt superseded
  by a newer trigger, or a lease lost to another worker (nothing may be written);
- pause: the last failed attempt of a series pauses its (bot, task) pair (``Verdict.PAUSE``);
  the pair stays paused until a new trigger, i.e. the next comment by someone else, starts a
  new series. That unpause is written with the trigger, in the transaction of the change
  (``store.outbox.enqueue``, called by the task-change layer beneath delivery);
- the bot call limit (:class:`CallWindow`, :func:`claim_capacity`): no sliding window of
  ``window`` seconds holds more than ``limit`` calls to a bot; calls over it wait.

Likewise the rule "a bot's own comment never triggers it" belongs to the triggers themselves
(``workflow.triggers``), computed by the task-change layer.
"""

from __future__ import annotations

import enum
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta


class Verdict(enum.Enum):
    """What one attempt comes to for its delivery row."""

    DONE = "done"
    """A 2XX answer: the delivery is complete (its reply applied, or recorded as invalid)."""
    RETRY = "retry"
    """A failed attempt with attempts left in the series: due again at ``due_at``."""
    PAUSE = "pause"
    """The last attempt of a series failed: the delivery fails and the pair pauses."""
    SUPERSEDED = "superseded"
    """A failed attempt while a newer trigger of the pair waits: that one goes instead."""
    LEASE_LOST = "lease_lost"
    """Another worker took the row over: this attempt records nothing."""


@dataclass(frozen=True, slots=True)
class Judgement:
    verdict: Verdict
    due_at: datetime | None = None
    """When the next attempt is due (``RETRY`` only)."""


def attempt_due_at(trigger_at: datetime, schedule: Sequence[float], number: int) -> datetime:
    """When attempt ``number`` (1-based) of the series started at ``trigger_at`` is due."""
    return trigger_at + timedelta(seconds=schedule[number - 1])


def is_last_attempt(number: int, schedule: Sequence[float]) -> bool:
    """Whether attempt ``number`` (1-based) ends its series when it fails."""
    return number >= len(schedule)


def judge_attempt(
    *,
    lease_held: bool,
    answered: bool,
    number: int,
    schedule: Sequence[float],
    trigger_at: datetime,
    newer_trigger: bool,
) -> Judgement:
    """What attempt ``number`` of a series means for its delivery.

    ``answered``: the bot answered 2XX within the timeout (anything else is a failed attempt);
    ``newer_trigger``: another pending delivery of the same (bot, task) pair exists.
    """
    if not lease_held:
        return Judgement(Verdict.LEASE_LOST)
    if answered:
        return Judgement(Verdict.DONE)
    if is_last_attempt(number, schedule):
        return Judgement(Verdict.PAUSE)
    if newer_trigger:
        return Judgement(Verdict.SUPERSEDED)
    return Judgement(Verdict.RETRY, attempt_due_at(trigger_at, schedule, number + 1))


# --- the bot call limit ----------------------------------------------------------------------


def claim_capacity(concurrency_left: int, calls_free: int) -> int:
    """How many deliveries of a bot one claim may take: bounded by the calls the worker may
    still hold open to it and by the calls its limit lets start soon."""
    return max(0, min(concurrency_left, calls_free))


class CallWindow:
    """The call limit kept in one process: no sliding window of ``window`` seconds holds more
    than ``limit`` calls per bot. Times are seconds on one monotonic scale, recorded when a
    call goes out; ``margin`` keeps a full window a little longer, because the bot sees
    requests a few milliseconds after they leave, not always equally late."""

    def __init__(self, limit: int, window: float, *, margin: float = 0.02) -> None:
        self.limit = limit
        self.window = window
        self.margin = margin
        self._calls: dict[int, deque[float]] = {}

    def _recent(self, bot_id: int, now: float) -> deque[float]:
        calls = self._calls.setdefault(bot_id, deque())
        horizon = now - self.window - self.margin
        while calls and calls[0] <= horizon:
            calls.popleft()
        return calls

    def next_free(self, bot_id: int, now: float) -> float:
        """The earliest time a new call to ``bot_id`` may start (``now`` when it may at once)."""
        calls = self._recent(bot_id, now)
        if len(calls) < self.limit:
            return now
        return calls[-self.limit] + self.window + self.margin

    def available(self, bot_id: int, now: float, horizon: float = 0.0) -> int:
        """How many calls could start by ``now + horizon`` (an estimate used to claim work)."""
        calls = self._recent(bot_id, now)
        later = now + horizon - self.window - self.margin
        leaving = 0  # calls oldest first: only those leaving the window by then are read
        for started in calls:
            if started > later:
                break
            leaving += 1
        return max(0, self.limit - (len(calls) - leaving))

    def record(self, bot_id: int, at: float) -> None:
        """Count a call that started at ``at`` (times must come in ascending order)."""
        self._calls.setdefault(bot_id, deque()).append(at)

    def try_acquire(self, bot_id: int, now: float) -> float:
        """Record a call at ``now`` and return 0, or return how long to wait before retrying."""
        free_at = self.next_free(bot_id, now)
        if free_at <= now:
            self.record(bot_id, now)
            return 0.0
        return free_at - now
