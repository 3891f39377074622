"""Limits shared by every process of a PostgreSQL deployment: the API rate limit and bot calls.

Several ``serve --role api`` and ``--role worker`` processes may run against one database, so a
limit kept in one process's memory would let N processes through N times over. Both limits here
live in tables and are changed with one atomic statement each (one round trip), so they hold
across processes. Times are epoch seconds from the platform clock: every process of a deployment
runs on hosts with synchronised clocks, as PostgreSQL deployments already require for leases.

- ``api_rate_windows``: one fixed window per key (``limit`` requests per ``window`` seconds from
  the key's first request), counted by an upsert; for API requests the same statement reads the
  caller's token and the directory version (:meth:`SharedRateWindows.admit`).
- ``bot_call_slots``: ``limit`` slots per bot. A call takes a slot whose ``free_at`` has passed and
  holds it until the call ends; the slot becomes free ``window`` seconds after the call ended. So
  two calls on one slot reach the bot at least ``window`` seconds apart, and no window of
  ``window`` seconds ever holds more than ``limit`` calls, whichever worker made them.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import BigInteger, Float, Index, Integer, String, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.orm import Mapped, mapped_column

from pyrus_bots.server.store.counters import DIRECTORY_VERSION
from pyrus_bots.server.store.models import Base

EXPIRED_SWEEP_EVERY = 1000
"""Hits between two deletions of windows that ended (keeps the table small)."""
MAX_SHARED_SLOTS = 10_000
"""The largest bot call limit kept as slots (one row each); larger limits are per worker."""


class ApiRateWindow(Base):
    __tablename__ = "api_rate_windows"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    started: Mapped[float] = mapped_column(Float, index=True)
    count: Mapped[int] = mapped_column(Integer)


class BotCallSlot(Base):
    __tablename__ = "bot_call_slots"
    __table_args__ = (Index("ix_bot_call_slots_bot_free", "bot_id", "free_at"),)

    bot_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    slot: Mapped[int] = mapped_column(Integer, primary_key=True)
    free_at: Mapped[float] = mapped_column(Float)


# The old row's values on the right of SET: a window that ended starts again at ``now``.
_HIT = text(
    """
    INSERT INTO api_rate_windows AS w (key, started, count) VALUES (:key, :now, 1)
    ON CONFLICT (key) DO UPDATE SET
        started = CASE WHEN w.started <= :now - :window THEN :now ELSE w.started END,
        count = CASE WHEN w.started <= :now - :window THEN 1 ELSE w.count + 1 END
    RETURNING started, count
    """
)
_SWEEP = text("DELETE FROM api_rate_windows WHERE started <= :before")
# Every API request: read the token and the directory version, and count the request of a
# token that is accepted, in one autocommitted statement (one round trip, one connection use).
# A refused token counts nothing; the caller raises its error from the row.
_ADMIT = text(
    """
    WITH caller AS (
        SELECT t.person_id, t.revoked, t.expires <= CAST(:now_at AS timestamptz) AS expired,
               (SELECT c.value FROM counters AS c WHERE c.name = :counter) AS directory_version
        FROM tokens AS t WHERE t.token_hash = :token_hash
    ), hit AS (
        INSERT INTO api_rate_windows AS w (key, started, count)
        SELECT CAST(:key_prefix AS text) || caller.person_id, CAST(:now AS float8), 1
        FROM caller WHERE NOT caller.revoked AND NOT caller.expired
        ON CONFLICT (key) DO UPDATE SET
            started = CASE WHEN w.started <= CAST(:now AS float8) - CAST(:window AS float8)
                      THEN CAST(:now AS float8) ELSE w.started END,
            count = CASE WHEN w.started <= CAST(:now AS float8) - CAST(:window AS float8)
                    THEN 1 ELSE w.count + 1 END
        RETURNING started, count
    )
    SELECT caller.person_id, caller.revoked, caller.expired, caller.directory_version,
           hit.started AS hit_started, hit.count AS hit_count
    FROM caller LEFT JOIN hit ON true
    """
)


@dataclass(frozen=True, slots=True)
class WindowCount:
    started: float
    count: int
    """Requests counted in the window, this one included (refused ones too)."""


class SharedRateWindows:
    """Fixed windows per key in PostgreSQL: ``hit`` is one autocommitted upsert."""

    def __init__(self, engine: AsyncEngine, window: float) -> None:
        self._engine = engine.execution_options(isolation_level="AUTOCOMMIT")
        self.window = window
        self._hits = 0

    async def hit(self, key: str, now: float) -> WindowCount:
        async with self._engine.connect() as conn:
            result = await conn.execute(_HIT, {"key": key, "now": now, "window": self.window})
            started, count = result.one()
            self._hits += 1
            if self._hits % EXPIRED_SWEEP_EVERY == 0:
                await conn.execute(_SWEEP, {"before": now - self.window})
        return WindowCount(started=float(started), count=int(count))

    async def admit(
        self, token_hash: str, key_prefix: str, now_at: datetime, now: float
    ) -> Admission | None:
        """Read the token ``token_hash`` (``None`` when unknown) with the directory version,
        and when it is neither revoked nor expired at ``now_at``, count a hit of key
        ``key_prefix + person_id`` at ``now`` (epoch seconds): one round trip."""
        async with self._engine.connect() as conn:
            params = {
                "token_hash": token_hash,
                "counter": DIRECTORY_VERSION,
                "key_prefix": key_prefix,
                "now_at": now_at,
                "now": now,
                "window": self.window,
            }
            row = (await conn.execute(_ADMIT, params)).one_or_none()
            if row is None:
                return None
            counted = None
            if row.hit_started is not None:
                counted = WindowCount(started=float(row.hit_started), count=int(row.hit_count))
                self._hits += 1
                if self._hits % EXPIRED_SWEEP_EVERY == 0:
                    await conn.execute(_SWEEP, {"before": now - self.window})
        return Admission(
            person_id=int(row.person_id),
            revoked=bool(row.revoked),
            expired=bool(row.expired),
            directory_version=int(row.directory_version or 0),
            counted=counted,
        )


@dataclass(frozen=True, slots=True)
class Admission:
    """A stored token as :meth:`SharedRateWindows.admit` read it, and the request's count."""

    person_id: int
    revoked: bool
    expired: bool
    directory_version: int
    counted: WindowCount | None
    """``None`` when the token is refused (nothing was counted)."""


