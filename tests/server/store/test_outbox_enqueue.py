"""Writing triggers: a new task's deliveries go in with one statement each (and carry the
PostgreSQL notification), and later triggers fold into them as into any waiting row."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import pytest
from sqlalchemy import event
from sqlalchemy.engine import make_url

from pyrus_bots.server.store import delivery_log, outbox
from pyrus_bots.server.store.db import Database
from pyrus_bots.server.store.notify import CHANNEL

T0 = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


async def test_fresh_task_delivery_is_one_insert_and_folds_later_triggers(
    database: Database,
) -> None:
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    async with database.session() as s, s.begin():
        event.listen(database.engine.sync_engine, "before_cursor_execute", record)
        try:
            first = await outbox.enqueue(
                s, bot_id=2001, task_id=77, event="comment", now=T0, fresh_task=True
            )
        finally:
            event.remove(database.engine.sync_engine, "before_cursor_execute", record)
    assert len(seen) == 1 and seen[0].lstrip().upper().startswith("INSERT")
    assert first.id is not None and (first.state, first.attempts, first.series) == ("pending", 0, 1)
    later = T0 + timedelta(seconds=5)
    async with database.session() as s, s.begin():
        second = await outbox.enqueue(s, bot_id=2001, task_id=77, event="close", now=later)
    assert second.id == first.id
    async with database.session() as s:
        [row] = await delivery_log.list_deliveries(s, delivery_log.DeliveryFilter(task_id=77))
    assert (row.event, row.replaced, row.due_at, row.created_at) == ("close", 1, later, T0)


async def test_fresh_task_delivery_notifies_listeners_at_commit(database: Database) -> None:
    if database.dialect != "postgresql":
        pytest.skip("SQLite wakes its one worker in-process: there is no LISTEN")
    url = make_url(database.url)
    listener = await asyncpg.connect(
        host=url.host,
        port=url.port,
        user=url.username,
        password=url.password,
        database=url.database,
    )
    heard: list[str] = []
    await listener.add_listener(CHANNEL, lambda *args: heard.append(args[2]))
    try:
        async with database.session() as s, s.begin():
            for bot_id in (2001, 2002):
                await outbox.enqueue(
                    s, bot_id=bot_id, task_id=78, event="comment", now=T0, fresh_task=True
                )
            await asyncio.sleep(0.2)
            assert heard == []  # held until the commit
        for _ in range(50):
            if heard:
                break
            await asyncio.sleep(0.05)
        assert heard == [CHANNEL]  # identical notifications of one transaction fold into one
    finally:
        await listener.close()
