"""A real platform on loopback for tests that speak HTTP to it (API, delivery, UI, e2e).

Import from test modules as ``from api.harness import ...`` (``tests/server`` is on sys.path).

Fixtures (in tests/server/conftest.py)
- ``api_workspace``: the test workspace as a dict (ids below); written to a JSON file.
- ``server``: the platform (``create_app``) served by uvicorn on a free loopback port in a
  background thread, over ``db_url`` (SQLite, and PostgreSQL when configured), migrated and
  loaded with ``api_workspace``. Yields a :class:`RunningServer`.
- ``start_server``: a factory for the same with other settings or workspace, e.g.
  ``start_server(api_limit=(5, 600.0))`` or ``start_server(workspace=my_dict, role="api")``;
  every server it starts is stopped after the test.

A :class:`RunningServer` offers ``base_url``, ``client(token)`` (an ``httpx.Client`` with the
bearer token), ``token(login, key)`` (``POST /v4/auth``), ``admin_client()`` (the admin token),
``clock`` (a :class:`ManualClock`: ``advance(seconds)`` moves the server's time) and
``call(coro_factory)`` to run a coroutine on the server's event loop with its ``Database`` (for
looking into the store from a sync test).

Test workspace ids (``api_workspace``): organisation 1; Alice 1001 (``manage_integrations_and_
catalogs``, manager of form 321), Bob 1002 (member of form 321), Carol 1003 (approver of step 3,
not a member), bot 2001 ``BOT_LOGIN`` (approver of step 2, hook on a closed port), role 3001
(Alice); catalog 4001; form 321 with many field types and 3 steps, form 322 open to everyone.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import httpx
import uvicorn
from fastapi import FastAPI

from pyrus_bots.server.app import create_app
from pyrus_bots.server.cli import prepare_database
from pyrus_bots.server.settings import Settings
from pyrus_bots.server.store.db import Database

T = TypeVar("T")

ORG_ID = 1
ALICE = {"id": 1001, "email": "alice@acme.test", "key": "alice-key"}
BOB = {"id": 1002, "email": "bob@acme.test", "key": "bob-key"}
CAROL = {"id": 1003, "email": "carol@acme.test", "key": "carol-key"}
BOT_ID = 2001
BOT_LOGIN = "bot@a1b2c3d4e5f6a7b8c9d0"
BOT_KEY = "bot-secret"
ROLE_ID = 3001
CATALOG_ID = 4001
FORM_ID = 321
OPEN_FORM_ID = 322
ADMIN_TOKEN = "test-admin-token"
START_TIMEOUT = 20.0


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def make_api_workspace() -> dict[str, Any]:
    """The workspace of the API tests (see the module docstring for its ids)."""
    return {
        "organization": {"id": ORG_ID, "name": "Acme"},
        "people": [
            {
                "id": ALICE["id"],
                "email": ALICE["email"],
                "first_name": "Alice",
                "last_name": "Admin",
                "security_key": ALICE["key"],
                "rights": ["manage_integrations_and_catalogs"],
            },
            {
                "id": BOB["id"],
                "email": BOB["email"],
                "first_name": "Bob",
                "last_name": "Buyer",
                "security_key": BOB["key"],
            },
            {
                "id": CAROL["id"],
                "email": CAROL["email"],
                "first_name": "Carol",
                "last_name": "Clerk",
                "security_key": CAROL["key"],
            },
        ],
        "bots": [
            {
                "id": BOT_ID,
                "name": "Checker",
                "login": BOT_LOGIN,
                "security_key": BOT_KEY,
                "hook_url": f"http://127.0.0.1:{_closed_port()}/",
                "settings": '{"limit": 1000}',
            }
        ],
        "roles": [{"id": ROLE_ID, "name": "Managers", "members": [ALICE["id"]]}],
        "catalogs": [
            {
                "id": CATALOG_ID,
                "name": "Cost centers",
                "headers": ["Code", "Name"],
                "items": [["CC1", "Marketing"], ["CC2", "Sales"], ["CC3", "Research"]],
            }
        ],
        "forms": [
            {
                "id": FORM_ID,
                "name": "Purchase request",
                "managers": [ALICE["id"]],
                "members": [BOB["id"]],
                "fields": [
                    {"id": 1, "code": "u_item", "name": "Item", "type": "text"},
                    {"id": 2, "code": "u_amount", "name": "Amount", "type": "money"},
                    {"id": 3, "name": "Quantity", "type": "number", "decimal_places": 2},
                    {"id": 4, "name": "Needed by", "type": "date"},
                    {"id": 5, "name": "Delivery time", "type": "time"},
                    {"id": 6, "name": "Urgent", "type": "checkmark"},
                    {
                        "id": 7,
                        "code": "u_status",
                        "name": "Status",
                        "type": "multiple_choice",
                        "options": [{"id": 1, "value": "New"}, {"id": 2, "value": "Approved"}],
                    },
                    {"id": 8, "name": "Cost center", "type": "catalog", "catalog_id": CATALOG_ID},
                    {"id": 9, "name": "Requester", "type": "person"},
                    {"id": 10, "name": "Contact e-mail", "type": "email"},
                    {"id": 11, "name": "Phone", "type": "phone"},
                    {"id": 12, "name": "Deadline", "type": "due_date"},
                    {
                        "id": 13,
                        "name": "Details",
                        "type": "title",
                        "fields": [{"id": 14, "name": "Vendor", "type": "text"}],
                    },
                    {
                        "id": 15,
                        "name": "Lines",
                        "type": "table",
                        "columns": [
                            {"id": 16, "name": "Article", "type": "text"},
                            {"id": 17, "name": "Count", "type": "number"},
                        ],
                    },
                    {"id": 18, "name": "Receipt", "type": "file"},
                    {"id": 19, "name": "Hint", "type": "note", "text": "Fill in every line"},
                    {"id": 20, "name": "Approved amount", "type": "money", "required_step": 3},
                ],
                "steps": [
                    {"name": "Manager", "approvers": [ALICE["id"]]},
                    {"name": "Automatic check", "approvers": [BOT_ID]},
                    {"name": "Accounting", "approvers": [CAROL["id"]]},
                ],
            },
            {
                "id": OPEN_FORM_ID,
                "name": "Open request",
                "fields": [{"id": 1, "name": "Topic", "type": "text"}],
                "steps": [{"name": "Review", "approvers": [BOB["id"]]}],
            },
        ],
    }


class ManualClock:
    """The system clock plus an offset the test can move forward (thread-safe enough: the
    offset is one float assignment)."""

    def __init__(self) -> None:
        self.offset = 0.0

    def now(self) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=self.offset)

    def monotonic(self) -> float:
        return time.monotonic() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds


def _run_in_new_loop(factory: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine to completion on a fresh loop in a fresh thread (safe inside async tests)."""
    result: list[T] = []
    failure: list[BaseException] = []

    def target() -> None:
        async def main() -> T:
            return await factory()

        try:
            result.append(asyncio.run(main()))
        except BaseException as exc:
            failure.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if failure:
        raise failure[0]
    return result[0]


