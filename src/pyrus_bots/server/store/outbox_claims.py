"""Claiming due deliveries under a lease, and the leases' upkeep.

Workers claim due rows under a lease (:func:`claim_due`, ``FOR UPDATE SKIP LOCKED`` on
PostgreSQL), renew the leases of rows in flight and give rows back untouched when they stop. A
worker that dies loses its rows to another once their leases expire.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    String,
    Table,
    bindparam,
    func,
    literal,
    literal_column,
    or_,
    select,
    text,
    union_all,
    update,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Select

from pyrus_bots.server.store.dialects import dialect_name
from pyrus_bots.server.store.models import UTCDateTime
from pyrus_bots.server.store.outbox import PENDING, Delivery

_deliveries = cast(Table, Delivery.__table__)


def _claimable(now: datetime, blocked_bot_ids: Collection[int]) -> list[Any]:
    conditions: list[Any] = [
        Delivery.state == PENDING,
        Delivery.due_at <= now,
        or_(Delivery.lease_until.is_(None), Delivery.lease_until < now),
    ]
    if blocked_bot_ids:
        conditions.append(Delivery.bot_id.not_in(list(blocked_bot_ids)))
    return conditions


async def claim_due(
    session: AsyncSession,
    *,
    now: datetime,
    owner: str,
    token_prefix: str,
    lease_seconds: float,
    free_slots: Mapping[int, int],
    limit: int,
    blocked_bot_ids: Collection[int] = (),
) -> list[Delivery]:
    """Lease up to ``limit`` due deliveries, at most ``free_slots[bot]`` per bot (bots not listed
    get none), oldest first. Rows another worker holds are skipped, never waited for.

    Each bot's next rows are read from the partial index of pending rows, so a claim costs the
    same with ten rows queued or a million.
    """
    wanted = {
        bot_id: min(n, limit)
        for bot_id, n in free_slots.items()
        if n > 0 and bot_id not in blocked_bot_ids
    }
    if limit <= 0 or not wanted:
        return []
    conditions = _claimable(now, blocked_bot_ids)
    if dialect_name(session) == "postgresql":
        params = {
            "bot_ids": list(wanted),
            "caps": list(wanted.values()),
            "now": now,
            "limit": limit,
            "owner": owner,
            "token_prefix": f"{token_prefix}:",
            "until": now + timedelta(seconds=lease_seconds),
        }
        claimed = await session.execute(_CLAIM_POSTGRESQL, params)
        return sorted(claimed.scalars().all(), key=lambda row: (row.due_at, row.id))
    chosen = await _choose_per_bot_sqlite(session, now=now, wanted=wanted, limit=limit)
    if not chosen:
        return []
    # The UPDATE re-checks that each row is still free: on SQLite, whose SELECT takes no lock,
    # this is what keeps two workers from leasing the same row.
    leased = await session.execute(
        update(Delivery)
        .where(Delivery.id.in_(chosen), *conditions)
        .values(
            lease_owner=owner,
            lease_token=literal(f"{token_prefix}:") + sql_cast(Delivery.id, String),
            lease_until=now + timedelta(seconds=lease_seconds),
        )
        .returning(Delivery)
        .execution_options(synchronize_session=False, populate_existing=True)
    )
    return sorted(leased.scalars().all(), key=lambda row: (row.due_at, row.id))


_CLAIM_POSTGRESQL = (
    select(Delivery)
    .from_statement(
        text(
            """
        WITH chosen AS (
            SELECT d.id FROM unnest(CAST(:bot_ids AS bigint[]), CAST(:caps AS integer[]))
                AS b(bot_id, cap)
            CROSS JOIN LATERAL (
                SELECT id, due_at FROM deliveries
                WHERE bot_id = b.bot_id AND state = 'pending' AND due_at <= :now
                  AND (lease_until IS NULL OR lease_until < :now)
                ORDER BY due_at, id
                LIMIT b.cap
                FOR UPDATE SKIP LOCKED
            ) AS d
            ORDER BY d.due_at, d.id
            LIMIT :limit
        )
        UPDATE deliveries SET lease_owner = :owner,
            lease_token = CAST(:token_prefix AS varchar) || CAST(deliveries.id AS varchar),
            lease_until = :until
        FROM chosen WHERE deliveries.id = chosen.id
        RETURNING deliveries.*
        """
        )
        .bindparams(bindparam("now", type_=UTCDateTime()), bindparam("until", type_=UTCDateTime()))
        .columns(*_deliveries.columns)
    )
    .execution_options(populate_existing=True)
)
"""PostgreSQL: choose each bot's oldest due rows up to its free slots from the pending index
(work proportional to the rows taken, not to the queue's length; rows another worker holds are
skipped), then the oldest overall, and lease them: one statement, the same text every time."""


_PENDING_LITERAL: Any = literal_column("'pending'")
"""A literal, not a parameter: SQLite uses a partial index only for a query that names its
condition exactly."""


@functools.lru_cache(maxsize=128)
def _per_bot_union(bots: int) -> Select[Any]:
    """SQLite (no LATERAL): one ``LIMIT``-ed index read per bot, ``UNION ALL``-ed, oldest first
    overall; parameters ``b<i>``/``n<i>`` (bot id, how many), ``now`` and ``limit``."""
    now = bindparam("now", type_=UTCDateTime())
    parts = []
    for i in range(bots):
        part = (
            select(Delivery.id, Delivery.due_at)
            .where(
                Delivery.bot_id == bindparam(f"b{i}"),
                Delivery.state == _PENDING_LITERAL,
                Delivery.due_at <= now,
                or_(Delivery.lease_until.is_(None), Delivery.lease_until < now),
            )
            .order_by(Delivery.due_at, Delivery.id)
            .limit(bindparam(f"n{i}"))
            .subquery()
        )
        parts.append(select(part.c.id, part.c.due_at))
    union = union_all(*parts).subquery()
    return select(union.c.id).order_by(union.c.due_at, union.c.id).limit(bindparam("limit"))


async def _choose_per_bot_sqlite(
    session: AsyncSession, *, now: datetime, wanted: Mapping[int, int], limit: int
) -> list[int]:
    params: dict[str, Any] = {"now": now, "limit": limit}
    for i, (bot_id, n) in enumerate(wanted.items()):
        params[f"b{i}"] = bot_id
        params[f"n{i}"] = n
    return list((await session.execute(_per_bot_union(len(wanted)), params)).scalars())


async def next_due_at(
    session: AsyncSession, *, now: datetime, blocked_bot_ids: Collection[int] = ()
) -> datetime | None:
    """When the earliest pending delivery not in flight and not blocked becomes due."""
    conditions: list[Any] = [
        Delivery.state == PENDING,
        or_(Delivery.lease_until.is_(None), Delivery.lease_until < now),
    ]
    if blocked_bot_ids:
        conditions.append(Delivery.bot_id.not_in(list(blocked_bot_ids)))
    value = (await session.execute(select(func.min(Delivery.due_at)).where(*conditions))).scalar()
    if isinstance(value, str):  # SQLite returns MIN() of a timestamp column as text
        value = datetime.fromisoformat(value)
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


async def renew_leases(
    session: AsyncSession, *, owner: str, delivery_ids: Sequence[int], until: datetime
) -> None:
    if delivery_ids:
        await session.execute(
            update(Delivery)
            .where(Delivery.id.in_(list(delivery_ids)), Delivery.lease_owner == owner)
            .values(lease_until=until)
        )


async def release(session: AsyncSession, *, tokens: Sequence[str]) -> None:
    """Give leased rows back untouched (shutdown, a bot disabled meanwhile)."""
    if tokens:
        await session.execute(
            update(Delivery)
            .where(Delivery.lease_token.in_(list(tokens)))
            .values(lease_owner=None, lease_token=None, lease_until=None)
        )


async def release_owner(session: AsyncSession, *, owner: str | None = None) -> int:
    """Drop leases of ``owner`` (or of everyone: a single SQLite process starting up)."""
    stmt = update(Delivery).where(Delivery.state == PENDING, Delivery.lease_token.is_not(None))
    if owner is not None:
        stmt = stmt.where(Delivery.lease_owner == owner)
    result = await session.execute(
        stmt.values(lease_owner=None, lease_token=None, lease_until=None)
    )
    return int(getattr(result, "rowcount", 0) or 0)
