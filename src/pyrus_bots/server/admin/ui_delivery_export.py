"""The UI's "export for replay" links: a bot's delivery log (as filtered by task) or one
delivery, as recorded deliveries (see :mod:`pyrus_bots.server.admin.delivery_export`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from pyrus_bots.server.admin.delivery_export import export_response, filtered_attempts
from pyrus_bots.server.admin.ui_context import UIContext, int_or_none, ui_context
from pyrus_bots.server.store import delivery_log
from pyrus_bots.server.store.delivery_log import DeliveryFilter

router = APIRouter()
Ctx = Annotated[UIContext, Depends(ui_context)]

EXPORT_LIMIT = 1000
"""Deliveries in one export from the UI (the admin API pages with ``before_id``)."""


@router.get("/bots/{bot_id}/deliveries/export")
async def export_bot_deliveries(ctx: Ctx, bot_id: int, task: str = "") -> Response:
    if ctx.viewer is None:
        return ctx.to_login()
    if not ctx.viewer.can_manage_bots:
        return ctx.forbidden("Only people who manage integrations may read delivery logs.")
    flt = DeliveryFilter(bot_id=bot_id, task_id=int_or_none(task), limit=EXPORT_LIMIT)
    async with ctx.state.database.session() as db:
        attempts = await filtered_attempts(db, flt)
    return export_response(attempts, f"bot-{bot_id}-deliveries.jsonl")


@router.get("/deliveries/{delivery_id}/export")
async def export_one_delivery(ctx: Ctx, delivery_id: int) -> Response:
    if ctx.viewer is None:
        return ctx.to_login()
    if not ctx.viewer.can_manage_bots:
        return ctx.forbidden("Only people who manage integrations may read delivery logs.")
    async with ctx.state.database.session() as db:
        if await delivery_log.get_delivery(db, delivery_id) is None:
            return ctx.not_found(f"delivery #{delivery_id}")
        attempts = await delivery_log.attempts_of(db, delivery_id)
    return export_response(attempts, f"delivery-{delivery_id}.jsonl")
