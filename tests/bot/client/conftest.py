"""Fixtures: the fake API and a scripted fault server, both served by uvicorn on loopback,
and a way to run each test with the async and the sync client."""

from __future__ import annotations

import asyncio
import inspect
import socket
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from pyrus_bots.bot.client import AsyncPyrusClient, PyrusClient
from pyrus_bots.protocol import pyrus_json
from pyrus_bots.testing.fake_api import FakePyrusAPI, serve_asgi_in_thread

BOT_LOGIN = "bot@892ccfa1c8360e2e8309"
BOT_KEY = "bot-security-key-0123456789"

Client = AsyncPyrusClient | PyrusClient


async def invoke(client: Client, method: str, *args: Any, **kwargs: Any) -> Any:
    """Call ``method`` on either client and return its result."""
    result = getattr(client, method)(*args, **kwargs)
    if inspect.isawaitable(result):
        result = await result
    return result


async def close(client: Client) -> None:
    if isinstance(client, AsyncPyrusClient):
        await client.aclose()
    else:
        client.close()


@pytest.fixture(params=["async", "sync"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def make_client(kind: str) -> AsyncIterator[Callable[..., Client]]:
    """Build a client of the parametrized kind; all are closed after the test. Tests get small
    backoffs so that retries take milliseconds."""
    made: list[Client] = []

    def build(*args: Any, **kwargs: Any) -> Client:
        kwargs.setdefault("retry_backoff", 0.01)
        cls = AsyncPyrusClient if kind == "async" else PyrusClient
        platform = kwargs.pop("platform", None)
        client = cls.for_platform(platform, *args, **kwargs) if platform else cls(*args, **kwargs)
        made.append(client)
        return client

    yield build
    for client in made:
        await close(client)


def seeded_fake() -> FakePyrusAPI:
    fake = FakePyrusAPI()
    fake.add_account(BOT_LOGIN, BOT_KEY)
    manager = fake.add_person(
        {"id": 1001, "first_name": "Alice", "last_name": "Smith", "email": "alice@acme.test"}
    )
    fields = [
        {"id": 1, "code": "u_item", "name": "Item", "type": "text"},
        {"id": 2, "code": "u_amount", "name": "Amount", "type": "money"},
    ]
    fake.add_form(
        {
            "id": 321,
            "name": "Purchase request",
            "steps": {"1": "Check", "2": "Manager"},
            "fields": fields,
        }
    )
    fake.add_task(
        {
            "id": 5,
            "form_id": 321,
            "text": "Paper",
            "author": manager,
            "fields": [{**fields[0], "value": "Paper"}, {**fields[1], "value": 120.5}],
            "approvals": [
                [{"person": fake.bot, "approval_choice": "waiting"}],
                [{"person": manager, "approval_choice": "waiting"}],
            ],
            "list_ids": [77],
        }
    )
    fake.add_list({"id": 77, "name": "Purchases"})
    fake.add_role({"id": 3001, "name": "Managers", "member_ids": [1001]})
    fake.add_catalog(
        {
            "catalog_id": 4001,
            "name": "Cost centers",
            "catalog_headers": [{"name": "Code", "type": "text"}, {"name": "Name", "type": "text"}],
            "items": [{"values": ["CC1", "Marketing"]}, {"values": ["CC2", "Sales"]}],
        }
    )
    return fake


@pytest.fixture
def fake() -> FakePyrusAPI:
    return seeded_fake()


class Switch:
    """An ASGI app that forwards to whichever app the current test plugged in, so that one
    uvicorn server per session serves every test (starting one per test costs ~0.25 s)."""

    def __init__(self) -> None:
        self.app: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert self.app is not None, "no app plugged in"
        await self.app(scope, receive, send)


@pytest.fixture(scope="session")
def _fake_server() -> Iterator[tuple[Switch, str]]:
    switch = Switch()
    with serve_asgi_in_thread(switch) as base_url:
        yield switch, base_url


@pytest.fixture(scope="session")
def _scripted_server() -> Iterator[tuple[Switch, str]]:
    switch = Switch()
    with serve_asgi_in_thread(switch) as base_url:
        yield switch, base_url


@pytest.fixture
def fake_url(fake: FakePyrusAPI, _fake_server: tuple[Switch, str]) -> Iterator[str]:
    """The fake API served by uvicorn on loopback."""
    switch, base_url = _fake_server
    switch.app = fake
    yield base_url
    switch.app = None


@dataclass
class Scripted:
    """One planned answer: status, JSON body (or raw bytes), headers, and a delay first."""

    status: int = 200
    json: Any = None
    content: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class Seen:
    method: str
    path: str
    at: float
    authorization: str | None
    body: bytes


class ScriptedAPI:
    """A server that answers each path from a queue of planned answers (the last one repeats)
    and records when each request arrived. For faults the fake API does not model."""

    def __init__(self) -> None:
        self.plans: dict[str, list[Scripted]] = {}
        self.seen: list[Seen] = []
        self.app = Starlette(routes=[Route("/{path:path}", self._answer, methods=["GET", "POST"])])

    def plan(self, path: str, *answers: Scripted) -> None:
        self.plans[path] = list(answers)

    def hits(self, path: str) -> list[Seen]:
        return [seen for seen in self.seen if seen.path == path]

    async def _answer(self, request: Request) -> Response:
        self.seen.append(
            Seen(
                request.method,
                request.url.path,
                time.monotonic(),
                request.headers.get("authorization"),
                await request.body(),
            )
        )
        queue = self.plans.get(request.url.path)
        if not queue:
            return Response(b'{"error":"no plan","error_code":"not_found"}', 404)
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        if answer.delay:
            await asyncio.sleep(answer.delay)
        body = answer.content if answer.content is not None else pyrus_json.dumps(answer.json)
        return Response(body, answer.status, headers=answer.headers, media_type="application/json")


@pytest.fixture
def scripted(_scripted_server: tuple[Switch, str]) -> Iterator[tuple[ScriptedAPI, str]]:
    """A scripted fault server on loopback (another port than the fake's)."""
    switch, base_url = _scripted_server
    api = ScriptedAPI()
    switch.app = api.app
    yield api, base_url
    switch.app = None


@pytest.fixture
def closed_port_url() -> str:
    """A loopback URL nobody listens on: connections are refused."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return f"http://127.0.0.1:{port}"


class CountingTransport(httpx.AsyncBaseTransport, httpx.BaseTransport):
    """A real HTTP transport that counts the requests it was asked to send."""

    def __init__(self) -> None:
        self.sent = 0
        self._async = httpx.AsyncHTTPTransport()
        self._sync = httpx.HTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent += 1
        return await self._async.handle_async_request(request)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.sent += 1
        return self._sync.handle_request(request)

    async def aclose(self) -> None:
        await self._async.aclose()

    def close(self) -> None:
        self._sync.close()
