"""API access tokens: random, URL-safe, stored only as a SHA-256 hash, expiring and revocable.

Tokens live in the database, so every process of a deployment accepts and revokes the same ones.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, Result, bindparam, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.server.store.counters import DIRECTORY_VERSION
from pyrus_bots.server.store.models import Counter, TokenRow

TOKEN_BYTES = 32


def _rowcount(result: Result[Any]) -> int:
    return cast(CursorResult[Any], result).rowcount


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def issue_token(session: AsyncSession, person_id: int, *, ttl: float, now: datetime) -> str:
    """A new token for ``person_id`` valid for ``ttl`` seconds from ``now``."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    await session.execute(
        insert(TokenRow).values(
            token_hash=hash_token(token),
            person_id=person_id,
            created=now,
            expires=now + timedelta(seconds=ttl),
            revoked=False,
        )
    )
    return token


async def resolve_token(session: AsyncSession, token: str, now: datetime) -> int:
    """The person id a token belongs to.

    Raises ``PyrusError`` ``invalid_token`` (unknown), ``revoked_token`` or ``expired_token``.
    """
    person_id, _ = await resolve_token_and_directory_version(session, token, now)
    return person_id


# Built once: constructing the statement per request costs about as much as running it.
_RESOLVE = select(
    TokenRow.person_id,
    TokenRow.expires,
    TokenRow.revoked,
    select(Counter.value)
    .where(Counter.name == DIRECTORY_VERSION)
    .scalar_subquery()
    .label("directory_version"),
).where(TokenRow.token_hash == bindparam("p_token_hash"))


async def resolve_token_and_directory_version(
    session: AsyncSession, token: str, now: datetime
) -> tuple[int, int]:
    """``resolve_token`` and the directory version (``store.directory``) in one round trip:
    every API request needs both. Raises as ``resolve_token`` does."""
    row = (await session.execute(_RESOLVE, {"p_token_hash": hash_token(token)})).one_or_none()
    if row is None:
        raise unknown_token()
    refusal = token_refusal(revoked=row.revoked, expired=row.expires <= now)
    if refusal is not None:
        raise refusal
    return int(row.person_id), int(row.directory_version or 0)


def unknown_token() -> PyrusError:
    return PyrusError("invalid_token", "the access token is not valid")


def token_refusal(*, revoked: bool, expired: bool) -> PyrusError | None:
    """Why a stored token is refused (``revoked_token`` before ``expired_token``); ``None`` when
    it is accepted. Shared with the PostgreSQL admission statement (``store.shared_limits``)."""
    if revoked:
        return PyrusError("revoked_token", "the access token has been revoked")
    if expired:
        return PyrusError("expired_token", "the access token has expired")
    return None


async def revoke_tokens(session: AsyncSession, person_id: int) -> int:
    """Revoke every token of a person (e.g. after a security key change); returns how many."""
    result = await session.execute(
        update(TokenRow)
        .where(TokenRow.person_id == person_id, TokenRow.revoked.is_(False))
        .values(revoked=True)
    )
    return int(_rowcount(result))


async def revoke_token(session: AsyncSession, token: str) -> bool:
    result = await session.execute(
        update(TokenRow).where(TokenRow.token_hash == hash_token(token)).values(revoked=True)
    )
    return bool(_rowcount(result))


async def purge_expired_tokens(session: AsyncSession, now: datetime) -> int:
    """Delete tokens that expired before ``now``; returns how many."""
    result = await session.execute(delete(TokenRow).where(TokenRow.expires <= now))
    return int(_rowcount(result))
