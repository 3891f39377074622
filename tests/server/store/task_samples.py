"""Tasks of form 321 (tests/fixtures/workspaces/full.yaml) for the store tests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

from pyrus_bots.server.store import task_writes
from pyrus_bots.server.store.db import Database
from pyrus_bots.server.workflow.state import Approval, TaskState

T0 = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def form_task(task_id: int, **changes: object) -> TaskState:
    """A task of form 321 waiting on bot 2001 at step 1 (then role 3001, then 2002 and 1003)."""
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
        task = form_task(await task_writes.reserve_task_id(s), **changes)
        await task_writes.insert_task(s, task)
    return task


async def change_task(
    database: Database, task_id: int, change: Callable[[TaskState], None]
) -> None:
    """Lock the task, apply ``change`` to it and save it, as the task-change layer does."""
    async with database.session() as s, s.begin():
        locked = (await task_writes.lock_tasks(s, [task_id]))[task_id]
        change(locked[0])
        await task_writes.save_locked_tasks(s, [locked])
