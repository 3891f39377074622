"""Bot management (spec 4.6): list, create, update, delete.

Every call needs the ``manage_integrations_and_catalogs`` right, as in Pyrus. Creation respects
the 100-bot limit and generates the ``bot@<20 hex>`` login and the security key; the key is in the
creation answer only.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession

from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.protocol.models.account_requests import CreateBotRequest, UpdateBotRequest
from pyrus_bots.server.api.body import json_body, parse_bool, read_body, read_json_object
from pyrus_bots.server.api.context import Caller, CallerDep, PathId, api_state
from pyrus_bots.server.api.responses import CollectionResponse, PyrusJSONResponse
from pyrus_bots.server.api.rights import (
    MANAGE_INTEGRATIONS_AND_CATALOGS,
    require_right,
    right_names,
)
from pyrus_bots.server.api.transactions import reading, writing
from pyrus_bots.server.store import bots as bot_store
from pyrus_bots.server.store import people as people_store
from pyrus_bots.server.store.bots import BotRecord
from pyrus_bots.server.store.workspace_writes import rights_of
from pyrus_bots.server.workflow.entities import rights_flags

router = APIRouter(tags=["bots"])

# Request key -> store field, for the keys PUT /bots/{id} may change.
_UPDATABLE: dict[str, str] = {
    "name": "name",
    "hook_url": "hook_url",
    "bot_settings": "settings",
    "is_enabled": "enabled",
    "send_only_last_comment": "send_only_last_comment",
    "description": "description",
    "locale": "locale",
    "time_zone_offset": "time_zone_offset",
    "external_id": "external_id",
}


def bot_changes(body: UpdateBotRequest) -> dict[str, Any]:
    """The store fields a bot update sets (v4 and admin API alike); ``null`` means "leave as
    is", since several of these columns cannot be empty."""
    sent = body.model_dump(include=set(_UPDATABLE), exclude_none=True)
    return {field: sent[key] for key, field in _UPDATABLE.items() if key in sent}


def render_bot(
    bot: BotRecord, *, with_key: bool = False, rights: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """The Bot object of spec 3.10 (``security_key`` only when asked: creation answers);
    ``rights`` as PersonRights flags, a number as the clients read it."""
    return {
        "id": bot.person_id,
        "name": bot.name,
        "login": bot.login,
        "external_id": bot.external_id,
        "is_enabled": bot.enabled,
        "fired": bot.fired,
        "hook_url": bot.hook_url,
        "description": bot.description,
        "bot_settings": bot.settings,
        "version": bot.version,
        "send_only_last_comment": bot.send_only_last_comment,
        "locale": bot.locale,
        "time_zone_offset": bot.time_zone_offset,
        "rights": rights_flags(rights),
        "security_key": bot.security_key if with_key else None,
    }


def _check_name(name: Any) -> str:
    if not isinstance(name, str) or not name.strip():
        raise PyrusError("required_parameter_missing", "name must be a non-empty string")
    return name.strip()


def _org_bot(caller: Caller, bot: BotRecord | None, bot_id: PathId) -> BotRecord:
    if bot is None or bot.organization_id != caller.directory.organization_id:
        raise PyrusError("access_denied_person", f"there is no bot {bot_id}")
    return bot


@router.get("/bots", summary="Bots of the organisation")
async def list_bots(
    caller: CallerDep,
    request: Request,
    include_fired: Annotated[str, Query(description="true/false in any case")] = "false",
) -> PyrusJSONResponse:
    require_right(caller, MANAGE_INTEGRATIONS_AND_CATALOGS)
    fired = parse_bool(include_fired, "include_fired")
    async with reading(api_state(request)) as session:
        bots = await bot_store.list_bots(
            session, caller.directory.organization_id, include_fired=fired
        )
    people = caller.directory.people
    return CollectionResponse(
        {
            "bots": [
                render_bot(b, rights=p.rights if (p := people.get(b.person_id)) else frozenset())
                for b in bots
            ]
        },
        "bots",
    )


async def store_new_bot(
    session: AsyncSession, organization_id: int | None, name: str, body: CreateBotRequest
) -> BotRecord:
    """A new bot named ``name`` with the settings of ``body`` (the API's and the admin API's)."""
    return await bot_store.create_bot(
        session,
        organization_id,
        name,
        hook_url=body.hook_url,
        settings=body.bot_settings,
        enabled=body.is_enabled is not False,
        send_only_last_comment=body.send_only_last_comment is True,
        description=body.description,
        external_id=body.external_id,
    )


@router.post("/bots", summary="Create a bot", openapi_extra=json_body(CreateBotRequest))
async def create_bot(request: Request, caller: CallerDep) -> PyrusJSONResponse:
    require_right(caller, MANAGE_INTEGRATIONS_AND_CATALOGS)
    body = await read_body(request, CreateBotRequest)
    state = api_state(request)
    async with writing(state) as session:
        bot = await store_new_bot(
            session, caller.directory.organization_id, _check_name(body.name), body
        )
    state.directories.invalidate()
    return PyrusJSONResponse(render_bot(bot, with_key=True))


@router.put("/bots/{bot_id}", summary="Change a bot", openapi_extra=json_body(UpdateBotRequest))
async def update_bot(bot_id: PathId, request: Request, caller: CallerDep) -> PyrusJSONResponse:
    require_right(caller, MANAGE_INTEGRATIONS_AND_CATALOGS)
    body = await read_body(request, UpdateBotRequest)
    changes = bot_changes(body)
    if "name" in changes:
        changes["name"] = _check_name(changes["name"])
    rights = None if body.rights is None else right_names(body.rights)
    state = api_state(request)
    async with writing(state) as session:
        _org_bot(caller, await bot_store.get_bot(session, bot_id), bot_id)
        bot = await bot_store.update_bot(session, bot_id, **changes) if changes else None
        bot = _org_bot(caller, bot or await bot_store.get_bot(session, bot_id), bot_id)
        if rights is not None:
            # The bot's rights take effect at once: the API checks them as a person's.
            await people_store.update_person(session, bot_id, rights=rights)
        held = frozenset(await rights_of(session, bot_id))
    state.directories.invalidate()
    return PyrusJSONResponse(render_bot(bot, rights=held))


@router.delete("/bots/{bot_id}", summary="Delete (fire) a bot")
async def delete_bot(bot_id: PathId, request: Request, caller: CallerDep) -> PyrusJSONResponse:
    require_right(caller, MANAGE_INTEGRATIONS_AND_CATALOGS)
    # The body (``task_receiver_id``) is optional; tasks keep their bot author as Pyrus does.
    await read_json_object(request, allow_empty=True)
    state = api_state(request)
    async with writing(state) as session:
        _org_bot(caller, await bot_store.get_bot(session, bot_id), bot_id)
        bot = _org_bot(caller, await bot_store.delete_bot(session, bot_id), bot_id)
    state.directories.invalidate()
    return PyrusJSONResponse(render_bot(bot))
