"""Turn workflow events into outbox rows, in the caller's transaction."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy.ext.asyncio import AsyncSession

from pyrus_bots.server.store import outbox
from pyrus_bots.server.store.notify import notify_deliveries
from pyrus_bots.server.workflow.state import Directory, Event, TaskState
from pyrus_bots.server.workflow.triggers import bots_to_call

_wake_listeners: list[Callable[[], None]] = []
_HOOKED = "pyrus_bots.delivery.wake_after_commit"


def add_wake_listener(listener: Callable[[], None]) -> None:
    """Call ``listener`` after each commit that wrote deliveries (a worker in this process)."""
    if listener not in _wake_listeners:
        _wake_listeners.append(listener)


def remove_wake_listener(listener: Callable[[], None]) -> None:
    if listener in _wake_listeners:
        _wake_listeners.remove(listener)


def _wake_all(_session: Any) -> None:
    for listener in list(_wake_listeners):
        listener()


def _wake_after_commit(session: AsyncSession) -> None:
    sync_session = session.sync_session
    if not sync_session.info.get(_HOOKED):
        sync_session.info[_HOOKED] = True
        sa_event.listen(sync_session, "after_commit", _wake_all)


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
        if bot_id == author_id:
            continue  # a bot's own comment never triggers itself
        await outbox.enqueue(
            session, bot_id=bot_id, task_id=task.id, event=event, now=now, fresh_task=fresh_task
        )
        notified = fresh_task  # that insert carried the notification (see outbox.enqueue)
    if calls:
        # Workers in other processes wake when this transaction commits (PostgreSQL).
        if not notified:
            await notify_deliveries(session)
        _wake_after_commit(session)
