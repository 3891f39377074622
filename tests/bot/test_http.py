"""Real HTTP: bots served by uvicorn on loopback, deliveries signed by the test, the deferred
reply received by a fake Pyrus API served on loopback too."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount

from pyrus_bots.bot import Bot, BotGroup, Event, Reply
from pyrus_bots.testing import make_delivery
from pyrus_bots.testing.fake_api import serve_asgi_in_thread

from .conftest import SECRET, purchase_task


def _post(url: str, delivery: Any, **headers: str) -> httpx.Response:
    return httpx.post(url, content=delivery.body, headers={**delivery.headers, **headers})


def _wait_for(predicate: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)


def test_bot_on_uvicorn_answers_inline_and_falls_back_to_the_api(
    fake_api_url: tuple[Any, str],
) -> None:
    fake, api_url = fake_api_url
    bot = Bot(SECRET, inline_budget=0.2, api_url=api_url)

    @bot.on_task(form_id=321, step=1)
    async def quick(event: Event) -> Reply:
        return Reply.approve(f"Hello, {event.task.author.first_name}")  # type: ignore[union-attr]

    @bot.on_task(form_id=321, step=2)
    async def slow(event: Event) -> Reply:
        await asyncio.sleep(1.5)
        return Reply.approve("slow answer").set_field("u_amount", 10)

    with serve_asgi_in_thread(bot.asgi()) as base:
        quick_reply = _post(base, make_delivery(bot, purchase_task()))
        assert quick_reply.status_code == 200
        assert quick_reply.headers["content-type"] == "application/json"
        assert quick_reply.json() == {"text": "Hello, Alice", "approval_choice": "approved"}

        task = purchase_task(step=2)
        fake.add_task(task)
        began = time.monotonic()
        slow_reply = _post(base, make_delivery(bot, task))
        assert time.monotonic() - began < 1.2  # answered at the budget, not after the work
        assert slow_reply.status_code == 200 and slow_reply.content == b""
        _wait_for(lambda: fake.comments(task["id"]))
        assert fake.comments(task["id"]) == [
            {
                "text": "slow answer",
                "approval_choice": "approved",
                "field_updates": [{"id": 2, "value": 10}],
            }
        ]
        posted = [c for c in fake.calls if c.method == "POST"]
        assert posted[0].path == f"/v4/tasks/{task['id']}/comments"


def test_http_errors_401_405_413_400(fake_api_url: tuple[Any, str]) -> None:
    bot = Bot(SECRET, max_body_size=4096)

    @bot.on_task()
    async def hello(event: Event) -> str:
        return "hi"

    with serve_asgi_in_thread(bot.asgi()) as base:
        small = make_delivery(bot, purchase_task())
        assert _post(base, small, **{"X-Pyrus-Sig": "0" * 40}).status_code == 401
        assert httpx.get(base).status_code == 405
        assert httpx.get(base).headers["allow"] == "POST"
        big_task = purchase_task(text="x" * 8000)
        assert _post(base, make_delivery(bot, big_task)).status_code == 413

        def chunks() -> Any:  # no Content-Length: the limit holds while streaming
            yield b'{"task": {"text": "'
            for _ in range(10):
                yield b"y" * 1000
            yield b'"}}'

        streamed = httpx.post(base, content=chunks(), headers={"X-Pyrus-Sig": "0" * 40})
        assert streamed.status_code == 413
        bad = b"{not json"
        assert (
            httpx.post(base, content=bad, headers={"X-Pyrus-Sig": bot.sign(bad)}).status_code == 400
        )


def test_bot_group_serves_several_bots_each_with_its_own_path_and_secret() -> None:
    approver = Bot("approver-secret", name="approver")
    greeter = Bot("greeter-secret", name="greeter")
    approver.default(lambda event: Reply.approve("approved"))
    greeter.default(lambda event: "hello")
    group = BotGroup({"/approver": approver}).add("/greeter/", greeter)

    with serve_asgi_in_thread(group.asgi()) as base:
        task = purchase_task()
        assert _post(base + "/approver", make_delivery(approver, task)).json()["text"] == (
            "approved"
        )
        assert _post(base + "/greeter", make_delivery(greeter, task)).json() == {"text": "hello"}
        # the other bot's secret does not open this bot
        assert _post(base + "/approver", make_delivery(greeter, task)).status_code == 401
        assert _post(base + "/nobody", make_delivery(greeter, task)).status_code == 404
    with pytest.raises(ValueError, match="already"):
        group.add("greeter", greeter)


def test_bot_mounted_inside_a_starlette_app() -> None:
    bot = Bot(SECRET)
    bot.default(lambda event: "mounted")
    group = BotGroup({"/a": Bot("a-secret")})
    group.bots["/a"].default(lambda event: "group a")
    app = Starlette(routes=[Mount("/hooks/pyrus", app=bot.asgi()), Mount("/many", group.asgi())])

    with serve_asgi_in_thread(app) as base:
        # Starlette redirects a mount's bare path to its slash form: hook URLs end in "/"
        reply = _post(base + "/hooks/pyrus/", make_delivery(bot, purchase_task()))
        assert reply.json() == {"text": "mounted"}
        a = group.bots["/a"]
        assert _post(base + "/many/a", make_delivery(a, purchase_task())).json() == {
            "text": "group a"
        }


async def test_lifespan_shutdown_lets_deferred_handlers_finish(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import gc

    from pyrus_bots.bot import asgi
    from pyrus_bots.testing import BotTester

    frozen: list[bool] = []
    monkeypatch.setattr(gc, "freeze", lambda: frozen.append(True))
    assert asgi.FREEZE_GC_ON_STARTUP

    bot = Bot(SECRET, inline_budget=0.05)
    finished: list[str] = []

    @bot.on_task()
    async def slow(event: Event) -> None:
        await asyncio.sleep(0.2)
        finished.append("done")

    await BotTester(bot).send(purchase_task())
    assert bot.pending == 1
    messages = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    sent: list[str] = []

    async def receive() -> dict[str, Any]:
        return messages.pop(0)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message["type"])

    await bot({"type": "lifespan"}, receive, send)  # a Bot is an ASGI app itself
    assert sent == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    assert frozen == [True]
    assert finished == ["done"] and bot.pending == 0
