"""The per-bot sliding window: never more than N calls in any window, waiting calls go later."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from pyrus_bots.server.delivery.rules import CallWindow


def test_fifth_call_waits_for_the_window() -> None:
    limiter = CallWindow(2, 10.0)
    assert limiter.try_acquire(1, 0.0) == 0
    assert limiter.try_acquire(1, 1.0) == 0
    wait = limiter.try_acquire(1, 2.0)
    assert 8.0 <= wait <= 8.1
    assert limiter.try_acquire(2, 2.0) == 0  # other bots are not affected
    assert limiter.try_acquire(1, 2.0 + wait) == 0
    assert limiter.available(1, 2.0 + wait) == 0


@given(st.lists(st.floats(min_value=0, max_value=0.5), min_size=1, max_size=60))
def test_no_window_holds_more_than_the_limit(gaps: list[float]) -> None:
    limiter = CallWindow(5, 2.0)
    now = 0.0
    calls: list[float] = []
    for gap in gaps:
        now += gap
        while (wait := limiter.try_acquire(7, now)) > 0:
            now += wait
        calls.append(now)
    for i, start in enumerate(calls):
        assert sum(1 for t in calls[i:] if t - start <= 2.0) <= 5
