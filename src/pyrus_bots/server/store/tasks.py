"""Tasks and comments.

A task is stored as its ``TaskState`` document plus indexed columns; ``task_people`` records who
was ever involved (kind ``involved``: only grows, so a bot keeps seeing a task it once approved)
and whose inbox holds it (kind ``inbox``: recomputed on every save). ``insert_task`` and
``save_task`` maintain that index; ``update_task_people`` lets a caller replace kinds directly.

Concurrency: load with ``get_task(..., for_update=True)`` before changing a task. On PostgreSQL
that is ``SELECT ... FOR UPDATE``; on SQLite the write lock is taken first, which serialises
writers the same way.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    ARRAY,
    BigInteger,
    CompoundSelect,
    String,
    Table,
    bindparam,
    delete,
    desc,
    func,
    insert,
    or_,
    select,
    text,
    true,
    update,
)
from sqlalchemy import (
    cast as sql_cast,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Select

from pyrus_bots.server.store.codec import from_document, to_document
from pyrus_bots.server.store.dialects import dialect_name, upsert
from pyrus_bots.server.store.models import (
    CommentRow,
    FormPerson,
    RoleMember,
    TaskIdSequence,
    TaskPerson,
    TaskRow,
)
from pyrus_bots.server.workflow.state import Comment, TaskState

# Core tables for the hot paths: they skip the ORM's bulk-persistence layer.
_tasks = cast(Table, TaskRow.__table__)
_task_people = cast(Table, TaskPerson.__table__)
_comments = cast(Table, CommentRow.__table__)
_task_ids = cast(Table, TaskIdSequence.__table__)

INVOLVED = "involved"
INBOX = "inbox"
DEFAULT_INBOX_LIMIT = 50


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
_TASK_ID = _param(_tasks, "id")
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
    .where(_tasks.c.id == _TASK_ID)
    .values({c: _param(_tasks, c) for c in _TASK_COLUMNS})
)
_UPDATE_TASK_AND_NOTE = _UPDATE_TASK.values(last_note_id=_param(_tasks, "last_note_id"))
_SET_LAST_NOTE = (
    update(_tasks)
    .where(_tasks.c.id == _TASK_ID)
    .values(last_note_id=_param(_tasks, "last_note_id"))
)
_PEOPLE_OF_TASK = select(_task_people.c.person_id, _task_people.c.kind).where(
    _task_people.c.task_id == _TASK_ID
)
_INSERT_PEOPLE = insert(_task_people)
_DELETE_INBOX = delete(_task_people).where(
    _task_people.c.task_id == _TASK_ID,
    _task_people.c.kind == INBOX,
    _task_people.c.person_id.in_(bindparam("p_person_ids", expanding=True)),
)
_DELETE_INBOX_ROW = delete(_task_people).where(
    _task_people.c.task_id == _TASK_ID,
    _task_people.c.kind == INBOX,
    _task_people.c.person_id == bindparam("p_person_id"),
)
_TASKS_BY_ID = (
    select(_tasks.c.doc, _tasks.c.last_note_id)
    .where(_tasks.c.id.in_(bindparam("p_ids", expanding=True)))
    .order_by(_tasks.c.id)
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
_INSERT_COMMENT = (
    insert(_comments)
    .values({c: _param(_comments, c) for c in ("task_id", "author_id", "create_date", "body")})
    .returning(_comments.c.id, sort_by_parameter_order=True)
)


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

    ``first_comment``: store it too, as ``add_comment`` would (its id set, and the task's
    ``last_note_id`` on the object and in the row), in fewer statements than the two calls:
    one on PostgreSQL (task, index rows and comment), three on SQLite (no UPDATE afterwards).
    """
    if first_comment is None:
        params = {**_columns(task), "p_last_note_id": task.last_note_id}
        await session.execute(_INSERT_TASK, params)
        await _index_people(session, task, new=True)
        return
    if dialect_name(session) == "postgresql":
        _, missing = _people_diff(task, set())
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
        await _index_people(session, task, new=True)
        params = {
            "p_id": note_id,
            "p_task_id": first_comment.task_id,
            "p_author_id": first_comment.author_id,
            "p_create_date": first_comment.create_date,
            "p_body": first_comment.body,
        }
        await session.execute(_INSERT_COMMENT_WITH_ID, params)
    first_comment.id = task.last_note_id = int(note_id)


async def save_task(
    session: AsyncSession,
    task: TaskState,
    *,
    last_note_id: int | None = None,
    people: set[tuple[int, str]] | None = None,
) -> None:
    """Write a changed task. ``last_note_id`` is owned by ``add_comment`` and left as stored,
    unless given here (a caller that stored the comment with ``set_last_note=False``).

    ``people``: the task's ``task_people`` rows as read by ``lock_task`` in this transaction,
    which spares reading them again; the index is then written only where it changed.
    """
    if last_note_id is None:
        await session.execute(_UPDATE_TASK, _columns(task))
    else:
        params = {**_columns(task), "p_last_note_id": last_note_id}
        await session.execute(_UPDATE_TASK_AND_NOTE, params)
    await _index_people(session, task, new=False, existing=people)


