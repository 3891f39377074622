"""Member management (spec 4.6): add, change, ban, fire, set the avatar, several at once.

Every call needs the ``manage_persons_in_organization`` right (a person's, or a bot's given by
``PUT /bots/{id}``), as in Pyrus. Bots are managed through ``/bots``: naming one here is
``access_denied_person``. A bulk change is one transaction: all of it applies or none.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy.ext.asyncio import AsyncSession

from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.protocol.models.people_requests import (
    ChangeMembersRequest,
    CreateMemberRequest,
    FirePersonRequest,
    SetAvatarRequest,
    UpdateMemberRequest,
)
from pyrus_bots.server.api.body import json_body, read_body
from pyrus_bots.server.api.context import Caller, CallerDep, PathId, api_state
from pyrus_bots.server.api.responses import PyrusJSONResponse
from pyrus_bots.server.api.rights import MANAGE_PERSONS_IN_ORGANIZATION, require_right, right_names
from pyrus_bots.server.api.transactions import writing
from pyrus_bots.server.store import files as file_store
from pyrus_bots.server.store import people as people_store
from pyrus_bots.server.store.person_details import change_details
from pyrus_bots.server.store.workspace_writes import login_owner
from pyrus_bots.server.workflow.entities import render_member
from pyrus_bots.server.workflow.state import Person

router = APIRouter(tags=["members"])

# Request keys kept in ``people`` columns; every other declared key is a detail.
_COLUMNS = frozenset({"first_name", "last_name", "email", "position", "phone", "banned"})
_NOT_STORED = frozenset({"id", "rights", "drop_department", "external_id"})


def _split(
    body: UpdateMemberRequest | CreateMemberRequest,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(column changes, detail changes)`` of a member request: the declared keys it set."""
    sent = body.model_dump(exclude_unset=True, exclude_none=True, mode="json")
    declared = {key: value for key, value in sent.items() if key in type(body).model_fields}
    columns = {key: value for key, value in declared.items() if key in _COLUMNS}
    if "external_id" in declared:
        columns["external_id"] = declared["external_id"]
    details = {
        key: value
        for key, value in declared.items()
        if key not in _COLUMNS and key not in _NOT_STORED
    }
    for key, value in details.items():
        if key.endswith("_settings") and isinstance(value, dict):
            # ``drop`` ends the sessions now: an action, not a setting to keep.
            details[key] = {k: v for k, v in value.items() if k != "drop"}
    if getattr(body, "drop_department", None):
        details["department_id"] = None
        columns["department_name"] = None
    return columns, details


def _check_email(email: str) -> str:
    cleaned = email.strip()
    local, at, domain = cleaned.partition("@")
    if not (local and at and domain) or any(c.isspace() for c in cleaned):
        raise PyrusError("invalid_email", "email is not an e-mail address")
    return cleaned


async def _check_unused(session: AsyncSession, email: str, person_id: int | None) -> None:
    owner = await login_owner(session, email.lower())
    if owner is not None and owner != person_id:
        raise PyrusError("non_unique_email", "a person with this e-mail already exists")


def _member(caller: Caller, person_id: int) -> Person:
    """The user ``person_id`` of the caller's organisation (bots and roles are not members)."""
    person = caller.directory.people.get(person_id)
    if person is None:
        raise PyrusError("invalid_person_id", f"there is no person {person_id}")
    if person.type == "bot":
        raise PyrusError("access_denied_person", f"{person_id} is a bot: change it with /bots")
    return person


async def _reload(session: AsyncSession, person_id: int) -> Person:
    person = await people_store.get_person(session, person_id)
    assert person is not None
    return person


async def add_member(session: AsyncSession, caller: Caller, body: CreateMemberRequest) -> Person:
    """A new user from ``body`` (``POST /members`` and ``AddMembers`` of the bulk call)."""
    columns, details = _split(body)
    if not (body.first_name or "").strip() and not (body.last_name or "").strip():
        raise PyrusError("required_parameter_missing", "first_name or last_name is required")
    email = _check_email(body.email)
    await _check_unused(session, email, None)
    columns.pop("email", None)
    rights = right_names(body.rights) if body.rights is not None else []
    person = await people_store.create_person(
        session, caller.directory.organization_id, email=email, rights=rights, **columns
    )
    if details:
        await change_details(session, person.id, details)
    return await _reload(session, person.id)


async def change_member(
    session: AsyncSession, caller: Caller, person_id: int, body: UpdateMemberRequest
) -> Person:
    """``PUT /members/{id}`` and ``ChangeMembers`` of the bulk call."""
    _member(caller, person_id)
    columns, details = _split(body)
    if "email" in columns:
        columns["email"] = _check_email(columns["email"])
        await _check_unused(session, columns["email"], person_id)
    for name in ("first_name", "last_name"):
        if name in columns and not str(columns[name]).strip():
            raise PyrusError("invalid_value_format", f"{name} cannot be empty")
    rights = right_names(body.rights) if body.rights is not None else None
    if details:
        await change_details(session, person_id, details)
    await people_store.update_person(session, person_id, rights=rights, **columns)
    return await _reload(session, person_id)


async def fire_member(session: AsyncSession, caller: Caller, request: FirePersonRequest) -> Person:
    """``DELETE /members/{id}`` and ``FireMembers``: the person can no longer sign in; their
    tasks name them still (``task_receiver`` records who takes them over)."""
    _member(caller, request.id)
    if request.id == caller.person.id:
        raise PyrusError("cannot_be_fired", "a person cannot fire themselves")
    receiver = request.task_receiver_id or None
    if receiver is not None:
        _member(caller, receiver)
        await change_details(session, request.id, {"task_receiver": receiver})
    await people_store.update_person(session, request.id, fired=True)
    return await _reload(session, request.id)


def _changed(request: Request, person: Person) -> PyrusJSONResponse:
    api_state(request).directories.invalidate()
    return PyrusJSONResponse(render_member(person))


@router.post("/members", summary="Add a member", openapi_extra=json_body(CreateMemberRequest))
async def create_member(request: Request, caller: CallerDep) -> PyrusJSONResponse:
    require_right(caller, MANAGE_PERSONS_IN_ORGANIZATION)
    body = await read_body(request, CreateMemberRequest)
    async with writing(api_state(request)) as session:
        person = await add_member(session, caller, body)
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
            person = await add_member(session, caller, added)
            touched[person.id] = person
        for change in body.change_members:
            touched[change.id] = await change_member(session, caller, change.id, change)
        for banned in body.ban_members:
            _member(caller, banned.id)
            await people_store.update_person(session, banned.id, banned=True)
            touched[banned.id] = await _reload(session, banned.id)
        for fired in body.fire_members:
            touched[fired.id] = await fire_member(session, caller, fired)
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
        person = await change_member(session, caller, member_id, body)
    return _changed(request, person)


@router.delete("/members/{member_id}", summary="Fire a member")
async def delete_member(
    member_id: PathId, request: Request, caller: CallerDep
) -> PyrusJSONResponse:
    require_right(caller, MANAGE_PERSONS_IN_ORGANIZATION)
    async with writing(api_state(request)) as session:
        person = await fire_member(session, caller, FirePersonRequest(id=member_id))
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
    _member(caller, member_id)
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
        person = await _reload(session, member_id)
    return _changed(request, person)
