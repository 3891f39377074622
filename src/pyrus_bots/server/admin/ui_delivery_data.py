"""What the UI reads from the delivery outbox: per-bot call statistics and the delivery log.

Read-only queries over the outbox tables (``store.outbox``); writes (resend, pause, resume) go
through the outbox's own functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from pyrus_bots.server.admin.ui_views import format_time, pretty_json, sorted_headers
from pyrus_bots.server.store import outbox
from pyrus_bots.server.store.outbox import Delivery, DeliveryAttempt, PausedBot, PausedPair

SUCCESS_OUTCOME = "success"
STATUSES = ("succeeded", "invalid_reply", "pending", "retrying", "paused", "failed", "superseded")
"""What the log's outcome filter offers, in the order shown."""
LOG_LIMIT = 200  # deliveries one page of the log shows


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
    rows = await session.execute(select(PausedPair.delivery_id).where(PausedPair.bot_id == bot_id))
    return {int(i) for i in rows.scalars().all()}


def delivery_status(row: Delivery, paused_ids: set[int]) -> str:
    """One word for the log: how this delivery stands now."""
    if row.state == outbox.DONE:
        if row.outcome and row.outcome.startswith("invalid_reply"):
            return "invalid_reply"
        return "succeeded"
    if row.state == outbox.FAILED:
        return "paused" if row.id in paused_ids else "failed"
    if row.state == outbox.SUPERSEDED:
        return "superseded"
    return "retrying" if row.attempts else "pending"


def _filter_for(bot_id: int, status: str | None, task_id: int | None) -> outbox.DeliveryFilter:
    flt = outbox.DeliveryFilter(bot_id=bot_id, task_id=task_id, limit=LOG_LIMIT)
    if status == "succeeded":
        flt.state, flt.outcome = outbox.DONE, SUCCESS_OUTCOME
    elif status == "invalid_reply":
        flt.state, flt.outcome = outbox.DONE, "invalid_reply"
    elif status in {"paused", "failed"}:
        flt.state = outbox.FAILED
    elif status in {"pending", "retrying"}:
        flt.state = outbox.PENDING
    elif status == "superseded":
        flt.state = outbox.SUPERSEDED
    return flt


async def delivery_log(
    session: AsyncSession, bot_id: int, *, status: str | None, task_id: int | None
) -> list[dict[str, Any]]:
    rows = await outbox.list_deliveries(session, _filter_for(bot_id, status, task_id))
    paused_ids = await paused_delivery_ids(session, bot_id)
    counts: dict[int, int] = {}
    if rows:
        counted = await session.execute(
            select(DeliveryAttempt.delivery_id, func.count())
            .where(DeliveryAttempt.delivery_id.in_([r.id for r in rows]))
            .group_by(DeliveryAttempt.delivery_id)
        )
        counts = {int(d): int(c) for d, c in counted.all()}
    out = []
    for row in rows:
        shown = delivery_status(row, paused_ids)
        if status and shown != status:
            continue
        out.append(
            {
                "id": row.id,
                "task_id": row.task_id,
                "event": row.event,
                "created": format_time(row.created_at),
                "status": shown,
                "attempt_count": counts.get(row.id, 0),
                "last_reason": row.outcome if row.outcome != SUCCESS_OUTCOME else "",
            }
        )
    return out


def _latency(ms: float | None) -> str:
    if ms is None:
        return "—"
    return f"{ms:.0f} ms" if ms >= 10 else f"{ms:.1f} ms"


async def delivery_page(
    session: AsyncSession, delivery_id: int, *, now: datetime
) -> dict[str, Any] | None:
    row = await outbox.get_delivery(session, delivery_id)
    if row is None:
        return None
    paused_ids = await paused_delivery_ids(session, row.bot_id)
    paused_bot = await session.get(PausedBot, row.bot_id) is not None
    attempts = []
    for a in await outbox.attempts_of(session, delivery_id):
        headers = sorted_headers(a.request_headers)
        retry = next((v for k, v in headers if k.lower() == "x-pyrus-retry"), None)
        reason = a.outcome if a.outcome != SUCCESS_OUTCOME else ""
        if a.detail and a.detail not in reason:
            reason = f"{reason} ({a.detail})" if reason else a.detail
        if a.rate_limit_wait_ms:
            reason = (reason + "; " if reason else "") + (
                f"waited {a.rate_limit_wait_ms / 1000:.1f} s for the bot's rate limit"
            )
        attempts.append(
            {
                "series": a.series,
                "number": a.number,
                "retry_header": retry,
                "ok": a.outcome == SUCCESS_OUTCOME,
                "started": format_time(a.started_at),
                "url": a.url,
                "status": a.response_status,
                "latency": _latency(a.latency_ms),
                "reason": reason,
                "applied": a.reply_applied,
                "request_headers": headers,
                "request_body": pretty_json(a.request_body),
                "response_headers": sorted_headers(a.response_headers),
                "response_body": pretty_json(a.response_body),
            }
        )
    status = delivery_status(row, paused_ids)
    return {
        "id": row.id,
        "bot_id": row.bot_id,
        "task_id": row.task_id,
        "event": row.event,
        "status": status,
        "live": row.state == outbox.PENDING,
        "created": format_time(row.created_at),
        "next_attempt_at": format_time(row.due_at) if row.state == outbox.PENDING else "",
        "series": row.series,
        "attempts": attempts,
        "bot_paused": paused_bot,
        "now": format_time(now),
    }
