"""An answer the attempt log cannot store as it is (a NUL byte, which PostgreSQL's text refuses)
is recorded with the byte replaced, once: never an unrecordable attempt called again forever."""

from __future__ import annotations

from dataclasses import replace

from aiohttp import web
from delivery_bots import Received, ScriptedBot
from delivery_platform import FAST, Platform, seed_workspace

from pyrus_bots.server.clock import SYSTEM_CLOCK
from pyrus_bots.server.delivery.service import DeliveryService
from pyrus_bots.server.store.db import Database


async def nul_in_html(_: Received) -> web.StreamResponse:
    return web.Response(body=b"<html>not json\x00</html>", content_type="text/html")


async def test_a_nul_byte_in_a_non_json_answer_is_logged_once(database: Database) -> None:
    bot = await ScriptedBot(nul_in_html).start()
    await seed_workspace(database, bot.url)
    settings = replace(FAST)
    service = DeliveryService(database, settings, SYSTEM_CLOCK)
    await service.start()
    try:
        platform = Platform(database, settings, service)
        task_id = await platform.create_task("anything")
        [row] = await platform.wait_settled(task_id, within=20)
        [attempt] = await platform.attempts(task_id)
    finally:
        await service.stop()
        await bot.stop()
    assert row.state == "done" and attempt.outcome == "success"
    assert attempt.response_body == "<html>not json\ufffd</html>"
    assert len(bot.received) == 1
