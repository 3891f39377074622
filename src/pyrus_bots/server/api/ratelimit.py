"""The API rate limit per user: ``limit`` requests per fixed window (spec 4.0, 5).

Pyrus reports ``X-RateLimit-Reset`` as the seconds left in the current window, so the limiter
counts in fixed windows that start at a user's first request. Two implementations sit behind
:class:`RateLimiter`: in this process's memory (SQLite, one process) and in PostgreSQL
(:class:`SharedRateLimiter`, one upsert per request, so the limit holds across API processes;
the same statement resolves the caller's token, see :meth:`SharedRateLimiter.admit`).
``now`` is epoch seconds from the platform clock, comparable between processes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncEngine

from pyrus_bots.server.store import tokens
from pyrus_bots.server.store.shared_limits import SharedRateWindows, WindowCount, seconds_left


@dataclass(frozen=True, slots=True)
class RateDecision:
    """The outcome of one request against the limit, and what the headers report."""

    allowed: bool
    limit: int
    remaining: int
    reset_after: int
    """Whole seconds until the window ends and the count starts again."""

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset_after),
        }


class RateLimiter(Protocol):
    async def hit(self, key: str, now: float) -> RateDecision:
        """Count one request of ``key`` at ``now`` (epoch seconds) and say whether it may pass."""
        ...


@dataclass(slots=True)
class _Window:
    started: float
    count: int


class InMemoryRateLimiter:
    """Fixed windows per key in this process (enough for one API process)."""

    def __init__(self, limit: int, window: float) -> None:
        if limit <= 0 or window <= 0:
            raise ValueError("limit and window must be positive")
        self.limit = limit
        self.window = window
        self._windows: dict[str, _Window] = {}

    async def hit(self, key: str, now: float) -> RateDecision:
        current = self._windows.get(key)
        if current is None or now - current.started >= self.window:
            self._forget_expired(now)
            current = _Window(started=now, count=0)
            self._windows[key] = current
        reset_after = seconds_left(current.started, self.window, now)
        if current.count >= self.limit:
            return RateDecision(False, self.limit, 0, reset_after)
        current.count += 1
        return RateDecision(True, self.limit, self.limit - current.count, reset_after)

    def _forget_expired(self, now: float) -> None:
        # Bounded memory: windows of users who went quiet are dropped when a new window opens.
        expired = [k for k, w in self._windows.items() if now - w.started >= self.window]
        for key in expired:
            del self._windows[key]


class SharedRateLimiter:
    """Fixed windows per key in PostgreSQL, shared by every API process of the deployment."""

    def __init__(self, engine: AsyncEngine, limit: int, window: float) -> None:
        if limit <= 0 or window <= 0:
            raise ValueError("limit and window must be positive")
        self.limit = limit
        self.window = window
        self._windows = SharedRateWindows(engine, window)

    async def hit(self, key: str, now: float) -> RateDecision:
        return self._decide(await self._windows.hit(key, now), now)

    async def admit(self, token: str, key_prefix: str, now: datetime) -> Admitted:
        """Resolve a bearer token (raising as ``tokens.resolve_token`` does), read the
        directory version and count the request of key ``key_prefix + person id``, in one
        round trip: what :func:`~pyrus_bots.server.api.context.current_caller` needs."""
        stamp = now.timestamp()
        found = await self._windows.admit(tokens.hash_token(token), key_prefix, now, stamp)
        if found is None:
            raise tokens.unknown_token()
        refusal = tokens.token_refusal(revoked=found.revoked, expired=found.expired)
        if refusal is not None or found.counted is None:
            raise refusal or tokens.unknown_token()
        return Admitted(
            found.person_id, found.directory_version, self._decide(found.counted, stamp)
        )

    def _decide(self, counted: WindowCount, now: float) -> RateDecision:
        reset_after = seconds_left(counted.started, self.window, now)
        if counted.count > self.limit:
            return RateDecision(False, self.limit, 0, reset_after)
        return RateDecision(True, self.limit, self.limit - counted.count, reset_after)


@dataclass(frozen=True, slots=True)
class Admitted:
    """An accepted token's person, the directory version and the request's rate decision."""

    person_id: int
    directory_version: int
    decision: RateDecision
