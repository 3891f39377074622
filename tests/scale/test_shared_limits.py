"""Limits shared through PostgreSQL: the API rate limit and the bot call slots hold across
separate engines (each stands for one process), and concurrent callers never overshoot."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest

from pyrus_bots.server.api.ratelimit import SharedRateLimiter
from pyrus_bots.server.store.db import Database
from pyrus_bots.server.store.shared_limits import SharedBotCallLimit

pytestmark = pytest.mark.postgres


async def test_api_limit_is_shared_between_processes(postgres_database: Database) -> None:
    other = Database(postgres_database.url)
    try:
        first = SharedRateLimiter(postgres_database.engine, limit=5, window=10.0)
        second = SharedRateLimiter(other.engine, limit=5, window=10.0)
        decisions = await asyncio.gather(
            *((first if n % 2 else second).hit("person:1", 1000.0 + n / 100) for n in range(12))
        )
        assert sum(d.allowed for d in decisions) == 5
        assert sorted(d.remaining for d in decisions if d.allowed) == [0, 1, 2, 3, 4]
        assert all(d.reset_after in (10, 9) for d in decisions)
        assert (await first.hit("person:2", 1001.0)).allowed  # another user, another window
        later = await second.hit("person:1", 1010.5)  # the window ended: a fresh one starts
        assert (later.allowed, later.remaining, later.reset_after) == (True, 4, 10)
        assert later.headers()["X-RateLimit-Limit"] == "5"
    finally:
        await other.dispose()


@contextlib.asynccontextmanager
async def two_processes(database: Database, limit: int) -> AsyncIterator[list[SharedBotCallLimit]]:
    """The same bot call limit in two engines, as two worker processes hold it."""
    other = Database(database.url)
    try:
        yield [
            SharedBotCallLimit(db.engine, limit=limit, window=10.0, hold=5.0)
            for db in (database, other)
        ]
    finally:
        await other.dispose()


async def test_bot_call_slots_hold_across_processes(postgres_database: Database) -> None:
    async with two_processes(postgres_database, limit=3) as limits:
        grants = await asyncio.gather(*(limits[n % 2].acquire(7, 100.0) for n in range(8)))
        taken = [g.slot for g in grants if g.slot is not None]
        assert sorted(taken) == [1, 2, 3]
        # Refused while others were taking slots: ask again at once or when a slot frees.
        assert all(100.0 <= g.retry_at <= 115.0 for g in grants if g.slot is None)
        # Slots in use are held for the longest call plus the window.
        assert (await limits[0].acquire(7, 100.5)).retry_at == pytest.approx(115.0)
        room = await limits[1].available([7, 8], 114.0)
        assert (room[7].free, room[7].next_free) == (0, pytest.approx(115.0))
        assert (room[8].free, room[8].next_free) == (3, 0.0)  # never called: every slot free
        # A call that ended at 101 frees its slot at 111, not before.
        await limits[0].release(7, taken[0], 101.0)
        assert (await limits[1].acquire(7, 110.9)).slot is None
        again = await limits[1].acquire(7, 111.0)
        assert again.slot == taken[0]


async def test_a_claims_slots_are_taken_together(postgres_database: Database) -> None:
    async with two_processes(postgres_database, limit=4) as limits:
        # Two workers claim at once: together they never get more than each bot's limit.
        first, second = await asyncio.gather(
            limits[0].acquire_many({7: 3, 8: 2}, 100.0),
            limits[1].acquire_many({7: 3, 9: 0}, 100.0),
        )
        seven = first.get(7, []) + second.get(7, [])
        assert sorted(seven) == [1, 2, 3, 4] and len(set(seven)) == 4
        assert len(first[8]) == 2 and 9 not in second
        # Taken slots are held for the longest call plus the window...
        assert await limits[0].acquire_many({7: 1}, 114.9) == {}
        # ...unless released: a call that ended at 101 frees its slot at 111.
        await limits[1].release_many([(7, seven[0], 101.0), (7, seven[1], 102.0)])
        assert await limits[0].acquire_many({7: 2}, 110.9) == {}
        assert await limits[0].acquire_many({7: 2}, 111.0) == {7: [seven[0]]}
        # Bot 8 had two of its four slots taken: asking for four gives the other two.
        assert len(set(first[8] + (await limits[1].acquire_many({8: 4}, 100.0))[8])) == 4
