"""Writing tasks: reserve an id, insert a new task (with its first comment), lock tasks for a
change and save them, each in as few statements as the database allows (the hot path of task
creation and of every bot reply).

Every write keeps the ``task_people`` index (:mod:`.task_index`) in line in the same
transaction. Concurrency: load with :func:`lock_tasks` before changing a task; the lock holds
until the transaction ends.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, cast

import orjson
from sqlalchemy import (
    ARRAY,
    BigInteger,
    String,
    Table,
    any_,
    bindparam,
    delete,
    func,
    insert,
    select,
    text,
    true,
    update,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.ext.asyncio import AsyncSession

from pyrus_bots.server.store.codec import to_document
from pyrus_bots.server.store.dialects import dialect_name
from pyrus_bots.server.store.models import CommentRow, TaskIdSequence, TaskPerson, TaskRow
from pyrus_bots.server.store.task_index import (
    IndexRows,
    index_changes,
    index_new_task,
    reindex_tasks,
)
from pyrus_bots.server.store.tasks import task_from_row
from pyrus_bots.server.workflow.state import Comment, TaskState

# Core tables for the hot paths: they skip the ORM's bulk-persistence layer.
_tasks = cast(Table, TaskRow.__table__)
_task_people = cast(Table, TaskPerson.__table__)
_comments = cast(Table, CommentRow.__table__)
_task_ids = cast(Table, TaskIdSequence.__table__)

LockedTask = tuple[TaskState, IndexRows]
"""A task loaded for a change and its ``task_people`` rows."""


# --- the hot path's statements, built once ----------------------------------------------------
# Building a statement costs about as much CPU as sending it; these are built at import and run
# with parameters (named ``p_*``: column names are reserved for SQLAlchemy's own parameters).


def _param(table: Table, column: str) -> Any:
    return bindparam(f"p_{column}", type_=table.c[column].type)


_TASK_COLUMNS = (
    "form_id",
    "current_step",
    "is_closed",
    "author_id",
    "responsible_id",
    "create_date",
    "last_modified_date",
    "close_date",
    "doc",
)
_NEXT_ID_POSTGRESQL = select(
    func.nextval(func.pg_get_serial_sequence(_task_ids.name, _task_ids.c.id.name))
)
_NEXT_ID_SQLITE = text(
    "UPDATE sqlite_sequence SET seq = seq + 1 WHERE name = :name RETURNING seq"
).bindparams(name=_task_ids.name)
_INSERT_TASK = insert(_tasks).values(
    {c: _param(_tasks, c) for c in ("id", "last_note_id", *_TASK_COLUMNS)}
)
_UPDATE_TASK = (
    update(_tasks)
    .where(_tasks.c.id == _param(_tasks, "id"))
    .values({c: _param(_tasks, c) for c in ("last_note_id", *_TASK_COLUMNS)})
    # Every change clears the stored rendering in the change's own statement.
    .values(rendering=None, rendering_key=None)
)
# A new task's first comment: its id is drawn while the task row is written, so the row carries
# its ``last_note_id`` from the start (no UPDATE afterwards); the comment is then written with it.
_NEXT_COMMENT_ID_POSTGRESQL = func.nextval(
    func.pg_get_serial_sequence(_comments.name, _comments.c.id.name)
)
# SQLite: comments.id is a plain INTEGER PRIMARY KEY, which takes the largest id plus one; an
# INSERT runs under the database write lock, so no other writer can take that id meanwhile.
_NEXT_COMMENT_ID_SQLITE = select(func.coalesce(func.max(_comments.c.id), 0) + 1).scalar_subquery()
_INSERT_TASK_NEXT_NOTE = {
    dialect: insert(_tasks)
    .values({c: _param(_tasks, c) for c in ("id", *_TASK_COLUMNS)})
    .values(last_note_id=next_id)
    for dialect, next_id in (
        ("postgresql", _NEXT_COMMENT_ID_POSTGRESQL),
        ("sqlite", _NEXT_COMMENT_ID_SQLITE),
    )
}
_INSERT_COMMENT_WITH_ID = insert(_comments).values(
    {c: _param(_comments, c) for c in ("id", "task_id", "author_id", "create_date", "body")}
)


def _insert_new_task_postgresql() -> Any:
    """PostgreSQL: the task row, its people (two arrays) and its first comment in one statement
    (data-modifying CTEs; the foreign keys are checked when the whole statement has run)."""
    task = (
        _INSERT_TASK_NEXT_NOTE["postgresql"]
        .returning(_tasks.c.id.label("task_id"), _tasks.c.last_note_id)
        .cte("new_task")
    )
    people = (
        func.unnest(
            bindparam("p_people_ids", type_=ARRAY(BigInteger)),
            bindparam("p_people_kinds", type_=ARRAY(String)),
        )
        .table_valued("person_id", "kind")
        .render_derived(name="people")
    )
    index = (
        insert(_task_people)
        .from_select(
            ["task_id", "person_id", "kind"],
            select(task.c.task_id, people.c.person_id, people.c.kind).select_from(
                task.join(people, true())
            ),
        )
        .cte("new_people")
    )
    note = insert(_comments).from_select(
        ["id", "task_id", "author_id", "create_date", "body"],
        select(
            task.c.last_note_id,
            task.c.task_id,
            bindparam("p_note_author_id", type_=_comments.c.author_id.type),
            bindparam("p_note_create_date", type_=_comments.c.create_date.type),
            bindparam("p_note_body", type_=_comments.c.body.type),
        ),
    )
    return select(task.c.last_note_id).add_cte(index, note.cte("new_note"))


_INSERT_NEW_TASK_POSTGRESQL = _insert_new_task_postgresql()
_INSERT_TASK_SQLITE = _INSERT_TASK_NEXT_NOTE["sqlite"].returning(_tasks.c.last_note_id)


async def reserve_task_id(session: AsyncSession) -> int:
    """A new task id, unique across processes (an auto-increment, never reused once committed)."""
    # One statement on the hot path: advance the counter behind the auto-increment directly.
    if dialect_name(session) == "postgresql":
        return int((await session.execute(_NEXT_ID_POSTGRESQL)).scalar_one())
    advanced = (await session.execute(_NEXT_ID_SQLITE)).scalar_one_or_none()
    if advanced is not None:
        return int(advanced)
    # The very first id: sqlite_sequence gets its row from the first insert.
    new_id = (await session.execute(insert(_task_ids).returning(_task_ids.c.id))).scalar_one()
    # The row itself is not needed: sqlite_sequence remembers.
    await session.execute(delete(_task_ids).where(_task_ids.c.id == new_id))
    return int(new_id)


def _columns(task: TaskState) -> dict[str, Any]:
    """Parameters of ``_INSERT_TASK`` / ``_UPDATE_TASK``."""
    return {
        "p_form_id": task.form_id,
        "p_current_step": task.current_step,
        "p_is_closed": task.is_closed,
        "p_author_id": task.author_id,
        "p_responsible_id": task.responsible_id,
        "p_create_date": task.create_date,
        "p_last_modified_date": task.last_modified_date,
        "p_close_date": task.close_date,
        "p_doc": to_document(task),
        "p_id": task.id,
    }


async def insert_task(
    session: AsyncSession, task: TaskState, *, first_comment: Comment | None = None
) -> None:
    """Store a new task (its id comes from ``reserve_task_id``).

    ``first_comment``: store it too (its id set, and the task's ``last_note_id`` on the object
    and in the row) in few statements: one on PostgreSQL (task, index rows and comment), three
    on SQLite (no UPDATE afterwards).
    """
    if first_comment is None:
        params = {**_columns(task), "p_last_note_id": task.last_note_id}
        await session.execute(_INSERT_TASK, params)
        await index_new_task(session, task)
        return
    if dialect_name(session) == "postgresql":
        _, missing = index_changes(task, set())
        params = {
            **_columns(task),
            "p_people_ids": [pid for pid, _ in missing],
            "p_people_kinds": [kind for _, kind in missing],
            "p_note_author_id": first_comment.author_id,
            "p_note_create_date": first_comment.create_date,
            "p_note_body": first_comment.body,
        }
        note_id = (await session.execute(_INSERT_NEW_TASK_POSTGRESQL, params)).scalar_one()
    else:
        note_id = (await session.execute(_INSERT_TASK_SQLITE, _columns(task))).scalar_one()
        await index_new_task(session, task)
        params = {
            "p_id": note_id,
            "p_task_id": first_comment.task_id,
            "p_author_id": first_comment.author_id,
            "p_create_date": first_comment.create_date,
            "p_body": first_comment.body,
        }
        await session.execute(_INSERT_COMMENT_WITH_ID, params)
    first_comment.id = task.last_note_id = int(note_id)


_SAVE_TASKS_POSTGRESQL = text(
    """
    UPDATE tasks AS t SET form_id = u.form_id, current_step = u.current_step,
        is_closed = u.is_closed, author_id = u.author_id, responsible_id = u.responsible_id,
        create_date = u.create_date, last_modified_date = u.last_modified_date,
        close_date = u.close_date, doc = CAST(u.doc AS jsonb), last_note_id = u.last_note_id,
        rendering = NULL, rendering_key = NULL
    FROM unnest(CAST(:id AS bigint[]), CAST(:form_id AS bigint[]),
                CAST(:current_step AS integer[]), CAST(:is_closed AS boolean[]),
                CAST(:author_id AS bigint[]), CAST(:responsible_id AS bigint[]),
                CAST(:create_date AS timestamptz[]), CAST(:last_modified_date AS timestamptz[]),
                CAST(:close_date AS timestamptz[]), CAST(:doc AS text[]),
                CAST(:last_note_id AS bigint[]))
        AS u(id, form_id, current_step, is_closed, author_id, responsible_id, create_date,
             last_modified_date, close_date, doc, last_note_id)
    WHERE t.id = u.id
    """
)
"""PostgreSQL: a batch of changed tasks as one row-set (each column an array, documents as
JSON text), the same statement text whatever the batch's size; like every task write it clears
the stored rendering."""


async def save_locked_tasks(session: AsyncSession, saves: Sequence[LockedTask]) -> None:
    """Write changed tasks loaded with :func:`lock_tasks`, each with the ``task_people`` rows
    read then, and their ``last_note_id`` as set on the task: one statement for the tasks and
    at most two for the whole index, however many tasks."""
    if not saves:
        return
    if dialect_name(session) == "postgresql":
        tasks = [task for task, _ in saves]
        params = {
            "id": [t.id for t in tasks],
            "form_id": [t.form_id for t in tasks],
            "current_step": [t.current_step for t in tasks],
            "is_closed": [t.is_closed for t in tasks],
            "author_id": [t.author_id for t in tasks],
            "responsible_id": [t.responsible_id for t in tasks],
            "create_date": [t.create_date for t in tasks],
            "last_modified_date": [t.last_modified_date for t in tasks],
            "close_date": [t.close_date for t in tasks],
            "doc": [orjson.dumps(to_document(t)).decode() for t in tasks],
            "last_note_id": [t.last_note_id for t in tasks],
        }
        await session.execute(_SAVE_TASKS_POSTGRESQL, params)
    else:
        await session.execute(
            _UPDATE_TASK,
            [{**_columns(task), "p_last_note_id": task.last_note_id} for task, _ in saves],
        )
    await reindex_tasks(session, saves)


# --- locking tasks with their index rows ------------------------------------------------------

_PEOPLE_SEPARATOR = ","
_KIND_SEPARATOR = ":"


def people_of_task_packed() -> Any:
    """The task's index rows as one string ``kind:person_id,...`` (a correlated subquery)."""
    entry = _task_people.c.kind + _KIND_SEPARATOR + sql_cast(_task_people.c.person_id, String)
    return (
        select(func.aggregate_strings(entry, _PEOPLE_SEPARATOR))
        .where(_task_people.c.task_id == _tasks.c.id)
        .scalar_subquery()
        .label("people")
    )


