"""The few-statement paths of the task store (lock with people, save with the known index, id
reservation, token with the directory version, task documents), on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event, select

from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.server.store import codec, tasks, tokens
from pyrus_bots.server.store.counters import bump_directory_version
from pyrus_bots.server.store.db import Database
from pyrus_bots.server.store.directory import directory_version
from pyrus_bots.server.store.models import TaskPerson
from pyrus_bots.server.workflow.state import Approval, Comment, TaskState

T0 = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def form_task(task_id: int) -> TaskState:
    """A task of form 321 (full.yaml) waiting on bot 2001 at step 1."""
    return TaskState(
        id=task_id,
        author_id=1002,
        create_date=T0,
        last_modified_date=T0,
        form_id=321,
        current_step=1,
        step_entered_at=[T0],
        approvals=[[Approval(2001)], [Approval(3001)]],
        fields={1: "Laptop", 7: date(2026, 4, 1)},
    )


async def new_task(database: Database) -> TaskState:
    async with database.session() as s, s.begin():
        task = form_task(await tasks.reserve_task_id(s))
        await tasks.insert_task(s, task)
    return task


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


async def test_lock_task_reads_the_task_and_its_index_rows(seeded: Database) -> None:
    task = await new_task(seeded)
    async with seeded.session() as s, s.begin():
        locked = await tasks.lock_task(s, task.id)
        assert await tasks.lock_task(s, 987654321) is None
    assert locked is not None
    loaded, people = locked
    assert loaded == task
    assert people == await index_rows(seeded, task.id)
    assert tasks.people_ids(people) == {1002, 2001, 3001}
    assert tasks.people_ids(people, tasks.INBOX) == {2001}


async def test_lock_task_serialises_concurrent_writers(seeded: Database) -> None:
    task = await new_task(seeded)

    async def append_participant(person_id: int) -> None:
        async with seeded.session() as s, s.begin():
            locked = await tasks.lock_task(s, task.id)
            assert locked is not None
            current, people = locked
            await asyncio.sleep(0.05)  # widen the window a lost update would need
            current.participant_ids.append(person_id)
            await tasks.save_task(s, current, people=people)

    await asyncio.gather(*(append_participant(pid) for pid in (1001, 1003, 1004)))
    async with seeded.session() as s:
        final = await tasks.get_task(s, task.id)
    assert final is not None and sorted(final.participant_ids) == [1001, 1003, 1004]
    involved = {pid for pid, kind in await index_rows(seeded, task.id) if kind == tasks.INVOLVED}
    assert {1001, 1003, 1004} <= involved


async def test_save_with_known_people_writes_only_what_changed(seeded: Database) -> None:
    task = await new_task(seeded)
    async with seeded.session() as s, s.begin():
        locked = await tasks.lock_task(s, task.id)
        assert locked is not None
        current, people = locked
        current.text = "no change of people"
        with statements(seeded) as seen:
            await tasks.save_task(s, current, people=people)
    assert len(seen) == 1 and "task_people" not in seen[0]

    async with seeded.session() as s, s.begin():
        locked = await tasks.lock_task(s, task.id)
        assert locked is not None
        current, people = locked
        current.approvals[0][0].choice = "approved"
        current.current_step = 2
        comment = await tasks.add_comment(
            s,
            Comment(task_id=task.id, author_id=2001, create_date=T0, body={"text": "ok"}),
            set_last_note=False,
        )
        assert comment.id is not None
        await tasks.save_task(s, current, last_note_id=comment.id, people=people)
    rows = await index_rows(seeded, task.id)
    assert {pid for pid, kind in rows if kind == tasks.INBOX} == {3001}
    assert {pid for pid, kind in rows if kind == tasks.INVOLVED} == {1002, 2001, 3001}
    async with seeded.session() as s:
        saved = await tasks.get_task(s, task.id)
    assert saved is not None and saved.last_note_id == comment.id and saved.current_step == 2


async def test_reserved_ids_grow_and_never_repeat(seeded: Database) -> None:
    async def reserve() -> int:
        async with seeded.session() as s, s.begin():
            return await tasks.reserve_task_id(s)

    first = [await reserve() for _ in range(3)]
    assert first == sorted(first) and len(set(first)) == 3
    both = await asyncio.gather(*(reserve() for _ in range(10)))
    assert len(set(both)) == 10 and min(both) > max(first)


async def test_token_and_directory_version_in_one_read(seeded: Database) -> None:
    async with seeded.session() as s, s.begin():
        token = await tokens.issue_token(s, 1001, ttl=3600, now=T0)
        before = await directory_version(s)
    async with seeded.session() as s:
        assert await tokens.resolve_token_and_directory_version(s, token, T0) == (1001, before)
    async with seeded.session() as s, s.begin():
        bumped = await bump_directory_version(s)
    async with seeded.session() as s:
        assert await tokens.resolve_token_and_directory_version(s, token, T0) == (1001, bumped)
        with pytest.raises(PyrusError) as expired:
            await tokens.resolve_token_and_directory_version(s, token, T0 + timedelta(hours=2))
        assert expired.value.code == "expired_token"
        with pytest.raises(PyrusError) as unknown:
            await tokens.resolve_token_and_directory_version(s, "nope", T0)
        assert unknown.value.code == "invalid_token"


# --- task documents: plain JSON that reads back as the task ---------------------------------

_times = st.datetimes(timezones=st.just(UTC))
_values = st.recursive(
    st.none() | st.integers() | st.text(max_size=5) | st.booleans() | _times | st.dates(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=8,
)
_approvals = st.builds(Approval, st.integers(1, 9999), st.sampled_from(["waiting", "approved"]))
_tasks = st.builds(
    TaskState,
    id=st.integers(1, 10**9),
    author_id=st.integers(1, 10**9),
    create_date=_times,
    last_modified_date=_times,
    text=st.none() | st.text(max_size=5),
    close_date=st.none() | _times,
    participant_ids=st.lists(st.integers(1, 99)),
    subscribers=st.lists(_approvals, max_size=2),
    step_entered_at=st.lists(_times, max_size=2),
    approvals=st.lists(st.lists(_approvals, max_size=2), max_size=3),
    fields=st.dictionaries(st.integers(1, 99), _values, max_size=4),
    due_date=st.none() | st.dates(),
    list_ids=st.lists(st.integers(1, 99), max_size=2),
)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(_tasks)
def test_task_documents_are_plain_json_and_round_trip(task: TaskState) -> None:
    document = codec.to_document(task)
    stored = json.loads(json.dumps(document))  # what a JSON column gives back
    assert stored == document
    assert codec.from_document(TaskState, stored) == task


# --- a new task with its first comment, and its deliveries -----------------------------------


async def create_with_first_comment(database: Database, text: str) -> tuple[TaskState, Comment]:
    async with database.session() as s, s.begin():
        task = form_task(await tasks.reserve_task_id(s))
        comment = Comment(task_id=task.id, author_id=1002, create_date=T0, body={"text": text})
        await tasks.insert_task(s, task, first_comment=comment)
    return task, comment


async def test_new_task_carries_its_first_comment(seeded: Database) -> None:
    plain = await new_task(seeded)
    async with seeded.session() as s, s.begin():
        task = form_task(await tasks.reserve_task_id(s))
        first = Comment(task_id=task.id, author_id=1002, create_date=T0, body={"text": "hi"})
        with statements(seeded) as seen:
            await tasks.insert_task(s, task, first_comment=first)
    # PostgreSQL: task, index and comment in one statement; SQLite: one each
    assert len(seen) == (1 if seeded.dialect == "postgresql" else 3)
    assert first.id is not None and task.last_note_id == first.id
    assert await index_rows(seeded, task.id) == await index_rows(seeded, plain.id)
    async with seeded.session() as s, s.begin():
        stored = await tasks.get_task(s, task.id)
        assert stored is not None and stored.last_note_id == first.id
        [read] = await tasks.get_comments(s, task.id)
        later = await tasks.add_comment(
            s, Comment(task_id=task.id, author_id=2001, create_date=T0, body={"text": "next"})
        )
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
            [read] = await tasks.get_comments(s, task.id)
            assert stored is not None and stored.last_note_id == read.id == comment.id
            assert read.body == comment.body
