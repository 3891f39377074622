"""Task lists as a person sees and manages them (spec 4.7): what ``/lists`` and the UI's list
pages both do.

A list that does not exist, is deleted or is not visible to the person is refused alike
(``invalid_value_format``); changing one needs its managers (``access_denied_project``).
Writes go through the store in the caller's transaction.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.protocol.models.list_requests import CreateListRequest, UpdateListRequest
from pyrus_bots.server.store import task_lists as list_store
from pyrus_bots.server.store import tasks as task_store
from pyrus_bots.server.workflow import lists as list_rules
from pyrus_bots.server.workflow.lists import TaskListDef
from pyrus_bots.server.workflow.state import Directory, Person, TaskState

__all__ = [
    "create_list",
    "delete_list",
    "list_task_candidates",
    "managed_list",
    "update_list",
    "visible_list",
    "visible_lists",
]


async def visible_lists(
    session: AsyncSession, directory: Directory, person: Person, *, with_deleted: bool
) -> list[TaskListDef]:
    """Every list ``person`` sees (``GET /lists`` builds its tree of these)."""
    stored = await list_store.all_lists(session, with_deleted=with_deleted)
    return [t for t in stored if list_rules.can_see(directory, t, person)]


async def visible_list(
    session: AsyncSession,
    directory: Directory,
    person: Person,
    list_id: int,
    *,
    with_deleted: bool = False,
) -> TaskListDef:
    task_list = await list_store.get_list(session, list_id)
    if (
        task_list is None
        or (task_list.deleted and not with_deleted)
        or not list_rules.can_see(directory, task_list, person)
    ):
        raise list_rules.unknown_list(list_id)
    return task_list


async def managed_list(
    session: AsyncSession, directory: Directory, person: Person, list_id: int
) -> TaskListDef:
    task_list = await visible_list(session, directory, person, list_id)
    if not list_rules.can_manage(directory, task_list, person):
        raise PyrusError("access_denied_project", f"only managers of list {list_id} change it")
    return task_list


async def create_list(
    session: AsyncSession, directory: Directory, person: Person, body: CreateListRequest
) -> TaskListDef:
    """``PUT /lists``: ``person`` becomes the list's first manager."""
    parent = None
    if body.parent_id is not None:
        parent = await visible_list(session, directory, person, body.parent_id)
    list_id = await list_store.new_list_id(session)
    created = list_rules.new_list(directory, person, body, list_id, parent)
    await list_store.save_list(session, directory.organization_id, created)
    return created


async def update_list(
    session: AsyncSession,
    directory: Directory,
    person: Person,
    list_id: int,
    body: UpdateListRequest,
) -> TaskListDef:
    """``POST /lists/{id}``: a manager renames, moves or shares the list."""
    task_list = await managed_list(session, directory, person, list_id)
    changed = list_rules.updated_list(directory, task_list, body)
    await list_store.save_list(session, directory.organization_id, changed)
    return changed


async def delete_list(
    session: AsyncSession, directory: Directory, person: Person, list_id: int
) -> None:
    """``DELETE /lists/{id}``: the list is marked deleted; its tasks stay."""
    task_list = await managed_list(session, directory, person, list_id)
    task_list.deleted = True
    task_list.version += 1
    await list_store.save_list(session, directory.organization_id, task_list)


async def list_task_candidates(
    session: AsyncSession, directory: Directory, person: Person, list_id: int
) -> list[TaskState]:
    """The tasks of a visible list that ``person`` sees (``/lists/{id}/tasks`` filters them)."""
    await visible_list(session, directory, person, list_id)
    task_ids = await list_store.task_ids_in_list(session, list_id)
    return await task_store.list_tasks(session, person_id=person.id, task_ids=task_ids)
