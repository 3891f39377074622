"""API tokens: hashed at rest, expiring, revocable."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.server.store import tokens
from pyrus_bots.server.store.counters import bump_directory_version
from pyrus_bots.server.store.db import Database
from pyrus_bots.server.store.directory import directory_version
from pyrus_bots.server.store.models import TokenRow

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


async def _error(database: Database, token: str, now: datetime) -> str:
    async with database.session() as s:
        with pytest.raises(PyrusError) as error:
            await tokens.resolve_token(s, token, now)
    assert error.value.status == 401
    return error.value.code


async def test_issue_and_resolve(seeded: Database) -> None:
    async with seeded.session() as s, s.begin():
        token = await tokens.issue_token(s, 1001, ttl=3600, now=NOW)
        other = await tokens.issue_token(s, 2001, ttl=3600, now=NOW)
    assert token != other and len(token) >= 40
    async with seeded.session() as s:
        assert await tokens.resolve_token(s, token, NOW + timedelta(minutes=59)) == 1001
        assert await tokens.resolve_token(s, other, NOW) == 2001
        stored = (await s.scalars(select(TokenRow.token_hash))).all()
    assert token not in stored and tokens.hash_token(token) in stored


async def test_expired_unknown_and_revoked_tokens(seeded: Database) -> None:
    async with seeded.session() as s, s.begin():
        short = await tokens.issue_token(s, 1001, ttl=10, now=NOW)
        first = await tokens.issue_token(s, 1002, ttl=3600, now=NOW)
        second = await tokens.issue_token(s, 1002, ttl=3600, now=NOW)
        kept = await tokens.issue_token(s, 1003, ttl=3600, now=NOW)
    assert await _error(seeded, short, NOW + timedelta(seconds=10)) == "expired_token"
    assert await _error(seeded, "not-a-token", NOW) == "invalid_token"
    async with seeded.session() as s, s.begin():
        assert await tokens.revoke_tokens(s, 1002) == 2
    assert await _error(seeded, first, NOW) == "revoked_token"
    assert await _error(seeded, second, NOW) == "revoked_token"
    async with seeded.session() as s, s.begin():
        assert await tokens.resolve_token(s, kept, NOW) == 1003
        assert await tokens.revoke_token(s, kept)
        assert await tokens.purge_expired_tokens(s, NOW + timedelta(seconds=11)) == 1
    assert await _error(seeded, kept, NOW) == "revoked_token"
    assert await _error(seeded, short, NOW) == "invalid_token"  # purged


async def test_shared_admission_reads_the_token_and_counts_in_one_statement(
    seeded: Database,
) -> None:
    if seeded.dialect != "postgresql":
        pytest.skip("the shared API rate limit lives in PostgreSQL")
    from sqlalchemy import event

    from pyrus_bots.server.api.ratelimit import SharedRateLimiter
    from pyrus_bots.server.store.counters import bump_directory_version

    async with seeded.session() as s, s.begin():
        token = await tokens.issue_token(s, 1001, ttl=60, now=NOW)
        revoked = await tokens.issue_token(s, 1002, ttl=60, now=NOW)
        await tokens.revoke_tokens(s, 1002)
        version = await bump_directory_version(s)
    limiter = SharedRateLimiter(seeded.engine, 2, 600.0)
    seen: list[str] = []

    def record(*args: object) -> None:
        seen.append(str(args[2]))

    event.listen(seeded.engine.sync_engine, "before_cursor_execute", record)
    try:
        first = await limiter.admit(token, "person:", NOW)
    finally:
        event.remove(seeded.engine.sync_engine, "before_cursor_execute", record)
    assert len(seen) == 1
    assert (first.person_id, first.directory_version) == (1001, version)
    assert (first.decision.allowed, first.decision.remaining) == (True, 1)
    # refused tokens raise as resolve_token does and count nothing
    for bad, code, at in (
        ("not-a-token", "invalid_token", NOW),
        (revoked, "revoked_token", NOW),
        (token, "expired_token", NOW + timedelta(seconds=60)),
    ):
        with pytest.raises(PyrusError) as error:
            await limiter.admit(bad, "person:", at)
        assert error.value.code == code
    second = await limiter.admit(token, "person:", NOW + timedelta(seconds=1))
    third = await limiter.admit(token, "person:", NOW + timedelta(seconds=2))
    assert (second.decision.allowed, second.decision.remaining) == (True, 0)
    assert (third.decision.allowed, third.decision.reset_after) == (False, 598)
    # the same window as the per-key hit of other callers
    assert (await limiter.hit("person:1001", NOW.timestamp() + 3)).allowed is False


async def test_token_and_directory_version_in_one_read(seeded: Database) -> None:
    async with seeded.session() as s, s.begin():
        token = await tokens.issue_token(s, 1001, ttl=3600, now=NOW)
        before = await directory_version(s)
    async with seeded.session() as s:
        assert await tokens.resolve_token_and_directory_version(s, token, NOW) == (1001, before)
    async with seeded.session() as s, s.begin():
        bumped = await bump_directory_version(s)
    async with seeded.session() as s:
        assert await tokens.resolve_token_and_directory_version(s, token, NOW) == (1001, bumped)
        with pytest.raises(PyrusError) as expired:
            await tokens.resolve_token_and_directory_version(s, token, NOW + timedelta(hours=2))
        assert expired.value.code == "expired_token"
        with pytest.raises(PyrusError) as unknown:
            await tokens.resolve_token_and_directory_version(s, "nope", NOW)
        assert unknown.value.code == "invalid_token"