async def save_locked_tasks(session: AsyncSession, saves: Sequence[LockedTask]) -> None:
    """Write changed tasks loaded with :func:`lock_tasks`, each with the ``task_people`` rows
    read then, and their ``last_note_id`` as set on the task: one statement for the tasks and
    at most two for the whole index, however many tasks."""
    if not saves:
        return
    await session.execute(
        _UPDATE_TASK_AND_NOTE,
        [{**_columns(task), "p_last_note_id": task.last_note_id} for task, _ in saves],
    )
    stale: list[dict[str, Any]] = []
    missing: list[dict[str, Any]] = []
    for task, existing in saves:
        gone, added = _people_diff(task, existing)
        stale += ({"p_id": task.id, "p_person_id": pid} for pid in gone)
        missing += ({"task_id": task.id, "person_id": pid, "kind": kind} for pid, kind in added)
    if stale:
        await session.execute(_DELETE_INBOX_ROW, stale)
    if missing:
        await session.execute(_INSERT_PEOPLE, missing)


_PEOPLE_SEPARATOR = ","
_KIND_SEPARATOR = ":"


def _people_of_task_packed() -> Any:
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
    .returning(_tasks.c.id, _tasks.c.doc, _tasks.c.last_note_id, _people_of_task_packed())
)
_LOCK_TASKS_POSTGRESQL = (
    select(_tasks.c.id, _tasks.c.doc, _tasks.c.last_note_id)
    .where(_tasks.c.id.in_(_TASK_IDS))
    .order_by(_tasks.c.id)
    .with_for_update()
)
_PEOPLE_OF_TASKS = select(
    _task_people.c.task_id, _task_people.c.person_id, _task_people.c.kind
).where(_task_people.c.task_id.in_(_TASK_IDS))


def _parse_people(packed: str | None) -> set[tuple[int, str]]:
    rows: set[tuple[int, str]] = set()
    for entry in packed.split(_PEOPLE_SEPARATOR) if packed else ():
        kind, _, person_id = entry.rpartition(_KIND_SEPARATOR)
        rows.add((int(person_id), kind))
    return rows


LockedTask = tuple[TaskState, set[tuple[int, str]]]
"""A task loaded for a change and its ``task_people`` rows as ``(person_id, kind)``."""


async def lock_task(session: AsyncSession, task_id: int) -> LockedTask | None:
    """Load a task for a change, locked until the transaction ends (see :func:`lock_tasks`)."""
    return (await lock_tasks(session, [task_id])).get(task_id)


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
            row.id: (_task_from_row(row.doc, row.last_note_id), _parse_people(row.people))
            for row in rows
        }
    found = (await session.execute(_LOCK_TASKS_POSTGRESQL, params)).all()
    if not found:
        return {}
    people: dict[int, set[tuple[int, str]]] = {row.id: set() for row in found}
    for task_id, person_id, kind in await session.execute(_PEOPLE_OF_TASKS, params):
        people[task_id].add((int(person_id), kind))
    return {row.id: (_task_from_row(row.doc, row.last_note_id), people[row.id]) for row in found}


def people_ids(rows: Iterable[tuple[int, str]], kind: str = INVOLVED) -> set[int]:
    """Person ids of one kind among ``task_people`` rows (as ``lock_task`` returns them)."""
    return {person_id for person_id, row_kind in rows if row_kind == kind}


async def get_task(
    session: AsyncSession, task_id: int, *, for_update: bool = False
) -> TaskState | None:
    """Load a task; ``for_update`` locks it until the transaction ends."""
    if for_update and dialect_name(session) == "sqlite":
        # A no-op write takes SQLite's write lock before the read, like FOR UPDATE would.
        await session.execute(update(_tasks).where(_tasks.c.id == task_id).values(id=_tasks.c.id))
    query = select(TaskRow.doc, TaskRow.last_note_id).where(TaskRow.id == task_id)
    if for_update and dialect_name(session) == "postgresql":
        query = query.with_for_update()
    row = (await session.execute(query)).one_or_none()
    if row is None:
        return None
    return _task_from_row(row.doc, row.last_note_id)


def _task_from_row(doc: Mapping[str, Any], last_note_id: int | None) -> TaskState:
    task = from_document(TaskState, doc)
    task.last_note_id = last_note_id
    return task


