"""Turn workflow events into outbox rows, in the caller's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from pyrus_bots.server.workflow.state import Directory, Event, TaskState


async def enqueue_triggers(
    session: AsyncSession,
    directory: Directory,
    task: TaskState,
    events: Sequence[Event],
    author_id: int,
    now: datetime,
) -> None:
    """Write one pending delivery per bot that these events concern (DESIGN.md 3.4).

    Called by every code path that changes a task, inside the same transaction as the change.
    """
