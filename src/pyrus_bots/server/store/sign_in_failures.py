"""Failed sign-ins per account and per client address, for throttling with backoff.

The counts live in the database, so every process of a deployment (several API processes on
PostgreSQL) throttles the same accounts and addresses. A key is ``account:<login>`` or
``address:<ip>``. After ``free`` failures each further one blocks the key for ``backoff`` seconds,
doubling up to ``backoff_max``; a success clears the account's count; a key with no failure for
``memory`` seconds starts again from zero.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from pyrus_bots.server.store.dialects import upsert
from pyrus_bots.server.store.models import SignInFailureRow


@dataclass(frozen=True, slots=True)
class Backoff:
    free: int  # failures allowed before the first block
    backoff: float  # seconds of the first block
    backoff_max: float
    memory: float  # seconds without a failure that forget the count

    def block_after(self, failures: int) -> float:
        """Seconds a key is blocked after its ``failures``-th failure (0: not blocked)."""
        over = failures - self.free
        if over <= 0:
            return 0.0
        return float(min(self.backoff_max, self.backoff * 2.0 ** min(over - 1, 40)))


async def failure_state(
    session: AsyncSession, keys: Iterable[str], now: datetime
) -> tuple[float, set[str]]:
    """Seconds until every one of ``keys`` may try again (0: none is blocked), and which of
    them have failures counted."""
    rows = (
        await session.execute(
            select(SignInFailureRow.key, SignInFailureRow.blocked_until).where(
                SignInFailureRow.key.in_(list(keys))
            )
        )
    ).all()
    waits = [(r.blocked_until - now).total_seconds() for r in rows if r.blocked_until]
    return max([0.0, *waits]), {r.key for r in rows}


async def record_failure(session: AsyncSession, key: str, rule: Backoff, now: datetime) -> float:
    """Count a failure of ``key``; returns the seconds it is now blocked for (0: not blocked).
    The row is locked while counting, so concurrent failures in other processes all count."""
    await session.execute(
        upsert(session, SignInFailureRow)
        .values(key=key, failures=0, last_failure=now, blocked_until=None)
        .on_conflict_do_nothing()
    )
    row = await session.scalar(
        select(SignInFailureRow).where(SignInFailureRow.key == key).with_for_update()
    )
    assert row is not None
    forgotten = row.last_failure < now - timedelta(seconds=rule.memory)
    row.failures = (0 if forgotten else row.failures) + 1
    row.last_failure = now
    block = rule.block_after(row.failures)
    row.blocked_until = now + timedelta(seconds=block) if block else None
    await session.flush()
    return block


async def clear_failures(session: AsyncSession, key: str) -> None:
    await session.execute(delete(SignInFailureRow).where(SignInFailureRow.key == key))


async def purge_failures(session: AsyncSession, now: datetime, memory: float) -> int:
    """Forget keys with no failure for ``memory`` seconds and no block left; how many."""
    result = await session.execute(
        delete(SignInFailureRow).where(
            SignInFailureRow.last_failure < now - timedelta(seconds=memory),
            (SignInFailureRow.blocked_until.is_(None)) | (SignInFailureRow.blocked_until <= now),
        )
    )
    return int(getattr(result, "rowcount", 0))
