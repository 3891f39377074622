"""The UI's Bots pages: list, create, edit, reset the key, pause and resume deliveries.

Reading is open to every signed-in viewer; changes need the right to manage integrations and
catalogs, or the admin token. A security key is shown once, in the answer to the request that
made it, and masked everywhere else.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Form
from fastapi.responses import Response

from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.server.admin import ui_delivery_data
from pyrus_bots.server.admin.ui_context import UIContext, ui_context
from pyrus_bots.server.admin.ui_views import format_time, mask_secret
from pyrus_bots.server.api.context import PathId
from pyrus_bots.server.settings import DEFAULT_BOT_CALL_LIMIT
from pyrus_bots.server.store import bots as bot_store
from pyrus_bots.server.store import outbox
from pyrus_bots.server.store.bots import BotRecord

router = APIRouter()
Ctx = Annotated[UIContext, Depends(ui_context)]

MAX_NAME_LENGTH = 200
MAX_SETTINGS_LENGTH = 64 * 1024
MANAGE_REFUSED = (
    "Only people with the right to manage integrations and catalogs, or the administrator, "
    "may create or change bots."
)


def _rate_window(ctx: UIContext) -> str:
    if ctx.state.settings.bot_call_limit is None:
        return "no call limit"
    limit, window = ctx.state.settings.bot_call_limit
    return f"{limit} calls per {window:g} s"


def _call_limit(ctx: UIContext) -> tuple[int | str, float]:
    """The limit to show beside a bot's calls, and the window they are counted in."""
    if ctx.state.settings.bot_call_limit is None:
        return "no limit", DEFAULT_BOT_CALL_LIMIT[1]
    return ctx.state.settings.bot_call_limit


def _change_refusal(ctx: UIContext, csrf: str) -> Response | None:
    """The answer that stops a form post changing bots, or None when it may go on."""
    if ctx.viewer is None:
        return ctx.to_login()
    if not ctx.viewer.can_manage_bots:
        return ctx.forbidden(MANAGE_REFUSED)
    if not ctx.csrf_ok(csrf):
        return ctx.bad_csrf()
    return None


def _check_hook_url(text: str) -> str | None:
    """An error message, or None when the hook URL is usable (empty means "not set yet").

    Only the shape is checked here, so a typo is caught at once; the delivery layer applies the
    hook policy on every attempt, after DNS.
    """
    if not text:
        return None
    parts = urlsplit(text)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return (
            "The hook URL must be an http:// or https:// address, "
            "such as https://bots.example.com/hook."
        )
    return None


def _bot_view(
    bot: BotRecord, stats: ui_delivery_data.BotCallStats, limit: int | str
) -> dict[str, Any]:
    return {
        "id": bot.person_id,
        "name": bot.name,
        "login": bot.login,
        "masked_key": mask_secret(bot.security_key),
        "hook_url": bot.hook_url,
        "settings": bot.settings,
        "enabled": bot.enabled,
        "send_only_last_comment": bot.send_only_last_comment,
        "calls_in_window": stats.calls_in_window,
        "call_limit": limit,
        "last_success": format_time(stats.last_success) if stats.last_success else "",
        "failure_streak": stats.failure_streak,
        "paused_tasks": stats.paused_tasks,
        "delivery_paused": stats.delivery_paused,
    }


async def _bots_with_stats(ctx: UIContext) -> list[dict[str, Any]]:
    limit, window = _call_limit(ctx)
    async with ctx.state.database.session() as db:
        bots = await bot_store.list_bots(db, ctx.directory.organization_id)
        stats = await ui_delivery_data.bot_call_stats(
            db, now=ctx.state.clock.now(), window_seconds=window
        )
    return [
        _bot_view(b, stats.get(b.person_id, ui_delivery_data.BotCallStats()), limit) for b in bots
    ]


