"""The API v4 endpoints that manage people (spec 4.6), as :class:`Call` values like those of
:mod:`~pyrus_bots.bot.client.endpoints`: members, roles, the caller's identity, bot rights.

Each request is a protocol model (``protocol.models.people_requests``) or a plain dict sent as
it is; ``rights`` may be :class:`~pyrus_bots.protocol.PersonRights` flags (sent as the number
the official clients send) or a list of snake-case right names.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pyrus_bots.bot.client.core import ApiRequest, Call, json_body
from pyrus_bots.protocol import Bot, Person, PersonRights, Role, RolesResponse
from pyrus_bots.protocol.models.base import PyrusModel
from pyrus_bots.protocol.models.people_requests import (
    ChangeMembersRequest,
    ChangeMembersResponse,
    CreateMemberRequest,
    CreateRoleRequest,
    DeleteRoleRequest,
    ProfileIdentity,
    UpdateMemberRequest,
    UpdateRoleRequest,
)

__all__ = [
    "change_members",
    "create_member",
    "create_role",
    "create_roles",
    "delete_member",
    "delete_role",
    "delete_roles",
    "get_identity",
    "get_role",
    "set_avatar",
    "set_bot_rights",
    "update_member",
    "update_role",
    "update_roles",
]

Body = PyrusModel | Mapping[str, Any]


def _body(value: Body) -> dict[str, Any]:
    return value.to_pyrus() if isinstance(value, PyrusModel) else dict(value)


def _person(response: Any) -> Person:
    return Person.from_pyrus(json_body(response))


def _role(response: Any) -> Role:
    return Role.from_pyrus(json_body(response))


def _roles(response: Any) -> list[Role]:
    return RolesResponse.from_pyrus(json_body(response)).roles


def create_member(member: CreateMemberRequest | Mapping[str, Any]) -> Call[Person]:
    """``POST /members``: a new user (``email`` and a first or last name)."""
    return Call(ApiRequest("POST", "members", json=_body(member), idempotent=False), _person)


def update_member(person_id: int, changes: UpdateMemberRequest | Mapping[str, Any]) -> Call[Person]:
    """``PUT /members/{id}``: the keys given change, the others stay."""
    return Call(ApiRequest("PUT", f"members/{int(person_id)}", json=_body(changes)), _person)


def delete_member(person_id: int) -> Call[Person]:
    """``DELETE /members/{id}``: fire the member."""
    return Call(ApiRequest("DELETE", f"members/{int(person_id)}"), _person)


def set_avatar(
    person_id: int, guid: str | None = None, external_avatar_id: int | None = None
) -> Call[Person]:
    """``PUT /members/{id}/avatar``: ``guid`` of an image from :meth:`upload_file`."""
    body = {"guid": guid, "external_avatar_id": external_avatar_id}
    body = {key: value for key, value in body.items() if value is not None}
    return Call(ApiRequest("PUT", f"members/{int(person_id)}/avatar", json=body), _person)


def change_members(changes: ChangeMembersRequest | Mapping[str, Any]) -> Call[list[Person]]:
    """``POST /members/bulk``: add, change, ban and fire members in one go (all or none)."""
    request = ApiRequest("POST", "members/bulk", json=_body(changes), idempotent=False)
    return Call(request, lambda r: ChangeMembersResponse.from_pyrus(json_body(r)).members)


def get_role(role_id: int) -> Call[Role]:
    """``GET /roles/{id}``."""
    return Call(ApiRequest("GET", f"roles/{int(role_id)}"), _role)


def create_role(
    name: str, member_ids: Iterable[int] = (), *, external_id: str | None = None
) -> Call[Role]:
    """``POST /roles``."""
    body = CreateRoleRequest(name=name, member_add=list(member_ids), external_id=external_id)
    return Call(ApiRequest("POST", "roles", json=body.to_pyrus(), idempotent=False), _role)


def update_role(role_id: int, changes: UpdateRoleRequest | Mapping[str, Any]) -> Call[Role]:
    """``PUT /roles/{id}``: ``name``, ``external_id``, ``banned``, ``member_add``,
    ``member_remove``."""
    return Call(ApiRequest("PUT", f"roles/{int(role_id)}", json=_body(changes)), _role)


def delete_role(role_id: int, task_receiver_id: int | None = None) -> Call[Role]:
    """``DELETE /roles/{id}``: the role is kept for its tasks, listed only with
    ``include_fired``."""
    body = DeleteRoleRequest(task_receiver_id=task_receiver_id).to_pyrus()
    return Call(ApiRequest("DELETE", f"roles/{int(role_id)}", json=body), _role)


def _bulk(items: Sequence[Body]) -> list[dict[str, Any]]:
    return [_body(item) for item in items]


def create_roles(roles: Sequence[CreateRoleRequest | Mapping[str, Any]]) -> Call[list[Role]]:
    """``POST /roles/bulk`` (all or none)."""
    return Call(ApiRequest("POST", "roles/bulk", json=_bulk(roles), idempotent=False), _roles)


def update_roles(roles: Sequence[UpdateRoleRequest | Mapping[str, Any]]) -> Call[list[Role]]:
    """``PUT /roles/bulk``: each item names its role by ``id``."""
    return Call(ApiRequest("PUT", "roles/bulk", json=_bulk(roles)), _roles)


def delete_roles(roles: Sequence[DeleteRoleRequest | Mapping[str, Any]]) -> Call[list[Role]]:
    """``DELETE /roles/bulk``: each item names its role by ``id``."""
    return Call(ApiRequest("DELETE", "roles/bulk", json=_bulk(roles)), _roles)


def get_identity() -> Call[ProfileIdentity]:
    """``GET /profile/identity``: the caller's e-mail (a bot's login) and organisation."""
    return Call(
        ApiRequest("GET", "profile/identity"), lambda r: ProfileIdentity.from_pyrus(json_body(r))
    )


def set_bot_rights(bot_id: int, rights: PersonRights | Iterable[str]) -> Call[Bot]:
    """``PUT /bots/{id}`` with ``rights`` only: what the bot may do through the API."""
    flags = rights if isinstance(rights, PersonRights) else PersonRights.from_names(rights)
    request = ApiRequest("PUT", f"bots/{int(bot_id)}", json={"rights": int(flags)})
    return Call(request, lambda r: Bot.from_pyrus(json_body(r)))
