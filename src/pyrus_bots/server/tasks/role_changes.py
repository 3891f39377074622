"""Creating, changing and deleting roles (spec 4.6): what ``/roles`` and the UI's directory
pages both do.

The caller's right (``manage_roles``) is checked by each entry point; these functions check the
request against the directory and write it through the store, in the caller's transaction. A
deleted role is kept (``fired``) for the tasks that name it.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.protocol.models.people_requests import (
    CreateRoleRequest,
    DeleteRoleRequest,
    UpdateRoleRequest,
)
from pyrus_bots.server.store import people as people_store
from pyrus_bots.server.workflow.state import Directory, Role

__all__ = ["create_role", "delete_role", "update_role"]


def _check_name(name: str | None) -> str | None:
    if name is not None and not name.strip():
        raise PyrusError("required_parameter_missing", "name must be a non-empty string")
    return None if name is None else name.strip()


def _check_people(directory: Directory, ids: list[int]) -> None:
    for person_id in ids:
        if person_id not in directory.people:
            raise PyrusError("invalid_person_id", f"there is no person {person_id}")


async def _org_role(session: AsyncSession, directory: Directory, role_id: int | None) -> Role:
    role = None if role_id is None else await people_store.get_role(session, role_id)
    if role is None or role_id not in directory.roles:
        raise PyrusError("invalid_person_id", f"there is no role {role_id}")
    return role


async def create_role(session: AsyncSession, directory: Directory, body: CreateRoleRequest) -> Role:
    """``POST /roles`` and each item of ``POST /roles/bulk``."""
    name = _check_name(body.name)
    assert name is not None
    _check_people(directory, body.member_add)
    return await people_store.create_role(
        session,
        directory.organization_id,
        name,
        body.member_add,
        external_id=body.external_id,
    )


async def update_role(
    session: AsyncSession, directory: Directory, role_id: int | None, body: UpdateRoleRequest
) -> Role:
    """``PUT /roles/{id}`` and each item of ``PUT /roles/bulk``."""
    await _org_role(session, directory, role_id)
    assert role_id is not None
    _check_people(directory, body.member_add)
    role = await people_store.update_role(
        session,
        role_id,
        name=_check_name(body.name),
        member_add=body.member_add,
        member_remove=body.member_remove,
        banned=body.banned,
        external_id=body.external_id,
    )
    assert role is not None
    return role


async def delete_role(
    session: AsyncSession, directory: Directory, role_id: int | None, body: DeleteRoleRequest
) -> Role:
    """``DELETE /roles/{id}`` and each item of ``DELETE /roles/bulk``."""
    await _org_role(session, directory, role_id)
    assert role_id is not None
    receiver = body.task_receiver_id or None
    if receiver is not None and receiver not in directory.people:
        raise PyrusError("invalid_person_id", f"there is no person {receiver}")
    role = await people_store.update_role(session, role_id, fired=True)
    assert role is not None
    return role
