"""The attempt log keeps a webhook body bounded: its first ``request_log_limit`` bytes (the
access token masked), the full size and the SHA-256 of the exact bytes the bot got."""

from __future__ import annotations

import hashlib

from delivery_bots import ScriptedBot, respond
from delivery_platform import PlatformFactory


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
