"""Claiming due deliveries: oldest first, at most each bot's free slots, never a blocked bot, a row
not yet due or a row in flight; two workers never lease the same row. Both databases."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from aiohttp import web
from delivery_bots import Received, ScriptedBot, respond
from delivery_platform import PlatformFactory
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from pyrus_bots.server.store import outbox, outbox_claims
from pyrus_bots.server.store.db import Database
from pyrus_bots.server.store.outbox import Delivery

NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


async def _enqueue(database: Database, bot_id: int, task_ids: range, at: datetime) -> None:
    async with database.session() as session, session.begin():
        for offset, task_id in enumerate(task_ids):
            moment = at + timedelta(milliseconds=offset)
            await outbox.enqueue(
                session, bot_id=bot_id, task_id=task_id, event="comment", now=moment
            )


async def _claim_in(
    session: AsyncSession,
    free: dict[int, int],
    limit: int,
    blocked: frozenset[int] = frozenset(),
    owner: str = "w1",
) -> list[outbox.Delivery]:
    return await outbox_claims.claim_due(
        session,
        now=NOW,
        owner=owner,
        token_prefix=owner,
        lease_seconds=60,
        free_slots=free,
        limit=limit,
        blocked_bot_ids=blocked,
    )


async def _claim(database: Database, *args: Any, **kwargs: Any) -> list[outbox.Delivery]:
    async with database.session() as session, session.begin():
        return await _claim_in(session, *args, **kwargs)


async def test_claims_respect_caps_order_and_blocks(database: Database) -> None:
    # Bot 1 has 30 rows older than any of bot 2's: a cap of 3 must not starve bot 2.
    await _enqueue(database, 1, range(100, 130), NOW - timedelta(minutes=5))
    await _enqueue(database, 2, range(200, 205), NOW - timedelta(minutes=1))
    await _enqueue(database, 3, range(300, 302), NOW + timedelta(minutes=1))  # not yet due

    claimed = await _claim(database, {1: 3, 2: 10, 3: 10}, limit=50)
    assert [(r.bot_id, r.task_id) for r in claimed] == [(1, 100), (1, 101), (1, 102)] + [
        (2, t) for t in range(200, 205)
    ]
    assert all(r.lease_owner == "w1" and r.lease_token for r in claimed)

    # Rows in flight are not claimed again; a blocked bot gets nothing; the limit holds.
    again = await _claim(database, {1: 10, 2: 10}, limit=4, blocked=frozenset({2}), owner="w2")
    assert [(r.bot_id, r.task_id) for r in again] == [(1, t) for t in range(103, 107)]
    assert await _claim(database, {1: 0, 2: 10}, limit=10, owner="w3") == []


async def test_two_open_claims_never_share_a_row(database: Database) -> None:
    await _enqueue(database, 1, range(100, 120), NOW - timedelta(minutes=1))
    async with database.session() as first, database.session() as second, first.begin():
        mine = await _claim_in(first, {1: 8}, limit=8, owner="a")
        if database.dialect == "sqlite":
            theirs = []  # one writer at a time: the second claim waits for this commit
        else:
            # PostgreSQL: the first transaction still holds its rows; the second skips them.
            async with second.begin():
                theirs = await _claim_in(second, {1: 8}, limit=8, owner="b")
    assert len(mine) == 8
    assert not {r.id for r in mine} & {r.id for r in theirs}
    later = await _claim(database, {1: 20}, limit=20, owner="c")
    assert len(mine) + len(theirs) + len(later) == 20


async def test_one_webhook_token_per_bot_until_its_key_changes(platform: PlatformFactory) -> None:
    bot = await ScriptedBot(respond(200, orjson.dumps({"text": "seen"}))).start()
    p = await platform(bot.url)
    first, second = await p.create_task("a"), await p.create_task("b")
    await p.wait_settled(first)
    await p.wait_settled(second)
    tokens = [got.json["access_token"] for got in bot.received]
    assert len(tokens) == 2 and tokens[0] == tokens[1]

    # A key reset (which revokes the bot's tokens) gives the next webhook a new token.
    await p.set_bot(security_key="a-new-secret")
    third = await p.create_task("c")
    await p.wait_settled(third)
    newest = bot.received[-1]
    assert newest.json["access_token"] not in tokens
    assert newest.signed_by("a-new-secret")
    await bot.stop()


async def test_an_answer_after_the_lease_was_lost_changes_nothing(
    platform: PlatformFactory,
) -> None:
    """Another worker took the row over while the call ran: the late answer is not recorded
    and not applied, so the reply can only be applied by the lease's new holder."""
    answering = asyncio.Event()

    async def late(_: Received) -> web.StreamResponse:
        await answering.wait()
        return web.Response(body=orjson.dumps({"text": "late", "approval_choice": "approved"}))

    bot = await ScriptedBot(late).start()
    p = await platform(bot.url)
    task_id = await p.create_task()

    async def in_flight() -> bool:
        return len(bot.received) == 1

    await p.wait_for(in_flight, what="the call to reach the bot")
    async with p.database.session() as session, session.begin():
        await session.execute(
            update(Delivery)
            .where(Delivery.task_id == task_id)
            .values(lease_owner="another-worker", lease_token="another-worker:1")
        )
    answering.set()

    async def released() -> bool:
        return p.service.in_flight == 0

    await p.wait_for(released, what="the worker to finish the call")
    [row] = await p.deliveries(task_id)
    assert row.state == "pending" and row.lease_token == "another-worker:1"
    assert await p.attempts(task_id) == []
    task, comments = await p.task(task_id)
    assert task.current_step == 1 and all(c.body.get("text") != "late" for c in comments)
    await bot.stop()
