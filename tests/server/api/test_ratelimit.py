"""The in-memory API rate limiter: fixed windows per key, the reset countdown, expiry."""

from __future__ import annotations

import pytest

from pyrus_bots.server.api.ratelimit import InMemoryRateLimiter


async def test_fixed_window_per_key() -> None:
    limiter = InMemoryRateLimiter(limit=2, window=10.0)
    first = await limiter.hit("a", 100.0)
    assert (first.allowed, first.remaining, first.reset_after) == (True, 1, 10)
    second = await limiter.hit("a", 103.2)
    assert (second.allowed, second.remaining, second.reset_after) == (True, 0, 7)
    third = await limiter.hit("a", 104.0)
    assert (third.allowed, third.remaining, third.reset_after) == (False, 0, 6)
    assert (await limiter.hit("b", 104.0)).allowed  # another user has their own window
    renewed = await limiter.hit("a", 110.0)
    assert (renewed.allowed, renewed.remaining, renewed.reset_after) == (True, 1, 10)
    assert renewed.headers() == {
        "X-RateLimit-Limit": "2",
        "X-RateLimit-Remaining": "1",
        "X-RateLimit-Reset": "10",
    }


async def test_reset_never_exceeds_the_window() -> None:
    limiter = InMemoryRateLimiter(limit=5000, window=600.0)
    for start in (0.1, 12345.678, 98765.4321, 1e6 + 0.3):
        assert (await limiter.hit(f"k{start}", start)).reset_after == 600


async def test_quiet_keys_are_forgotten() -> None:
    limiter = InMemoryRateLimiter(limit=1, window=5.0)
    for n in range(100):
        await limiter.hit(f"user{n}", 0.0)
    await limiter.hit("late", 6.0)
    assert len(limiter._windows) == 1


def test_limits_must_be_positive() -> None:
    with pytest.raises(ValueError):
        InMemoryRateLimiter(0, 10.0)
    with pytest.raises(ValueError):
        InMemoryRateLimiter(10, 0.0)
