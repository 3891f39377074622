"""The database handle: one async engine, a session factory and the migrations.

``Database("sqlite:///path")`` or ``Database("postgresql://...")``; the URL is mapped to the async
driver (aiosqlite, asyncpg). Every process of a deployment opens its own ``Database`` on the same
URL: ``migrate()`` is safe when several start at once (a PostgreSQL advisory lock, or SQLite's
write lock, serialises the upgrade).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Literal

import orjson
from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry

from pyrus_bots.server.settings import Settings
from pyrus_bots.server.store.resealing import reseal_bot_keys
from pyrus_bots.server.store.secrets import configure_secrets_key

Dialect = Literal["sqlite", "postgresql"]

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
MIGRATION_LOCK_KEY = 0x70797275_7301  # pg_advisory_lock key held while migrating


def to_async_url(url: str) -> tuple[Dialect, str]:
    """Map a user-facing database URL to the async driver's URL; reject unusable ones."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if not parsed.database or parsed.database == ":memory:":
            raise ValueError(
                "in-memory SQLite is not shared between connections: "
                "give a file, e.g. sqlite:///./pyrus-bots.db"
            )
        return "sqlite", parsed.set(drivername="sqlite+aiosqlite").render_as_string(False)
    if backend in {"postgresql", "postgres"}:
        async_url = parsed.set(drivername="postgresql+asyncpg")
        return "postgresql", async_url.render_as_string(hide_password=False)
    raise ValueError(
        f"unsupported database URL scheme {parsed.drivername!r}: use sqlite or postgresql"
    )


def _json_dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def _enable_wal(cursor: Any, busy_timeout_ms: int) -> None:
    """Switch the file to WAL once; later connections find it so and change nothing.

    The switch needs the file to itself and SQLite does not wait on its busy timeout for it, so
    processes that open a new file at the same moment retry until the timeout instead of failing.
    """
    deadline = time.monotonic() + busy_timeout_ms / 1000
    while True:
        try:
            cursor.execute("PRAGMA journal_mode")
            if str(cursor.fetchone()[0]).lower() != "wal":
                cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() >= deadline:
                raise
            time.sleep(0.05)


def _sqlite_pragmas(busy_timeout_ms: int) -> Callable[[Any, ConnectionPoolEntry], None]:
    """What every new SQLite connection runs first."""

    def on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {busy_timeout_ms}")
        _enable_wal(cursor, busy_timeout_ms)
        cursor.execute("PRAGMA synchronous = NORMAL")  # durable enough with WAL, much faster
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    return on_connect


class Database:
    """An async engine plus ``session()`` (an ``AsyncSession`` factory, expire_on_commit off)."""

    def __init__(self, url: str, *, echo: bool = False, settings: Settings | None = None) -> None:
        tuning = settings if settings is not None else Settings()
        if settings is not None:
            configure_secrets_key(settings.secrets_key)
        self.url = url
        self.dialect: Dialect
        self.dialect, async_url = to_async_url(url)
        options: dict[str, Any] = {
            "echo": echo,
            "json_serializer": _json_dumps,
            "json_deserializer": orjson.loads,
        }
        if self.dialect == "postgresql":
            options.update(
                pool_size=tuning.pg_pool_size,
                max_overflow=tuning.pg_max_overflow,
                pool_recycle=tuning.pg_pool_recycle,
            )
        self.engine: AsyncEngine = create_async_engine(async_url, **options)
        if self.dialect == "sqlite":
            busy_timeout_ms = round(tuning.sqlite_busy_timeout * 1000)
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas(busy_timeout_ms))
        self.session: async_sessionmaker[AsyncSession] = async_sessionmaker(
            self.engine, expire_on_commit=False
        )
        self._autocommit_engine = self.engine.execution_options(isolation_level="AUTOCOMMIT")

    @asynccontextmanager
    async def autocommit(self) -> AsyncIterator[AsyncConnection]:
        """A connection whose every statement commits on its own: for a single statement
        (one snapshot by itself), without the round trips of ``BEGIN`` and ``COMMIT``."""
        async with self._autocommit_engine.connect() as connection:
            yield connection

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncSession]:
        """A session whose reads all see one snapshot, rolled back at the end.

        A page that reads a task and then its comments must not see a change committed between
        the two statements (a bot's comment that moved the task, with the task still before the
        move). PostgreSQL runs the block as one ``REPEATABLE READ READ ONLY`` transaction. The
        SQLite driver opens no transaction for a plain ``SELECT`` (each statement would see the
        newest commit), so the block starts one with ``BEGIN``: its snapshot is taken at the
        first read and kept until the end.
        """
        async with self.session() as session:
            if self.dialect == "postgresql":
                await session.connection(
                    execution_options={
                        "isolation_level": "REPEATABLE READ",
                        "postgresql_readonly": True,
                    }
                )
            else:
                await session.execute(text("BEGIN"))
            try:
                yield session
            finally:
                await session.rollback()

    @property
    def display_url(self) -> str:
        """The URL with any password masked: safe for logs and messages."""
        return make_url(self.url).render_as_string(hide_password=True)

    async def migrate(self) -> None:
        """Upgrade the schema to the newest migration (Alembic ``upgrade head``).

        For SQLite the file's directory is created when missing.
        """
        database_path = make_url(self.url).database
        if self.dialect == "sqlite" and database_path:
            Path(database_path).parent.mkdir(parents=True, exist_ok=True)
        async with self.engine.connect() as conn:
            if self.dialect == "postgresql":
                # Session-level lock: other processes wait here until this one has migrated.
                await conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK_KEY})
                await conn.commit()
            try:
                await conn.run_sync(self._upgrade_head)
                await conn.commit()
            finally:
                if self.dialect == "postgresql":
                    await conn.rollback()
                    await conn.execute(
                        text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK_KEY}
                    )
                    await conn.commit()
        async with self.session() as session, session.begin():
            # Bots' keys written before sealing, or under another key, are sealed anew.
            await reseal_bot_keys(session)

    def _upgrade_head(self, connection: Connection) -> None:
        if self.dialect == "sqlite":
            # Take SQLite's write lock first: a second process waits (busy_timeout) and then
            # finds the schema already at head.
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        command.upgrade(alembic_config(connection), "head")

    async def dispose(self) -> None:
        await self.engine.dispose()


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic configuration built in code (no alembic.ini at run time)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    if connection is not None:
        config.attributes["connection"] = connection
    return config