_TASK_IDS: Any = bindparam("p_ids", expanding=True)
_LOCK_TASKS_SQLITE = (
    update(_tasks)
    .where(_tasks.c.id.in_(_TASK_IDS))
    .values(id=_tasks.c.id)
    .returning(_tasks.c.id, _tasks.c.doc, _tasks.c.last_note_id, people_of_task_packed())
)
# PostgreSQL: the ids as one array, so the statement text (and its prepared plan) is the same
# whatever the number of tasks.
_TASK_ID_ARRAY: Any = any_(bindparam("p_id_array", type_=ARRAY(BigInteger)))
_LOCK_TASKS_POSTGRESQL = (
    select(_tasks.c.id, _tasks.c.doc, _tasks.c.last_note_id)
    .where(_tasks.c.id == _TASK_ID_ARRAY)
    .order_by(_tasks.c.id)
    .with_for_update()
)
_PEOPLE_OF_TASKS = select(
    _task_people.c.task_id, _task_people.c.person_id, _task_people.c.kind
).where(_task_people.c.task_id == _TASK_ID_ARRAY)


def parse_people(packed: str | None) -> IndexRows:
    rows: IndexRows = set()
    for entry in packed.split(_PEOPLE_SEPARATOR) if packed else ():
        kind, _, person_id = entry.rpartition(_KIND_SEPARATOR)
        rows.add((int(person_id), kind))
    return rows


