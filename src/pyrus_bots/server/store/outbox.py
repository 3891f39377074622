"""The delivery outbox: pending webhook calls, their attempts, paused pairs and paused bots.

A change that must call a bot writes a ``deliveries`` row in the same transaction as the change
(:func:`enqueue`). Workers claim due rows under a lease (:func:`claim_due`, ``FOR UPDATE SKIP
LOCKED`` on PostgreSQL), and finish each attempt in one transaction that re-checks the lease.
The attempts table doubles as the bot call log the rate limit is computed from.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, cast

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    and_,
    bindparam,
    delete,
    func,
    insert,
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
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql import Select

from pyrus_bots.server.store.dialects import dialect_name
from pyrus_bots.server.store.models import Base, BigId, UTCDateTime
from pyrus_bots.server.store.notify import notify_expression

DeliveryState = Literal["pending", "done", "failed", "superseded"]
"""``pending`` waits or is in flight; ``done`` got a 2XX (applied or not); ``failed`` ended a
series of failed attempts (the pair is paused); ``superseded`` a newer trigger took over."""

PENDING: DeliveryState = "pending"
DONE: DeliveryState = "done"
FAILED: DeliveryState = "failed"
SUPERSEDED: DeliveryState = "superseded"


class Delivery(Base):
    """One trigger of one bot for one task: a series of up to three attempts."""

    __tablename__ = "deliveries"
    __table_args__ = (
        Index("ix_deliveries_state_due", "state", "due_at"),
        Index("ix_deliveries_bot_task", "bot_id", "task_id"),
        Index("ix_deliveries_task", "task_id"),
        # Each bot's next pending rows, in due order, for the claim (migration 0004).
        Index(
            "ix_deliveries_pending_bot_due",
            "bot_id",
            "due_at",
            "id",
            postgresql_where=text("state = 'pending'"),
            sqlite_where=text("state = 'pending'"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    bot_id: Mapped[int] = mapped_column(BigInteger)
    task_id: Mapped[int] = mapped_column(BigInteger)
    event: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16), default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    """Attempts made in the current series."""
    series: Mapped[int] = mapped_column(Integer, default=1)
    replaced: Mapped[int] = mapped_column(Integer, default=0)
    """How many newer triggers were folded into this row while it waited."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    trigger_at: Mapped[datetime] = mapped_column(UTCDateTime)
    """Start of the current series: attempt offsets count from here."""
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    outcome: Mapped[str | None] = mapped_column(String(200), nullable=True)
    lease_owner: Mapped[str | None] = mapped_column(String(64), nullable=True)
    lease_token: Mapped[str | None] = mapped_column(String(64), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class DeliveryAttempt(Base):
    """One HTTP call to a bot, as the attempt log shows it (secrets masked)."""

    __tablename__ = "delivery_attempts"
    __table_args__ = (
        Index("ix_delivery_attempts_delivery", "delivery_id"),
        Index("ix_delivery_attempts_bot_started", "bot_id", "started_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id", ondelete="CASCADE"))
    bot_id: Mapped[int] = mapped_column(BigInteger)
    task_id: Mapped[int] = mapped_column(BigInteger)
    series: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)
    event: Mapped[str] = mapped_column(String(16))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime)
    latency_ms: Mapped[float] = mapped_column(Float)
    rate_limit_wait_ms: Mapped[float] = mapped_column(Float, default=0.0)
    url: Mapped[str] = mapped_column(Text)
    request_headers: Mapped[dict[str, str]] = mapped_column(JSON)
    request_body: Mapped[str] = mapped_column(Text)
    response_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    response_headers: Mapped[dict[str, str] | None] = mapped_column(JSON, nullable=True)
    response_body: Mapped[str | None] = mapped_column(Text, nullable=True)
    response_size: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    outcome: Mapped[str] = mapped_column(String(200))
    detail: Mapped[str | None] = mapped_column(Text, nullable=True)
    reply_applied: Mapped[bool] = mapped_column(Boolean, default=False)
    comment_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class PausedPair(Base):
    """A (bot, task) pair whose last series failed: no more calls until a new comment."""

    __tablename__ = "delivery_paused_pairs"

    bot_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    task_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    delivery_id: Mapped[int] = mapped_column(BigInteger)
    paused_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PausedBot(Base):
    """A bot an admin paused: its triggers wait, as for a disabled bot."""

    __tablename__ = "delivery_paused_bots"

    bot_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    paused_at: Mapped[datetime] = mapped_column(UTCDateTime)


