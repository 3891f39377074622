"""What bots answer: each reply is recorded as the contract says and the worker keeps going."""

from __future__ import annotations

from collections.abc import Callable

import orjson
import pytest
from aiohttp import web
from delivery_bots import Received, ScriptedBot
from delivery_platform import BOT_ID, PlatformFactory

from pyrus_bots.server.settings import Settings

TEN_MB = 10 * 1024 * 1024

ANSWERS: dict[str, bytes] = {
    "empty_object": b"{}",
    "empty_body": b"",
    "plain_text": b"Success",
    "invalid_json": b'{"text": "unfinished',
    "json_list": b"[1, 2]",
    "unknown_field": orjson.dumps({"text": "x", "field_updates": [{"id": 999, "value": "x"}]}),
    "bad_choice": orjson.dumps({"approval_choice": "maybe"}),
    # What the database cannot store is refused as the API refuses it, never retried.
    "nul_character": b'{"text": "a\\u0000b", "approval_choice": "approved"}',
    "deep_nesting": b'{"text": "deep", "extra": ' + b"[" * 300 + b"]" * 300 + b"}",
    "ten_megabytes": b"<html>" + b"x" * TEN_MB,
    "approve": orjson.dumps({"text": "fine", "approval_choice": "approved"}),
}


async def by_item(got: Received) -> web.StreamResponse:
    item = got.json["task"]["fields"][0]["value"]
    return web.Response(body=ANSWERS[item], content_type="text/html")


async def test_replies_are_recorded_and_change_nothing_unless_valid(
    platform: PlatformFactory,
) -> None:
    bot = await ScriptedBot(by_item).start()
    p = await platform(bot.url)
    outcomes: dict[str, tuple[str, str | None, bool]] = {}
    for item in ANSWERS:
        task_id = await p.create_task(item)
        [row] = await p.wait_settled(task_id, within=20)
        [attempt] = await p.attempts(task_id)  # never retried
        assert row.state == "done"
        outcomes[item] = (attempt.outcome, attempt.detail, attempt.reply_applied)
        task, comments = await p.task(task_id)
        bot_comments = [c for c in comments if c.author_id == BOT_ID]
        if item == "approve":
            assert task.current_step == 2 and len(bot_comments) == 1
        else:
            assert task.current_step == 1 and bot_comments == [], item
        if item == "ten_megabytes":
            assert attempt.response_size == TEN_MB + 6
            assert attempt.response_body is not None
            assert len(attempt.response_body) == Settings().response_log_limit
    for item in (
        "empty_object",
        "empty_body",
        "plain_text",
        "invalid_json",
        "json_list",
        "ten_megabytes",
    ):
        assert outcomes[item][0] == "success" and not outcomes[item][2], item
        assert "nothing to apply" in (outcomes[item][1] or ""), item
    for item in ("unknown_field", "bad_choice"):
        outcome, detail, applied = outcomes[item]
        assert outcome.startswith("invalid_reply: ") and len(outcome) > len("invalid_reply: ")
        assert detail and not applied
    assert outcomes["nul_character"][:2] == (
        "invalid_reply: invalid_value_format",
        "text values must not contain NUL characters",
    )
    assert outcomes["deep_nesting"][:2] == (
        "invalid_reply: invalid_value_format",
        "JSON nested deeper than 64 levels",
    )
    assert outcomes["approve"] == ("success", None, True)
    await bot.stop()


async def test_reply_over_the_size_limit_is_not_applied(
    platform: PlatformFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    huge = orjson.dumps({"text": "y" * TEN_MB, "approval_choice": "approved"})

    async def answer(_: Received) -> web.StreamResponse:
        return web.Response(body=huge, content_type="application/json")

    bot = await ScriptedBot(answer).start()
    p = await platform(bot.url, max_reply_bytes=1024 * 1024)
    task_id = await p.create_task()
    [row] = await p.wait_settled(task_id)
    [attempt] = await p.attempts(task_id)
    assert row.state == "done" and attempt.outcome == "reply_too_large"
    assert "1048576" in (attempt.detail or "")
    task, _ = await p.task(task_id)
    assert task.current_step == 1
    await bot.stop()


def _engine_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    from pyrus_bots.server.workflow import engine

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("engine bug")

    monkeypatch.setattr(engine, "apply_comment", broken)


def _write_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    # Not the engine: the write itself fails (a platform fault, not the database). The batch
    # falls back to one attempt at a time, whose savepoint records the fault.
    from pyrus_bots.server.store import task_writes

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("write bug")

    monkeypatch.setattr(task_writes, "save_locked_tasks", broken)


@pytest.mark.parametrize("fault", [_engine_fails, _write_fails], ids=["engine", "write"])
async def test_reply_that_breaks_the_platform_is_recorded_not_retried(
    platform: PlatformFactory,
    monkeypatch: pytest.MonkeyPatch,
    fault: Callable[[pytest.MonkeyPatch], None],
) -> None:
    fault(monkeypatch)
    bot = await ScriptedBot(by_item).start()
    p = await platform(bot.url)
    task_id = await p.create_task("approve")
    [row] = await p.wait_settled(task_id)
    [attempt] = await p.attempts(task_id)
    assert row.state == "done" and attempt.outcome == "invalid_reply: server_error"
    assert "RuntimeError" in (attempt.detail or "") and not attempt.reply_applied
    task, comments = await p.task(task_id)
    assert task.current_step == 1 and comments[-1].author_id != BOT_ID
    assert len(bot.received) == 1
    await bot.stop()
