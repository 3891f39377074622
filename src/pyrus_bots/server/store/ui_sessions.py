"""Signed-in web UI sessions kept on the server, so that signing out (or a password reset, or
blocking the person) ends them at once, whatever copy of the cookie remains.

The cookie holds a random session id; only its SHA-256 is stored.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import delete, insert
from sqlalchemy.ext.asyncio import AsyncSession

from pyrus_bots.server.store.models import UISessionRow


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


async def open_session(
    session: AsyncSession,
    session_id: str,
    *,
    person_id: int | None,
    admin: bool,
    expires: datetime,
) -> None:
    await session.execute(
        insert(UISessionRow).values(
            id_hash=_hash(session_id), person_id=person_id, admin=admin, expires=expires
        )
    )


async def session_is_open(
    session: AsyncSession, session_id: str, *, person_id: int | None, admin: bool, now: datetime
) -> bool:
    row = await session.get(UISessionRow, _hash(session_id))
    return (
        row is not None and row.person_id == person_id and row.admin == admin and row.expires > now
    )


async def close_session(session: AsyncSession, session_id: str) -> None:
    await session.execute(delete(UISessionRow).where(UISessionRow.id_hash == _hash(session_id)))


async def close_sessions_of(session: AsyncSession, person_id: int) -> int:
    """End every UI session of a person (password reset, blocked); returns how many."""
    result = await session.execute(delete(UISessionRow).where(UISessionRow.person_id == person_id))
    return int(getattr(result, "rowcount", 0))


async def purge_expired_sessions(session: AsyncSession, now: datetime) -> int:
    result = await session.execute(delete(UISessionRow).where(UISessionRow.expires <= now))
    return int(getattr(result, "rowcount", 0))