_ENSURE_SLOTS = text(
    """
    WITH added AS (
        INSERT INTO bot_call_slots (bot_id, slot, free_at)
        SELECT :bot_id, g, 0 FROM generate_series(1, :limit) AS g
        ON CONFLICT DO NOTHING RETURNING slot
    )
    DELETE FROM bot_call_slots WHERE bot_id = :bot_id AND slot > :limit
    """
)
# Take the slot free longest, skipping slots another worker is taking at this instant; report
# when the next slot frees up when none is free.
_ACQUIRE = text(
    """
    WITH pick AS (
        SELECT slot FROM bot_call_slots
        WHERE bot_id = :bot_id AND free_at <= :now
        ORDER BY free_at LIMIT 1 FOR UPDATE SKIP LOCKED
    ), taken AS (
        UPDATE bot_call_slots AS s SET free_at = :hold_until FROM pick
        WHERE s.bot_id = :bot_id AND s.slot = pick.slot RETURNING s.slot
    )
    SELECT (SELECT slot FROM taken) AS slot,
           (SELECT min(free_at) FROM bot_call_slots WHERE bot_id = :bot_id) AS next_free
    """
)
_RELEASE = text(
    "UPDATE bot_call_slots SET free_at = :free_at WHERE bot_id = :bot_id AND slot = :slot"
)
_ACQUIRE_MANY = text(
    """
    WITH pick AS (
        SELECT s.bot_id, s.slot
        FROM unnest(CAST(:bot_ids AS bigint[]), CAST(:counts AS integer[])) AS w(bot_id, n)
        CROSS JOIN LATERAL (
            SELECT bot_id, slot FROM bot_call_slots
            WHERE bot_id = w.bot_id AND free_at <= :now
            ORDER BY free_at LIMIT w.n FOR UPDATE SKIP LOCKED
        ) AS s
    )
    UPDATE bot_call_slots AS s SET free_at = :hold_until FROM pick
    WHERE s.bot_id = pick.bot_id AND s.slot = pick.slot
    RETURNING s.bot_id, s.slot
    """
)
_AVAILABLE = text(
    """
    SELECT bot_id, count(*) FILTER (WHERE free_at <= :at) AS free, min(free_at) AS next_free
    FROM bot_call_slots WHERE bot_id = ANY(:bot_ids) GROUP BY bot_id
    """
)


