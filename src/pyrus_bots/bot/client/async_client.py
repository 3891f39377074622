"""The asyncio API client: :class:`AsyncPyrusClient`.

A thin driver over the shared client (:class:`~pyrus_bots.bot.client.base.PyrusClientBase`):
it performs the actions of the sans-I/O core with an ``httpx.AsyncClient``, sleeps with
``asyncio.sleep`` and serialises authentication with an ``asyncio.Lock``.
"""

from __future__ import annotations

import asyncio
from types import TracebackType
from typing import Self, TypeVar, cast

import httpx

from pyrus_bots.bot.client.base import PyrusClientBase
from pyrus_bots.bot.client.core import Action, Authenticate, Call, Exchange, Reply, Send
from pyrus_bots.bot.client.endpoint import AsyncDriver

__all__ = ["AsyncPyrusClient"]

T = TypeVar("T")


class AsyncPyrusClient(PyrusClientBase[httpx.AsyncBaseTransport], AsyncDriver):
    """Pyrus API v4 client for asyncio code: the constructor, state and endpoint methods of
    :class:`~pyrus_bots.bot.client.base.PyrusClientBase`, each endpoint method a coroutine."""

    def _connect(self, transport: httpx.AsyncBaseTransport | None, timeout: float) -> None:
        self._http = httpx.AsyncClient(transport=transport, timeout=timeout)
        self._auth_lock = asyncio.Lock()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    async def authenticate(self) -> None:
        """Get a token now with the login and security key (otherwise done on first call)."""
        async with self._auth_lock:
            await self._drive(self._core.authenticate())

    async def _run(self, call: Call[T]) -> T:
        return await self._drive(self._core.run(call))

    async def _drive(self, exchange: Exchange[T]) -> T:
        reply: Reply = None
        while True:
            try:
                action = exchange.send(reply)
            except StopIteration as finished:
                return cast(T, finished.value)
            reply = await self._perform(action)

    async def _perform(self, action: Action) -> Reply:
        if isinstance(action, Send):
            wait = self._reserve_send()
            if wait > 0:
                await asyncio.sleep(wait)
            try:
                return await self._http.send(action.request)
            except httpx.TransportError as error:
                return error
        if isinstance(action, Authenticate):
            async with self._auth_lock:
                if self._core.access_token == action.stale_token:
                    await self._drive(self._core.authenticate())
            return None
        await asyncio.sleep(action.seconds)
        return None
