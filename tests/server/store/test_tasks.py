"""Tasks, comments and the access/inbox index, against SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

from pyrus_bots.server.store import tasks
from pyrus_bots.server.store.db import Database
from pyrus_bots.server.workflow.state import Approval, Comment, TaskState

T0 = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def form_task(task_id: int, **changes: object) -> TaskState:
    """A task of form 321 (full.yaml) waiting on bot 2001 at step 1."""
    task = TaskState(
        id=task_id,
        author_id=1002,
        create_date=T0,
        last_modified_date=T0,
        form_id=321,
        current_step=1,
        step_entered_at=[T0],
        approvals=[[Approval(2001)], [Approval(3001)], [Approval(2002), Approval(1003)]],
        fields={
            1: "Laptop",
            2: 1365.27,
            7: date(2026, 4, 1),
            8: [{"row_id": 0, "cells": [{"id": 9, "value": "x"}]}],
        },
    )
    for key, value in changes.items():
        setattr(task, key, value)
    return task


async def new_task(database: Database, **changes: object) -> TaskState:
    async with database.session() as s, s.begin():
        task = form_task(await tasks.reserve_task_id(s), **changes)
        await tasks.insert_task(s, task)
    return task


async def test_task_ids_are_unique_under_concurrency(seeded: Database) -> None:
    async def reserve() -> int:
        async with seeded.session() as s, s.begin():
            return await tasks.reserve_task_id(s)

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


async def test_save_task_keeps_changes_and_unknown_ids_give_none(seeded: Database) -> None:
    task = await new_task(seeded)
    async with seeded.session() as s, s.begin():
        locked = await tasks.get_task(s, task.id, for_update=True)
        assert locked is not None
        locked.approvals[0][0].choice = "approved"
        locked.current_step = 2
        locked.last_modified_date = T0 + timedelta(minutes=1)
        await tasks.save_task(s, locked)
    async with seeded.session() as s:
        again = await tasks.get_task(s, task.id)
        assert again is not None and again.current_step == 2
        assert again.approvals[0][0].choice == "approved"
        assert await tasks.get_task(s, 987654321) is None


async def test_for_update_serialises_concurrent_writers(seeded: Database) -> None:
    task = await new_task(seeded)

    async def append_participant(person_id: int) -> None:
        async with seeded.session() as s, s.begin():
            current = await tasks.get_task(s, task.id, for_update=True)
            assert current is not None
            await asyncio.sleep(0.05)  # widen the window a lost update would need
            current.participant_ids.append(person_id)
            await tasks.save_task(s, current)

    await asyncio.gather(*(append_participant(pid) for pid in (1001, 1002, 1003)))
    async with seeded.session() as s:
        final = await tasks.get_task(s, task.id)
    assert final is not None and sorted(final.participant_ids) == [1001, 1002, 1003]


async def test_comments_get_ids_in_order_and_set_last_note_id(seeded: Database) -> None:
    task = await new_task(seeded)
    async with seeded.session() as s, s.begin():
        first = await tasks.add_comment(
            s, Comment(task_id=task.id, author_id=1002, create_date=T0, body={"text": "one"})
        )
        second = await tasks.add_comment(
            s,
            Comment(
                task_id=task.id,
                author_id=2001,
                create_date=T0 + timedelta(seconds=5),
                body={"approval_choice": "approved", "changed_step": 2},
            ),
        )
    assert first.id is not None and second.id is not None and second.id > first.id
    async with seeded.session() as s, s.begin():
        stale = await tasks.get_task(s, task.id)
        assert stale is not None and stale.last_note_id == second.id
        stale.last_note_id = first.id  # a caller's stale copy must not move it back
        await tasks.save_task(s, stale)
    async with seeded.session() as s, s.begin():
        comments = await tasks.get_comments(s, task.id)
        assert [c.body for c in comments] == [
            {"text": "one"},
            {"approval_choice": "approved", "changed_step": 2},
        ]
        assert comments[1].create_date == T0 + timedelta(seconds=5)
        assert [c.id for c in await tasks.get_comments(s, task.id, last_only=True)] == [second.id]
        reloaded = await tasks.get_task(s, task.id)
        assert reloaded is not None and reloaded.last_note_id == second.id
        edited = await tasks.get_comment(s, first.id)
        assert edited is not None
        edited.body["text"] = "one (edited)"
        await tasks.update_comment(s, edited)
    async with seeded.session() as s:
        again = await tasks.get_comment(s, first.id)
        assert again is not None and again.body == {"text": "one (edited)"}


async def test_list_tasks_filters(seeded: Database) -> None:
    a = await new_task(seeded)
    b = await new_task(seeded, current_step=2)
    c = await new_task(seeded, is_closed=True, close_date=T0, current_step=3)
    simple = await new_task(seeded, form_id=None, current_step=None, approvals=[])
    async with seeded.session() as s:
        assert [t.id for t in await tasks.tasks_of_form(s, 321)] == [a.id, b.id, c.id]
        assert [t.id for t in await tasks.list_tasks(s, form_id=321, step=2)] == [b.id]
        assert [t.id for t in await tasks.list_tasks(s, is_closed=True)] == [c.id]
        open_ids = [t.id for t in await tasks.list_tasks(s, is_closed=False, newest_first=True)]
        assert open_ids == [simple.id, b.id, a.id]
        assert [t.id for t in await tasks.list_tasks(s, limit=2, offset=1)] == [b.id, c.id]
        assert await tasks.count_tasks(s, form_id=321) == 3
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
    async with seeded.session() as s, s.begin():
        moved = await tasks.get_task(s, task.id, for_update=True)
        assert moved is not None
        moved.approvals[0][0].choice = "approved"
        moved.current_step = 2
        await tasks.save_task(s, moved)
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


async def test_visibility_covers_past_involvement_roles_and_form_managers(
    seeded: Database,
) -> None:
    task = await new_task(seeded, participant_ids=[1003])
    async with seeded.session() as s, s.begin():
        changed = await tasks.get_task(s, task.id, for_update=True)
        assert changed is not None
        changed.participant_ids = []  # 1003 was a participant: still sees it (also approver)
        changed.approvals = [[Approval(2001, "approved")]]
        await tasks.save_task(s, changed)
    other_form = await new_task(seeded, form_id=322, approvals=[[Approval(1002)]], author_id=1002)
    async with seeded.session() as s:
        # 2002 was an approver of step 3 before the change: a bot keeps seeing such tasks
        assert task.id in await tasks.visible_task_ids(s, 2002)
        assert await tasks.can_see_task(s, 1003, task.id)
        # 1001 manages form 321 and is a member of role 3001
        assert await tasks.visible_task_ids(s, 1001) == {task.id}
        assert await tasks.visible_task_ids(s, 1002) == {task.id, other_form.id}
        assert not await tasks.can_see_task(s, 2001, other_form.id)
        assert await tasks.task_people(s, task.id) >= {1002, 2001, 2002, 3001, 1003}


async def test_update_task_people_replaces_a_kind(seeded: Database) -> None:
    task = await new_task(seeded)
    async with seeded.session() as s, s.begin():
        await tasks.update_task_people(s, task.id, {"watcher": [1001, 1002]})
        await tasks.update_task_people(s, task.id, {"watcher": [1002, 1003]})
        assert await tasks.task_people(s, task.id, "watcher") == {1002, 1003}
        await tasks.add_task_people(s, task.id, {"watcher": [1001]})
        assert await tasks.task_people(s, task.id, "watcher") == {1001, 1002, 1003}
