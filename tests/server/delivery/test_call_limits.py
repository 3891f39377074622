"""The call limit's one interface, on both backends: in the worker on SQLite, shared slots on
PostgreSQL. Calls over the limit wait (they are told how long), none is dropped."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pyrus_bots.server.delivery.limits import (
    LocalCallLimit,
    NoCallLimit,
    SharedCallLimit,
    call_limit_for,
)
from pyrus_bots.server.settings import Settings, parse_call_limit
from pyrus_bots.server.store.db import Database


class SteppedClock:
    """Wall and monotonic time on one scale, moved by the test only."""

    def __init__(self) -> None:
        self.at = 1_800_000_000.0

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.at, UTC)

    def monotonic(self) -> float:
        return self.at


async def test_no_window_holds_more_than_the_limit(database: Database) -> None:
    clock = SteppedClock()
    limit = call_limit_for(database, Settings(bot_call_limit=(3, 10.0)), clock)
    shared = database.dialect == "postgresql"
    assert isinstance(limit, SharedCallLimit if shared else LocalCallLimit)
    await limit.start()
    async with database.session() as session, session.begin():
        assert (await limit.room(session, [7, 8], 0.0))[7].free == 3
        permits = [(7, p) for p in (await limit.take(session, {7: 2})).get(7, [])]
    while len(permits) < 3:
        grant = await limit.acquire(7)
        assert grant.permit is not None
        permits.append((7, grant.permit))
    refused = await limit.acquire(7)
    assert refused.permit is None and refused.wait > 0
    async with database.session() as session, session.begin():
        rooms = await limit.room(session, [7, 8], 0.0)
    assert (rooms[7].free, rooms[8].free) == (0, 3) and rooms[7].free_in > 0
    await limit.release(permits)
    clock.at += 9.0  # the calls ended 9 s ago: the window still holds them
    assert (await limit.acquire(7)).permit is None
    assert (await limit.acquire(8)).permit is not None  # other bots are not affected
    clock.at += 1.1
    assert (await limit.acquire(7)).permit is not None


async def test_a_limit_switched_off_lets_every_call_go(database: Database) -> None:
    limit = call_limit_for(database, Settings(bot_call_limit=None), SteppedClock())
    assert isinstance(limit, NoCallLimit)
    await limit.start()
    async with database.session() as session, session.begin():
        assert (await limit.room(session, [7], 0.0))[7].free >= 1000
        assert len((await limit.take(session, {7: 1000}))[7]) == 1000
    assert all([(await limit.acquire(7)).permit is not None for _ in range(1000)])


def test_the_call_limit_option_reads_a_rate_or_off() -> None:
    assert parse_call_limit("500/600") == (500, 600.0)
    assert parse_call_limit("off") is None and parse_call_limit(" OFF ") is None
    with pytest.raises(ValueError, match="CALLS/SECONDS"):
        parse_call_limit("none")
