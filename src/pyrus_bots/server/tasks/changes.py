"""Creating and commenting tasks: every change to a task, from the API, the UI and bot replies.

Each function works inside the caller's transaction: it loads what it needs (the task locked for
update), lets the pure workflow engine decide, writes the task, its comment and its people index,
and enqueues the webhooks the change triggers in the same transaction (DESIGN.md 4, "Outbox").
Validation happens in the engine before anything is written, so a ``PyrusError`` leaves the
task untouched; the caller rolls back (or releases its SAVEPOINT) on any error.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.protocol.models.requests import CommentRequest, CreateTaskRequest
from pyrus_bots.server.store import comments as comment_store
from pyrus_bots.server.store import task_index, task_writes
from pyrus_bots.server.store import tasks as task_store
from pyrus_bots.server.tasks import file_access, limits
from pyrus_bots.server.tasks.lists import check_list_ids, record_task_lists
from pyrus_bots.server.tasks.outbox import enqueue_triggers
from pyrus_bots.server.workflow import access, engine
from pyrus_bots.server.workflow.bot_routing import refuse_routing_to_other_bots
from pyrus_bots.server.workflow.file_refs import files_of_task
from pyrus_bots.server.workflow.state import Comment, Directory, Person, TaskState

__all__ = [
    "CommentCall",
    "CommentResult",
    "access_denied",
    "comment_task",
    "comment_tasks",
    "create_task",
    "load_visible_task",
    "task_comments",
]


def access_denied(task_id: int) -> PyrusError:
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
        raise access_denied(task_id)
    involved = await task_index.task_people(session, task_id)
    if not access.can_view_task(directory, task, viewer, involved):
        raise access_denied(task_id)
    return task


async def task_comments(
    session: AsyncSession, task_id: int, *, last_only: bool = False
) -> list[Comment]:
    return await comment_store.get_comments(session, task_id, last_only=last_only)


async def create_task(
    session: AsyncSession,
    directory: Directory,
    author: Person,
    request: CreateTaskRequest,
    now: datetime,
) -> tuple[TaskState, Comment]:
    """Create a simple or form task with its first comment (spec 4.2 ``POST /tasks``)."""
    refuse_routing_to_other_bots(directory, author, request)
    await check_list_ids(session, directory, author, request.list_ids)
    task_id = await task_writes.reserve_task_id(session)
    applied = engine.create_task(directory, author, request, now, task_id)
    limits.check_change(applied.task, applied.comment, 0)
    holder = (file_access.TASK_HOLDER, task_id)
    files = files_of_task(directory, applied.task)
    await file_access.check_attachable(session, directory, author, files, holder)
    # The task row, its people and its first comment (the row knows its last_note_id at once).
    await task_writes.insert_task(session, applied.task, first_comment=applied.comment)
    await record_task_lists(session, task_id, [], applied.task.list_ids)
    await file_access.record_holder(session, holder, files)
    await enqueue_triggers(
        session, directory, applied.task, applied.events, author.id, now, fresh_task=True
    )
    return applied.task, applied.comment


@dataclass(slots=True)
class CommentCall:
    """One comment request by ``author`` on a task, as :func:`comment_tasks` takes them."""

    task_id: int
    author: Person
    request: CommentRequest


CommentResult = tuple[TaskState, Comment] | Exception
"""The task as changed and the stored comment, or why the request changed nothing."""


async def comment_task(
    session: AsyncSession,
    directory: Directory,
    task_id: int,
    author: Person,
    request: CommentRequest,
    now: datetime,
) -> tuple[TaskState, Comment]:
    """Apply a comment request (spec 2.2) by ``author`` to a task (``POST /tasks/{id}/comments``
    and bot replies alike). Raises ``PyrusError`` when the request is refused."""
    (result,) = await comment_tasks(
        session, directory, [CommentCall(task_id, author, request)], now
    )
    if isinstance(result, Exception):
        raise result
    return result


async def comment_tasks(
    session: AsyncSession, directory: Directory, calls: Sequence[CommentCall], now: datetime
) -> list[CommentResult]:
    """Apply several comment requests in a few statements for them all (bot replies finished
    together). Results are in the order of ``calls``; a refused request (``PyrusError``, or any
    error of the workflow engine) changes nothing and leaves the others to go through. Requests
    on one task apply in order, each to the task as the previous one left it.

    Everything is validated before anything is written; an error while writing (the database)
    propagates and the caller's transaction must be rolled back.
    """
    locked = await task_writes.lock_tasks(session, {call.task_id for call in calls})
    current = {task_id: task for task_id, (task, _) in locked.items()}
    involved = {task_id: task_index.people_ids(people) for task_id, (_, people) in locked.items()}
    comment_counts = await comment_store.comment_counts(session, list(current))
    results: list[CommentResult] = []
    applied_all: list[tuple[engine.Applied, int]] = []
    new_files: list[tuple[int, set[int]]] = []
    for call in calls:
        try:
            applied = await _apply_one(session, directory, call, current, involved, now)
            before = current[call.task_id]
            limits.check_change(applied.task, applied.comment, comment_counts.get(call.task_id, 0))
            added = files_of_task(directory, applied.task) - files_of_task(directory, before)
            holder = (file_access.TASK_HOLDER, call.task_id)
            await file_access.check_attachable(session, directory, call.author, added, holder)
        except Exception as exc:  # the engine refused it, or failed on it: nothing is written
            results.append(exc)
            continue
        comment_counts[call.task_id] = comment_counts.get(call.task_id, 0) + 1
        new_files.append((call.task_id, added))
        current[call.task_id] = applied.task
        involved[call.task_id] |= task_index.people_of_task(applied.task)[task_index.INVOLVED]
        applied_all.append((applied, call.author.id))
        results.append((applied.task, applied.comment))
    if not applied_all:
        return results
    for applied, _ in applied_all:
        if applied.edited_comment is not None:
            await comment_store.update_comment(session, applied.edited_comment)
    # The comments first: each id goes into its task's row with the rest of the change.
    await comment_store.add_comments(session, [applied.comment for applied, _ in applied_all])
    for applied, _ in applied_all:
        applied.task.last_note_id = applied.comment.id
    # A task commented twice is saved once, as the last of its comments left it.
    changed = [
        (task, locked[task_id][1])
        for task_id, task in current.items()
        if task is not locked[task_id][0]
    ]
    await task_writes.save_locked_tasks(session, changed)
    for task, _ in changed:
        await record_task_lists(session, task.id, locked[task.id][0].list_ids, task.list_ids)
    for task_id, added in new_files:
        await file_access.record_holder(session, (file_access.TASK_HOLDER, task_id), added)
    for applied, author_id in applied_all:
        await enqueue_triggers(session, directory, applied.task, applied.events, author_id, now)
    return results


async def _apply_one(
    session: AsyncSession,
    directory: Directory,
    call: CommentCall,
    current: dict[int, TaskState],
    involved: dict[int, set[int]],
    now: datetime,
) -> engine.Applied:
    task = current.get(call.task_id)
    if task is None:
        raise access_denied(call.task_id)
    seen = involved[call.task_id]
    if not access.can_view_task(directory, task, call.author, seen):
        raise access_denied(call.task_id)
    if not access.can_comment(directory, task, call.author, seen):
        raise access_denied(call.task_id)
    request = call.request
    refuse_routing_to_other_bots(directory, call.author, request)
    await check_list_ids(
        session, directory, call.author, request.added_list_ids, request.removed_list_ids
    )
    comments = None
    if call.request.edit_comment_id is not None:
        comments = await comment_store.get_comments(session, call.task_id)
    return engine.apply_comment(
        directory, task, call.author, call.request, now, comments=comments, involved_ids=seen
    )
