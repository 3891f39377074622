"""The attempt log keeps a webhook body bounded: its first ``request_log_limit`` bytes (the
access token masked), the full size and the SHA-256 of the exact bytes the bot got."""

from __future__ import annotations

import hashlib

import orjson
from delivery_bots import ScriptedBot, respond
from delivery_platform import HUMAN_ID, PlatformFactory

from pyrus_bots.server.store import files as file_store


async def test_attempt_keeps_an_excerpt_with_size_and_digest(platform: PlatformFactory) -> None:
    bot = await ScriptedBot(respond(200, b"{}")).start()
    p = await platform(bot.url, request_log_limit=2000)
    task_id = await p.create_task("item " * 2000)  # a body of ~10 KB
    await p.wait_settled(task_id)
    [got] = bot.received
    [attempt] = await p.attempts(task_id)
    assert len(got.body) > 10_000
    assert len(attempt.request_body.encode()) <= 2000
    assert got.body.startswith(attempt.request_body.encode()[:20])
    assert attempt.request_size == len(got.body)
    assert attempt.request_sha256 == hashlib.sha256(got.body).hexdigest()
    assert got.json["access_token"] not in attempt.request_body
    await bot.stop()


async def test_a_reply_attaching_a_file_the_bot_cannot_read_is_an_invalid_reply(
    platform: PlatformFactory,
) -> None:
    # Files get ids from 1: the first upload, by a person, never used.
    reply = {"text": "see file", "attachments": [{"attachment_id": 1}]}
    bot = await ScriptedBot(respond(200, orjson.dumps(reply))).start()
    p = await platform(bot.url)
    async with p.database.session() as session, session.begin():
        private = await file_store.save_file(session, "private.txt", b"mine", HUMAN_ID)
    assert private.id == 1
    task_id = await p.create_task()
    await p.wait_settled(task_id)
    [attempt] = await p.attempts(task_id)
    assert attempt.outcome == "invalid_reply: access_denied_file"
    _, comments = await p.task(task_id)
    assert all(c.body.get("attachments") is None for c in comments)
    await bot.stop()
