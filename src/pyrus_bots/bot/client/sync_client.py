"""The blocking API client: :class:`PyrusClient`.

A thin driver over the shared client (:class:`~pyrus_bots.bot.client.base.PyrusClientBase`):
it performs the actions of the sans-I/O core with an ``httpx.Client``, sleeps with
``time.sleep`` and serialises authentication with a ``threading.Lock`` (one client may serve
several threads).
"""

from __future__ import annotations

import threading
import time
from types import TracebackType
from typing import Self, TypeVar, cast

import httpx

from pyrus_bots.bot.client.base import PyrusClientBase
from pyrus_bots.bot.client.core import Action, Authenticate, Call, Exchange, Reply, Send
from pyrus_bots.bot.client.endpoint import SyncDriver

__all__ = ["PyrusClient"]

T = TypeVar("T")


class PyrusClient(PyrusClientBase[httpx.BaseTransport], SyncDriver):
    """Pyrus API v4 client for blocking code: the constructor, state and endpoint methods of
    :class:`~pyrus_bots.bot.client.base.PyrusClientBase` (the same as ``AsyncPyrusClient``)."""

    def _connect(self, transport: httpx.BaseTransport | None, timeout: float) -> None:
        self._http = httpx.Client(transport=transport, timeout=timeout)
        self._auth_lock = threading.Lock()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def authenticate(self) -> None:
        """Get a token now with the login and security key (otherwise done on first call)."""
        with self._auth_lock:
            self._drive(self._core.authenticate())

    def _run(self, call: Call[T]) -> T:
        return self._drive(self._core.run(call))

    def _drive(self, exchange: Exchange[T]) -> T:
        reply: Reply = None
        while True:
            try:
                action = exchange.send(reply)
            except StopIteration as finished:
                return cast(T, finished.value)
            reply = self._perform(action)

    def _perform(self, action: Action) -> Reply:
        if isinstance(action, Send):
            wait = self._reserve_send()
            if wait > 0:
                time.sleep(wait)
            try:
                return self._http.send(action.request)
            except httpx.TransportError as error:
                return error
        if isinstance(action, Authenticate):
            with self._auth_lock:
                if self._core.access_token == action.stale_token:
                    self._drive(self._core.authenticate())
            return None
        time.sleep(action.seconds)
        return None
