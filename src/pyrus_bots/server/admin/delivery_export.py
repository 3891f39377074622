"""Exporting the delivery log as recorded deliveries, to replay into a bot (under a debugger,
or as the bot's regression tests): the format of
:mod:`pyrus_bots.protocol.models.recording`, one attempt per line (JSON Lines).

``GET /admin/api/deliveries/export?bot_id=&task_id=&state=&outcome=&before_id=&limit=``
``GET /admin/api/deliveries/{id}/export``

Each attempt is one recording: the body as sent (the access token masked, as the attempt log
keeps it), the headers that matter and the bot's answer with its latency.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.protocol.models.recording import RecordedDelivery
from pyrus_bots.server.admin.auth import require_admin
from pyrus_bots.server.store import delivery_log
from pyrus_bots.server.store.db import Database
from pyrus_bots.server.store.delivery_log import DeliveryFilter
from pyrus_bots.server.store.outbox import DeliveryAttempt

__all__ = [
    "EXPORT_MEDIA_TYPE",
    "export_response",
    "filtered_attempts",
    "recording_of",
    "router",
]

EXPORT_MEDIA_TYPE = "application/x-ndjson"

router = APIRouter(prefix="/admin/api", dependencies=[Depends(require_admin)], tags=["deliveries"])


def recording_of(attempt: DeliveryAttempt) -> RecordedDelivery:
    response = attempt.response_body
    return RecordedDelivery.capture(
        source="platform",
        body=attempt.request_body.encode(),
        headers=dict(attempt.request_headers or {}),
        status=attempt.response_status,
        reply=response.encode() if response else b"",
        duration_ms=attempt.latency_ms,
        bot=str(attempt.bot_id),
        delivery_id=attempt.delivery_id,
        recorded_at=attempt.started_at,
    )


async def filtered_attempts(session: AsyncSession, flt: DeliveryFilter) -> list[DeliveryAttempt]:
    """The attempts of the deliveries ``flt`` selects, oldest delivery first."""
    attempts: list[DeliveryAttempt] = []
    for delivery in reversed(await delivery_log.list_deliveries(session, flt)):
        attempts.extend(await delivery_log.attempts_of(session, delivery.id))
    return attempts


def export_response(attempts: list[DeliveryAttempt], filename: str) -> Response:
    """The attempts as a JSON Lines download."""
    return Response(
        b"".join(recording_of(a).to_line() for a in attempts),
        media_type=EXPORT_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


@router.get("/deliveries/export")
async def export_deliveries(
    request: Request,
    bot_id: int | None = None,
    task_id: int | None = None,
    state: str | None = None,
    outcome: str | None = None,
    before_id: int | None = None,
    limit: int = Query(default=100, ge=1, le=1000),
) -> Response:
    """The attempts of the deliveries the filter selects (as the delivery list does), oldest
    delivery first."""
    flt = DeliveryFilter(
        bot_id=bot_id,
        task_id=task_id,
        state=state,
        outcome=outcome,
        before_id=before_id,
        limit=limit,
    )
    async with _database(request).session() as session:
        attempts = await filtered_attempts(session, flt)
    return export_response(attempts, "deliveries.jsonl")


@router.get("/deliveries/{delivery_id}/export")
async def export_delivery(request: Request, delivery_id: int) -> Response:
    async with _database(request).session() as session:
        if await delivery_log.get_delivery(session, delivery_id) is None:
            raise PyrusError("not_found", f"delivery {delivery_id} not found", status=404)
        attempts = await delivery_log.attempts_of(session, delivery_id)
    return export_response(attempts, f"delivery-{delivery_id}.jsonl")
