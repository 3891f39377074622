"""Outbox rules: a newer trigger replaces a waiting one, disabled and paused bots wait, and the
admin API reads the log, resends and pauses."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import orjson
import uvicorn
from delivery_bots import ScriptedBot, free_port, respond
from delivery_platform import BOT_ID, FAST, PlatformFactory, seed_workspace

from pyrus_bots.protocol.models import CreateTaskRequest
from pyrus_bots.server.app import create_app
from pyrus_bots.server.store import delivery_log, outbox, outbox_claims
from pyrus_bots.server.store.db import Database

APPROVE = orjson.dumps({"text": "ok", "approval_choice": "approved"})


async def test_newer_trigger_replaces_the_waiting_one(sqlite_database: Database) -> None:
    now = datetime.now(UTC)
    async with sqlite_database.session() as session, session.begin():
        first = await outbox.enqueue(session, bot_id=1, task_id=5, event="comment", now=now)
    async with sqlite_database.session() as session, session.begin():
        later = now + timedelta(seconds=3)
        second = await outbox.enqueue(session, bot_id=1, task_id=5, event="close", now=later)
    assert second.id == first.id
    async with sqlite_database.session() as session:
        [row] = await delivery_log.list_deliveries(session, delivery_log.DeliveryFilter(task_id=5))
    assert row.event == "close" and row.replaced == 1 and row.due_at == later

    # In flight, the row is not touched: the new trigger waits behind it, and when the
    # attempt in flight fails the newer row goes instead of a retry.
    async with sqlite_database.session() as session, session.begin():
        [leased] = await outbox_claims.claim_due(
            session,
            now=later,
            owner="w",
            token_prefix="t",
            lease_seconds=60,
            free_slots={1: 5},
            limit=10,
        )
    async with sqlite_database.session() as session, session.begin():
        third = await outbox.enqueue(session, bot_id=1, task_id=5, event="comment", now=later)
    assert third.id != leased.id
    async with sqlite_database.session() as session, session.begin():
        row = await outbox.lock_leased(
            session, delivery_id=leased.id, token=leased.lease_token or ""
        )
        assert row is not None and await outbox.newer_pending_exists(session, row)


async def test_disabled_bot_waits_until_enabled(platform: PlatformFactory) -> None:
    bot = await ScriptedBot(respond(200, APPROVE)).start()
    p = await platform(bot.url)
    await p.set_bot(enabled=False)
    task_id = await p.create_task()
    await asyncio.sleep(1.0)
    assert bot.received == []
    [row] = await p.deliveries(task_id)
    assert row.state == "pending" and row.attempts == 0
    await p.set_bot(enabled=True)
    [row] = await p.wait_settled(task_id)
    assert row.state == "done" and len(bot.received) == 1
    await bot.stop()


@contextlib.asynccontextmanager
async def serve_app(database: Database, **overrides: object) -> AsyncIterator[str]:
    from dataclasses import replace

    port = free_port()
    settings = replace(FAST, host="127.0.0.1", port=port, **overrides)  # type: ignore[arg-type]
    app = create_app(settings, database=database)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110  (uvicorn offers no event to wait on)
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


async def test_admin_api(sqlite_database: Database) -> None:
    answers = [respond(500), respond(500), respond(500), respond(200, APPROVE)]

    async def scripted(got: object) -> object:
        return await (answers.pop(0) if len(answers) > 1 else answers[0])(got)  # type: ignore[arg-type]

    bot = await ScriptedBot(scripted).start()  # type: ignore[arg-type]
    await seed_workspace(sqlite_database, bot.url)
    async with serve_app(sqlite_database) as base, httpx.AsyncClient(base_url=base) as http:
        from pyrus_bots.server.store.directory import load_directory
        from pyrus_bots.server.tasks import changes as task_service

        async with sqlite_database.session() as session, session.begin():
            directory = await load_directory(session)
            task, _ = await task_service.create_task(
                session,
                directory,
                directory.people[1001],
                CreateTaskRequest.model_validate(
                    {"form_id": 321, "fields": [{"id": 1, "value": "x"}]}
                ),
                datetime.now(UTC),
            )
        for _ in range(200):
            listed = (
                await http.get("/admin/api/deliveries", params={"outcome": "http_500"})
            ).json()
            if listed["deliveries"] and listed["deliveries"][0]["state"] == "failed":
                break
            await asyncio.sleep(0.05)
        [delivery] = listed["deliveries"]
        assert delivery["task_id"] == task.id and delivery["bot_id"] == BOT_ID
        assert (await http.get("/admin/api/deliveries", params={"bot_id": 9})).json() == {
            "deliveries": []
        }
        detail = (await http.get(f"/admin/api/deliveries/{delivery['id']}")).json()
        log = detail["attempt_log"]
        assert [a["number"] for a in log] == [1, 2, 3]
        assert log[0]["request_headers"]["X-Pyrus-Retry"] == "1/3"
        assert '"access_token":"***"' in log[0]["request_body"]
        assert log[0]["response_status"] == 500
        assert (await http.get("/admin/api/deliveries/999999")).status_code == 404

        # Pause the bot, resend: nothing goes until it is resumed.
        assert (await http.post(f"/admin/api/bots/{BOT_ID}/pause")).json()["paused"] is True
        resent = (await http.post(f"/admin/api/deliveries/{delivery['id']}/resend")).json()
        assert resent["state"] == "pending" and resent["series"] == 2
        await asyncio.sleep(0.8)
        assert len(bot.received) == 3
        assert (await http.get("/admin/api/deliveries/paused-bots")).json()["bot_ids"] == [BOT_ID]
        await http.post(f"/admin/api/bots/{BOT_ID}/resume")
        for _ in range(200):
            detail = (await http.get(f"/admin/api/deliveries/{delivery['id']}")).json()
            if detail["state"] == "done":
                break
            await asyncio.sleep(0.05)
        assert detail["state"] == "done" and detail["outcome"] == "success"
        assert detail["attempt_log"][-1]["series"] == 2
        assert detail["attempt_log"][-1]["reply_applied"] is True
        metrics_text = (await http.get("/metrics")).text
        assert 'pyrus_bots_delivery_attempts_total{outcome="http_500"}' in metrics_text
    await bot.stop()


async def test_two_workers_deliver_each_trigger_once(database: Database) -> None:
    """Claims with SKIP LOCKED and leases: two workers on one database never share a row."""
    from collections import Counter
    from dataclasses import replace

    from delivery_platform import Platform

    from pyrus_bots.server.delivery.service import DeliveryService

    seen: Counter[int] = Counter()

    async def approve(got: object) -> object:
        seen[got.json["task_id"]] += 1  # type: ignore[attr-defined]
        await asyncio.sleep(0.05)
        return await respond(200, APPROVE)(got)  # type: ignore[arg-type]

    bot = await ScriptedBot(approve).start()  # type: ignore[arg-type]
    await seed_workspace(database, bot.url)
    # Generous timeout and lease: a slow machine must not turn into a retry (a second call),
    # which at-least-once delivery allows but this test is not about.
    settings = replace(FAST, bot_concurrency=5, bot_timeout=10.0, worker_lease=60.0)
    workers = [DeliveryService(database, settings) for _ in range(2)]
    for worker in workers:
        await worker.start()
    p = Platform(database, settings, workers[0])
    task_ids = [await p.create_task(f"item {i}") for i in range(40)]
    for task_id in task_ids:
        [row] = await p.wait_settled(task_id, within=20)
        assert row.state == "done"
    for worker in workers:
        await worker.stop()
    assert set(seen) == set(task_ids) and set(seen.values()) == {1}
    for task_id in task_ids:
        task, comments = await p.task(task_id)
        assert task.current_step == 2
        assert sum(1 for c in comments if c.author_id == BOT_ID) == 1
    await bot.stop()


async def test_stop_finishes_attempts_in_flight_and_releases_the_rest(
    platform: PlatformFactory,
) -> None:
    async def slow_approve(got: object) -> object:
        await asyncio.sleep(0.3)
        return await respond(200, APPROVE)(got)  # type: ignore[arg-type]

    bot = await ScriptedBot(slow_approve).start()  # type: ignore[arg-type]
    # One call per 1.5 s: the first task is sent, the second is claimed and waits for the limit.
    p = await platform(bot.url, bot_call_limit=(1, 1.5), bot_timeout=2.0)
    first = await p.create_task("first")
    await p.wait_for(lambda: _received(bot, 1), what="the first call")
    second = await p.create_task("second")
    await asyncio.sleep(0.8)
    [claimed] = await p.deliveries(second)
    assert claimed.lease_token is not None  # claimed, waiting for the limit
    await p.service.stop()
    [done] = await p.deliveries(first)
    assert done.state == "done"  # the attempt in flight was let finish
    [waiting] = await p.deliveries(second)
    assert waiting.state == "pending" and waiting.lease_token is None and waiting.attempts == 0
    assert len(bot.received) == 1
    await bot.stop()


async def _received(bot: ScriptedBot, count: int) -> bool:
    return len(bot.received) >= count