@dataclass
class RunningServer:
    settings: Settings
    clock: ManualClock
    app: FastAPI
    database: Database
    _server: uvicorn.Server
    _thread: threading.Thread
    _loop: asyncio.AbstractEventLoop | None = None
    _clients: list[httpx.Client] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return self.settings.base_url

    def client(self, token: str | None = None, **options: Any) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        client = httpx.Client(base_url=self.base_url, headers=headers, timeout=30.0, **options)
        self._clients.append(client)
        return client

    def admin_client(self) -> httpx.Client:
        token = self.settings.admin_token
        return self.client(token) if token else self.client()

    def token(self, login: str, security_key: str) -> str:
        response = httpx.post(
            f"{self.base_url}/v4/auth",
            json={"login": login, "security_key": security_key},
            timeout=30.0,
        )
        assert response.status_code == 200, response.text
        token: str = response.json()["access_token"]
        return token

    def call(self, factory: Callable[[Database], Awaitable[T]]) -> T:
        """Run ``factory(database)`` on the server's loop and return its result."""
        assert self._loop is not None
        future = asyncio.run_coroutine_threadsafe(_as_coroutine(factory(self.database)), self._loop)
        return future.result(timeout=60)

    def stop(self) -> None:
        for client in self._clients:
            client.close()
        self._server.should_exit = True
        self._thread.join(timeout=30)


