"""Reading tasks (by id, lists, inbox), against SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

from pyrus_bots.server.store import task_writes, tasks
from pyrus_bots.server.store.db import Database
from pyrus_bots.server.workflow.state import Approval, TaskState
from store.task_samples import T0, change_task, new_task


async def test_task_ids_are_unique_under_concurrency(seeded: Database) -> None:
    async def reserve() -> int:
        async with seeded.session() as s, s.begin():
            return await task_writes.reserve_task_id(s)

    ids = await asyncio.gather(*(reserve() for _ in range(20)))
    assert len(set(ids)) == 20 and min(ids) >= 1


async def test_a_task_round_trips_every_field(seeded: Database) -> None:
    task = await new_task(
        seeded,
        text="Buy a laptop",
        subject="Laptop",
        participant_ids=[1001],
        subscribers=[Approval(1003, "acknowledged")],
        due_date=date(2026, 3, 10),
        due=T0 + timedelta(days=2),
        duration=90,
        list_ids=[5],
        attachment_ids=[11, 12],
        spent_minutes=30,
    )
    async with seeded.session() as s:
        loaded = await tasks.get_task(s, task.id)
    assert loaded == task
    assert loaded is not None and loaded.fields[7] == date(2026, 4, 1)


async def test_saved_changes_are_read_back_and_unknown_ids_give_none(seeded: Database) -> None:
    task = await new_task(seeded)

    def approve(current: TaskState) -> None:
        current.approvals[0][0].choice = "approved"
        current.current_step = 2
        current.last_modified_date = T0 + timedelta(minutes=1)

    await change_task(seeded, task.id, approve)
    async with seeded.session() as s:
        again = await tasks.get_task(s, task.id)
        assert again is not None and again.current_step == 2
        assert again.approvals[0][0].choice == "approved"
        assert await tasks.get_task(s, 987654321) is None
        assert await tasks.get_tasks(s, []) == []


async def test_list_tasks_filters(seeded: Database) -> None:
    a = await new_task(seeded)
    b = await new_task(seeded, current_step=2)
    c = await new_task(seeded, is_closed=True, close_date=T0, current_step=3)
    simple = await new_task(seeded, form_id=None, current_step=None, approvals=[])
    async with seeded.session() as s:
        assert [t.id for t in await tasks.list_tasks(s, form_id=321)] == [a.id, b.id, c.id]
        assert [t.id for t in await tasks.list_tasks(s, form_id=321, step=2)] == [b.id]
        assert [t.id for t in await tasks.list_tasks(s, steps=[2, 3])] == [b.id, c.id]
        assert [t.id for t in await tasks.list_tasks(s, task_ids=[c.id, simple.id])] == [
            c.id,
            simple.id,
        ]
        assert [t.id for t in await tasks.list_tasks(s, is_closed=True)] == [c.id]
        open_ids = [t.id for t in await tasks.list_tasks(s, is_closed=False, newest_first=True)]
        assert open_ids == [simple.id, b.id, a.id]
        assert [t.id for t in await tasks.list_tasks(s, limit=2, offset=1)] == [b.id, c.id]
        # 1003 approves step 3 of every form task; the simple task does not concern them
        assert [t.id for t in await tasks.list_tasks(s, person_id=1003)] == [a.id, b.id, c.id]
        later = await tasks.list_tasks(s, modified_after=T0 - timedelta(seconds=1), limit=1)
        assert [t.id for t in later] == [a.id]
        assert await tasks.list_tasks(s, created_before=T0) == []
        assert [t.id for t in await tasks.get_tasks(s, [c.id, a.id, 999999])] == [a.id, c.id]


async def test_inbox_follows_the_current_step_and_roles(seeded: Database) -> None:
    task = await new_task(seeded)
    async with seeded.session() as s:
        assert [t.id for t in await tasks.inbox(s, 2001)] == [task.id]
        assert await tasks.inbox(s, 1001) == []

    def approve(current: TaskState) -> None:
        current.approvals[0][0].choice = "approved"
        current.current_step = 2

    await change_task(seeded, task.id, approve)
    async with seeded.session() as s:
        assert await tasks.inbox(s, 2001) == []
        # step 2 waits on role 3001, whose members are 1001 and 1002
        assert [t.id for t in await tasks.inbox(s, 1001)] == [task.id]
        assert [t.id for t in await tasks.inbox(s, 1002)] == [task.id]
        assert await tasks.inbox(s, 1003) == []


async def test_closed_tasks_leave_the_inbox_and_simple_tasks_use_the_responsible(
    seeded: Database,
) -> None:
    simple = await new_task(
        seeded, form_id=None, current_step=None, approvals=[], responsible_id=1003
    )
    closed = await new_task(seeded, is_closed=True, close_date=T0)
    async with seeded.session() as s:
        assert [t.id for t in await tasks.inbox(s, 1003)] == [simple.id]
        assert closed.id not in [t.id for t in await tasks.inbox(s, 2001)]
        assert len(await tasks.inbox(s, 1003, limit=0)) == 0
