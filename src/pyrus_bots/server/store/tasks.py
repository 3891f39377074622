"""Reading tasks: by id, by filters (the register, the API's lists), and a person's inbox.

A task is stored as its ``TaskState`` document plus indexed columns; who a task concerns is in
the ``task_people`` index (:mod:`.task_index`), so these queries never read documents to filter.
Changing a task goes through :mod:`.task_writes`, its comments through :mod:`.comments`.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, desc, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Select

from pyrus_bots.server.store.codec import from_document
from pyrus_bots.server.store.dialects import dialect_name
from pyrus_bots.server.store.models import TaskRow
from pyrus_bots.server.store.task_index import visible_to, waiting_on
from pyrus_bots.server.workflow import access
from pyrus_bots.server.workflow.register import Narrowing
from pyrus_bots.server.workflow.state import FormDef, Person, TaskState

DEFAULT_INBOX_LIMIT = 50

_tasks = cast(Table, TaskRow.__table__)
# Built once: building a statement costs about as much CPU as sending it.
_TASKS_BY_ID = (
    select(_tasks.c.doc, _tasks.c.last_note_id)
    .where(_tasks.c.id.in_(bindparam("p_ids", expanding=True)))
    .order_by(_tasks.c.id)
)


def task_from_row(doc: Mapping[str, Any], last_note_id: int | None) -> TaskState:
    """The task a row holds (``last_note_id`` lives in its own column)."""
    task = from_document(TaskState, doc)
    task.last_note_id = last_note_id
    return task


async def get_task(
    session: AsyncSession, task_id: int, *, for_update: bool = False
) -> TaskState | None:
    """Load a task; ``for_update`` locks it until the transaction ends (on PostgreSQL
    ``SELECT ... FOR UPDATE``; on SQLite the write lock is taken first, which serialises
    writers the same way)."""
    if for_update and dialect_name(session) == "sqlite":
        # A no-op write takes SQLite's write lock before the read, like FOR UPDATE would.
        await session.execute(update(_tasks).where(_tasks.c.id == task_id).values(id=_tasks.c.id))
    query = select(TaskRow.doc, TaskRow.last_note_id).where(TaskRow.id == task_id)
    if for_update and dialect_name(session) == "postgresql":
        query = query.with_for_update()
    row = (await session.execute(query)).one_or_none()
    if row is None:
        return None
    return task_from_row(row.doc, row.last_note_id)


async def get_tasks(session: AsyncSession, task_ids: Iterable[int]) -> list[TaskState]:
    """Several tasks by id, in ascending id order (unknown ids are skipped)."""
    ids = list(task_ids)
    if not ids:
        return []
    rows = (await session.execute(_TASKS_BY_ID, {"p_ids": ids})).all()
    return [task_from_row(row.doc, row.last_note_id) for row in rows]


async def _load(session: AsyncSession, query: Select[Any]) -> list[TaskState]:
    rows = (await session.execute(query)).all()
    return [task_from_row(row.doc, row.last_note_id) for row in rows]


async def list_tasks(
    session: AsyncSession,
    *,
    form_id: int | None = None,
    step: int | None = None,
    steps: Collection[int] | None = None,
    task_ids: Collection[int] | None = None,
    is_closed: bool | None = None,
    person_id: int | None = None,
    modified_after: datetime | None = None,
    modified_before: datetime | None = None,
    created_after: datetime | None = None,
    created_before: datetime | None = None,
    limit: int | None = None,
    offset: int = 0,
    newest_first: bool = False,
) -> list[TaskState]:
    """Tasks filtered by form, current step (or any of ``steps``), ids, closed state,
    visibility to a person, dates."""
    query = select(TaskRow.doc, TaskRow.last_note_id)
    if form_id is not None:
        query = query.where(TaskRow.form_id == form_id)
    if step is not None:
        query = query.where(TaskRow.current_step == step)
    if steps is not None:
        query = query.where(TaskRow.current_step.in_(list(steps)))
    if task_ids is not None:
        query = query.where(TaskRow.id.in_(list(task_ids)))
    if is_closed is not None:
        query = query.where(TaskRow.is_closed == is_closed)
    if person_id is not None:
        query = query.where(TaskRow.id.in_(visible_to(person_id)))
    if modified_after is not None:
        query = query.where(TaskRow.last_modified_date > modified_after)
    if modified_before is not None:
        query = query.where(TaskRow.last_modified_date < modified_before)
    if created_after is not None:
        query = query.where(TaskRow.create_date > created_after)
    if created_before is not None:
        query = query.where(TaskRow.create_date < created_before)
    query = query.order_by(desc(TaskRow.id) if newest_first else TaskRow.id)
    if limit is not None:
        query = query.limit(limit)
    if offset:
        query = query.offset(offset)
    return await _load(session, query)


async def register_tasks(
    session: AsyncSession, form: FormDef, viewer: Person | None, narrow: Narrowing
) -> list[TaskState]:
    """The tasks of a form's register that ``viewer`` may see (``None``: the administrator sees
    all), narrowed in the database as far as the register's parameters allow, so a large form
    is not loaded whole; :func:`~pyrus_bots.server.workflow.register.filter_register` applies
    the rest."""
    sees_all = viewer is None or access.sees_all_form_tasks(form, viewer)
    return await list_tasks(
        session,
        form_id=form.id,
        is_closed=False if narrow.open_only else None,
        steps=narrow.steps,
        task_ids=narrow.task_ids,
        person_id=None if sees_all or viewer is None else viewer.id,
    )


async def inbox(
    session: AsyncSession, person_id: int, limit: int = DEFAULT_INBOX_LIMIT
) -> list[TaskState]:
    """Open tasks waiting on the person (or a role of theirs), most recently modified first."""
    query = (
        select(TaskRow.doc, TaskRow.last_note_id)
        .where(TaskRow.id.in_(waiting_on(person_id)), TaskRow.is_closed.is_(False))
        .order_by(desc(TaskRow.last_modified_date), desc(TaskRow.id))
        .limit(limit)
    )
    return await _load(session, query)
