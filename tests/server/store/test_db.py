"""The database handle: URL mapping, migrations on both databases, concurrent starts.

Separate processes migrating at once are tested in tests/server/test_workspace.py (two starts,
each migrating and loading the workspace, against one empty database).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from pyrus_bots.server.store.db import Database, alembic_config, to_async_url
from pyrus_bots.server.store.models import Base

EXPECTED_TABLES = set(Base.metadata.tables)


def test_urls_map_to_async_drivers() -> None:
    assert to_async_url("sqlite:///./x.db") == ("sqlite", "sqlite+aiosqlite:///./x.db")
    assert to_async_url("postgresql://u:p@h:5433/db") == (
        "postgresql",
        "postgresql+asyncpg://u:p@h:5433/db",
    )
    assert to_async_url("postgres://h/db")[1] == "postgresql+asyncpg://h/db"
    assert to_async_url("postgresql+psycopg2://h/db")[1] == "postgresql+asyncpg://h/db"


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:", "mysql://h/db"])
def test_unusable_urls_are_refused(url: str) -> None:
    with pytest.raises(ValueError, match=r"SQLite|unsupported"):
        Database(url)


def test_display_url_masks_the_password() -> None:
    database = Database("postgresql://user:s3cret@db.example:5432/pyrus")
    assert "s3cret" not in database.display_url and "user" in database.display_url


async def test_sqlite_directory_is_created(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'new' / 'dir' / 'x.db'}")
    try:
        await database.migrate()
    finally:
        await database.dispose()
    assert (tmp_path / "new" / "dir" / "x.db").is_file()


def _head() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


async def _tables_and_version(database: Database) -> tuple[set[str], str]:
    async with database.engine.connect() as conn:
        tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
        version = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar()
    return tables, str(version)


async def test_migrate_creates_every_table(database: Database) -> None:
    tables, version = await _tables_and_version(database)
    assert tables >= EXPECTED_TABLES
    assert version == _head()


async def test_migrate_twice_is_a_no_op(database: Database) -> None:
    await database.migrate()
    tables, version = await _tables_and_version(database)
    assert tables >= EXPECTED_TABLES and version == _head()


async def test_sqlite_connections_use_wal_busy_timeout_and_foreign_keys(
    sqlite_database: Database,
) -> None:
    async with sqlite_database.engine.connect() as conn:
        assert (await conn.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
        assert (await conn.execute(text("PRAGMA foreign_keys"))).scalar() == 1
        assert (await conn.execute(text("PRAGMA busy_timeout"))).scalar() == 30_000


async def test_concurrent_migrations_in_one_process(db_url: str) -> None:
    databases = [Database(db_url) for _ in range(3)]
    try:
        await asyncio.gather(*(db.migrate() for db in databases))
        tables, version = await _tables_and_version(databases[0])
        assert tables >= EXPECTED_TABLES and version == _head()
    finally:
        for db in databases:
            await db.dispose()
