"""The delivery outbox: pending webhook calls, their attempts, paused pairs and paused bots.

A change that must call a bot writes a ``deliveries`` row in the same transaction as the change
(:func:`enqueue`). Workers claim due rows under a lease (:func:`claim_due`, ``FOR UPDATE SKIP
LOCKED`` on PostgreSQL, in ``store.outbox_claims``), and finish each attempt in one transaction
that re-checks the lease (here). The attempts table doubles as the bot call log the rate limit is
computed from; the read side (the delivery log) is ``store.delivery_log``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Literal, cast

import orjson
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
    bindparam,
    delete,
    insert,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

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
    """The start of the body (``request_log_limit`` bytes); the size and digest name the rest."""
    request_size: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    request_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
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


_attempts = cast(Table, DeliveryAttempt.__table__)


_LOCK_LEASED_MANY_POSTGRESQL = text(
    """
    UPDATE deliveries AS d SET lease_token = d.lease_token
    FROM unnest(CAST(:ids AS bigint[]), CAST(:tokens AS varchar[])) AS l(id, token)
    WHERE d.id = l.id AND d.lease_token = l.token AND d.state = 'pending'
    RETURNING d.id
    """
)
"""PostgreSQL: one statement text whatever the batch's size (prepared once per connection)."""


async def lock_leased_many(session: AsyncSession, leases: Mapping[int, str]) -> set[int]:
    """Of the deliveries ``{id: lease token}``, those whose lease still holds, now locked (one
    statement for them all; the write takes SQLite's write lock, as :func:`lock_leased`)."""
    if not leases:
        return set()
    if dialect_name(session) == "postgresql":
        params = {"ids": list(leases), "tokens": list(leases.values())}
        held = await session.execute(_LOCK_LEASED_MANY_POSTGRESQL, params)
        return set(held.scalars())
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


_COMPLETE_MANY_POSTGRESQL = text(
    """
    UPDATE deliveries AS d SET state = 'done', attempts = c.attempts, outcome = c.outcome,
        completed_at = :now, updated_at = :now,
        lease_owner = NULL, lease_token = NULL, lease_until = NULL
    FROM unnest(CAST(:ids AS bigint[]), CAST(:attempts AS integer[]),
                CAST(:outcomes AS varchar[])) AS c(id, attempts, outcome)
    WHERE d.id = c.id
    """
).bindparams(bindparam("now", type_=UTCDateTime()))


async def complete_many(
    session: AsyncSession, completed: Sequence[tuple[int, int, str]], now: datetime
) -> None:
    """Mark deliveries ``(id, attempts made, outcome)`` done (their leases locked by
    :func:`lock_leased_many`) in one statement (on PostgreSQL one row-set, not a row each)."""
    if not completed:
        return
    if dialect_name(session) == "postgresql":
        ids, attempts, outcomes = zip(*completed, strict=True)
        params = {"ids": ids, "attempts": attempts, "outcomes": outcomes, "now": now}
        await session.execute(_COMPLETE_MANY_POSTGRESQL, params)
        return
    await session.execute(
        _COMPLETE,
        [
            {"p_id": delivery_id, "p_attempts": attempts, "p_outcome": outcome, "p_now": now}
            for delivery_id, attempts, outcome in completed
        ],
    )


_ATTEMPT_TYPES: dict[str, str] = {
    "delivery_id": "bigint",
    "bot_id": "bigint",
    "task_id": "bigint",
    "series": "integer",
    "number": "integer",
    "event": "varchar",
    "due_at": "timestamptz",
    "started_at": "timestamptz",
    "finished_at": "timestamptz",
    "latency_ms": "float8",
    "rate_limit_wait_ms": "float8",
    "url": "text",
    "request_headers": "json",
    "request_body": "text",
    "request_size": "bigint",
    "request_sha256": "varchar",
    "response_status": "integer",
    "response_headers": "json",
    "response_body": "text",
    "response_size": "bigint",
    "outcome": "varchar",
    "detail": "text",
    "reply_applied": "boolean",
    "comment_id": "bigint",
}
_JSON_COLUMNS = frozenset(c for c, kind in _ATTEMPT_TYPES.items() if kind == "json")
_RECORD_ATTEMPTS_POSTGRESQL = text(
    (
        "INSERT INTO delivery_attempts ({columns}) "
        "SELECT {values} FROM unnest({arrays}) AS a({names})"
    ).format(
        columns=", ".join(_ATTEMPT_TYPES),
        values=", ".join(
            f"CAST(a.{c} AS json)" if c in _JSON_COLUMNS else f"a.{c}" for c in _ATTEMPT_TYPES
        ),
        arrays=", ".join(
            f"CAST(:{c} AS {'text' if kind == 'json' else kind}[])"
            for c, kind in _ATTEMPT_TYPES.items()
        ),
        names=", ".join(_ATTEMPT_TYPES),
    )
)
"""PostgreSQL: a batch of attempt rows as one row-set (a column of values each; JSON as text)."""


async def record_attempts(session: AsyncSession, attempts: Sequence[Mapping[str, Any]]) -> None:
    """Insert attempt log rows (column values of :class:`DeliveryAttempt`) in one statement."""
    if not attempts:
        return
    if dialect_name(session) == "postgresql":
        params: dict[str, list[Any]] = {}
        for column in _ATTEMPT_TYPES:
            values = [row.get(column) for row in attempts]
            if column in _JSON_COLUMNS:
                values = [None if v is None else orjson.dumps(v).decode() for v in values]
            params[column] = values
        await session.execute(_RECORD_ATTEMPTS_POSTGRESQL, params)
        return
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


# --- resending ---------------------------------------------------------------------------


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
