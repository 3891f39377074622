"""The admin JSON API for workspace objects (DESIGN.md 3.3): people, roles, bots, forms,
catalogs; bots can be created, changed and given a new security key.

Mounted at ``/admin/api`` behind :func:`pyrus_bots.server.admin.auth.require_admin`. Security keys
are never listed: only the answers to creating a bot and to resetting its key carry one.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.protocol.models.account_requests import CreateBotRequest, UpdateBotRequest
from pyrus_bots.server.admin.auth import require_admin
from pyrus_bots.server.api.body import json_body, read_body
from pyrus_bots.server.api.bots import bot_changes, render_bot, store_new_bot
from pyrus_bots.server.api.context import ApiState, PathId, api_state
from pyrus_bots.server.api.responses import PyrusJSONResponse
from pyrus_bots.server.api.transactions import reading, writing
from pyrus_bots.server.store import bots as bot_store
from pyrus_bots.server.store.bots import BotRecord
from pyrus_bots.server.workflow.render import (
    render_catalog,
    render_catalog_info,
    render_form,
    render_person,
    render_role,
)
from pyrus_bots.server.workflow.state import Directory

router = APIRouter(
    prefix="/admin/api",
    dependencies=[Depends(require_admin)],
    default_response_class=PyrusJSONResponse,
    tags=["admin"],
)


async def _directory(state: ApiState) -> Directory:
    async with reading(state) as session:
        return await state.directories.get(session)


def _bots_changed(request: Request) -> None:
    """Let this process's delivery worker re-read bot settings (hook URL, enabled)."""
    api_state(request).directories.invalidate()
    delivery = getattr(request.app.state, "delivery", None)
    if delivery is not None:
        delivery.forget_bot_states()


def _not_found(kind: str, object_id: int) -> PyrusError:
    return PyrusError("not_found", f"there is no {kind} {object_id}", 404)


@router.get("/people")
async def people(request: Request) -> PyrusJSONResponse:
    directory = await _directory(api_state(request))
    return PyrusJSONResponse(
        {
            "people": [
                {**render_person(p), "rights": sorted(p.rights)}
                for p in sorted(directory.people.values(), key=lambda p: p.id)
            ]
        }
    )


@router.get("/people/{person_id}")
async def person(person_id: PathId, request: Request) -> PyrusJSONResponse:
    found = (await _directory(api_state(request))).people.get(person_id)
    if found is None:
        raise _not_found("person", person_id)
    return PyrusJSONResponse({**render_person(found), "rights": sorted(found.rights)})


@router.get("/roles")
async def roles(request: Request) -> PyrusJSONResponse:
    directory = await _directory(api_state(request))
    listed = sorted(directory.roles.values(), key=lambda r: r.id)
    return PyrusJSONResponse({"roles": [render_role(r) for r in listed]})


@router.get("/forms")
async def forms(request: Request) -> PyrusJSONResponse:
    directory = await _directory(api_state(request))
    listed = sorted(directory.forms.values(), key=lambda f: f.id)
    return PyrusJSONResponse({"forms": [render_form(directory, f) for f in listed]})


@router.get("/forms/{form_id}")
async def form(form_id: PathId, request: Request) -> PyrusJSONResponse:
    directory = await _directory(api_state(request))
    found = directory.forms.get(form_id)
    if found is None:
        raise _not_found("form", form_id)
    return PyrusJSONResponse(render_form(directory, found))


@router.get("/catalogs")
async def catalogs(request: Request) -> PyrusJSONResponse:
    directory = await _directory(api_state(request))
    listed = sorted(directory.catalogs.values(), key=lambda c: c.id)
    return PyrusJSONResponse({"catalogs": [render_catalog_info(c) for c in listed]})


@router.get("/catalogs/{catalog_id}")
async def catalog(catalog_id: PathId, request: Request) -> PyrusJSONResponse:
    found = (await _directory(api_state(request))).catalogs.get(catalog_id)
    if found is None:
        raise _not_found("catalog", catalog_id)
    return PyrusJSONResponse(render_catalog(found, include_deleted=True))


@router.get("/bots")
async def bots(request: Request) -> PyrusJSONResponse:
    async with reading(api_state(request)) as session:
        listed = await bot_store.list_bots(session, include_fired=True)
    return PyrusJSONResponse({"bots": [render_bot(b) for b in listed]})


async def _bot(state: ApiState, bot_id: int) -> BotRecord:
    async with reading(state) as session:
        found = await bot_store.get_bot(session, bot_id)
    if found is None:
        raise _not_found("bot", bot_id)
    return found


@router.get("/bots/{bot_id}")
async def bot(bot_id: PathId, request: Request) -> PyrusJSONResponse:
    return PyrusJSONResponse(render_bot(await _bot(api_state(request), bot_id)))


@router.post("/bots", openapi_extra=json_body(CreateBotRequest))
async def create_bot(request: Request) -> PyrusJSONResponse:
    body = await read_body(request, CreateBotRequest)
    name = body.name.strip()
    if not name:
        raise PyrusError("required_parameter_missing", "name must not be empty")
    async with writing(api_state(request)) as session:
        created = await store_new_bot(session, None, name, body)
    _bots_changed(request)
    return PyrusJSONResponse(render_bot(created, with_key=True))


@router.put("/bots/{bot_id}", openapi_extra=json_body(UpdateBotRequest))
async def update_bot(bot_id: PathId, request: Request) -> PyrusJSONResponse:
    body = await read_body(request, UpdateBotRequest)
    changes = bot_changes(body)
    async with writing(api_state(request)) as session:
        updated = await bot_store.update_bot(session, bot_id, **changes)
    if updated is None:
        raise _not_found("bot", bot_id)
    _bots_changed(request)
    return PyrusJSONResponse(render_bot(updated))


@router.post("/bots/{bot_id}/reset-key")
async def reset_key(bot_id: PathId, request: Request) -> PyrusJSONResponse:
    """A new security key; tokens issued with the old one stop working."""
    async with writing(api_state(request)) as session:
        updated = await bot_store.update_bot(
            session, bot_id, security_key=bot_store.generate_security_key()
        )
        if updated is None:
            raise _not_found("bot", bot_id)
    _bots_changed(request)
    return PyrusJSONResponse(render_bot(updated, with_key=True))
