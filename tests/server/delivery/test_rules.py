"""The pure delivery rules: the retry schedule, what an attempt means, pause, the call limit
(never more than N calls in any window; waiting calls go later).

No database, no clock: every time is an argument.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from pyrus_bots.server.delivery.rules import (
    CallWindow,
    Verdict,
    attempt_due_at,
    claim_capacity,
    is_last_attempt,
    judge_attempt,
)

SCHEDULE = (0.0, 61.0, 122.0)
TRIGGER = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def judge(
    number: int, *, lease_held: bool = True, answered: bool = False, newer_trigger: bool = False
) -> tuple[Verdict, datetime | None]:
    judgement = judge_attempt(
        lease_held=lease_held,
        answered=answered,
        number=number,
        schedule=SCHEDULE,
        trigger_at=TRIGGER,
        newer_trigger=newer_trigger,
    )
    return judgement.verdict, judgement.due_at


def test_attempts_are_due_at_their_offsets_from_the_trigger() -> None:
    due = [attempt_due_at(TRIGGER, SCHEDULE, n) for n in (1, 2, 3)]
    assert [(d - TRIGGER).total_seconds() for d in due] == [0.0, 61.0, 122.0]
    assert [is_last_attempt(n, SCHEDULE) for n in (1, 2, 3)] == [False, False, True]


def test_a_failed_attempt_is_retried_at_the_next_offset_then_pauses() -> None:
    assert judge(1) == (Verdict.RETRY, TRIGGER + timedelta(seconds=61))
    assert judge(2) == (Verdict.RETRY, TRIGGER + timedelta(seconds=122))
    assert judge(3) == (Verdict.PAUSE, None)
    assert judge(3, newer_trigger=True) == (Verdict.PAUSE, None)  # the series ended anyway


def test_success_supersede_and_lost_lease() -> None:
    assert judge(2, answered=True) == (Verdict.DONE, None)
    assert judge(1, newer_trigger=True) == (Verdict.SUPERSEDED, None)
    assert judge(1, newer_trigger=True, answered=True) == (Verdict.DONE, None)
    for answered in (True, False):
        assert judge(1, lease_held=False, answered=answered) == (Verdict.LEASE_LOST, None)


@given(st.integers(min_value=1, max_value=3), st.booleans(), st.booleans())
def test_every_failed_attempt_has_one_meaning(number: int, newer: bool, answered: bool) -> None:
    verdict, due = judge(number, newer_trigger=newer, answered=answered)
    if answered:
        assert verdict is Verdict.DONE
    elif number == len(SCHEDULE):
        assert verdict is Verdict.PAUSE
    else:
        assert verdict is (Verdict.SUPERSEDED if newer else Verdict.RETRY)
    assert (due is not None) == (verdict is Verdict.RETRY)


def test_claim_capacity_is_bounded_by_concurrency_and_calls() -> None:
    assert claim_capacity(10, 3) == 3
    assert claim_capacity(2, 500) == 2
    assert claim_capacity(-1, 5) == 0
    assert claim_capacity(4, 0) == 0


def test_fifth_call_waits_for_the_window() -> None:
    limiter = CallWindow(2, 10.0)
    assert limiter.try_acquire(1, 0.0) == 0
    assert limiter.try_acquire(1, 1.0) == 0
    wait = limiter.try_acquire(1, 2.0)
    assert 8.0 <= wait <= 8.1
    assert limiter.try_acquire(2, 2.0) == 0  # other bots are not affected
    assert limiter.try_acquire(1, 2.0 + wait) == 0
    assert limiter.available(1, 2.0 + wait) == 0


def test_a_claim_may_count_calls_that_leave_the_window_soon() -> None:
    window = CallWindow(2, 10.0, margin=0.0)
    window.record(1, 0.0)
    window.record(1, 1.0)
    assert window.next_free(1, 2.0) == 10.0
    assert window.available(1, 2.0) == 0
    assert window.available(1, 2.0, horizon=8.5) == 1  # the first call leaves by then
    assert window.available(1, 2.0, horizon=9.5) == 2


@given(
    st.integers(min_value=1, max_value=6),
    st.lists(st.floats(min_value=0, max_value=1.5), min_size=1, max_size=80),
)
def test_never_more_than_the_limit_in_any_window(limit: int, gaps: list[float]) -> None:
    window = CallWindow(limit, 3.0)
    now = 0.0
    calls: list[float] = []
    for gap in gaps:
        now += gap
        while (wait := window.try_acquire(7, now)) > 0:
            now += wait
        calls.append(now)
    assert len(calls) == len(gaps)  # every call went, none dropped
    for i, start in enumerate(calls):
        assert sum(1 for t in calls[i:] if t - start <= 3.0) <= limit


@given(st.lists(st.floats(min_value=0, max_value=20), min_size=1, max_size=40))
def test_available_never_promises_more_than_the_limit(times: list[float]) -> None:
    window = CallWindow(4, 5.0)
    for at in sorted(times):
        window.try_acquire(3, at)
        free = window.available(3, at)
        assert 0 <= free <= 4
        assert (free > 0) == (window.next_free(3, at) <= at)