async def _as_coroutine(awaitable: Awaitable[T]) -> T:
    return await awaitable


def serve_in_thread(
    settings: Settings, *, clock: ManualClock | None = None, prepare: bool = True
) -> RunningServer:
    """Prepare the database like ``pyrus-bots serve`` does, then serve on ``settings.port``
    (0 picks a free port) in a background thread; returns once the server accepts requests."""
    if prepare:
        _run_in_new_loop(lambda: prepare_database(settings))
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((settings.host, settings.port))
    settings = replace(settings, port=sock.getsockname()[1])
    clock = clock or ManualClock()
    holder: dict[str, Any] = {}

    def target() -> None:
        async def main() -> None:
            holder["loop"] = asyncio.get_running_loop()
            # The Database must live on the loop that uses it (asyncpg connections are bound).
            database = Database(settings.db)
            holder["database"] = database
            app = create_app(settings, clock=clock, database=database)
            holder["app"] = app
            config = uvicorn.Config(
                app, log_level="warning", access_log=False, lifespan="on", loop="asyncio"
            )
            server = uvicorn.Server(config)
            holder["server"] = server
            try:
                await server.serve(sockets=[sock])
            finally:
                await database.dispose()

        asyncio.run(main())

    thread = threading.Thread(target=target, name="pyrus-bots-test-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        server = holder.get("server")
        if server is not None and server.started:
            break
        if not thread.is_alive():
            raise RuntimeError("the test server stopped while starting")
        time.sleep(0.02)
    else:
        raise RuntimeError("the test server did not start in time")
    return RunningServer(
        settings=settings,
        clock=clock,
        app=holder["app"],
        database=holder["database"],
        _server=holder["server"],
        _thread=thread,
        _loop=holder["loop"],
    )


StartServer = Callable[..., RunningServer]
"""``start_server(workspace=None, **settings_overrides) -> RunningServer``."""


def person_client(server: RunningServer, person: dict[str, Any]) -> httpx.Client:
    """An ``httpx.Client`` logged in as one of ALICE, BOB, CAROL."""
    return server.client(server.token(person["email"], person["key"]))


def bot_client(server: RunningServer) -> httpx.Client:
    """An ``httpx.Client`` logged in as the workspace's bot."""
    return server.client(server.token(BOT_LOGIN, BOT_KEY))


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """The response is a Pyrus error with this status and code; returns its JSON."""
    assert response.status_code == status, (response.status_code, response.text)
    body: dict[str, Any] = response.json()
    assert body.get("error_code") == code, body
    assert isinstance(body.get("error"), str) and body["error"]
    return body


def new_form_task(client: httpx.Client, **extra: Any) -> dict[str, Any]:
    """Create a task of form 321 (Purchase request) and return it."""
    body: dict[str, Any] = {"form_id": FORM_ID, "fields": [{"id": 1, "value": "Laptop"}]}
    body.update(extra)
    response = client.post("/v4/tasks", json=body)
    assert response.status_code == 200, response.text
    task: dict[str, Any] = response.json()["task"]
    return task


POSTGRES_ENV = "PYRUS_BOTS_TEST_POSTGRES_URL"


async def _postgres_admin(server_url: str, statement: str) -> None:
    import asyncpg
    from sqlalchemy.engine import make_url

    url = make_url(server_url)
    connection = await asyncpg.connect(
        host=url.host or "127.0.0.1",
        port=url.port or 5432,
        user=url.username or "postgres",
        password=url.password,
        database="postgres",
    )
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def create_postgres_database(server_url: str) -> tuple[str, Callable[[], None]]:
    """A fresh database on the test server: its URL and a function that drops it (for fixtures
    wider than one test, where the function-scoped ``db_url`` cannot serve)."""
    import secrets

    from sqlalchemy.engine import make_url

    name = f"pbapi_{secrets.token_hex(6)}"
    _run_in_new_loop(lambda: _postgres_admin(server_url, f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        _run_in_new_loop(
            lambda: _postgres_admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        )

    return make_url(server_url).set(database=name).render_as_string(hide_password=False), drop
