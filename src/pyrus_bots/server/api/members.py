"""Member management (spec 4.6): add, change, ban, fire, set the avatar, several at once.

Every call needs the ``manage_persons_in_organization`` right (a person's, or a bot's given by
``PUT /bots/{id}``), as in Pyrus. Bots are managed through ``/bots``: naming one here is
``access_denied_person``. A bulk change is one transaction: all of it applies or none.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.protocol.models.people_requests import (
    ChangeMembersRequest,
    CreateMemberRequest,
    FirePersonRequest,
    SetAvatarRequest,
    UpdateMemberRequest,
)
from pyrus_bots.server.api.body import json_body, read_body
from pyrus_bots.server.api.context import CallerDep, PathId, api_state
from pyrus_bots.server.api.responses import PyrusJSONResponse
from pyrus_bots.server.api.rights import MANAGE_PERSONS_IN_ORGANIZATION, require_right
from pyrus_bots.server.api.transactions import writing
from pyrus_bots.server.store import files as file_store
from pyrus_bots.server.store import people as people_store
from pyrus_bots.server.store.person_details import change_details
from pyrus_bots.server.tasks.member_changes import (
    add_member,
    ban_member,
    change_member,
    fire_member,
    member,
)
from pyrus_bots.server.workflow.entities import render_member
from pyrus_bots.server.workflow.state import Person

router = APIRouter(tags=["members"])


def _changed(request: Request, person: Person) -> PyrusJSONResponse:
    api_state(request).directories.invalidate()
    return PyrusJSONResponse(render_member(person))


@router.post("/members", summary="Add a member", openapi_extra=json_body(CreateMemberRequest))
async def create_member(request: Request, caller: CallerDep) -> PyrusJSONResponse:
    require_right(caller, MANAGE_PERSONS_IN_ORGANIZATION)
    body = await read_body(request, CreateMemberRequest)
    async with writing(api_state(request)) as session:
        person = await add_member(session, caller.directory, body)
    return _changed(request, person)


@router.post(
    "/members/bulk",
    summary="Add, change, ban and fire members at once",
    openapi_extra=json_body(ChangeMembersRequest),
)
async def change_members(request: Request, caller: CallerDep) -> PyrusJSONResponse:
    require_right(caller, MANAGE_PERSONS_IN_ORGANIZATION)
    body = await read_body(request, ChangeMembersRequest)
    touched: dict[int, Person] = {}
    async with writing(api_state(request)) as session:
        for added in body.add_members:
            person = await add_member(session, caller.directory, added)
            touched[person.id] = person
        for change in body.change_members:
            touched[change.id] = await change_member(session, caller.directory, change.id, change)
        for banned in body.ban_members:
            touched[banned.id] = await ban_member(session, caller.directory, banned.id)
        for fired in body.fire_members:
            touched[fired.id] = await fire_member(
                session, caller.directory, fired, actor_id=caller.person.id
            )
    api_state(request).directories.invalidate()
    return PyrusJSONResponse({"members": [render_member(p) for p in touched.values()]})


@router.put(
    "/members/{member_id}",
    summary="Change a member",
    openapi_extra=json_body(UpdateMemberRequest),
)
async def update_member(
    member_id: PathId, request: Request, caller: CallerDep
) -> PyrusJSONResponse:
    require_right(caller, MANAGE_PERSONS_IN_ORGANIZATION)
    body = await read_body(request, UpdateMemberRequest)
    async with writing(api_state(request)) as session:
        person = await change_member(session, caller.directory, member_id, body)
    return _changed(request, person)


@router.delete("/members/{member_id}", summary="Fire a member")
async def delete_member(
    member_id: PathId, request: Request, caller: CallerDep
) -> PyrusJSONResponse:
    require_right(caller, MANAGE_PERSONS_IN_ORGANIZATION)
    async with writing(api_state(request)) as session:
        person = await fire_member(
            session, caller.directory, FirePersonRequest(id=member_id), actor_id=caller.person.id
        )
    return _changed(request, person)


@router.put(
    "/members/{member_id}/avatar",
    summary="Set a member's avatar",
    openapi_extra=json_body(SetAvatarRequest),
)
async def set_avatar(member_id: PathId, request: Request, caller: CallerDep) -> PyrusJSONResponse:
    require_right(caller, MANAGE_PERSONS_IN_ORGANIZATION)
    body = await read_body(request, SetAvatarRequest)
    if not body.guid and body.external_avatar_id is None:
        raise PyrusError("required_parameter_missing", "guid or external_avatar_id is required")
    member(caller.directory, member_id)
    changes: dict[str, Any] = {}
    async with writing(api_state(request)) as session:
        if body.guid:
            image = await file_store.get_file_by_guid(session, body.guid.strip().lower())
            if image is None:
                raise PyrusError("unrecognized_attachment_id", "there is no file with this guid")
            owner = await file_store.file_owner(session, image.id)
            if owner is not None and owner != caller.person.id:
                raise PyrusError("access_denied_file", "the file was uploaded by someone else")
            changes["avatar_id"] = image.id
        if body.external_avatar_id is not None:
            changes["external_avatar_id"] = body.external_avatar_id
        await change_details(session, member_id, changes)
        await people_store.update_person(session, member_id)
        person = await people_store.get_person(session, member_id)
        assert person is not None
    return _changed(request, person)
