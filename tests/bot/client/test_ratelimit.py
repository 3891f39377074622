"""The client-side rate limiter: no sliding window holds more calls than the limit."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pyrus_bots.bot.client import RateLimiter
from pyrus_bots.testing.fake_api import FakePyrusAPI

from .conftest import Client, Scripted, ScriptedAPI, invoke

Build = Callable[..., Client]


def max_in_window(times: list[float], period: float) -> int:
    """The most entries of ``times`` inside any half-open window [t, t + period)."""
    ordered = sorted(times)
    best = 0
    for i, start in enumerate(ordered):
        best = max(best, sum(1 for t in ordered[i:] if t < start + period - 1e-9))
    return best


class ManualClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@given(
    limit=st.integers(1, 5),
    period=st.floats(0.5, 10),
    gaps=st.lists(st.floats(0, 3), min_size=1, max_size=40),
)
def test_reservations_never_exceed_the_limit(limit: int, period: float, gaps: list[float]) -> None:
    clock = ManualClock()
    limiter = RateLimiter(limit, period, clock=clock)
    sent = []
    for gap in gaps:
        clock.now += gap
        wait = limiter.reserve()
        assert wait >= 0
        sent.append(clock.now + wait)
    assert max_in_window(sent, period) <= limit


def test_no_wait_under_the_limit() -> None:
    clock = ManualClock()
    limiter = RateLimiter(3, 10, clock=clock)
    assert [limiter.reserve() for _ in range(3)] == [0, 0, 0]
    assert limiter.reserve() == 10
    clock.now = 10
    assert limiter.reserve() == 0  # the first slot freed up; the second reservation is queued


def test_rejects_nonsense_limits() -> None:
    with pytest.raises(ValueError):
        RateLimiter(0, 1)


async def test_clients_keep_under_the_limit_over_http(
    make_client: Build, scripted: tuple[ScriptedAPI, str]
) -> None:
    server, base = scripted
    server.plan("/v4/forms", Scripted(json={"forms": []}))
    client = make_client("t", platform=base, rate_limit=(3, 0.5))
    started = time.monotonic()
    for _ in range(7):
        assert await invoke(client, "get_forms") == []
    elapsed = time.monotonic() - started
    arrivals = [seen.at for seen in server.seen]
    assert len(arrivals) == 7
    # The limiter spaces send times; arrivals also carry network jitter (the first call pays
    # for the TCP connect), hence a small tolerance on the window.
    assert max_in_window(arrivals, 0.45) <= 3
    assert elapsed >= 1.0  # calls 4-6 wait for the first window, call 7 for the second


async def test_shared_limiter_and_no_limit(
    make_client: Build, fake: FakePyrusAPI, fake_url: str
) -> None:
    limiter = RateLimiter(2, 60)
    first = make_client("t", platform=fake_url, rate_limiter=limiter)
    second = make_client("t", platform=fake_url, rate_limiter=limiter)
    await invoke(first, "get_forms")
    await invoke(second, "get_forms")
    assert limiter.reserve() > 50  # both clients counted against the same budget

    unlimited = make_client("t", platform=fake_url, rate_limit=None)
    started = time.monotonic()
    for _ in range(20):
        await invoke(unlimited, "get_forms")
    assert time.monotonic() - started < 5
