"""A bot's webhook reply that sends the task to another bot is logged as ``invalid_reply`` and
changes nothing; the same bot's ordinary reply still goes through."""

from __future__ import annotations

import orjson
from aiohttp import web
from delivery_bots import Received, ScriptedBot
from delivery_platform import BOT_ID, ORG_ID, PlatformFactory

from pyrus_bots.server.store import bots as bot_store

OTHER_BOT_ID = 2002

ANSWERS = {
    "to_other_bot": {"text": "yours", "approvals_added": [[{"id": OTHER_BOT_ID}]]},
    "approve": {"text": "fine", "approval_choice": "approved"},
}


async def by_item(got: Received) -> web.StreamResponse:
    item = got.json["task"]["fields"][0]["value"]
    return web.Response(body=orjson.dumps(ANSWERS[item]), content_type="application/json")


async def test_reply_routing_to_another_bot_is_an_invalid_reply(platform: PlatformFactory) -> None:
    bot = await ScriptedBot(by_item).start()
    p = await platform(bot.url)
    async with p.database.session() as session, session.begin():
        await bot_store.create_bot(session, ORG_ID, "Other", person_id=OTHER_BOT_ID)
    refused_task = await p.create_task("to_other_bot")
    [row] = await p.wait_settled(refused_task)
    [attempt] = await p.attempts(refused_task)  # not retried
    assert row.state == "done"
    assert attempt.outcome == "invalid_reply: invalid_person_id" and not attempt.reply_applied
    assert "another bot" in (attempt.detail or "")
    task, comments = await p.task(refused_task)
    assert task.current_step == 1 and [c for c in comments if c.author_id == BOT_ID] == []
    assert all(a.person_id != OTHER_BOT_ID for step in task.approvals for a in step)

    approved_task = await p.create_task("approve")
    await p.wait_settled(approved_task)
    [attempt] = await p.attempts(approved_task)
    assert attempt.outcome == "success" and attempt.reply_applied
    await bot.stop()