# --- writing triggers ------------------------------------------------------------------------


_deliveries = cast(Table, Delivery.__table__)
_INSERT_FRESH_SQLITE = (
    insert(_deliveries)
    .values(
        bot_id=bindparam("p_bot_id"),
        task_id=bindparam("p_task_id"),
        event=bindparam("p_event"),
        state=PENDING,
        attempts=0,
        series=1,
        replaced=0,
        created_at=bindparam("p_now", type_=UTCDateTime()),
        trigger_at=bindparam("p_now", type_=UTCDateTime()),
        due_at=bindparam("p_now", type_=UTCDateTime()),
        updated_at=bindparam("p_now", type_=UTCDateTime()),
    )
    .returning(_deliveries.c.id)
)
# PostgreSQL: the row notifies the listening workers itself (see ``notify_expression``).
_INSERT_FRESH_POSTGRESQL = _INSERT_FRESH_SQLITE.returning(notify_expression())


async def enqueue(
    session: AsyncSession,
    *,
    bot_id: int,
    task_id: int,
    event: str,
    now: datetime,
    fresh_task: bool = False,
) -> Delivery:
    """Write a pending delivery, or fold the trigger into one that waits and is not in flight.

    The pair's pause, if any, ends: a new trigger starts a new series of attempts.

    ``fresh_task``: the task was created in this transaction, so no row of the pair exists
    (paused or waiting) and the delivery is inserted at once, in one statement, which on
    PostgreSQL also notifies listening workers as ``notify_deliveries`` would. The row returned
    then describes the delivery without belonging to the session.
    """
    if fresh_task:
        params = {"p_bot_id": bot_id, "p_task_id": task_id, "p_event": event, "p_now": now}
        postgresql = dialect_name(session) == "postgresql"
        statement = _INSERT_FRESH_POSTGRESQL if postgresql else _INSERT_FRESH_SQLITE
        delivery_id = (await session.execute(statement, params)).scalars().one()
        fresh = _new_delivery(bot_id=bot_id, task_id=task_id, event=event, now=now)
        fresh.id = int(delivery_id)
        return fresh
    await session.execute(
        delete(PausedPair).where(PausedPair.bot_id == bot_id, PausedPair.task_id == task_id)
    )
    waiting = (
        await session.execute(
            select(Delivery)
            .where(
                Delivery.bot_id == bot_id,
                Delivery.task_id == task_id,
                Delivery.state == PENDING,
                or_(Delivery.lease_until.is_(None), Delivery.lease_until < now),
            )
            .order_by(Delivery.id.desc())
            .limit(1)
            .with_for_update()
        )
    ).scalar_one_or_none()
    if waiting is not None:
        # A stale payload is never queued: the call is built at sending time anyway, so the
        # waiting row simply takes the newer event and starts a fresh series now.
        waiting.event = event
        waiting.series += 1 if waiting.attempts else 0
        waiting.attempts = 0
        waiting.trigger_at = now
        waiting.due_at = now
        waiting.updated_at = now
        waiting.replaced += 1
        waiting.lease_owner = waiting.lease_token = None
        waiting.lease_until = None
        return waiting
    row = _new_delivery(bot_id=bot_id, task_id=task_id, event=event, now=now)
    session.add(row)
    return row


def _new_delivery(*, bot_id: int, task_id: int, event: str, now: datetime) -> Delivery:
    """A trigger's row before its first attempt: due now, series 1."""
    return Delivery(
        bot_id=bot_id,
        task_id=task_id,
        event=event,
        state=PENDING,
        attempts=0,
        series=1,
        replaced=0,
        created_at=now,
        trigger_at=now,
        due_at=now,
        updated_at=now,
    )


# --- claiming --------------------------------------------------------------------------------


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
        chosen = await _choose_per_bot_postgresql(session, now=now, wanted=wanted, limit=limit)
    else:
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


