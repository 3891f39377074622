"""A task's stored rendering: the JSON ``GET /v4/tasks/{id}`` answers, kept in the task's row.

Reading a task for display is then one statement (the task, who it concerns, the rendering)
instead of a snapshot transaction with three reads and a render. The rendering is valid while:

- the task is unchanged: every task write (:mod:`.task_writes`) clears it in the change's own
  statement, so no transaction ever sees a change with the old rendering;
- its key matches: the key names what else the rendering depends on (the directory version,
  the files URL), chosen by the caller.

A rendering is stored after a read only if the task is still as it was read (same
``last_note_id``: every change adds a comment), so a change committed meanwhile is never hidden
by an older rendering.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from pyrus_bots.server.store.models import TaskRow
from pyrus_bots.server.store.task_index import IndexRows
from pyrus_bots.server.store.task_writes import parse_people, people_of_task_packed
from pyrus_bots.server.store.tasks import task_from_row
from pyrus_bots.server.workflow.state import TaskState

_tasks = cast(Table, TaskRow.__table__)

# Built once: building a statement costs about as much CPU as sending it.
_READ = select(
    _tasks.c.doc,
    _tasks.c.last_note_id,
    people_of_task_packed(),
    _tasks.c.rendering,
    _tasks.c.rendering_key,
).where(_tasks.c.id == bindparam("p_id"))
_STORE = (
    update(_tasks)
    .where(
        _tasks.c.id == bindparam("p_id"),
        _tasks.c.last_note_id.is_not_distinct_from(bindparam("p_last_note_id")),
    )
    .values(rendering=bindparam("p_rendering"), rendering_key=bindparam("p_key"))
)


@dataclass(slots=True)
class TaskView:
    """A task as read for display: the task, its ``task_people`` rows, its stored rendering."""

    task: TaskState
    people: IndexRows
    rendering: bytes | None
    rendering_key: str | None

    def rendering_for(self, key: str) -> bytes | None:
        """The stored rendering when it was made under ``key``."""
        return self.rendering if self.rendering_key == key else None


async def read_task_view(connection: AsyncConnection, task_id: int) -> TaskView | None:
    """The task with its people and stored rendering, in one statement (one snapshot)."""
    row = (await connection.execute(_READ, {"p_id": task_id})).one_or_none()
    if row is None:
        return None
    return TaskView(
        task=task_from_row(row.doc, row.last_note_id),
        people=parse_people(row.people),
        rendering=bytes(row.rendering) if row.rendering is not None else None,
        rendering_key=row.rendering_key,
    )


async def store_rendering(
    connection: AsyncConnection, task: TaskState, key: str, rendering: bytes
) -> None:
    """Keep ``rendering`` of ``task`` under ``key`` unless the task changed since it was read."""
    params: dict[str, Any] = {
        "p_id": task.id,
        "p_last_note_id": task.last_note_id,
        "p_rendering": rendering,
        "p_key": key,
    }
    await connection.execute(_STORE, params)
