"""Writing tasks brought from elsewhere (a workspace's ``tasks``) under their own task and comment
ids, and moving the id counters past them so that later tasks and comments never collide.

Normal task writes draw ids from the counters (:mod:`.task_writes`); here the ids are given.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Table, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from pyrus_bots.server.store.counters import bump_directory_version
from pyrus_bots.server.store.dialects import dialect_name
from pyrus_bots.server.store.files import CHUNK_BYTES
from pyrus_bots.server.store.models import (
    CommentRow,
    FileChunkRow,
    FileRow,
    TaskIdSequence,
    TaskRow,
)
from pyrus_bots.server.store.task_writes import insert_task, lock_tasks, save_locked_tasks
from pyrus_bots.server.workflow.state import Comment, FileRef, TaskState

__all__ = [
    "StoredTask",
    "advance_id_counters",
    "insert_file_with_id",
    "insert_tasks",
    "replace_task",
    "stored_tasks",
]

_tasks = cast(Table, TaskRow.__table__)
_comments = cast(Table, CommentRow.__table__)
_task_ids = cast(Table, TaskIdSequence.__table__)
_files = cast(Table, FileRow.__table__)


@dataclass(slots=True, frozen=True)
class StoredTask:
    """What decides whether a stored task may be replaced by a newer copy."""

    last_modified_date: datetime
    comment_ids: frozenset[int]


async def stored_tasks(session: AsyncSession, task_ids: Iterable[int]) -> dict[int, StoredTask]:
    """The given tasks that exist, with their last change and comment ids."""
    wanted = sorted(set(task_ids))
    if not wanted:
        return {}
    found: dict[int, StoredTask] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        rows = await session.execute(
            select(_tasks.c.id, _tasks.c.last_modified_date).where(_tasks.c.id.in_(chunk))
        )
        modified = {int(r.id): r.last_modified_date for r in rows}
        comments: dict[int, set[int]] = {task_id: set() for task_id in modified}
        for task_id, comment_id in await session.execute(
            select(_comments.c.task_id, _comments.c.id).where(_comments.c.task_id.in_(chunk))
        ):
            comments[int(task_id)].add(int(comment_id))
        for task_id, when in modified.items():
            found[task_id] = StoredTask(when, frozenset(comments[task_id]))
    return found


async def _insert_comments(session: AsyncSession, comments: Sequence[Comment]) -> None:
    if comments:
        await session.execute(
            insert(_comments),
            [
                {
                    "id": c.id,
                    "task_id": c.task_id,
                    "author_id": c.author_id,
                    "create_date": c.create_date,
                    "body": c.body,
                }
                for c in comments
            ],
        )


async def insert_tasks(
    session: AsyncSession, tasks: Sequence[tuple[TaskState, Sequence[Comment]]]
) -> None:
    """Store new tasks (with their ``task_people`` rows) and their comments, ids as given."""
    for task, _ in tasks:
        await insert_task(session, task)
    await _insert_comments(session, [c for _, comments in tasks for c in comments])


async def replace_task(
    session: AsyncSession, task: TaskState, new_comments: Sequence[Comment]
) -> None:
    """Overwrite a stored task with a newer copy and add the comments it has in addition."""
    locked = await lock_tasks(session, [task.id])
    if task.id not in locked:
        raise LookupError(f"task {task.id} is not stored")
    _, people = locked[task.id]
    await _insert_comments(session, new_comments)
    await save_locked_tasks(session, [(task, people)])


async def advance_id_counters(session: AsyncSession) -> None:
    """Move the task, comment and file id counters past the largest stored ids (never back)."""
    top_task = (await session.execute(select(func.max(_tasks.c.id)))).scalar_one_or_none()
    top_comment = (await session.execute(select(func.max(_comments.c.id)))).scalar_one_or_none()
    top_file = (await session.execute(select(func.max(_files.c.id)))).scalar_one_or_none()
    if dialect_name(session) == "postgresql":
        for table, top in ((_task_ids, top_task), (_comments, top_comment), (_files, top_file)):
            if top is None:
                continue
            # setval(..., is_called=true): the next nextval() gives top + 1, or more
            await session.execute(
                text(
                    "SELECT setval(pg_get_serial_sequence(:table, 'id'), GREATEST("
                    "COALESCE(pg_sequence_last_value(pg_get_serial_sequence(:table, 'id')"
                    "::regclass), 0), :top), true)"
                ),
                {"table": table.name, "top": int(top)},
            )
        return
    # SQLite: comments and files take the largest id plus one by themselves; task ids come from the
    # AUTOINCREMENT counter of ``task_id_sequence`` kept in ``sqlite_sequence``.
    if top_task is None:
        return
    name = _task_ids.name
    changed = await session.execute(
        text("UPDATE sqlite_sequence SET seq = MAX(seq, :top) WHERE name = :name"),
        {"top": int(top_task), "name": name},
    )
    if not getattr(changed, "rowcount", 0):
        await session.execute(
            text("INSERT INTO sqlite_sequence (name, seq) VALUES (:name, :top)"),
            {"top": int(top_task), "name": name},
        )


async def insert_file_with_id(
    session: AsyncSession, file: FileRef, content: bytes, created_at: datetime
) -> bool:
    """Store a file under its own id unless a file has that id already (files never change);
    whether it was written."""
    if (await session.execute(select(_files.c.id).where(_files.c.id == file.id))).first():
        return False
    await session.execute(
        insert(_files).values(
            id=file.id,
            guid=file.guid,
            name=file.name,
            size=file.size,
            md5=file.md5,
            created_by=None,
            created_at=created_at,
            version=file.version,
            root_id=file.root_id,
        )
    )
    for seq, start in enumerate(range(0, len(content), CHUNK_BYTES)):
        chunk = content[start : start + CHUNK_BYTES]
        await session.execute(insert(FileChunkRow).values(file_id=file.id, seq=seq, data=chunk))
    await bump_directory_version(session)
    return True