async def _bots_page(
    ctx: UIContext,
    *,
    created: BotRecord | None = None,
    error: str | None = None,
    form_values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    assert ctx.viewer is not None
    return ctx.render(
        "bots.html",
        status_code=status_code,
        title="Bots",
        section="bots",
        bots=await _bots_with_stats(ctx),
        bot_limit=bot_store.MAX_BOTS_PER_ORGANIZATION,
        rate_window=_rate_window(ctx),
        can_manage=ctx.viewer.can_manage_bots,
        created=created,
        error=error,
        form_values=form_values or {},
    )


@router.get("/bots")
async def bots_page(ctx: Ctx) -> Response:
    if ctx.viewer is None:
        return ctx.to_login()
    return await _bots_page(ctx)


@router.post("/bots")
async def create_bot(
    ctx: Ctx,
    csrf: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    hook_url: Annotated[str, Form()] = "",
    settings: Annotated[str, Form()] = "",
    send_only_last_comment: Annotated[str, Form()] = "",
) -> Response:
    refusal = _change_refusal(ctx, csrf)
    if refusal is not None:
        return refusal
    name, hook_url = name.strip(), hook_url.strip()
    values = {"name": name, "hook_url": hook_url, "settings": settings}
    problem = _check_fields(name, hook_url, settings)
    if problem:
        return await _bots_page(ctx, error=problem, form_values=values, status_code=400)
    try:
        async with ctx.state.database.session() as db, db.begin():
            created = await bot_store.create_bot(
                db,
                ctx.directory.organization_id,
                name,
                hook_url=hook_url or None,
                settings=settings or None,
                send_only_last_comment=bool(send_only_last_comment),
            )
    except PyrusError as exc:
        return await _bots_page(
            ctx,
            error=f"The bot was not created: {exc.message}.",
            form_values=values,
            status_code=400,
        )
    ctx.bots_changed()
    return await _bots_page(ctx, created=created)


def _check_fields(name: str, hook_url: str, settings: str) -> str | None:
    if not name:
        return "Give the bot a name."
    if len(name) > MAX_NAME_LENGTH:
        return f"The name is longer than {MAX_NAME_LENGTH} characters."
    if len(settings) > MAX_SETTINGS_LENGTH:
        return f"The settings are longer than {MAX_SETTINGS_LENGTH} characters."
    return _check_hook_url(hook_url)


async def _bot_page(
    ctx: UIContext,
    bot_id: int,
    *,
    new_key: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    assert ctx.viewer is not None
    limit, window = _call_limit(ctx)
    async with ctx.state.database.session() as db:
        bot = await bot_store.get_bot(db, bot_id)
        stats = await ui_delivery_data.bot_call_stats(
            db, now=ctx.state.clock.now(), window_seconds=window
        )
    if bot is None or bot.fired:
        return ctx.not_found(f"bot {bot_id}")
    return ctx.render(
        "bot.html",
        status_code=status_code,
        title=bot.name,
        section="bots",
        bot=_bot_view(bot, stats.get(bot_id, ui_delivery_data.BotCallStats()), limit),
        rate_window=_rate_window(ctx),
        can_manage=ctx.viewer.can_manage_bots,
        new_key=new_key,
        error=error,
    )


@router.get("/bots/{bot_id}")
async def bot_page(ctx: Ctx, bot_id: PathId) -> Response:
    if ctx.viewer is None:
        return ctx.to_login()
    return await _bot_page(ctx, bot_id)


@router.post("/bots/{bot_id}")
async def update_bot(
    ctx: Ctx,
    bot_id: PathId,
    csrf: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    hook_url: Annotated[str, Form()] = "",
    settings: Annotated[str, Form()] = "",
    enabled: Annotated[str, Form()] = "",
    send_only_last_comment: Annotated[str, Form()] = "",
) -> Response:
    refusal = _change_refusal(ctx, csrf)
    if refusal is not None:
        return refusal
    name, hook_url = name.strip(), hook_url.strip()
    problem = _check_fields(name, hook_url, settings)
    if problem:
        return await _bot_page(ctx, bot_id, error=problem, status_code=400)
    async with ctx.state.database.session() as db, db.begin():
        updated = await bot_store.update_bot(
            db,
            bot_id,
            name=name,
            hook_url=hook_url or None,
            settings=settings or None,
            enabled=bool(enabled),
            send_only_last_comment=bool(send_only_last_comment),
        )
    if updated is None:
        return ctx.not_found(f"bot {bot_id}")
    ctx.bots_changed()  # calls that waited for a disabled bot may go now
    return ctx.redirect(f"/bots/{bot_id}", done="bot-saved")


@router.post("/bots/{bot_id}/reset-key")
async def reset_key(ctx: Ctx, bot_id: PathId, csrf: Annotated[str, Form()] = "") -> Response:
    refusal = _change_refusal(ctx, csrf)
    if refusal is not None:
        return refusal
    new_key = bot_store.generate_security_key()
    async with ctx.state.database.session() as db, db.begin():
        updated = await bot_store.update_bot(db, bot_id, security_key=new_key)
    if updated is None:
        return ctx.not_found(f"bot {bot_id}")
    ctx.bots_changed()  # webhooks are signed with the new key from now on
    return await _bot_page(ctx, bot_id, new_key=new_key)


async def _pause_or_resume(
    ctx: UIContext, bot_id: int, csrf: str, next_path: str, *, pause: bool
) -> Response:
    refusal = _change_refusal(ctx, csrf)
    if refusal is not None:
        return refusal
    bot = ctx.directory.people.get(bot_id)
    if bot is None or bot.type != "bot":
        return ctx.not_found(f"bot {bot_id}")
    async with ctx.state.database.session() as db, db.begin():
        if pause:
            await outbox.pause_bot(db, bot_id, ctx.state.clock.now())
        else:
            await outbox.resume_bot(db, bot_id)
    ctx.bots_changed()
    target = (
        next_path[len("/ui") :] if next_path.startswith("/ui/") else (f"/bots/{bot_id}/deliveries")
    )
    return ctx.redirect(target, done="bot-paused" if pause else "bot-resumed")


@router.post("/bots/{bot_id}/pause")
async def pause_bot(
    ctx: Ctx,
    bot_id: PathId,
    csrf: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    return await _pause_or_resume(ctx, bot_id, csrf, next, pause=True)


@router.post("/bots/{bot_id}/resume")
async def resume_bot(
    ctx: Ctx,
    bot_id: PathId,
    csrf: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    return await _pause_or_resume(ctx, bot_id, csrf, next, pause=False)
