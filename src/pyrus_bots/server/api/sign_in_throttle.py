"""Throttling of sign-in attempts: ``POST /v4/auth``, ``/ui/login`` and admin-token checks.

Each attempt names the keys it counts against: the account (``account:<login>``) and the client
address (``address:<ip>``), or the address only for admin tokens (there is one admin account,
and blocking it would lock the real administrator out). While any key is blocked the attempt is
refused with 429 ``too_many_requests`` and ``Retry-After`` before its secret is even looked at,
so a guess made while blocked teaches nothing. The counts live in the database
(``store.sign_in_failures``): every process throttles alike. The client address is the TCP
peer; behind a reverse proxy all clients share the proxy's address (docs/security.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from starlette.requests import Request

from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.server.clock import Clock
from pyrus_bots.server.settings import Settings
from pyrus_bots.server.store import sign_in_failures as failures_store
from pyrus_bots.server.store.db import Database


class TooManySignIns(PyrusError):
    """429 ``too_many_requests``; ``headers`` carries ``Retry-After``."""

    def __init__(self, seconds: float) -> None:
        super().__init__("too_many_requests", "too many failed sign-ins: try again later")
        self.retry_after = max(1, math.ceil(seconds))
        self.headers = {"Retry-After": str(self.retry_after)}


def account_key(login: str) -> str:
    return "account:" + login.strip().lower()[:300]


def address_key(request: Request) -> str:
    return "address:" + (request.client.host if request.client else "unknown")


@dataclass(slots=True)
class SignInThrottle:
    database: Database
    settings: Settings
    clock: Clock

    def _rule(self, key: str) -> failures_store.Backoff:
        s = self.settings
        free = (
            s.sign_in_account_failures
            if key.startswith("account:")
            else (s.sign_in_address_failures)
        )
        return failures_store.Backoff(
            free, s.sign_in_backoff, s.sign_in_backoff_max, s.sign_in_failure_memory
        )

    async def check(self, keys: list[str]) -> bool:
        """Raise :class:`TooManySignIns` while any of ``keys`` is blocked; else whether the first
        key has failures counted (only then does a success need to clear them)."""
        async with self.database.session() as session:
            wait, counted = await failures_store.failure_state(session, keys, self.clock.now())
        if wait > 0:
            raise TooManySignIns(wait)
        return keys[0] in counted

    async def failed(self, keys: list[str]) -> None:
        now = self.clock.now()
        async with self.database.session() as session, session.begin():
            for key in keys:
                await failures_store.record_failure(session, key, self._rule(key), now)

    async def succeeded(self, key: str) -> None:
        async with self.database.session() as session, session.begin():
            await failures_store.clear_failures(session, key)


def throttle_of(request: Request) -> SignInThrottle:
    state = request.app.state
    return SignInThrottle(state.database, state.settings, state.clock)
