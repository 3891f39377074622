"""Tasks in lists: the list ids a task change names are checked, and the store's index of which
tasks each list holds follows every change (creation, comments, bot replies alike)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.ext.asyncio import AsyncSession

from pyrus_bots.server.store import task_lists as list_store
from pyrus_bots.server.workflow import lists as list_rules
from pyrus_bots.server.workflow.state import Directory, Person

__all__ = ["check_list_ids", "record_task_lists"]


async def check_list_ids(
    session: AsyncSession,
    directory: Directory,
    author: Person,
    added: Iterable[int],
    removed: Iterable[int] = (),
) -> None:
    """Refuse (400 ``add_task_to_list_forbidden``) a list that does not exist or that the author
    cannot see; a deleted list may still be removed from a task, not added."""
    added, removed = list(added), list(removed)
    if not added and not removed:
        return
    known = await list_store.get_lists(session, {*added, *removed})
    for list_id in [*added, *removed]:
        task_list = known.get(list_id)
        if task_list is None or not list_rules.can_see(directory, task_list, author):
            raise list_rules.refused_task_list(list_id)
        if task_list.deleted and list_id in added:
            raise list_rules.refused_task_list(list_id)


async def record_task_lists(
    session: AsyncSession, task_id: int, before: Iterable[int], after: Iterable[int]
) -> None:
    await list_store.set_task_lists(session, task_id, before, after)
