"""Root fixtures shared by the whole suite (keep the names stable: other parts use them).

Databases (every test gets its own; nothing is shared between tests)
- ``db_url``: parametrised ``sqlite`` / ``postgresql``; the URL of an EMPTY database private to
  the test (a user-facing URL: ``sqlite:///...`` or ``postgresql://...``). SQLite: a file in
  ``tmp_path``. PostgreSQL: a fresh database ``pbtest_<hex>`` created on the server named by
  ``PYRUS_BOTS_TEST_POSTGRES_URL`` and dropped afterwards; the ``postgresql`` case is skipped,
  saying why, when the variable is unset. Tests using it run once per backend.
- ``database``: parametrised the same way; a MIGRATED, EMPTY ``pyrus_bots.server.store.db.Database``
  (disposed after). Its URL is ``database.url`` (not ``db_url``). SQLite: a copy of a migrated
  template file. PostgreSQL: one migrated database per pytest process whose tables are all
  truncated (ids restarted) before each test; don't leave processes using it after a test.
- ``sqlite_url`` / ``postgres_url`` and ``sqlite_database`` / ``postgres_database``: one backend.
- ``backend``: the parameter itself (``"sqlite"`` or ``"postgresql"``).
- ``new_postgres_database(template=None)``: the context manager behind the PostgreSQL cases,
  for tests that need more than one database.

Workspaces
- ``workspaces_dir``: ``tests/fixtures/workspaces`` (``minimal.yaml`` = the DESIGN.md example,
  ``full.yaml`` = every object and field type, ``minimal.json``).
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
from collections.abc import AsyncIterator, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from pyrus_bots.server.store.db import Database

POSTGRES_ENV = "PYRUS_BOTS_TEST_POSTGRES_URL"
POSTGRES_SKIP_REASON = (
    f"PostgreSQL tests need {POSTGRES_ENV} (e.g. postgresql://postgres@127.0.0.1:5432/test)"
)
WORKSPACES_DIR = Path(__file__).parent / "fixtures" / "workspaces"
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def run_in_thread(coroutine: Coroutine[Any, Any, Any]) -> Any:
    """Run a coroutine on its own loop in a worker thread: usable with or without a running loop."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def postgres_server_url() -> str | None:
    return os.environ.get(POSTGRES_ENV) or None


async def _admin(server_url: str, statement: str) -> None:
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


@contextmanager
def new_postgres_database(template: str | None = None) -> Iterator[str]:
    """Create ``pbtest_<random>`` on the test server, yield its URL, drop it afterwards."""
    server_url = postgres_server_url()
    if server_url is None:
        pytest.skip(POSTGRES_SKIP_REASON)
    name = f"pbtest_{secrets.token_hex(6)}"
    copy = f' TEMPLATE "{template}"' if template else ""
    run_in_thread(_admin(server_url, f'CREATE DATABASE "{name}"{copy}'))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        run_in_thread(_admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _migrate(url: str) -> None:
    async def run() -> None:
        database = Database(url)
        try:
            await database.migrate()
        finally:
            await database.dispose()

    run_in_thread(run())


@pytest.fixture(scope="session")
def _postgres_shared() -> Iterator[str]:
    """A migrated database private to this pytest process (emptied before each test)."""
    with new_postgres_database() as url:
        _migrate(url)
        yield url


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    _migrate(f"sqlite:///{path}")
    return path


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'pyrus-bots-test.db'}"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    with new_postgres_database() as url:
        yield url


@pytest.fixture
def db_url(backend: str, tmp_path: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'pyrus-bots-test.db'}"
    else:
        with new_postgres_database() as url:
            yield url


async def _opened(url: str) -> AsyncIterator[Database]:
    database = Database(url)
    await database.migrate()  # a no-op on a copy of the template; keeps the fixture honest
    try:
        yield database
    finally:
        await database.dispose()


@contextmanager
def _migrated_copy(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if backend == "sqlite":
        template: Path = request.getfixturevalue("_sqlite_template")
        path = tmp_path / "pyrus-bots-test.db"
        shutil.copyfile(template, path)
        yield f"sqlite:///{path}"
    else:
        # One migrated database per pytest process, emptied before each test: far cheaper
        # than creating and dropping a database per test.
        url: str = request.getfixturevalue("_postgres_shared")
        run_in_thread(_truncate_all(url))
        yield url


async def _truncate_all(url: str) -> None:
    name = make_url(url).database
    server_url = postgres_server_url()
    assert server_url is not None and name is not None
    parsed = make_url(server_url)
    connection = await asyncpg.connect(
        host=parsed.host or "127.0.0.1",
        port=parsed.port or 5432,
        user=parsed.username or "postgres",
        password=parsed.password,
        database=name,
    )
    try:
        # Connections a previous test left behind (a server process, an undisposed engine)
        # could hold locks that TRUNCATE would wait for.
        await connection.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        tables = await connection.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
            "AND tablename <> 'alembic_version'"
        )
        if tables:
            names = ", ".join(f'"{row["tablename"]}"' for row in tables)
            await connection.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
    finally:
        await connection.close()


@pytest.fixture
def _migrated_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with _migrated_copy(backend, request, tmp_path) as url:
        yield url


@pytest.fixture
def _migrated_sqlite_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with _migrated_copy("sqlite", request, tmp_path) as url:
        yield url


@pytest.fixture
def _migrated_postgres_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with _migrated_copy("postgresql", request, tmp_path) as url:
        yield url


@pytest.fixture
async def database(_migrated_url: str) -> AsyncIterator[Database]:
    async for db in _opened(_migrated_url):
        yield db


@pytest.fixture
async def sqlite_database(_migrated_sqlite_url: str) -> AsyncIterator[Database]:
    async for db in _opened(_migrated_sqlite_url):
        yield db


@pytest.fixture
async def postgres_database(_migrated_postgres_url: str) -> AsyncIterator[Database]:
    async for db in _opened(_migrated_postgres_url):
        yield db


@pytest.fixture
def workspaces_dir() -> Path:
    return WORKSPACES_DIR
