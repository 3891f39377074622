"""Turn a change's workflow events into outbox rows, in the change's transaction (DESIGN.md 4)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from pyrus_bots.server.store import outbox
from pyrus_bots.server.store.notify import notify_deliveries, wake_after_commit
from pyrus_bots.server.workflow.state import Directory, Event, TaskState
from pyrus_bots.server.workflow.triggers import bots_to_call


async def enqueue_triggers(
    session: AsyncSession,
    directory: Directory,
    task: TaskState,
    events: Sequence[Event],
    author_id: int,
    now: datetime,
    *,
    fresh_task: bool = False,
) -> None:
    """Write one pending delivery per bot that these events concern (DESIGN.md 3.4).

    Called by every code path that changes a task, inside the same transaction as the change.
    A newer trigger for a (bot, task) pair that still waits replaces the waiting one; a paused
    pair starts a new series. ``fresh_task``: the task was created in this transaction, so
    there is nothing to replace or unpause (see ``outbox.enqueue``).
    """
    calls = bots_to_call(directory, None, task, list(events), author_id)
    notified = False
    for bot_id, event in calls:
        await outbox.enqueue(
            session, bot_id=bot_id, task_id=task.id, event=event, now=now, fresh_task=fresh_task
        )
        notified = fresh_task  # that insert carried the notification (see outbox.enqueue)
    if calls:
        # Workers in other processes wake when this transaction commits (PostgreSQL).
        if not notified:
            await notify_deliveries(session)
        wake_after_commit(session)
