"""Task lists and which tasks each list holds.

A list's row carries its managers and members as JSON id lists (lists are few and read whole).
``task_list_tasks`` mirrors the ``list_ids`` of each task document, so a list's tasks are found
without reading documents; the task-change layer keeps both in step in one transaction.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import asdict
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from pyrus_bots.server.store.counters import next_value
from pyrus_bots.server.store.models import TaskListRow, TaskListTask
from pyrus_bots.server.workflow.lists import TaskListDef

LIST_ID = "task_list_id"
_COLUMNS = tuple(TaskListDef.__dataclass_fields__)


def _from_row(row: TaskListRow) -> TaskListDef:
    values = {name: getattr(row, name) for name in _COLUMNS}
    values["manager_ids"] = list(values["manager_ids"] or [])
    values["member_ids"] = list(values["member_ids"] or [])
    return TaskListDef(**values)


async def get_list(session: AsyncSession, list_id: int) -> TaskListDef | None:
    row = await session.get(TaskListRow, list_id)
    return None if row is None else _from_row(row)


async def get_lists(session: AsyncSession, list_ids: Collection[int]) -> dict[int, TaskListDef]:
    if not list_ids:
        return {}
    rows = await session.scalars(select(TaskListRow).where(TaskListRow.id.in_(list(list_ids))))
    return {row.id: _from_row(row) for row in rows}


async def all_lists(session: AsyncSession, *, with_deleted: bool = False) -> list[TaskListDef]:
    query = select(TaskListRow).order_by(TaskListRow.id)
    if not with_deleted:
        query = query.where(TaskListRow.deleted.is_(False))
    return [_from_row(row) for row in await session.scalars(query)]


async def new_list_id(session: AsyncSession) -> int:
    """An id above every stored list (workspace lists bring their own ids)."""
    highest = await session.scalar(select(func.max(TaskListRow.id)))
    return await next_value(session, LIST_ID, floor=int(highest or 0))


async def save_list(session: AsyncSession, organization_id: int, task_list: TaskListDef) -> bool:
    """Insert or update a list; True when the row changed."""
    values: dict[str, Any] = asdict(task_list)
    row = await session.get(TaskListRow, task_list.id)
    if row is None:
        session.add(TaskListRow(organization_id=organization_id, **values))
        await session.flush()
        return True
    if _from_row(row) == task_list:
        return False
    for name, value in values.items():
        setattr(row, name, value)
    await session.flush()
    return True


async def set_task_lists(
    session: AsyncSession, task_id: int, before: Iterable[int], after: Iterable[int]
) -> None:
    """Record that a task moved from the lists ``before`` to the lists ``after``."""
    old, new = set(before), set(after)
    if old - new:
        await session.execute(
            delete(TaskListTask).where(
                TaskListTask.task_id == task_id, TaskListTask.list_id.in_(list(old - new))
            )
        )
    if new - old:
        await session.execute(
            insert(TaskListTask), [{"list_id": i, "task_id": task_id} for i in sorted(new - old)]
        )


async def task_ids_in_list(session: AsyncSession, list_id: int) -> list[int]:
    query = select(TaskListTask.task_id).where(TaskListTask.list_id == list_id)
    return sorted(int(task_id) for task_id in await session.scalars(query))
