"""What every API request shares: the app's state, the directory snapshot and the caller.

The directory (people, bots, roles, forms, catalogs, files) is read once and reused while the
store's directory version stays the same; any process that changes it bumps the version, so a
cheap version read per request keeps every API process current.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Path, Request
from sqlalchemy.ext.asyncio import AsyncSession

from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.server.api.middleware import RATE_LIMIT_STATE_KEY, BodyLimits
from pyrus_bots.server.api.ratelimit import RateLimiter, SharedRateLimiter
from pyrus_bots.server.clock import Clock
from pyrus_bots.server.settings import Settings
from pyrus_bots.server.store import tokens
from pyrus_bots.server.store.db import Database
from pyrus_bots.server.store.directory import directory_version, load_directory
from pyrus_bots.server.workflow.state import Directory, Person

ID_MAX = 2**63 - 1
"""Ids are 64-bit in the store; larger numbers are refused before they reach a query."""

RATE_KEY_PREFIX = "person:"
"""The API rate limit counts per person: key ``person:<id>``."""

PathId = Annotated[int, Path(ge=1, le=ID_MAX)]
"""Handler parameter type for an object id in the path."""


class DirectoryCache:
    """The newest directory snapshot, reloaded when the store's directory version moves."""

    def __init__(self) -> None:
        self._version: int | None = None
        self._directory: Directory | None = None
        self._lock = asyncio.Lock()

    async def get(self, session: AsyncSession, version: int | None = None) -> Directory:
        """The directory at ``version`` (read from the store when not given)."""
        if version is None:
            version = await directory_version(session)
        if self._directory is not None and self._version == version:
            return self._directory
        async with self._lock:
            if self._directory is None or self._version != version:
                self._directory = await load_directory(session)
                self._version = version
            return self._directory

    def cached(self, version: int) -> Directory | None:
        """The snapshot when it is at ``version``, without touching the store."""
        return self._directory if self._version == version else None

    def invalidate(self) -> None:
        self._directory = None
        self._version = None


@dataclass(slots=True)
class ApiState:
    """Held in ``app.state.api``; built by :func:`pyrus_bots.server.app.create_app`."""

    settings: Settings
    clock: Clock
    database: Database
    limiter: RateLimiter
    directories: DirectoryCache = field(default_factory=DirectoryCache)
    limits: BodyLimits = field(default_factory=BodyLimits)
    on_deliveries: Callable[[], None] = lambda: None
    """Called after a commit that enqueued deliveries (wakes the delivery worker)."""


@dataclass(frozen=True, slots=True)
class Caller:
    """The authenticated user or bot of a request and the directory it was resolved in."""

    person: Person
    directory: Directory
    files_url: str
    """Where this caller downloads files (``files_url`` of the auth answer)."""
    directory_version: int = 0
    """The store's directory version ``directory`` was read at."""

    @property
    def is_bot(self) -> bool:
        return self.person.type == "bot"


def api_state(request: Request) -> ApiState:
    state: ApiState = request.app.state.api
    return state


_UNSPECIFIED_HOSTS = frozenset({"0.0.0.0", "::", ""})


def public_base(request: Request, settings: Settings) -> str:
    """The server's public URL without a trailing slash: ``--public-url`` when given; else the
    listening address, or the address the client used when listening on every interface."""
    if settings.public_url is None and settings.host in _UNSPECIFIED_HOSTS:
        return str(request.base_url).rstrip("/")
    return settings.base_url


def bearer_token(request: Request) -> str:
    header = request.headers.get("Authorization")
    if not header or not header.strip():
        raise PyrusError("token_not_specified", "the Authorization header is missing")
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise PyrusError("invalid_token", "the Authorization header must be 'Bearer <token>'")
    return value.strip()


async def current_caller(request: Request) -> Caller:
    """FastAPI dependency: resolve the bearer token, count the request against the limit."""
    state = api_state(request)
    token = bearer_token(request)
    limiter = state.limiter
    if isinstance(limiter, SharedRateLimiter):
        # PostgreSQL: token, directory version and rate count in one autocommitted statement.
        admitted = await limiter.admit(token, RATE_KEY_PREFIX, state.clock.now())
        person_id, decision = admitted.person_id, admitted.decision
        version = admitted.directory_version
        directory = state.directories.cached(admitted.directory_version)
        if directory is None:
            async with state.database.session() as session:
                directory = await state.directories.get(session, admitted.directory_version)
    else:
        async with state.database.session() as session:
            person_id, version = await tokens.resolve_token_and_directory_version(
                session, token, state.clock.now()
            )
            directory = await state.directories.get(session, version)
        decision = await limiter.hit(f"{RATE_KEY_PREFIX}{person_id}", state.clock.now().timestamp())
    setattr(request.state, RATE_LIMIT_STATE_KEY, decision)
    if not decision.allowed:
        raise PyrusError("too_many_requests", "too many requests, retry after the reset")
    person = directory.people.get(person_id)
    if person is None:
        raise PyrusError("invalid_token", "the token does not belong to a known person")
    if person.banned or person.fired:
        raise PyrusError("account_blocked", "the account is blocked")
    return Caller(
        person=person,
        directory=directory,
        files_url=f"{public_base(request, state.settings)}/",
        directory_version=version,
    )


CallerDep = Annotated[Caller, Depends(current_caller)]
"""Handler parameter type for the authenticated caller."""
