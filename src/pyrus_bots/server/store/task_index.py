"""The ``task_people`` index: who a task concerns, so access and inbox queries never read task
documents.

Kind ``involved``: everyone who ever took part (it only grows, so a bot keeps seeing a task it
once approved). Kind ``inbox``: whose inbox holds the task now (recomputed on every save). The
task writers (:mod:`.task_writes`) keep the index in line through :func:`index_new_task` and
:func:`reindex_tasks`; the task readers (:mod:`.tasks`) filter with :func:`visible_to` and
:func:`waiting_on`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from sqlalchemy import (
    CompoundSelect,
    Select,
    Table,
    bindparam,
    delete,
    insert,
    or_,
    select,
    text,
)
from sqlalchemy.ext.asyncio import AsyncSession

from pyrus_bots.server.store.models import FormPerson, RoleMember, TaskPerson, TaskRow
from pyrus_bots.server.workflow.state import TaskState

INVOLVED = "involved"
INBOX = "inbox"

IndexRows = set[tuple[int, str]]
"""A task's ``task_people`` rows as ``(person_id, kind)``."""

_task_people = cast(Table, TaskPerson.__table__)
_INSERT_ROWS = insert(_task_people)
_DELETE_INBOX_ROW = delete(_task_people).where(
    _task_people.c.task_id == bindparam("p_id"),
    _task_people.c.kind == INBOX,
    _task_people.c.person_id == bindparam("p_person_id"),
)

# PostgreSQL: a batch's rows as one row-set each (not a statement per row).
_DELETE_INBOX_ROWS_POSTGRESQL = text(
    f"""
    DELETE FROM task_people AS p
    USING unnest(CAST(:ids AS bigint[]), CAST(:people AS bigint[])) AS s(task_id, person_id)
    WHERE p.task_id = s.task_id AND p.person_id = s.person_id AND p.kind = '{INBOX}'
    """
)
_INSERT_ROWS_POSTGRESQL = text(
    """
    INSERT INTO task_people (task_id, person_id, kind)
    SELECT * FROM unnest(CAST(:ids AS bigint[]), CAST(:people AS bigint[]),
                         CAST(:kinds AS varchar[]))
    """
)


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


def index_changes(task: TaskState, existing: IndexRows) -> tuple[list[int], IndexRows]:
    """Index rows to change for ``task``: inbox person ids to remove, ``(id, kind)`` to add."""
    kinds = people_of_task(task)
    wanted = {(pid, kind) for kind, ids in kinds.items() for pid in ids}
    # "involved" only grows; other kinds this module does not manage are left alone
    stale = [pid for pid, kind in existing - wanted if kind == INBOX]
    return stale, wanted - existing


async def index_new_task(session: AsyncSession, task: TaskState) -> None:
    """Write the index rows of a task just inserted (one statement)."""
    _, missing = index_changes(task, set())
    rows = [{"task_id": task.id, "person_id": pid, "kind": kind} for pid, kind in missing]
    if rows:
        await session.execute(_INSERT_ROWS, rows)


async def reindex_tasks(
    session: AsyncSession, tasks: Iterable[tuple[TaskState, IndexRows]]
) -> None:
    """Bring the index in line with changed tasks, each given with the rows read when it was
    locked: at most two statements however many tasks, none when nothing changed."""
    stale: list[dict[str, Any]] = []
    missing: list[dict[str, Any]] = []
    for task, existing in tasks:
        gone, added = index_changes(task, existing)
        stale += ({"p_id": task.id, "p_person_id": pid} for pid in gone)
        missing += ({"task_id": task.id, "person_id": pid, "kind": kind} for pid, kind in added)
    postgresql = session.get_bind().dialect.name == "postgresql"
    if stale and postgresql:
        ids = {"ids": [r["p_id"] for r in stale], "people": [r["p_person_id"] for r in stale]}
        await session.execute(_DELETE_INBOX_ROWS_POSTGRESQL, ids)
    elif stale:
        await session.execute(_DELETE_INBOX_ROW, stale)
    if missing and postgresql:
        rows = {
            "ids": [r["task_id"] for r in missing],
            "people": [r["person_id"] for r in missing],
            "kinds": [r["kind"] for r in missing],
        }
        await session.execute(_INSERT_ROWS_POSTGRESQL, rows)
    elif missing:
        await session.execute(_INSERT_ROWS, missing)


async def task_people(session: AsyncSession, task_id: int, kind: str = INVOLVED) -> set[int]:
    """Person ids of one kind for a task (``involved`` feeds the workflow's access checks)."""
    query = select(TaskPerson.person_id).where(
        TaskPerson.task_id == task_id, TaskPerson.kind == kind
    )
    return set((await session.scalars(query)).all())


def people_ids(rows: Iterable[tuple[int, str]], kind: str = INVOLVED) -> set[int]:
    """Person ids of one kind among index rows (as ``task_writes.lock_tasks`` returns them)."""
    return {person_id for person_id, row_kind in rows if row_kind == kind}


def _identities(person_id: int) -> Any:
    """The person and every role they belong to (a role can be an approver)."""
    roles = select(RoleMember.role_id).where(RoleMember.person_id == person_id)
    return or_(TaskPerson.person_id == person_id, TaskPerson.person_id.in_(roles))


def visible_to(person_id: int) -> CompoundSelect[Any]:
    """Ids of the tasks the person (or a role of theirs) takes part in, and of the forms they
    manage."""
    involved = select(TaskPerson.task_id).where(TaskPerson.kind == INVOLVED, _identities(person_id))
    managed_forms = select(FormPerson.form_id).where(
        FormPerson.person_id == person_id, FormPerson.kind == "manager"
    )
    of_managed_forms = select(TaskRow.id).where(TaskRow.form_id.in_(managed_forms))
    return involved.union(of_managed_forms)


def waiting_on(person_id: int) -> Select[Any]:
    """Ids of the tasks in the inbox of the person (or of a role of theirs)."""
    return select(TaskPerson.task_id).where(TaskPerson.kind == INBOX, _identities(person_id))