_CHOOSE_PER_BOT = text(
    """
    SELECT d.id FROM unnest(CAST(:bot_ids AS bigint[]), CAST(:caps AS integer[])) AS b(bot_id, cap)
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
    """
)
"""PostgreSQL: each bot's oldest due rows up to its free slots, read from the pending index
(work proportional to the rows taken, not to the queue's length), then the oldest overall."""


async def _choose_per_bot_postgresql(
    session: AsyncSession, *, now: datetime, wanted: Mapping[int, int], limit: int
) -> list[int]:
    params = {
        "bot_ids": list(wanted),
        "caps": list(wanted.values()),
        "now": now,
        "limit": limit,
    }
    return list((await session.execute(_CHOOSE_PER_BOT, params)).scalars())


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


async def lock_leased(session: AsyncSession, *, delivery_id: int, token: str) -> Delivery | None:
    """The row, locked, if this worker's lease on it still holds; ``None`` when it was lost.

    A write comes first so that SQLite takes its write lock here, and PostgreSQL the row lock.
    """
    touched = await session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id, Delivery.lease_token == token, Delivery.state == PENDING)
        .values(lease_token=token)
        .returning(Delivery)
        .execution_options(synchronize_session=False, populate_existing=True)
    )
    return touched.scalar_one_or_none()


_deliveries = cast(Table, Delivery.__table__)
_attempts = cast(Table, DeliveryAttempt.__table__)


async def lock_leased_many(session: AsyncSession, leases: Mapping[int, str]) -> set[int]:
    """Of the deliveries ``{id: lease token}``, those whose lease still holds, now locked (one
    statement for them all; the write takes SQLite's write lock, as :func:`lock_leased`)."""
    if not leases:
        return set()
    touched = await session.execute(
        update(_deliveries)
        .where(
            _deliveries.c.id.in_(list(leases)),
            _deliveries.c.lease_token.in_(list(leases.values())),
            _deliveries.c.state == PENDING,
        )
        .values(lease_token=_deliveries.c.lease_token)
        .returning(_deliveries.c.id, _deliveries.c.lease_token)
    )
    return {row.id for row in touched if leases.get(row.id) == row.lease_token}


_COMPLETE = (
    update(_deliveries)
    .where(_deliveries.c.id == bindparam("p_id"))
    .values(
        state=DONE,
        attempts=bindparam("p_attempts"),
        outcome=bindparam("p_outcome"),
        completed_at=bindparam("p_now"),
        updated_at=bindparam("p_now"),
        lease_owner=None,
        lease_token=None,
        lease_until=None,
    )
)


async def complete_many(
    session: AsyncSession, completed: Sequence[tuple[int, int, str]], now: datetime
) -> None:
    """Mark deliveries ``(id, attempts made, outcome)`` done (their leases locked by
    :func:`lock_leased_many`) in one statement."""
    if completed:
        await session.execute(
            _COMPLETE,
            [
                {"p_id": delivery_id, "p_attempts": attempts, "p_outcome": outcome, "p_now": now}
                for delivery_id, attempts, outcome in completed
            ],
        )


async def record_attempts(session: AsyncSession, attempts: Sequence[Mapping[str, Any]]) -> None:
    """Insert attempt log rows (column values of :class:`DeliveryAttempt`) in one statement."""
    if attempts:
        await session.execute(insert(_attempts), list(attempts))


async def newer_pending_exists(session: AsyncSession, row: Delivery) -> bool:
    found = (
        await session.execute(
            select(Delivery.id)
            .where(
                Delivery.bot_id == row.bot_id,
                Delivery.task_id == row.task_id,
                Delivery.state == PENDING,
                Delivery.id != row.id,
            )
            .limit(1)
        )
    ).scalar_one_or_none()
    return found is not None


async def pause_pair(session: AsyncSession, row: Delivery, now: datetime) -> None:
    await session.execute(
        delete(PausedPair).where(PausedPair.bot_id == row.bot_id, PausedPair.task_id == row.task_id)
    )
    session.add(
        PausedPair(bot_id=row.bot_id, task_id=row.task_id, delivery_id=row.id, paused_at=now)
    )


