"""Limits shared by every process of a PostgreSQL deployment: the API rate limit and bot calls.

Several ``serve --role api`` and ``--role worker`` processes may run against one database, so a
limit kept in one process's memory would let N processes through N times over. Both limits here
live in tables and are changed with one atomic statement each (one round trip), so they hold
across processes. Times are epoch seconds from the platform clock: every process of a deployment
runs on hosts with synchronised clocks, as PostgreSQL deployments already require for leases.

- ``api_rate_windows``: one fixed window per key (``limit`` requests per ``window`` seconds from
  the key's first request), counted by an upsert; for API requests the same statement reads the
  caller's token and the directory version (:meth:`SharedRateWindows.admit`).
- ``bot_call_slots``: up to ``limit`` slots per bot, numbered 1 to ``limit``. A call takes a slot
  whose ``free_at`` has passed and holds it until the call ends; the slot becomes free ``window``
  seconds after the call ended. So two calls on one slot reach the bot at least ``window`` seconds
  apart, and no window of ``window`` seconds ever holds more than ``limit`` calls, whichever
  worker made them. A slot's row is written by the first call that needs it (the primary key
  keeps two workers from making the same one), so a limit costs rows only for calls made: any
  limit, however large, works the same way.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Float, Index, Integer, String, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.elements import TextClause

from pyrus_bots.server.store.counters import DIRECTORY_VERSION
from pyrus_bots.server.store.models import Base

EXPIRED_SWEEP_EVERY = 1000
"""Hits between two deletions of windows that ended (keeps the table small)."""


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


_TRIM_SLOTS = text("DELETE FROM bot_call_slots WHERE slot > :limit")
# Per bot wanted: reuse the slots free longest (skipping those another worker is taking at this
# instant), then make new slots after the highest one, up to the limit. A new slot another
# worker made at the same instant is skipped (ON CONFLICT): ``attempted`` rows tell the caller.
# New slots are made in (bot, slot) order, so two transactions making slots never deadlock.
_TAKE = text(
    """
    WITH wanted AS (
        SELECT * FROM unnest(CAST(:bot_ids AS bigint[]), CAST(:counts AS integer[])) AS w(bot_id, n)
    ), reused AS (
        UPDATE bot_call_slots AS s SET free_at = :hold_until
        FROM (
            SELECT p.bot_id, p.slot FROM wanted AS w CROSS JOIN LATERAL (
                SELECT bot_id, slot FROM bot_call_slots
                WHERE bot_id = w.bot_id AND free_at <= :now
                ORDER BY free_at LIMIT w.n FOR UPDATE SKIP LOCKED
            ) AS p
        ) AS pick
        WHERE s.bot_id = pick.bot_id AND s.slot = pick.slot
        RETURNING s.bot_id, s.slot
    ), short AS (
        SELECT w.bot_id,
               w.n - (SELECT count(*) FROM reused AS r WHERE r.bot_id = w.bot_id) AS missing,
               (SELECT coalesce(max(slot), 0) FROM bot_call_slots AS s
                WHERE s.bot_id = w.bot_id) AS made,
               (SELECT min(free_at) FROM bot_call_slots AS s
                WHERE s.bot_id = w.bot_id) AS next_free
        FROM wanted AS w
    ), added AS (
        INSERT INTO bot_call_slots (bot_id, slot, free_at)
        SELECT short.bot_id, g, :hold_until FROM short
        CROSS JOIN LATERAL generate_series(
            short.made + 1, LEAST(:limit, short.made + short.missing)) AS g
        ORDER BY short.bot_id, g
        ON CONFLICT DO NOTHING
        RETURNING bot_id, slot
    )
    SELECT bot_id, slot, CAST(NULL AS bigint) AS attempted,
           CAST(NULL AS float8) AS next_free FROM reused
    UNION ALL SELECT bot_id, slot, NULL, NULL FROM added
    UNION ALL
    SELECT bot_id, NULL, GREATEST(0, LEAST(:limit, made + missing) - made),
           CASE WHEN made < :limit THEN CAST(:now AS float8) ELSE next_free END
    FROM short
    """
)
_RELEASE = text(
    """
    UPDATE bot_call_slots AS s SET free_at = e.free_at
    FROM unnest(CAST(:bot_ids AS bigint[]), CAST(:slots AS integer[]),
                CAST(:free_ats AS float8[])) AS e(bot_id, slot, free_at)
    WHERE s.bot_id = e.bot_id AND s.slot = e.slot
    """
)
# Slots free by ``at`` plus slots not made yet, and when the first one frees (0: at once).
_AVAILABLE = text(
    """
    SELECT b.bot_id,
           (SELECT count(*) FROM bot_call_slots AS s
            WHERE s.bot_id = b.bot_id AND s.free_at <= :at) AS free,
           (SELECT coalesce(max(slot), 0) FROM bot_call_slots AS s
            WHERE s.bot_id = b.bot_id) AS made,
           (SELECT min(free_at) FROM bot_call_slots AS s WHERE s.bot_id = b.bot_id) AS next_free
    FROM unnest(CAST(:bot_ids AS bigint[])) AS b(bot_id)
    """
)
TAKE_ROUNDS = 3
"""Statements one take may run when other workers make the same new slots at the same time."""


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
        if limit <= 0:
            raise ValueError("a bot call limit must allow at least one call")
        self._engine = engine.execution_options(isolation_level="AUTOCOMMIT")
        self.limit = limit
        self.window = window
        self.hold = hold

    async def trim(self) -> None:
        """Drop slots beyond the limit (a deployment restarted with a lower one)."""
        async with self._engine.connect() as conn:
            await conn.execute(_TRIM_SLOTS, {"limit": self.limit})

    async def _run(self, statement: TextClause, params: Any, session: Executor | None) -> Any:
        """Run on ``session`` (inside the caller's transaction) or autocommitted on its own;
        return the result."""
        if session is not None:
            return await session.execute(statement, params)
        async with self._engine.connect() as conn:
            return await conn.execute(statement, params)

    async def _take(
        self, wanted: Mapping[int, int], now: float, session: Executor | None = None
    ) -> tuple[list[_Taken], float]:
        """Take up to ``wanted[bot]`` slots per bot for calls starting now; also return when the
        first slot of the last bot asked for frees (``now`` when one may be made)."""
        taken: list[_Taken] = []
        retry_at = now
        for _ in range(TAKE_ROUNDS):
            params = {
                "bot_ids": list(wanted),
                "counts": list(wanted.values()),
                "now": now,
                "hold_until": now + self.hold + self.window,
                "limit": self.limit,
            }
            rows = (await self._run(_TAKE, params, session)).all()
            attempted: dict[int, int] = {}
            made: dict[int, int] = {}
            for bot_id, slot, tried, next_free in rows:
                if slot is not None:
                    taken.append((int(bot_id), int(slot)))
                    made[int(bot_id)] = made.get(int(bot_id), 0) + 1
                else:
                    attempted[int(bot_id)] = int(tried)
                    retry_at = max(now, float(next_free) if next_free is not None else now)
            # Bots that tried to make slots another worker made meanwhile ask once more.
            wanted = {
                bot_id: n - made.get(bot_id, 0)
                for bot_id, n in wanted.items()
                if n - made.get(bot_id, 0) > 0 and attempted.get(bot_id, 0) > 0
            }
            if not wanted:
                break
        return taken, retry_at

    async def acquire(self, bot_id: int, now: float) -> SlotGrant:
        """Take a slot for a call starting now, or say when one frees up."""
        taken, retry_at = await self._take({bot_id: 1}, now)
        if taken:
            return SlotGrant(slot=taken[0][1], retry_at=now)
        return SlotGrant(slot=None, retry_at=retry_at)

    async def acquire_many(
        self, wanted: Mapping[int, int], now: float, session: Executor | None = None
    ) -> dict[int, list[int]]:
        """Take up to ``wanted[bot]`` slots per bot for calls starting now, in one statement (a
        claim's batch); fewer when other workers took them meanwhile. With ``session``, the
        slots are taken in its transaction (held, for others, from its commit on)."""
        wanted = {bot_id: n for bot_id, n in wanted.items() if n > 0}
        granted: dict[int, list[int]] = {}
        if wanted:
            for bot_id, slot in (await self._take(wanted, now, session))[0]:
                granted.setdefault(bot_id, []).append(slot)
        return granted

    async def release_many(
        self, calls: Sequence[tuple[int, int, float]], session: Executor | None = None
    ) -> None:
        """Calls ``(bot, slot, finished)`` ended: each slot frees ``window`` seconds after
        (from the commit of ``session``'s transaction, when given)."""
        if calls:
            params = {
                "bot_ids": [bot_id for bot_id, _, _ in calls],
                "slots": [slot for _, slot, _ in calls],
                "free_ats": [finished + self.window for _, _, finished in calls],
            }
            await self._run(_RELEASE, params, session)

    async def release(self, bot_id: int, slot: int, finished: float) -> None:
        """The call on ``slot`` ended at ``finished``: the slot frees ``window`` seconds later."""
        await self.release_many([(bot_id, slot, finished)])

    async def available(
        self, bot_ids: Collection[int], at: float, session: Executor | None = None
    ) -> dict[int, CallRoom]:
        """How many calls each bot could start by ``at``, and when its first slot frees."""
        ids = list(bot_ids)
        if not ids:
            return {}
        rows = (await self._run(_AVAILABLE, {"bot_ids": ids, "at": at}, session)).all()
        rooms = {}
        for bot_id, free, made, next_free in rows:
            unmade = max(0, self.limit - int(made))
            rooms[int(bot_id)] = CallRoom(
                free=int(free) + unmade,
                next_free=0.0 if unmade or next_free is None else float(next_free),
            )
        return rooms


Executor = AsyncSession | AsyncConnection
"""Where a statement may run inside a caller's transaction."""
_Taken = tuple[int, int]
"""A slot taken: (bot, slot)."""


def seconds_left(started: float, window: float, now: float) -> int:
    """Whole seconds until a window that started at ``started`` ends, within ``[0, window]``
    (another process's clock may have started it a moment "later" than ``now``)."""
    # Rounded first: float sums such as t + 600 - t may land a hair above 600.
    return min(math.ceil(window), max(0, math.ceil(round(started + window - now, 6))))