async def get_tasks(session: AsyncSession, task_ids: Iterable[int]) -> list[TaskState]:
    """Several tasks by id, in ascending id order (unknown ids are skipped)."""
    ids = list(task_ids)
    if not ids:
        return []
    rows = (await session.execute(_TASKS_BY_ID, {"p_ids": ids})).all()
    return [_task_from_row(row.doc, row.last_note_id) for row in rows]


async def _load(session: AsyncSession, query: Select[Any]) -> list[TaskState]:
    rows = (await session.execute(query)).all()
    return [_task_from_row(row.doc, row.last_note_id) for row in rows]


async def tasks_of_form(session: AsyncSession, form_id: int) -> list[TaskState]:
    """Every task of a form, by ascending id (the register reads these)."""
    return await list_tasks(session, form_id=form_id)


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
    involvement of a person, dates."""
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
        query = query.where(TaskRow.id.in_(_visible_ids_query(person_id)))
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


async def count_tasks(session: AsyncSession, *, form_id: int | None = None) -> int:
    query = select(func.count()).select_from(TaskRow)
    if form_id is not None:
        query = query.where(TaskRow.form_id == form_id)
    return int((await session.execute(query)).scalar_one())


# --- who a task concerns -------------------------------------------------------------------


def people_of_task(task: TaskState) -> dict[str, set[int]]:
    """The ``task_people`` rows a task implies (DESIGN.md 3.5): involved ids and inbox ids."""
    involved = {task.author_id, *task.participant_ids}
    involved.update(s.person_id for s in task.subscribers)
    for approvals in task.approvals:
        involved.update(a.person_id for a in approvals)
    if task.responsible_id is not None:
        involved.add(task.responsible_id)
    inbox: set[int] = set()
    if not task.is_closed:
        step = task.current_step
        if step is not None and 1 <= step <= len(task.approvals):
            inbox.update(a.person_id for a in task.approvals[step - 1] if a.choice == "waiting")
        if task.form_id is None and task.responsible_id is not None:
            inbox.add(task.responsible_id)
    return {INVOLVED: involved, INBOX: inbox}


def _people_diff(
    task: TaskState, existing: set[tuple[int, str]]
) -> tuple[list[int], set[tuple[int, str]]]:
    """Index rows to change for ``task``: inbox person ids to remove, ``(id, kind)`` to add."""
    kinds = people_of_task(task)
    wanted = {(pid, kind) for kind, ids in kinds.items() for pid in ids}
    # "involved" only grows; other kinds this module does not manage are left alone
    stale = [pid for pid, kind in existing - wanted if kind == INBOX]
    return stale, wanted - existing


async def _index_people(
    session: AsyncSession,
    task: TaskState,
    *,
    new: bool,
    existing: set[tuple[int, str]] | None = None,
) -> None:
    """Bring ``task_people`` in line with the task in at most three statements (none when
    nothing changed and the caller passes the ``existing`` rows)."""
    if existing is None:
        existing = set()
        if not new:
            rows = await session.execute(_PEOPLE_OF_TASK, {"p_id": task.id})
            existing = {(pid, kind) for pid, kind in rows}
    stale, missing = _people_diff(task, existing)
    if stale:
        await session.execute(_DELETE_INBOX, {"p_id": task.id, "p_person_ids": stale})
    if missing:
        await session.execute(
            _INSERT_PEOPLE,
            [{"task_id": task.id, "person_id": pid, "kind": kind} for pid, kind in missing],
        )


async def add_task_people(
    session: AsyncSession, task_id: int, person_ids_by_kind: Mapping[str, Iterable[int]]
) -> None:
    """Add index rows, keeping those already there."""
    rows = [
        {"task_id": task_id, "person_id": pid, "kind": kind}
        for kind, ids in person_ids_by_kind.items()
        for pid in set(ids)
    ]
    if rows:
        await session.execute(upsert(session, TaskPerson).values(rows).on_conflict_do_nothing())


async def update_task_people(
    session: AsyncSession, task_id: int, person_ids_by_kind: Mapping[str, Iterable[int]]
) -> None:
    """Replace the index rows of each kind given with exactly these person ids."""
    for kind, ids in person_ids_by_kind.items():
        wanted = set(ids)
        existing = set(
            (
                await session.scalars(
                    select(TaskPerson.person_id).where(
                        TaskPerson.task_id == task_id, TaskPerson.kind == kind
                    )
                )
            ).all()
        )
        if existing - wanted:
            await session.execute(
                delete(TaskPerson).where(
                    TaskPerson.task_id == task_id,
                    TaskPerson.kind == kind,
                    TaskPerson.person_id.in_(existing - wanted),
                )
            )
        if wanted - existing:
            await add_task_people(session, task_id, {kind: wanted - existing})


async def task_people(session: AsyncSession, task_id: int, kind: str = INVOLVED) -> set[int]:
    """Person ids of one kind for a task (``involved`` feeds the workflow's access checks)."""
    query = select(TaskPerson.person_id).where(
        TaskPerson.task_id == task_id, TaskPerson.kind == kind
    )
    return set((await session.scalars(query)).all())


def _identities(person_id: int) -> Any:
    """The person and every role they belong to (a role can be an approver)."""
    roles = select(RoleMember.role_id).where(RoleMember.person_id == person_id)
    return or_(TaskPerson.person_id == person_id, TaskPerson.person_id.in_(roles))


def _visible_ids_query(person_id: int) -> CompoundSelect[Any]:
    involved = select(TaskPerson.task_id).where(TaskPerson.kind == INVOLVED, _identities(person_id))
    managed_forms = select(FormPerson.form_id).where(
        FormPerson.person_id == person_id, FormPerson.kind == "manager"
    )
    of_managed_forms = select(TaskRow.id).where(TaskRow.form_id.in_(managed_forms))
    return involved.union(of_managed_forms)


async def visible_task_ids(session: AsyncSession, person_id: int) -> set[int]:
    """Tasks the person takes part in (or a role of theirs does) and tasks of forms they manage."""
    return set((await session.scalars(_visible_ids_query(person_id))).all())


async def can_see_task(session: AsyncSession, person_id: int, task_id: int) -> bool:
    query = _visible_ids_query(person_id).subquery()
    found = await session.scalar(select(query.c[0]).where(query.c[0] == task_id).limit(1))
    return found is not None


async def inbox(
    session: AsyncSession, person_id: int, limit: int = DEFAULT_INBOX_LIMIT
) -> list[TaskState]:
    """Open tasks waiting on the person (or a role of theirs), most recently modified first."""
    waiting = select(TaskPerson.task_id).where(TaskPerson.kind == INBOX, _identities(person_id))
    query = (
        select(TaskRow.doc, TaskRow.last_note_id)
        .where(TaskRow.id.in_(waiting), TaskRow.is_closed.is_(False))
        .order_by(desc(TaskRow.last_modified_date), desc(TaskRow.id))
        .limit(limit)
    )
    return await _load(session, query)


# --- comments ------------------------------------------------------------------------------


async def add_comment(
    session: AsyncSession, comment: Comment, *, set_last_note: bool = True
) -> Comment:
    """Store a comment, set its id (also on the object passed) and the task's last_note_id
    (``set_last_note=False``: the caller writes it with ``save_task(..., last_note_id=)``)."""
    await add_comments(session, [comment])
    if set_last_note:
        await session.execute(
            _SET_LAST_NOTE, {"p_id": comment.task_id, "p_last_note_id": comment.id}
        )
    return comment


async def add_comments(session: AsyncSession, comments: Sequence[Comment]) -> None:
    """Store comments in one statement and set each one's id, in the order given."""
    params = [
        {
            "p_task_id": comment.task_id,
            "p_author_id": comment.author_id,
            "p_create_date": comment.create_date,
            "p_body": comment.body,
        }
        for comment in comments
    ]
    if not params:
        return
    ids = (await session.execute(_INSERT_COMMENT, params if len(params) > 1 else params[0])).all()
    for comment, (comment_id,) in zip(comments, ids, strict=True):
        comment.id = int(comment_id)


async def update_comment(session: AsyncSession, comment: Comment) -> None:
    """Rewrite a stored comment's body (``edit_comment_id``)."""
    if comment.id is None:
        raise ValueError("the comment has no id: store it with add_comment first")
    await session.execute(
        update(CommentRow).where(CommentRow.id == comment.id).values(body=comment.body)
    )


def _comment(row: Any) -> Comment:
    return Comment(
        id=row.id,
        task_id=row.task_id,
        author_id=row.author_id,
        create_date=row.create_date,
        body=dict(row.body),
    )


_COMMENT_COLUMNS = (
    _comments.c.id,
    _comments.c.task_id,
    _comments.c.author_id,
    _comments.c.create_date,
    _comments.c.body,
)


async def get_comment(session: AsyncSession, comment_id: int) -> Comment | None:
    query = select(*_COMMENT_COLUMNS).where(_comments.c.id == comment_id)
    row = (await session.execute(query)).one_or_none()
    return None if row is None else _comment(row)


async def get_comments(
    session: AsyncSession, task_id: int, *, last_only: bool = False
) -> list[Comment]:
    """A task's comments in the order written (``last_only``: just the newest one)."""
    # Core rows, not ORM entities: the identity map costs more than the rows themselves.
    query = select(*_COMMENT_COLUMNS).where(_comments.c.task_id == task_id)
    if last_only:
        query = query.order_by(desc(_comments.c.id)).limit(1)
    else:
        query = query.order_by(_comments.c.id)
    return [_comment(row) for row in (await session.execute(query)).all()]
