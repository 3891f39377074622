"""The task service: every change to a task goes through here, from the API and from bot replies.

Each function works inside the caller's transaction: it loads what it needs (the task locked for
update), lets the pure workflow engine decide, writes the task, its comment and its people index,
and enqueues the webhooks the change triggers in the same transaction (DESIGN.md 4, "Outbox").
Validation happens in the engine before anything is written, so a ``PyrusError`` leaves the
task untouched; the caller rolls back (or releases its SAVEPOINT) on any error.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.server.delivery.triggers import enqueue_triggers
from pyrus_bots.server.store import tasks as task_store
from pyrus_bots.server.workflow import access, engine
from pyrus_bots.server.workflow.state import Comment, Directory, Person, TaskState

__all__ = ["comment_task", "create_task", "load_visible_task", "task_comments"]


def _denied(task_id: int) -> PyrusError:
    # Unknown and invisible tasks answer alike, so ids of other people's tasks do not leak.
    return PyrusError("access_denied_task", f"task {task_id} is not accessible")


async def load_visible_task(
    session: AsyncSession,
    directory: Directory,
    task_id: int,
    viewer: Person,
    *,
    for_update: bool = False,
) -> TaskState:
    """The task if ``viewer`` may see it; 403 ``access_denied_task`` otherwise (DESIGN.md 3.5)."""
    task = await task_store.get_task(session, task_id, for_update=for_update)
    if task is None:
        raise _denied(task_id)
    involved = await task_store.task_people(session, task_id)
    if not access.can_view_task(directory, task, viewer, involved):
        raise _denied(task_id)
    return task


async def task_comments(
    session: AsyncSession, task_id: int, *, last_only: bool = False
) -> list[Comment]:
    return await task_store.get_comments(session, task_id, last_only=last_only)


async def create_task(
    session: AsyncSession,
    directory: Directory,
    author: Person,
    request: dict[str, Any],
    now: datetime,
) -> tuple[TaskState, Comment]:
    """Create a simple or form task with its first comment (spec 4.2 ``POST /tasks``)."""
    task_id = await task_store.reserve_task_id(session)
    applied = engine.create_task(directory, author, request, now, task_id)
    await task_store.insert_task(session, applied.task)
    comment = await task_store.add_comment(session, applied.comment)
    applied.task.last_note_id = comment.id
    await enqueue_triggers(session, directory, applied.task, applied.events, author.id, now)
    return applied.task, comment


async def comment_task(
    session: AsyncSession,
    directory: Directory,
    task_id: int,
    author: Person,
    request: dict[str, Any],
    now: datetime,
) -> tuple[TaskState, Comment]:
    """Apply a comment request (spec 2.2) by ``author`` to a task (``POST /tasks/{id}/comments``
    and bot replies alike)."""
    locked = await task_store.lock_task(session, task_id)
    if locked is None:
        raise _denied(task_id)
    task, people = locked
    involved = task_store.people_ids(people)
    if not access.can_view_task(directory, task, author, involved):
        raise _denied(task_id)
    if not access.can_comment(directory, task, author, involved):
        raise _denied(task_id)
    comments = None
    if request.get("edit_comment_id") is not None:
        comments = await task_store.get_comments(session, task_id)
    applied = engine.apply_comment(
        directory, task, author, request, now, comments=comments, involved_ids=involved
    )
    if applied.edited_comment is not None:
        await task_store.update_comment(session, applied.edited_comment)
    # The comment first: its id goes into the task's row with the rest of the change.
    comment = await task_store.add_comment(session, applied.comment, set_last_note=False)
    applied.task.last_note_id = comment.id
    await task_store.save_task(session, applied.task, last_note_id=comment.id, people=people)
    await enqueue_triggers(session, directory, applied.task, applied.events, author.id, now)
    return applied.task, comment