async def lock_tasks(session: AsyncSession, task_ids: Iterable[int]) -> dict[int, LockedTask]:
    """Load tasks for a change, locked until the transaction ends, with their ``task_people``
    rows; unknown ids are left out.

    SQLite: one statement, a no-op ``UPDATE ... RETURNING`` that takes the write lock and reads
    tasks and rows under it. PostgreSQL: ``SELECT ... FOR UPDATE`` in id order (two writers
    locking several tasks cannot deadlock each other), then the rows in a second statement: a
    subquery of the locking statement would see the rows as they were before it waited for the
    lock, not as the writer it waited for left them.
    """
    params = {"p_ids": sorted(set(task_ids))}
    if not params["p_ids"]:
        return {}
    if dialect_name(session) == "sqlite":
        rows = await session.execute(_LOCK_TASKS_SQLITE, params)
        return {
            row.id: (task_from_row(row.doc, row.last_note_id), parse_people(row.people))
            for row in rows
        }
    by_array = {"p_id_array": params["p_ids"]}
    found = (await session.execute(_LOCK_TASKS_POSTGRESQL, by_array)).all()
    if not found:
        return {}
    people: dict[int, IndexRows] = {row.id: set() for row in found}
    for task_id, person_id, kind in await session.execute(_PEOPLE_OF_TASKS, by_array):
        people[task_id].add((int(person_id), kind))
    return {row.id: (task_from_row(row.doc, row.last_note_id), people[row.id]) for row in found}
