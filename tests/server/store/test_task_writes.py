"""Writing tasks in few statements (lock with the index rows, save with the known index, id
reservation, a new task with its first comment), on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from sqlalchemy import event, select

from pyrus_bots.server.store import comments, task_index, task_writes, tasks
from pyrus_bots.server.store.db import Database
from pyrus_bots.server.store.models import TaskPerson
from pyrus_bots.server.workflow.state import Approval, Comment, TaskState
from store import task_samples as samples
from store.task_samples import T0


def two_steps() -> list[list[Approval]]:
    """Bot 2001, then role 3001."""
    return [[Approval(2001)], [Approval(3001)]]


def form_task(task_id: int) -> TaskState:
    """A task of form 321 (full.yaml) waiting on bot 2001 at step 1 of two."""
    return samples.form_task(task_id, approvals=two_steps())


async def new_task(database: Database) -> TaskState:
    return await samples.new_task(database, approvals=two_steps())


async def index_rows(database: Database, task_id: int) -> set[tuple[int, str]]:
    async with database.session() as s:
        rows = await s.execute(
            select(TaskPerson.person_id, TaskPerson.kind).where(TaskPerson.task_id == task_id)
        )
        return {(pid, kind) for pid, kind in rows}


@contextmanager
def statements(database: Database) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    event.listen(database.engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(database.engine.sync_engine, "before_cursor_execute", record)


async def test_lock_tasks_reads_the_tasks_and_their_index_rows(seeded: Database) -> None:
    task = await new_task(seeded)
    async with seeded.session() as s, s.begin():
        locked = await task_writes.lock_tasks(s, [task.id, 987654321])
        assert await task_writes.lock_tasks(s, []) == {}
    assert list(locked) == [task.id]  # unknown ids are left out
    loaded, people = locked[task.id]
    assert loaded == task
    assert people == await index_rows(seeded, task.id)
    assert task_index.people_ids(people) == {1002, 2001, 3001}
    assert task_index.people_ids(people, task_index.INBOX) == {2001}


async def test_lock_tasks_serialises_concurrent_writers(seeded: Database) -> None:
    task = await new_task(seeded)

    async def append_participant(person_id: int) -> None:
        async with seeded.session() as s, s.begin():
            current, people = (await task_writes.lock_tasks(s, [task.id]))[task.id]
            await asyncio.sleep(0.05)  # widen the window a lost update would need
            current.participant_ids.append(person_id)
            await task_writes.save_locked_tasks(s, [(current, people)])

    await asyncio.gather(*(append_participant(pid) for pid in (1001, 1003, 1004)))
    async with seeded.session() as s:
        final = await tasks.get_task(s, task.id)
    assert final is not None and sorted(final.participant_ids) == [1001, 1003, 1004]
    rows = await index_rows(seeded, task.id)
    assert {1001, 1003, 1004} <= task_index.people_ids(rows, task_index.INVOLVED)


async def test_get_task_for_update_serialises_concurrent_writers(seeded: Database) -> None:
    task = await new_task(seeded)

    async def append_participant(person_id: int) -> None:
        async with seeded.session() as s, s.begin():
            current = await tasks.get_task(s, task.id, for_update=True)
            assert current is not None
            await asyncio.sleep(0.05)  # widen the window a lost update would need
            current.participant_ids.append(person_id)
            people = await s.execute(
                select(TaskPerson.person_id, TaskPerson.kind).where(TaskPerson.task_id == task.id)
            )
            existing = {(pid, kind) for pid, kind in people}
            await task_writes.save_locked_tasks(s, [(current, existing)])

    await asyncio.gather(*(append_participant(pid) for pid in (1001, 1002, 1003)))
    async with seeded.session() as s:
        final = await tasks.get_task(s, task.id)
    assert final is not None and sorted(final.participant_ids) == [1001, 1002, 1003]


async def test_save_with_known_people_writes_only_what_changed(seeded: Database) -> None:
    task = await new_task(seeded)
    async with seeded.session() as s, s.begin():
        locked = (await task_writes.lock_tasks(s, [task.id]))[task.id]
        locked[0].text = "no change of people"
        with statements(seeded) as seen:
            await task_writes.save_locked_tasks(s, [locked])
            await task_writes.save_locked_tasks(s, [])  # nothing to save: no statement
    assert len(seen) == 1 and "task_people" not in seen[0]

    async with seeded.session() as s, s.begin():
        current, people = (await task_writes.lock_tasks(s, [task.id]))[task.id]
        current.approvals[0][0].choice = "approved"
        current.current_step = 2
        current.last_modified_date = T0 + timedelta(minutes=1)
        comment = Comment(task_id=task.id, author_id=2001, create_date=T0, body={"text": "ok"})
        await comments.add_comments(s, [comment])
        assert comment.id is not None
        current.last_note_id = comment.id
        await task_writes.save_locked_tasks(s, [(current, people)])
    rows = await index_rows(seeded, task.id)
    assert task_index.people_ids(rows, task_index.INBOX) == {3001}
    assert task_index.people_ids(rows, task_index.INVOLVED) == {1002, 2001, 3001}
    async with seeded.session() as s:
        saved = await tasks.get_task(s, task.id)
    assert saved is not None and saved.last_note_id == comment.id and saved.current_step == 2
    assert saved == current


async def test_several_tasks_are_saved_together(seeded: Database) -> None:
    first, second = await new_task(seeded), await new_task(seeded)
    async with seeded.session() as s, s.begin():
        locked = await task_writes.lock_tasks(s, [second.id, first.id])
        for current, _ in locked.values():
            current.approvals[0][0].choice = "approved"
            current.current_step = 2
        await task_writes.save_locked_tasks(s, list(locked.values()))
    for task in (first, second):
        rows = await index_rows(seeded, task.id)
        assert task_index.people_ids(rows, task_index.INBOX) == {3001}
        async with seeded.session() as s:
            saved = await tasks.get_task(s, task.id)
        assert saved is not None and saved.current_step == 2


async def test_reserved_ids_grow_and_never_repeat(seeded: Database) -> None:
    async def reserve() -> int:
        async with seeded.session() as s, s.begin():
            return await task_writes.reserve_task_id(s)

    first = [await reserve() for _ in range(3)]
    assert first == sorted(first) and len(set(first)) == 3
    both = await asyncio.gather(*(reserve() for _ in range(10)))
    assert len(set(both)) == 10 and min(both) > max(first)


# --- a new task with its first comment, and its deliveries -----------------------------------


async def create_with_first_comment(database: Database, text: str) -> tuple[TaskState, Comment]:
    async with database.session() as s, s.begin():
        task = form_task(await task_writes.reserve_task_id(s))
        comment = Comment(task_id=task.id, author_id=1002, create_date=T0, body={"text": text})
        await task_writes.insert_task(s, task, first_comment=comment)
    return task, comment


async def test_new_task_carries_its_first_comment(seeded: Database) -> None:
    plain = await new_task(seeded)
    async with seeded.session() as s, s.begin():
        task = form_task(await task_writes.reserve_task_id(s))
        first = Comment(task_id=task.id, author_id=1002, create_date=T0, body={"text": "hi"})
        with statements(seeded) as seen:
            await task_writes.insert_task(s, task, first_comment=first)
    # PostgreSQL: task, index and comment in one statement; SQLite: one each
    assert len(seen) == (1 if seeded.dialect == "postgresql" else 3)
    assert first.id is not None and task.last_note_id == first.id
    assert await index_rows(seeded, task.id) == await index_rows(seeded, plain.id)
    async with seeded.session() as s, s.begin():
        stored = await tasks.get_task(s, task.id)
        assert stored is not None and stored.last_note_id == first.id
        [read] = await comments.get_comments(s, task.id)
        later = Comment(task_id=task.id, author_id=2001, create_date=T0, body={"text": "next"})
        await comments.add_comments(s, [later])
    assert (read.id, read.author_id, read.body) == (first.id, 1002, {"text": "hi"})
    assert later.id is not None and later.id > first.id


async def test_concurrent_new_tasks_get_their_own_first_comments(seeded: Database) -> None:
    created = await asyncio.gather(
        *(create_with_first_comment(seeded, f"task {n}") for n in range(8))
    )
    assert len({comment.id for _, comment in created}) == 8
    async with seeded.session() as s:
        for task, comment in created:
            stored = await tasks.get_task(s, task.id)
            [read] = await comments.get_comments(s, task.id)
            assert stored is not None and stored.last_note_id == read.id == comment.id
            assert read.body == comment.body
