"""Member, role and bot-rights changes in the fake API, with the platform's request shapes
(``protocol.models.people_requests``) but, like the rest of the fake, no rights model: any
caller may change people. Unknown ids answer as the platform does."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from pyrus_bots.protocol.models.enums import PersonRights
from pyrus_bots.protocol.models.parsing import parse_body
from pyrus_bots.protocol.models.people_requests import (
    ChangeMembersRequest,
    CreateMemberRequest,
    CreateRoleRequest,
    DeleteRoleRequest,
    SetAvatarRequest,
    UpdateMemberRequest,
    UpdateRoleRequest,
)
from pyrus_bots.testing.fake_api.common import JSON, found, json_response, pyrus_error
from pyrus_bots.testing.fake_api.state import FakeState

_NOT_KEPT = frozenset({"id", "drop_department"})


def _flags(rights: Any) -> int:
    return int(rights) if isinstance(rights, int) else int(PersonRights.from_names(rights))


def _apply(person: JSON, body: CreateMemberRequest | UpdateMemberRequest) -> JSON:
    sent = body.model_dump(exclude_unset=True, exclude_none=True, mode="json")
    for key, value in sent.items():
        if key in type(body).model_fields and key not in _NOT_KEPT:
            person[key] = _flags(value) if key == "rights" else value
    if getattr(body, "drop_department", None):
        person.pop("department_id", None)
        person.pop("department_name", None)
    return person


def _person(fake: FakeState, person_id: int) -> JSON:
    return found(fake.persons, person_id, "invalid_person_id", f"there is no person {person_id}")


def _add(fake: FakeState, body: CreateMemberRequest) -> JSON:
    return fake.add_person(_apply({"type": "user", "banned": False, "fired": False}, body))


async def create_member(fake: FakeState, request: Request, body: Any) -> Response:
    return json_response(_add(fake, parse_body(CreateMemberRequest, body)))


async def update_member(fake: FakeState, request: Request, body: Any) -> Response:
    person = _person(fake, request.path_params["person_id"])
    return json_response(_apply(person, parse_body(UpdateMemberRequest, body)))


async def delete_member(fake: FakeState, request: Request, body: Any) -> Response:
    person = _person(fake, request.path_params["person_id"])
    person["fired"] = True
    return json_response(person)


async def set_avatar(fake: FakeState, request: Request, body: Any) -> Response:
    person = _person(fake, request.path_params["person_id"])
    avatar = parse_body(SetAvatarRequest, body)
    if avatar.guid:
        if avatar.guid not in fake._uploads:
            raise pyrus_error("unrecognized_attachment_id", "there is no file with this guid")
        person["avatar_id"] = fake.add_file(*fake._uploads[avatar.guid])
    if avatar.external_avatar_id is not None:
        person["external_avatar_id"] = avatar.external_avatar_id
    return json_response(person)


async def change_members(fake: FakeState, request: Request, body: Any) -> Response:
    changes = parse_body(ChangeMembersRequest, body)
    touched = [_add(fake, added) for added in changes.add_members]
    touched += [_apply(_person(fake, c.id), c) for c in changes.change_members]
    for banned in changes.ban_members:
        touched.append(_person(fake, banned.id))
        touched[-1]["banned"] = True
    for fired in changes.fire_members:
        touched.append(_person(fake, fired.id))
        touched[-1]["fired"] = True
    return json_response({"members": touched})


def _role(fake: FakeState, role_id: Any) -> JSON:
    return found(fake.roles, role_id, "invalid_person_id", f"there is no role {role_id}")


def _create_role(fake: FakeState, body: Any) -> JSON:
    made = parse_body(CreateRoleRequest, body)
    role = {"name": made.name, "banned": False, "member_ids": sorted(set(made.member_add))}
    if made.external_id:
        role["external_id"] = made.external_id
    return fake.add_role({"id": fake._next_id(), **role})


def _update_role(fake: FakeState, role_id: Any, body: Any) -> JSON:
    change = parse_body(UpdateRoleRequest, body)
    role = _role(fake, role_id if role_id is not None else change.id)
    for key in ("name", "external_id", "banned"):
        if (value := getattr(change, key)) is not None:
            role[key] = value
    members = (set(role.get("member_ids", [])) | set(change.member_add)) - set(change.member_remove)
    role["member_ids"] = sorted(members)
    return role


def _delete_role(fake: FakeState, role_id: Any, body: Any) -> JSON:
    deleting = parse_body(DeleteRoleRequest, body or {})
    role = _role(fake, role_id if role_id is not None else deleting.id)
    role["fired"] = True
    return role


def _items(body: Any) -> list[Any]:
    if not isinstance(body, list) or not body:
        raise pyrus_error("invalid_json", "the request body must be a non-empty JSON array")
    return body


async def get_role(fake: FakeState, request: Request, body: Any) -> Response:
    return json_response(_role(fake, request.path_params["role_id"]))


async def create_role(fake: FakeState, request: Request, body: Any) -> Response:
    return json_response(_create_role(fake, body))


async def update_role(fake: FakeState, request: Request, body: Any) -> Response:
    return json_response(_update_role(fake, request.path_params["role_id"], body))


async def delete_role(fake: FakeState, request: Request, body: Any) -> Response:
    return json_response(_delete_role(fake, request.path_params["role_id"], body))


async def roles_bulk(fake: FakeState, request: Request, body: Any) -> Response:
    items = _items(body)
    if request.method == "POST":
        return json_response({"roles": [_create_role(fake, item) for item in items]})
    if request.method == "PUT":
        return json_response({"roles": [_update_role(fake, None, item) for item in items]})
    return json_response({"roles": [_delete_role(fake, None, item) for item in items]})


async def identity(fake: FakeState, request: Request, body: Any) -> Response:
    me: JSON = request.state.person
    return json_response(
        {"email": me.get("email"), "organization_id": fake.organization.get("organization_id")}
    )


async def update_bot(fake: FakeState, request: Request, body: Any) -> Response:
    """``PUT /bots/{id}``: the fake keeps ``rights`` (and the other keys) on the bot's person."""
    bot = _person(fake, request.path_params["bot_id"])
    if bot.get("type") != "bot" or not isinstance(body, dict):
        raise pyrus_error("access_denied_person", "there is no such bot")
    for key, value in body.items():
        if key != "id" and value is not None:
            bot[key] = _flags(value) if key == "rights" else value
    return json_response({"id": bot["id"], "login": bot.get("email"), **bot})
