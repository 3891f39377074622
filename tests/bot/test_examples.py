"""The examples in examples/ behave as their docstrings say."""

from __future__ import annotations

import asyncio
import importlib
import sys
from pathlib import Path
from typing import Any

import pytest

from pyrus_bots.testing import make_task, typed
from pyrus_bots.testing.fake_api import FakePyrusAPI

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def load(name: str, monkeypatch: pytest.MonkeyPatch, **env: str) -> Any:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.syspath_prepend(str(EXAMPLES))
    sys.modules.pop(name, None)
    return importlib.import_module(name)


async def test_greeter_greets_the_author_and_approves(
    monkeypatch: pytest.MonkeyPatch, bot_tester: Any
) -> None:
    greeter = load("greeter", monkeypatch)
    assert callable(greeter.app)
    reply = await bot_tester(greeter.bot).send(make_task(form_id=321))
    assert reply.approved and reply.text == "Hello, Alice!"


async def test_copy_field_copies_the_fields_named_in_settings(
    monkeypatch: pytest.MonkeyPatch, bot_tester: Any
) -> None:
    copy_field = load("copy_field", monkeypatch)
    tester = bot_tester(copy_field.bot)
    task = make_task(
        form_id=321,
        fields={"u_source": typed("money", 250), "u_target": typed("number")},
    )
    settings = {"from": "u_source", "to": "u_target"}
    reply = await tester.send(task, settings=settings)
    assert reply.approved and reply.field("u_target") == 250

    wrong_type = make_task(form_id=321, fields={"u_source": "text!", "u_target": typed("number")})
    assert (await tester.send(wrong_type, settings=settings)).status == 500

    missing = await tester.send(make_task(form_id=321), settings="not json")
    assert missing.text is not None and "Settings must be JSON" in missing.text
    empty = make_task(form_id=321, fields={"u_source": typed("text"), "u_target": "x"})
    assert "nothing to copy" in str((await tester.send(empty, settings=settings)).text)


async def test_slow_bot_answers_empty_and_posts_later(
    monkeypatch: pytest.MonkeyPatch, bot_tester: Any, pyrus_api: FakePyrusAPI
) -> None:
    slow = load("slow_bot", monkeypatch, SLOW_BOT_BUDGET="0.1", SLOW_BOT_WORK="0.3")
    tester = bot_tester(slow.bot)
    task = make_task(form_id=321)
    reply = await tester.send(task)
    assert reply.body == b"" and reply.deferred
    await tester.drain()
    assert pyrus_api.comments(task["id"]) == [
        {"text": "Checked after 0.3 s.", "approval_choice": "approved"}
    ]
    await asyncio.sleep(0)