# --- bots paused by an admin -----------------------------------------------------------------


async def paused_bot_ids(session: AsyncSession) -> set[int]:
    return set((await session.execute(select(PausedBot.bot_id))).scalars().all())


async def pause_bot(session: AsyncSession, bot_id: int, now: datetime) -> None:
    if await session.get(PausedBot, bot_id) is None:
        session.add(PausedBot(bot_id=bot_id, paused_at=now))


async def resume_bot(session: AsyncSession, bot_id: int) -> bool:
    result = await session.execute(delete(PausedBot).where(PausedBot.bot_id == bot_id))
    return bool(getattr(result, "rowcount", 0))


# --- reading the log -------------------------------------------------------------------------


@dataclass(slots=True)
class DeliveryFilter:
    bot_id: int | None = None
    task_id: int | None = None
    state: str | None = None
    outcome: str | None = None
    """Exact outcome (``http_503``) or its kind (``invalid_reply`` matches ``invalid_reply: x``)."""
    before_id: int | None = None
    limit: int = 100


async def list_deliveries(session: AsyncSession, flt: DeliveryFilter) -> list[Delivery]:
    stmt = select(Delivery)
    if flt.bot_id is not None:
        stmt = stmt.where(Delivery.bot_id == flt.bot_id)
    if flt.task_id is not None:
        stmt = stmt.where(Delivery.task_id == flt.task_id)
    if flt.state is not None:
        stmt = stmt.where(Delivery.state == flt.state)
    if flt.outcome is not None:
        stmt = stmt.where(
            or_(Delivery.outcome == flt.outcome, Delivery.outcome.like(f"{flt.outcome}:%"))
        )
    if flt.before_id is not None:
        stmt = stmt.where(Delivery.id < flt.before_id)
    stmt = stmt.order_by(Delivery.id.desc()).limit(max(1, min(flt.limit, 1000)))
    return list((await session.execute(stmt)).scalars().all())


async def get_delivery(session: AsyncSession, delivery_id: int) -> Delivery | None:
    return await session.get(Delivery, delivery_id)


async def attempts_of(session: AsyncSession, delivery_id: int) -> list[DeliveryAttempt]:
    stmt = (
        select(DeliveryAttempt)
        .where(DeliveryAttempt.delivery_id == delivery_id)
        .order_by(DeliveryAttempt.id)
    )
    return list((await session.execute(stmt)).scalars().all())


async def resend(session: AsyncSession, delivery_id: int, now: datetime) -> Delivery | None:
    """Start a new series for this delivery now (a row in flight is left alone)."""
    row = await session.get(Delivery, delivery_id, with_for_update=True)
    if row is None:
        return None
    in_flight = row.state == PENDING and row.lease_until is not None and row.lease_until >= now
    if in_flight:
        return row
    await session.execute(
        delete(PausedPair).where(PausedPair.bot_id == row.bot_id, PausedPair.task_id == row.task_id)
    )
    row.series += 1 if row.attempts or row.state != PENDING else 0
    row.state = PENDING
    row.attempts = 0
    row.trigger_at = row.due_at = row.updated_at = now
    row.completed_at = None
    row.lease_owner = row.lease_token = None
    row.lease_until = None
    return row


async def queue_depth(session: AsyncSession) -> int:
    stmt = select(func.count()).select_from(Delivery).where(Delivery.state == PENDING)
    return int((await session.execute(stmt)).scalar() or 0)


async def paused_pair_count(session: AsyncSession) -> int:
    return int((await session.execute(select(func.count()).select_from(PausedPair))).scalar() or 0)


async def recent_call_times(
    session: AsyncSession, *, since: datetime
) -> list[tuple[int, datetime]]:
    """(bot, start) of every attempt since ``since``: primes the rate limit after a restart."""
    stmt = select(DeliveryAttempt.bot_id, DeliveryAttempt.started_at).where(
        and_(
            DeliveryAttempt.started_at >= since,
            DeliveryAttempt.outcome.not_like("refused_by_policy%"),
        )
    )
    return [(int(b), t) for b, t in (await session.execute(stmt)).all()]
