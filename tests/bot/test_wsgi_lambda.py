"""The WSGI adapter through a real WSGI server (wsgiref, and mounted beside a Flask app) and the
AWS Lambda handler with API Gateway / Function URL events."""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Iterator
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import httpx
import pytest

from pyrus_bots.bot import Bot, BotGroup, Event, Reply
from pyrus_bots.testing import make_delivery

from .conftest import SECRET, purchase_task


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class _ThreadedServer(WSGIServer):
    daemon_threads = True

    def process_request(self, request: Any, client_address: Any) -> None:
        thread = threading.Thread(target=self._handle, args=(request, client_address), daemon=True)
        thread.start()

    def _handle(self, request: Any, client_address: Any) -> None:
        try:
            self.finish_request(request, client_address)
        finally:
            self.shutdown_request(request)


def _serve_wsgi(app: Any) -> Any:
    server = make_server(
        "127.0.0.1", 0, app, server_class=_ThreadedServer, handler_class=_QuietHandler
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, f"http://127.0.0.1:{server.server_port}"


@pytest.fixture
def wsgi_base() -> Iterator[Any]:
    servers: list[Any] = []

    def serve(app: Any) -> str:
        server, base = _serve_wsgi(app)
        servers.append(server)
        return base

    yield serve
    for server in servers:
        server.shutdown()
        server.server_close()


def test_wsgi_adapter_serves_deliveries_and_posts_deferred_replies(
    wsgi_base: Any, fake_api_url: tuple[Any, str]
) -> None:
    fake, api_url = fake_api_url
    bot = Bot(SECRET, inline_budget=0.2, api_url=api_url)

    @bot.on_task(step=1)
    def quick(event: Event) -> Reply:
        return Reply.approve("wsgi hello")

    @bot.on_task(step=2)
    def slow(event: Event) -> str:
        time.sleep(0.5)
        return "late"

    app = bot.wsgi()
    base = wsgi_base(app)
    delivery = make_delivery(bot, purchase_task())
    reply = httpx.post(base, content=delivery.body, headers=delivery.headers)
    assert reply.status_code == 200
    assert reply.json() == {"text": "wsgi hello", "approval_choice": "approved"}
    assert httpx.get(base).status_code == 405
    forged = httpx.post(base, content=delivery.body, headers={"X-Pyrus-Sig": "ab" * 20})
    assert forged.status_code == 401

    task = purchase_task(step=2)
    fake.add_task(task)
    slow_delivery = make_delivery(bot, task)
    empty = httpx.post(base, content=slow_delivery.body, headers=slow_delivery.headers)
    assert empty.status_code == 200 and empty.content == b""
    deadline = time.monotonic() + 5
    while not fake.comments(task["id"]) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert fake.comments(task["id"]) == [{"text": "late"}]
    app.close()


def test_wsgi_body_limit_and_group_paths(wsgi_base: Any) -> None:
    small = Bot("s1", max_body_size=2048)
    small.default(lambda event: "small")
    other = Bot("s2")
    other.default(lambda event: "other")
    base = wsgi_base(BotGroup({"/small": small, "/other": other}).wsgi())
    big = make_delivery(small, purchase_task(text="z" * 4000))
    assert httpx.post(base + "/small", content=big.body, headers=big.headers).status_code == 413
    fine = make_delivery(other, purchase_task())
    assert httpx.post(base + "/other", content=fine.body, headers=fine.headers).json() == {
        "text": "other"
    }
    assert httpx.post(base + "/none", content=fine.body, headers=fine.headers).status_code == 404


def test_wsgi_adapter_mounted_beside_a_flask_app(wsgi_base: Any) -> None:
    from flask import Flask
    from werkzeug.middleware.dispatcher import DispatcherMiddleware

    flask_app = Flask("site")
    flask_app.add_url_rule("/", "index", lambda: "site")
    bot = Bot(SECRET)
    bot.default(lambda event: "from flask's process")
    app = DispatcherMiddleware(flask_app.wsgi_app, {"/pyrus": bot.wsgi()})
    base = wsgi_base(app)
    delivery = make_delivery(bot, purchase_task())
    assert httpx.get(base + "/").text == "site"
    reply = httpx.post(base + "/pyrus", content=delivery.body, headers=delivery.headers)
    assert reply.json() == {"text": "from flask's process"}


def _lambda_bot() -> Bot:
    bot = Bot(SECRET)

    @bot.on_task()
    async def hello(event: Event) -> Reply:
        return Reply.approve(f"lambda {event.task_id}")

    return bot


def test_lambda_handler_with_api_gateway_rest_event() -> None:
    bot = _lambda_bot()
    task = purchase_task()
    delivery = make_delivery(bot, task)
    event = {
        "httpMethod": "POST",
        "path": "/bot",
        "headers": {"X-Pyrus-Sig": delivery.signature, "Content-Type": "application/json"},
        "body": delivery.body.decode(),
        "isBase64Encoded": False,
    }
    result = bot.lambda_handler(event, None)
    assert result["statusCode"] == 200
    assert result["headers"]["content-type"] == "application/json"
    assert result["body"] == f'{{"text":"lambda {task["id"]}","approval_choice":"approved"}}'


def test_lambda_handler_with_function_url_base64_event() -> None:
    bot = _lambda_bot()
    delivery = make_delivery(bot, purchase_task())
    event = {
        "version": "2.0",
        "rawPath": "/",
        "requestContext": {"http": {"method": "POST", "path": "/"}},
        "headers": {"x-pyrus-sig": delivery.signature, "x-pyrus-retry": "2/3"},
        "body": base64.b64encode(delivery.body).decode(),
        "isBase64Encoded": True,
    }
    ok = bot.lambda_handler(event)
    assert ok["statusCode"] == 200 and "lambda" in ok["body"]
    # the same delivery again: dedupe answers the same reply
    assert bot.lambda_handler(event)["body"] == ok["body"]


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"headers": {"x-pyrus-sig": "00" * 20}}, 401),
        ({"requestContext": {"http": {"method": "GET"}}}, 405),
        ({"body": "!!not base64!!"}, 400),
    ],
)
def test_lambda_handler_errors(change: dict[str, Any], status: int) -> None:
    bot = _lambda_bot()
    delivery = make_delivery(bot, purchase_task())
    event: dict[str, Any] = {
        "requestContext": {"http": {"method": "POST"}},
        "headers": {"x-pyrus-sig": delivery.signature},
        "body": base64.b64encode(delivery.body).decode(),
        "isBase64Encoded": True,
    }
    event.update(change)
    assert bot.lambda_handler(event)["statusCode"] == status


def test_lambda_handler_body_limit_and_group() -> None:
    bot = Bot(SECRET, max_body_size=100)
    delivery = make_delivery(bot, purchase_task())
    event = {
        "httpMethod": "POST",
        "headers": {"X-Pyrus-Sig": delivery.signature},
        "body": delivery.body.decode(),
    }
    assert bot.lambda_handler(event)["statusCode"] == 413
    group = BotGroup({"/a": _lambda_bot()})
    assert group.lambda_handler({**event, "path": "/b"})["statusCode"] == 404
