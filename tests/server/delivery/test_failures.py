"""Failed attempts: the schedule, the N/3 header, the pause after three and a new series after a
human comment."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import orjson
import pytest
from aiohttp import web
from delivery_bots import HalfAnswerServer, Received, ScriptedBot, free_port
from delivery_platform import BOT_ID, PlatformFactory

from pyrus_bots.server.store import delivery_log


class SwitchableBot:
    """Fails as told until ``heal()``, then approves."""

    def __init__(self, failure: str) -> None:
        self.failure = failure
        self.healed = False
        self.bot = ScriptedBot(self._answer)

    async def _answer(self, got: Received) -> web.StreamResponse:
        if self.healed:
            body = orjson.dumps({"text": "ok now", "approval_choice": "approved"})
            return web.Response(body=body)
        if self.failure == "timeout":
            import asyncio

            await asyncio.sleep(3)
            return web.Response()
        status = int(self.failure.removeprefix("http_"))
        return web.Response(status=status, headers={"Location": "http://127.0.0.1:9/"})


FAILURES = ["http_500", "http_404", "http_302", "connection_refused", "timeout", "connection_reset"]


@pytest.mark.parametrize("failure", FAILURES)
async def test_three_attempts_then_pause_then_new_series(
    platform: PlatformFactory, failure: str
) -> None:
    heal: Callable[[], Awaitable[Any]]
    half: HalfAnswerServer | None = None
    switch: SwitchableBot | None = None
    if failure == "connection_refused":
        port = free_port()
        url = f"http://127.0.0.1:{port}/hook"

        async def heal_refused() -> Any:
            healed = SwitchableBot("http_500")
            healed.healed = True
            healed.bot.port = port
            return await start_on(healed.bot, port)

        heal = heal_refused
    elif failure == "connection_reset":
        half = await HalfAnswerServer().start()
        url = half.url

        async def heal_reset() -> Any:
            assert half is not None
            port = half.port
            await half.stop()
            healed = SwitchableBot("http_500")
            healed.healed = True
            return await start_on(healed.bot, port)

        heal = heal_reset
    else:
        switch = SwitchableBot(failure)
        await switch.bot.start()
        url = switch.bot.url

        async def heal_switch() -> Any:
            assert switch is not None
            switch.healed = True
            return switch.bot

        heal = heal_switch

    p = await platform(url)
    task_id = await p.create_task()
    [row] = await p.wait_settled(task_id, within=20)
    assert row.state == "failed" and row.outcome == failure
    attempts = await p.attempts(task_id)
    assert [a.number for a in attempts] == [1, 2, 3]
    assert [a.request_headers["X-Pyrus-Retry"] for a in attempts] == ["1/3", "2/3", "3/3"]
    assert all(a.outcome == failure for a in attempts)
    for attempt, offset in zip(attempts, p.settings.retry_schedule, strict=True):
        assert abs((attempt.due_at - row.trigger_at).total_seconds() - offset) < 0.01
        late = (attempt.started_at - attempt.due_at).total_seconds()
        assert late > -0.01
        # The due times above are exact; how late the scheduler starts an attempt depends on load.
        assert late < (2.5 if failure == "timeout" else 2.0)
    if switch is not None:
        assert [r.headers["X-Pyrus-Retry"] for r in switch.bot.received] == ["1/3", "2/3", "3/3"]
    async with p.database.session() as session:
        assert await delivery_log.paused_pair_count(session) == 1

    # Paused: nothing more is sent, until a person comments.
    healed_bot = await heal()
    task, _ = await p.task(task_id)
    assert task.current_step == 1
    await p.comment(task_id, "please look again")
    rows = await p.wait_settled(task_id)
    assert [r.state for r in rows] == ["failed", "done"]
    new_attempts = (await p.attempts(task_id))[3:]
    assert [a.request_headers["X-Pyrus-Retry"] for a in new_attempts] == ["1/3"]
    task, comments = await p.task(task_id)
    assert task.current_step == 2 and comments[-1].author_id == BOT_ID
    async with p.database.session() as session:
        assert await delivery_log.paused_pair_count(session) == 0
    await healed_bot.stop()


async def start_on(bot: ScriptedBot, port: int) -> ScriptedBot:
    from aiohttp import web as aioweb

    app = aioweb.Application()
    app.router.add_route("*", "/{tail:.*}", bot._handle)
    bot.runner = aioweb.AppRunner(app, access_log=None, shutdown_timeout=0.1)
    await bot.runner.setup()
    bot.port = port
    await aioweb.TCPSite(bot.runner, "127.0.0.1", port).start()
    return bot
