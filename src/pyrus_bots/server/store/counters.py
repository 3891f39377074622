"""Named counters and transaction-scoped locks, safe across processes.

A counter is one row of ``counters`` incremented with an upsert: on PostgreSQL the row lock
orders concurrent increments, on SQLite the database write lock does.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from pyrus_bots.server.store.dialects import dialect_name, upsert
from pyrus_bots.server.store.models import Counter

DIRECTORY_VERSION = "directory_version"
PERSON_ID = "person_id"


async def next_value(session: AsyncSession, name: str, *, floor: int = 0) -> int:
    """Increment counter ``name`` and return the new value, never below ``floor + 1``."""
    greatest = func.greatest if dialect_name(session) == "postgresql" else func.max
    statement = (
        upsert(session, Counter)
        .values(name=name, value=floor + 1)
        .on_conflict_do_update(
            index_elements=["name"], set_={"value": greatest(Counter.value, floor) + 1}
        )
        .returning(Counter.value)
    )
    return int((await session.execute(statement)).scalar_one())


async def current_value(session: AsyncSession, name: str) -> int:
    value = await session.scalar(select(Counter.value).where(Counter.name == name))
    return int(value or 0)


async def bump_directory_version(session: AsyncSession) -> int:
    """Mark the directory (people, bots, roles, forms, catalogs, files) as changed."""
    return await next_value(session, DIRECTORY_VERSION)


async def hold_lock(session: AsyncSession, name: str) -> None:
    """Hold an exclusive lock called ``name`` until the session's transaction ends.

    PostgreSQL: a transaction-level advisory lock. SQLite: a write to a counter row, which takes
    the database write lock (other writers wait up to busy_timeout).
    """
    if dialect_name(session) == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_key(name)})
    else:
        await next_value(session, f"lock:{name}")


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for ``pg_advisory_*`` derived from a name."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
