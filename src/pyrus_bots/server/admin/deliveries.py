"""Admin API for deliveries: the log with its attempts, resend, and pausing a bot's calls.

``GET  /admin/api/deliveries?bot_id=&task_id=&state=&outcome=&before_id=&limit=``
``GET  /admin/api/deliveries/{id}`` (with its attempts, secrets masked)
``POST /admin/api/deliveries/{id}/resend`` (a new series of attempts, now)
``POST /admin/api/bots/{id}/pause`` and ``/resume`` (a paused bot's triggers wait)
``GET  /admin/api/deliveries/paused-bots``
"""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.protocol.pyrus_json import format_datetime
from pyrus_bots.server.admin.auth import require_admin
from pyrus_bots.server.api.context import ID_MAX, PathId
from pyrus_bots.server.clock import SYSTEM_CLOCK, Clock
from pyrus_bots.server.store import delivery_log, outbox
from pyrus_bots.server.store.db import Database
from pyrus_bots.server.store.delivery_log import DeliveryFilter
from pyrus_bots.server.store.notify import notify_deliveries
from pyrus_bots.server.store.outbox import Delivery, DeliveryAttempt


class AdminJSONResponse(Response):
    """Plain JSON: unlike Pyrus JSON, the admin API keeps empty lists and nulls."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


router = APIRouter(
    prefix="/admin/api",
    dependencies=[Depends(require_admin)],
    default_response_class=AdminJSONResponse,
    tags=["deliveries"],
)


def _database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


def _clock(request: Request) -> Clock:
    clock: Clock = getattr(request.app.state, "clock", SYSTEM_CLOCK)
    return clock


def _notify_worker(request: Request, *, bots_changed: bool = False) -> None:
    """Tell this process's delivery worker, if any, to claim (and re-read bots) now."""
    service = getattr(request.app.state, "delivery", None)
    if service is None:
        return
    if bots_changed:
        service.forget_bot_states()
    else:
        service.wake()


def _time(value: Any) -> str | None:
    return format_datetime(value) if value is not None else None


def delivery_json(row: Delivery) -> dict[str, Any]:
    return {
        "id": row.id,
        "bot_id": row.bot_id,
        "task_id": row.task_id,
        "event": row.event,
        "state": row.state,
        "series": row.series,
        "attempts": row.attempts,
        "replaced": row.replaced,
        "outcome": row.outcome,
        "created_at": _time(row.created_at),
        "trigger_at": _time(row.trigger_at),
        "due_at": _time(row.due_at),
        "updated_at": _time(row.updated_at),
        "completed_at": _time(row.completed_at),
        "in_flight": row.lease_token is not None,
    }


def attempt_json(row: DeliveryAttempt) -> dict[str, Any]:
    return {
        "id": row.id,
        "series": row.series,
        "number": row.number,
        "event": row.event,
        "due_at": _time(row.due_at),
        "started_at": row.started_at.isoformat(),
        "finished_at": row.finished_at.isoformat(),
        "latency_ms": row.latency_ms,
        "rate_limit_wait_ms": row.rate_limit_wait_ms,
        "url": row.url,
        "request_headers": row.request_headers,
        "request_body": row.request_body,
        "request_size": row.request_size,
        "request_sha256": row.request_sha256,
        "response_status": row.response_status,
        "response_headers": row.response_headers,
        "response_body": row.response_body,
        "response_size": row.response_size,
        "outcome": row.outcome,
        "detail": row.detail,
        "reply_applied": row.reply_applied,
        "comment_id": row.comment_id,
    }


QueryId = Annotated[int | None, Query(ge=1, le=ID_MAX)]
"""An optional id in the query: beyond 64 bits it is a 422, never a database error."""


def _not_found(delivery_id: int) -> PyrusError:
    return PyrusError("not_found", f"delivery {delivery_id} not found", status=404)


@router.get("/deliveries")
async def list_deliveries(
    request: Request,
    bot_id: QueryId = None,
    task_id: QueryId = None,
    state: str | None = None,
    outcome: str | None = None,
    before_id: QueryId = None,
    limit: int = Query(default=100, ge=1, le=1000),
) -> dict[str, Any]:
    flt = DeliveryFilter(
        bot_id=bot_id,
        task_id=task_id,
        state=state,
        outcome=outcome,
        before_id=before_id,
        limit=limit,
    )
    async with _database(request).session() as session:
        rows = await delivery_log.list_deliveries(session, flt)
    return {"deliveries": [delivery_json(r) for r in rows]}


@router.get("/deliveries/paused-bots")
async def paused_bots(request: Request) -> dict[str, Any]:
    async with _database(request).session() as session:
        ids = sorted(await outbox.paused_bot_ids(session))
    return {"bot_ids": ids}


@router.get("/deliveries/{delivery_id}")
async def read_delivery(request: Request, delivery_id: PathId) -> dict[str, Any]:
    async with _database(request).session() as session:
        row = await delivery_log.get_delivery(session, delivery_id)
        if row is None:
            raise _not_found(delivery_id)
        attempts = await delivery_log.attempts_of(session, delivery_id)
    return {**delivery_json(row), "attempt_log": [attempt_json(a) for a in attempts]}


@router.post("/deliveries/{delivery_id}/resend")
async def resend_delivery(request: Request, delivery_id: PathId) -> dict[str, Any]:
    async with _database(request).session() as session, session.begin():
        row = await outbox.resend(session, delivery_id, _clock(request).now())
        if row is None:
            raise _not_found(delivery_id)
        body = delivery_json(row)
        await notify_deliveries(session)  # workers in other processes claim it at once
    _notify_worker(request)
    return body


@router.post("/bots/{bot_id}/pause")
async def pause_bot(request: Request, bot_id: PathId) -> dict[str, Any]:
    async with _database(request).session() as session, session.begin():
        await outbox.pause_bot(session, bot_id, _clock(request).now())
    _notify_worker(request, bots_changed=True)
    return {"bot_id": bot_id, "paused": True}


@router.post("/bots/{bot_id}/resume")
async def resume_bot(request: Request, bot_id: PathId) -> dict[str, Any]:
    async with _database(request).session() as session, session.begin():
        await outbox.resume_bot(session, bot_id)
        await notify_deliveries(session)  # its waiting triggers are due in every worker
    _notify_worker(request, bots_changed=True)
    return {"bot_id": bot_id, "paused": False}