@dataclass(frozen=True, slots=True)
class CallRoom:
    """How many calls a bot could start by some time, and when its first slot frees."""

    free: int
    next_free: float


@dataclass(frozen=True, slots=True)
class SlotGrant:
    """The outcome of asking for a call: ``slot`` when granted, else when to ask again."""

    slot: int | None
    retry_at: float


class SharedBotCallLimit:
    """``limit`` calls per ``window`` seconds per bot across every worker (PostgreSQL)."""

    def __init__(self, engine: AsyncEngine, limit: int, window: float, hold: float) -> None:
        """``hold``: the longest a call may take (the bot timeout plus a margin); a slot taken by
        a worker that died frees ``hold + window`` seconds after it was taken."""
        if not 0 < limit <= MAX_SHARED_SLOTS:
            raise ValueError(f"a shared bot call limit must be 1 to {MAX_SHARED_SLOTS} calls")
        self._engine = engine.execution_options(isolation_level="AUTOCOMMIT")
        self.limit = limit
        self.window = window
        self.hold = hold
        self._ready: set[int] = set()

    async def _ensure(self, conn: AsyncConnection, bot_id: int) -> None:
        if bot_id not in self._ready:
            await conn.execute(_ENSURE_SLOTS, {"bot_id": bot_id, "limit": self.limit})
            self._ready.add(bot_id)

    async def acquire(self, bot_id: int, now: float) -> SlotGrant:
        """Take a slot for a call starting now, or say when one frees up."""
        async with self._engine.connect() as conn:
            await self._ensure(conn, bot_id)
            row = (
                await conn.execute(
                    _ACQUIRE,
                    {"bot_id": bot_id, "now": now, "hold_until": now + self.hold + self.window},
                )
            ).one()
        if row.slot is not None:
            return SlotGrant(slot=int(row.slot), retry_at=now)
        next_free = float(row.next_free) if row.next_free is not None else now
        return SlotGrant(slot=None, retry_at=max(next_free, now))

    async def acquire_many(self, wanted: Mapping[int, int], now: float) -> dict[int, list[int]]:
        """Take up to ``wanted[bot]`` slots per bot for calls starting now, in one statement (a
        claim's batch); fewer when other workers took them meanwhile."""
        wanted = {bot_id: n for bot_id, n in wanted.items() if n > 0}
        if not wanted:
            return {}
        params = {
            "bot_ids": list(wanted),
            "counts": list(wanted.values()),
            "now": now,
            "hold_until": now + self.hold + self.window,
        }
        granted: dict[int, list[int]] = {}
        async with self._engine.connect() as conn:
            for bot_id in wanted:
                await self._ensure(conn, bot_id)
            for bot_id, slot in await conn.execute(_ACQUIRE_MANY, params):
                granted.setdefault(int(bot_id), []).append(int(slot))
        return granted

    async def release_many(self, calls: Sequence[tuple[int, int, float]]) -> None:
        """Calls ``(bot, slot, finished)`` ended: each slot frees ``window`` seconds after."""
        if calls:
            async with self._engine.connect() as conn:
                await conn.execute(
                    _RELEASE,
                    [
                        {"bot_id": bot_id, "slot": slot, "free_at": finished + self.window}
                        for bot_id, slot, finished in calls
                    ],
                )

    async def release(self, bot_id: int, slot: int, finished: float) -> None:
        """The call on ``slot`` ended at ``finished``: the slot frees ``window`` seconds later."""
        await self.release_many([(bot_id, slot, finished)])

    async def available(self, bot_ids: Collection[int], at: float) -> dict[int, CallRoom]:
        """How many calls each bot could start by ``at``, and when its first slot frees."""
        ids = list(bot_ids)
        if not ids:
            return {}
        async with self._engine.connect() as conn:
            for bot_id in ids:
                await self._ensure(conn, bot_id)
            rows = (await conn.execute(_AVAILABLE, {"bot_ids": ids, "at": at})).all()
        return {
            int(bot_id): CallRoom(free=int(free), next_free=float(next_free))
            for bot_id, free, next_free in rows
        }


def seconds_left(started: float, window: float, now: float) -> int:
    """Whole seconds until a window that started at ``started`` ends, within ``[0, window]``
    (another process's clock may have started it a moment "later" than ``now``)."""
    # Rounded first: float sums such as t + 600 - t may land a hair above 600.
    return min(math.ceil(window), max(0, math.ceil(round(started + window - now, 6))))
