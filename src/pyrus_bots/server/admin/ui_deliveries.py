"""The UI's delivery pages: a bot's delivery log, one delivery with its attempts, Resend."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form
from fastapi.responses import Response

from pyrus_bots.server.admin import ui_delivery_data
from pyrus_bots.server.admin.ui_context import UIContext, int_or_none, ui_context
from pyrus_bots.server.admin.ui_views import full_name
from pyrus_bots.server.api.context import PathId
from pyrus_bots.server.store import outbox

router = APIRouter()
Ctx = Annotated[UIContext, Depends(ui_context)]


@router.get("/bots/{bot_id}/deliveries")
async def delivery_log(ctx: Ctx, bot_id: PathId, outcome: str = "", task: str = "") -> Response:
    if ctx.viewer is None:
        return ctx.to_login()
    if not ctx.viewer.can_manage_bots:
        return ctx.forbidden("Only people who manage integrations may read delivery logs.")
    bot = ctx.directory.people.get(bot_id)
    if bot is None or bot.type != "bot":
        return ctx.not_found(f"bot {bot_id}")
    status = outcome if outcome in ui_delivery_data.STATUSES else None
    task_id = int_or_none(task)
    async with ctx.state.database.session() as db:
        rows = await ui_delivery_data.delivery_log(db, bot_id, status=status, task_id=task_id)
        paused = await ui_delivery_data.is_bot_paused(db, bot_id)
    return ctx.render(
        "deliveries.html",
        title=f"Delivery log: {full_name(bot)}",
        section="bots",
        bot={"id": bot_id, "name": full_name(bot), "delivery_paused": paused},
        deliveries=rows,
        outcomes=ui_delivery_data.STATUSES,
        filters={"outcome": status, "task": task_id},
        query=urlencode({"outcome": status or "", "task": task_id or ""}),
        can_manage=ctx.viewer.can_manage_bots,
    )


@router.get("/deliveries/{delivery_id}")
async def delivery_page(ctx: Ctx, delivery_id: PathId) -> Response:
    if ctx.viewer is None:
        return ctx.to_login()
    if not ctx.viewer.can_manage_bots:
        return ctx.forbidden("Only people who manage integrations may read delivery logs.")
    async with ctx.state.database.session() as db:
        page = await ui_delivery_data.delivery_page(db, delivery_id, now=ctx.state.clock.now())
    if page is None:
        return ctx.not_found(f"delivery #{delivery_id}")
    bot = ctx.directory.people.get(page["bot_id"])
    page["bot_name"] = full_name(bot) if bot else f"bot {page['bot_id']}"
    return ctx.render(
        "delivery.html",
        title=f"Delivery #{delivery_id}",
        section="bots",
        d=page,
        can_manage=ctx.viewer.can_manage_bots,
    )


@router.post("/deliveries/{delivery_id}/resend")
async def resend(ctx: Ctx, delivery_id: PathId, csrf: Annotated[str, Form()] = "") -> Response:
    if ctx.viewer is None:
        return ctx.to_login()
    if not ctx.viewer.can_manage_bots:
        return ctx.forbidden("Only people who manage integrations may resend deliveries.")
    if not ctx.csrf_ok(csrf):
        return ctx.bad_csrf()
    async with ctx.state.database.session() as db, db.begin():
        row = await outbox.resend(db, delivery_id, ctx.state.clock.now())
    if row is None:
        return ctx.not_found(f"delivery #{delivery_id}")
    ctx.state.on_deliveries()
    return ctx.redirect(f"/deliveries/{delivery_id}", done="resent")
