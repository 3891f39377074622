"""Adding, changing, banning and firing members (spec 4.6): what ``/members`` and the UI's
directory pages both do.

The caller's right (``manage_persons_in_organization``) is checked by each entry point; these
functions check the request against the directory and write it through the store, in the
caller's transaction. Bots are not members: naming one is ``access_denied_person``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.protocol.models.enums import PersonRights
from pyrus_bots.protocol.models.people_requests import (
    CreateMemberRequest,
    FirePersonRequest,
    UpdateMemberRequest,
)
from pyrus_bots.server.store import people as people_store
from pyrus_bots.server.store.person_details import change_details
from pyrus_bots.server.store.workspace_writes import login_owner
from pyrus_bots.server.workflow.state import Directory, Person

__all__ = ["add_member", "ban_member", "change_member", "fire_member", "member", "right_names"]

# Request keys kept in ``people`` columns; every other declared key is a detail.
_COLUMNS = frozenset({"first_name", "last_name", "email", "position", "phone", "banned"})
_NOT_STORED = frozenset({"id", "rights", "drop_department", "external_id"})
_ALL_FLAGS = int(PersonRights.from_names(name.lower() for name in PersonRights.__members__))


def right_names(value: int | list[str]) -> list[str]:
    """The snake-case names of ``rights`` given as PersonRights flags or as names;
    ``invalid_value_format`` for a bit or a name Pyrus does not have."""
    if isinstance(value, int):
        if value < 0 or value & ~_ALL_FLAGS:
            raise PyrusError("invalid_value_format", "rights: unknown PersonRights flags")
        return PersonRights(value).names()
    try:
        return PersonRights.from_names(value).names()
    except ValueError as error:
        raise PyrusError("invalid_value_format", f"rights: {error}") from None


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


def member(directory: Directory, person_id: int) -> Person:
    """The user ``person_id`` of the organisation (bots and roles are not members)."""
    person = directory.people.get(person_id)
    if person is None:
        raise PyrusError("invalid_person_id", f"there is no person {person_id}")
    if person.type == "bot":
        raise PyrusError("access_denied_person", f"{person_id} is a bot: change it with /bots")
    return person


async def _reload(session: AsyncSession, person_id: int) -> Person:
    person = await people_store.get_person(session, person_id)
    assert person is not None
    return person


async def add_member(
    session: AsyncSession, directory: Directory, body: CreateMemberRequest
) -> Person:
    """A new user from ``body`` (``POST /members`` and ``AddMembers`` of the bulk call)."""
    columns, details = _split(body)
    if not (body.first_name or "").strip() and not (body.last_name or "").strip():
        raise PyrusError("required_parameter_missing", "first_name or last_name is required")
    email = _check_email(body.email)
    await _check_unused(session, email, None)
    columns.pop("email", None)
    rights = right_names(body.rights) if body.rights is not None else []
    person = await people_store.create_person(
        session, directory.organization_id, email=email, rights=rights, **columns
    )
    if details:
        await change_details(session, person.id, details)
    return await _reload(session, person.id)


async def change_member(
    session: AsyncSession, directory: Directory, person_id: int, body: UpdateMemberRequest
) -> Person:
    """``PUT /members/{id}`` and ``ChangeMembers`` of the bulk call."""
    member(directory, person_id)
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


async def ban_member(session: AsyncSession, directory: Directory, person_id: int) -> Person:
    """``BanMembers`` of the bulk call: the person can no longer sign in."""
    member(directory, person_id)
    await people_store.update_person(session, person_id, banned=True)
    return await _reload(session, person_id)


async def fire_member(
    session: AsyncSession,
    directory: Directory,
    request: FirePersonRequest,
    *,
    actor_id: int | None,
) -> Person:
    """``DELETE /members/{id}`` and ``FireMembers``: the person can no longer sign in; their
    tasks name them still (``task_receiver`` records who takes them over). ``actor_id`` is who
    fires (None: the administrator, who is nobody of the directory)."""
    member(directory, request.id)
    if request.id == actor_id:
        raise PyrusError("cannot_be_fired", "a person cannot fire themselves")
    receiver = request.task_receiver_id or None
    if receiver is not None:
        member(directory, receiver)
        await change_details(session, request.id, {"task_receiver": receiver})
    await people_store.update_person(session, request.id, fired=True)
    return await _reload(session, request.id)
