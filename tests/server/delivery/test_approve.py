"""Bots that approve: the task moves to step 2 with the bot's comment and field values."""

from __future__ import annotations

from typing import Any

import orjson
from delivery_bots import Received, ScriptedBot, ThreadedServer, respond
from delivery_platform import BOT_ID, BOT_SECRET, FORM_ID, PlatformFactory


async def test_scripted_bot_approves(platform: PlatformFactory) -> None:
    reply = {
        "text": "looks fine",
        "approval_choice": "approved",
        "field_updates": [{"id": 3, "value": {"choice_id": 2}}],
    }
    bot = await ScriptedBot(
        respond(200, orjson.dumps(reply), **{"Content-Type": "text/html"})
    ).start()
    p = await platform(bot.url)
    task_id = await p.create_task()
    rows = await p.wait_settled(task_id)
    assert [r.state for r in rows] == ["done"]
    task, comments = await p.task(task_id)
    assert task.current_step == 2
    assert comments[-1].author_id == BOT_ID
    assert comments[-1].body.get("text") == "looks fine"
    assert task.fields[3] is not None
    [got] = bot.received
    assert_webhook(got, task_id)
    [attempt] = await p.attempts(task_id)
    assert attempt.outcome == "success" and attempt.reply_applied
    assert attempt.request_headers["X-Pyrus-Retry"] == "1/3"
    assert got.json["access_token"] not in attempt.request_body
    await bot.stop()


def assert_webhook(got: Received, task_id: int) -> None:
    assert got.headers["Content-Type"] == "application/json"
    assert got.headers["User-Agent"] == "Pyrus-Bot-4"
    assert got.headers["X-Pyrus-Retry"] == "1/3"
    assert got.headers["X-Pyrus-Sig"].isupper()
    assert got.signed_by(BOT_SECRET)
    body = got.json
    assert body["event"] == "comment"
    assert body["task_id"] == task_id
    assert body["user_id"] == BOT_ID
    assert body["bot_settings"] == '{"limit": 1000}'
    assert body["access_token"]
    assert body["task"]["id"] == task_id and body["task"]["form_id"] == FORM_ID
    assert body["task"]["current_step"] == 1


async def test_flask_bot_approves(platform: PlatformFactory) -> None:
    import hashlib
    import hmac

    from flask import Flask, request

    app = Flask("plain_bot")
    seen: list[dict[str, str]] = []

    @app.post("/")
    def hook() -> tuple[bytes, int, dict[str, str]]:
        # What a hand-written bot for real Pyrus does: check the signature, read the task.
        body = request.get_data()
        digest = hmac.new(BOT_SECRET.encode(), body, hashlib.sha1).hexdigest()
        if not hmac.compare_digest(digest, request.headers.get("X-Pyrus-Sig", "").lower()):
            return b"bad signature", 403, {}
        seen.append(dict(request.headers))
        task = request.get_json(force=True)["task"]
        answer = {"text": f"checked {task['fields'][0]['value']}", "approval_choice": "approved"}
        return orjson.dumps(answer), 200, {"Content-Type": "application/json"}

    bot = ThreadedServer(app)
    p = await platform(bot.url)
    task_id = await p.create_task("Laptop")
    await p.wait_settled(task_id)
    task, comments = await p.task(task_id)
    assert task.current_step == 2
    assert comments[-1].author_id == BOT_ID and comments[-1].body["text"] == "checked Laptop"
    assert seen[0]["User-Agent"] == "Pyrus-Bot-4" and seen[0]["X-Pyrus-Retry"] == "1/3"
    bot.stop()


async def test_sdk_bot_approves(platform: PlatformFactory) -> None:
    from pyrus_bots.bot import Bot, Reply

    sdk_bot = Bot(BOT_SECRET)

    @sdk_bot.on_task(form_id=FORM_ID, step=1)
    async def check(event: Any) -> Reply:
        return Reply.approve("approved by the SDK bot").set_field("u_status", 2)

    bot = ThreadedServer(sdk_bot.asgi(), asgi=True)
    p = await platform(bot.url)
    task_id = await p.create_task()
    await p.wait_settled(task_id)
    [attempt] = await p.attempts(task_id)
    assert attempt.outcome == "success", attempt.detail
    task, comments = await p.task(task_id)
    assert task.current_step == 2
    assert comments[-1].author_id == BOT_ID
    assert comments[-1].body["text"] == "approved by the SDK bot"
    assert task.fields[3] is not None
    bot.stop()


async def test_comment_and_close_events_last_comment_only_lower_case(
    platform: PlatformFactory,
) -> None:
    bot = await ScriptedBot(respond(200, b"{}")).start()
    p = await platform(bot.url, signature_case="lower")
    await p.set_bot(send_only_last_comment=True)
    task_id = await p.create_task()
    await p.wait_settled(task_id)
    await p.comment(task_id, "second look please")
    await p.wait_for(lambda: _count(bot, 2), what="the comment delivery")
    await p.wait_settled(task_id)
    async with p.database.session() as session, session.begin():
        from datetime import UTC, datetime

        from pyrus_bots.protocol.models import Action, CommentRequest
        from pyrus_bots.server.store.directory import load_directory
        from pyrus_bots.server.tasks import changes as task_service

        directory = await load_directory(session)
        await task_service.comment_task(
            session,
            directory,
            task_id,
            directory.people[1001],
            CommentRequest(text="closing", action=Action.FINISHED),
            datetime.now(UTC),
        )
    await p.wait_for(lambda: _count(bot, 3), what="the close delivery")
    first, second, third = bot.received
    assert second.json["event"] == "comment"
    assert [c.get("text") for c in second.json["task"]["comments"]] == ["second look please"]
    assert len(first.json["task"]["comments"]) == 1
    assert second.headers["X-Pyrus-Sig"].islower() and second.signed_by(BOT_SECRET)
    assert third.json["event"] == "close" and third.json["task"]["is_closed"] is True
    await bot.stop()


async def _count(bot: ScriptedBot, n: int) -> bool:
    return len(bot.received) >= n
