"""What the UI reads from the delivery outbox: per-bot call statistics and the delivery log.

Reads go through the outbox's read side (``store.delivery_log``); writes (resend, pause, resume)
through the outbox's own functions (``store.outbox``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from pyrus_bots.server.admin.ui_views import format_time, pretty_json, sorted_headers
from pyrus_bots.server.store import delivery_log as log_store
from pyrus_bots.server.store import outbox
from pyrus_bots.server.store.delivery_log import (
    SUCCESS_OUTCOME,
    BotCallStats,
    DeliveryFilter,
    bot_call_stats,
    is_bot_paused,
    paused_delivery_ids,
)
from pyrus_bots.server.store.outbox import Delivery

__all__ = [
    "STATUSES",
    "BotCallStats",
    "bot_call_stats",
    "delivery_log",
    "delivery_page",
    "is_bot_paused",
]
STATUSES = ("succeeded", "invalid_reply", "pending", "retrying", "paused", "failed", "superseded")
"""What the log's outcome filter offers, in the order shown."""
LOG_LIMIT = 200  # deliveries one page of the log shows


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


def _filter_for(bot_id: int, status: str | None, task_id: int | None) -> DeliveryFilter:
    flt = DeliveryFilter(bot_id=bot_id, task_id=task_id, limit=LOG_LIMIT)
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
    rows = await log_store.list_deliveries(session, _filter_for(bot_id, status, task_id))
    paused_ids = await paused_delivery_ids(session, bot_id)
    counts = await log_store.attempt_counts(session, [r.id for r in rows])
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
    row = await log_store.get_delivery(session, delivery_id)
    if row is None:
        return None
    paused_ids = await paused_delivery_ids(session, row.bot_id)
    paused_bot = await is_bot_paused(session, row.bot_id)
    attempts = []
    for a in await log_store.attempts_of(session, delivery_id):
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
