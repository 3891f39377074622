"""The bot call limit as the worker sees it: one interface, one implementation per backend.

SQLite runs one worker, so its limit lives in that process (:class:`LocalCallLimit`, the pure
:class:`~pyrus_bots.server.delivery.rules.CallWindow` primed from the attempt log at start).
PostgreSQL may run many workers, so its limit lives in the database (:class:`SharedCallLimit`,
the slots of ``store.shared_limits``). :func:`call_limit_for` chooses once, by backend; the
worker's sender has one code path for both: take permits for a claim's calls, ask for one
before sending a call that has none, release permits when calls end. Taking and releasing may
join the caller's transaction (the claim's, the finish's), which spares a commit each.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from pyrus_bots.server.clock import Clock
from pyrus_bots.server.delivery.rules import CallWindow
from pyrus_bots.server.settings import Settings
from pyrus_bots.server.store.db import Database
from pyrus_bots.server.store.delivery_log import recent_call_times
from pyrus_bots.server.store.shared_limits import SharedBotCallLimit

Permit = int
"""What a call holds while it runs (the slot number of a shared limit)."""

# What "no limit" answers for a bot's room: more than any claim takes (a claim is also capped
# by the worker's concurrency settings).
UNLIMITED_ROOM = 1 << 30


@dataclass(frozen=True, slots=True)
class Grant:
    """The answer to asking for a call: a permit, or how many seconds to wait."""

    permit: Permit | None
    wait: float = 0.0


@dataclass(frozen=True, slots=True)
class Room:
    """How many calls a bot may start soon, and in how many seconds its first call may."""

    free: int
    free_in: float


class CallLimit(Protocol):
    """Per bot: no sliding window of the limit's seconds holds more than its calls."""

    async def start(self) -> None:
        """Count what earlier processes left (calls made, slots held) before the first claim."""
        ...

    async def room(
        self, session: AsyncSession, bot_ids: Collection[int], horizon: float
    ) -> dict[int, Room]:
        """Per bot, the calls that may start within ``horizon`` seconds (what a claim takes)."""
        ...

    async def take(
        self, session: AsyncSession, wanted: Mapping[int, int]
    ) -> dict[int, list[Permit]]:
        """Permits for up to ``wanted[bot]`` calls starting now (a claim's calls, together, in
        the claim's transaction); a call left without one asks :meth:`acquire` before it goes."""
        ...

    async def acquire(self, bot_id: int) -> Grant:
        """A permit for a call starting now, or how long to wait before asking again."""
        ...

    async def release(
        self, calls: Sequence[tuple[int, Permit]], session: AsyncSession | None = None
    ) -> None:
        """The calls ``(bot, permit)`` ended now (released when ``session`` commits, if given)."""
        ...


class LocalCallLimit:
    """The limit of the only worker (SQLite): calls are counted when they go out."""

    def __init__(
        self, database: Database, settings: Settings, clock: Clock, limit: tuple[int, float]
    ) -> None:
        self._database = database
        self._clock = clock
        self._window = CallWindow(*limit, margin=settings.call_window_margin)

    async def start(self) -> None:
        now = self._clock.now()
        mono = self._clock.monotonic()
        since = now - timedelta(seconds=self._window.window)
        async with self._database.session() as session, session.begin():
            calls = await recent_call_times(session, since=since)
        for bot_id, started in sorted(calls, key=lambda call: call[1]):
            self._window.record(bot_id, mono - (now - started).total_seconds())

    async def room(
        self, session: AsyncSession, bot_ids: Collection[int], horizon: float
    ) -> dict[int, Room]:
        mono = self._clock.monotonic()
        return {
            bot_id: Room(
                free=self._window.available(bot_id, mono, horizon),
                free_in=self._window.next_free(bot_id, mono) - mono,
            )
            for bot_id in bot_ids
        }

    async def take(
        self, session: AsyncSession, wanted: Mapping[int, int]
    ) -> dict[int, list[Permit]]:
        return {}  # counted at the moment each call goes out, by acquire

    async def acquire(self, bot_id: int) -> Grant:
        wait = self._window.try_acquire(bot_id, self._clock.monotonic())
        return Grant(permit=0) if wait <= 0 else Grant(permit=None, wait=wait)

    async def release(
        self, calls: Sequence[tuple[int, Permit]], session: AsyncSession | None = None
    ) -> None:
        return None  # a call stays counted until it leaves the window


class SharedCallLimit:
    """The limit of every worker of a PostgreSQL deployment: call slots in the database."""

    def __init__(
        self, database: Database, settings: Settings, clock: Clock, limit: tuple[int, float]
    ) -> None:
        self._clock = clock
        self._slots = SharedBotCallLimit(
            database.engine,
            *limit,
            hold=settings.bot_timeout + settings.stop_grace,
        )

    async def start(self) -> None:
        await self._slots.trim()

    async def room(
        self, session: AsyncSession, bot_ids: Collection[int], horizon: float
    ) -> dict[int, Room]:
        now = self._clock.now().timestamp()
        rooms = await self._slots.available(bot_ids, now + horizon, session)
        return {
            bot_id: Room(free=room.free, free_in=max(0.0, room.next_free - now))
            for bot_id, room in rooms.items()
        }

    async def take(
        self, session: AsyncSession, wanted: Mapping[int, int]
    ) -> dict[int, list[Permit]]:
        return await self._slots.acquire_many(wanted, self._clock.now().timestamp(), session)

    async def acquire(self, bot_id: int) -> Grant:
        now = self._clock.now().timestamp()
        grant = await self._slots.acquire(bot_id, now)
        return Grant(permit=grant.slot, wait=max(0.0, grant.retry_at - now))

    async def release(
        self, calls: Sequence[tuple[int, Permit]], session: AsyncSession | None = None
    ) -> None:
        ended = self._clock.now().timestamp()
        await self._slots.release_many([(bot_id, slot, ended) for bot_id, slot in calls], session)


class NoCallLimit:
    """No limit (``--bot-call-limit off``): every call may go at once, nothing is counted."""

    async def start(self) -> None:
        return None

    async def room(
        self, session: AsyncSession, bot_ids: Collection[int], horizon: float
    ) -> dict[int, Room]:
        return {bot_id: Room(free=UNLIMITED_ROOM, free_in=0.0) for bot_id in bot_ids}

    async def take(
        self, session: AsyncSession, wanted: Mapping[int, int]
    ) -> dict[int, list[Permit]]:
        return {bot_id: [0] * count for bot_id, count in wanted.items()}

    async def acquire(self, bot_id: int) -> Grant:
        return Grant(permit=0)

    async def release(
        self, calls: Sequence[tuple[int, Permit]], session: AsyncSession | None = None
    ) -> None:
        return None


def call_limit_for(database: Database, settings: Settings, clock: Clock) -> CallLimit:
    """The call limit of this deployment (chosen once, when the worker starts): none when it
    is switched off, else the one of its backend."""
    limit = settings.bot_call_limit
    if limit is None:
        return NoCallLimit()
    if database.dialect == "postgresql":
        return SharedCallLimit(database, settings, clock, limit)
    return LocalCallLimit(database, settings, clock, limit)
