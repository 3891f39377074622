"""The read side of the outbox: the delivery log, queue gauges and per-bot call statistics.

What the admin API, the web UI, the worker's gauges and the call limit's start read; every
write goes through ``store.outbox``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from pyrus_bots.server.store.outbox import PENDING, Delivery, DeliveryAttempt, PausedBot, PausedPair

SUCCESS_OUTCOME = "success"


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


@dataclass(slots=True)
class BotCallStats:
    calls_in_window: int = 0
    last_success: datetime | None = None
    failure_streak: int = 0
    paused_tasks: int = 0
    delivery_paused: bool = False


async def bot_call_stats(
    session: AsyncSession, *, now: datetime, window_seconds: float
) -> dict[int, BotCallStats]:
    """For every bot with any delivery history: calls in the current rate window, last
    success, failed attempts since then, paused tasks and whether an admin paused it."""
    stats: dict[int, BotCallStats] = {}

    def of(bot_id: int) -> BotCallStats:
        return stats.setdefault(int(bot_id), BotCallStats())

    since = now - timedelta(seconds=window_seconds)
    calls = await session.execute(
        select(DeliveryAttempt.bot_id, func.count())
        .where(
            DeliveryAttempt.started_at >= since,
            DeliveryAttempt.outcome.not_like("refused_by_policy%"),
        )
        .group_by(DeliveryAttempt.bot_id)
    )
    for bot_id, count in calls.all():
        of(bot_id).calls_in_window = int(count)

    last_ok = (
        select(
            DeliveryAttempt.bot_id.label("bot_id"),
            func.max(DeliveryAttempt.id).label("last_id"),
            func.max(DeliveryAttempt.started_at).label("last_at"),
        )
        .where(DeliveryAttempt.outcome == SUCCESS_OUTCOME)
        .group_by(DeliveryAttempt.bot_id)
        .subquery()
    )
    for bot_id, _, last_at in (await session.execute(select(last_ok))).all():
        of(bot_id).last_success = last_at
    streaks = await session.execute(
        select(DeliveryAttempt.bot_id, func.count())
        .select_from(DeliveryAttempt)
        .outerjoin(last_ok, last_ok.c.bot_id == DeliveryAttempt.bot_id)
        .where(
            DeliveryAttempt.outcome != SUCCESS_OUTCOME,
            (last_ok.c.last_id.is_(None)) | (DeliveryAttempt.id > last_ok.c.last_id),
        )
        .group_by(DeliveryAttempt.bot_id)
    )
    for bot_id, count in streaks.all():
        of(bot_id).failure_streak = int(count)

    paused = await session.execute(
        select(PausedPair.bot_id, func.count()).group_by(PausedPair.bot_id)
    )
    for bot_id, count in paused.all():
        of(bot_id).paused_tasks = int(count)
    for bot_id in (await session.execute(select(PausedBot.bot_id))).scalars().all():
        of(bot_id).delivery_paused = True
    return stats


async def paused_delivery_ids(session: AsyncSession, bot_id: int) -> set[int]:
    """The deliveries of ``bot_id`` whose failed series paused their (bot, task) pair."""
    rows = await session.execute(select(PausedPair.delivery_id).where(PausedPair.bot_id == bot_id))
    return {int(i) for i in rows.scalars().all()}


async def is_bot_paused(session: AsyncSession, bot_id: int) -> bool:
    return await session.get(PausedBot, bot_id) is not None


async def attempt_counts(session: AsyncSession, delivery_ids: Sequence[int]) -> dict[int, int]:
    """How many attempts each of these deliveries made (all series)."""
    if not delivery_ids:
        return {}
    counted = await session.execute(
        select(DeliveryAttempt.delivery_id, func.count())
        .where(DeliveryAttempt.delivery_id.in_(list(delivery_ids)))
        .group_by(DeliveryAttempt.delivery_id)
    )
    return {int(d): int(c) for d, c in counted.all()}
