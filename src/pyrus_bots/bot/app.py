"""The Bot: handlers, routing, replies and lifecycle. The delivery pipeline it runs lives in
:mod:`~pyrus_bots.bot.pipeline`, the adapters that serve it in :mod:`~pyrus_bots.bot.serving`.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
from collections.abc import Callable, Collection, Mapping
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from pyrus_bots.bot import logs
from pyrus_bots.bot.dedupe import DedupeStore, MemoryDedupeStore
from pyrus_bots.bot.outcome import Outcome
from pyrus_bots.bot.pipeline import DeliveryPipeline
from pyrus_bots.bot.recording import DeliveryRecorder
from pyrus_bots.bot.routing import Handler, Predicate, Route, Router
from pyrus_bots.bot.serving import Served
from pyrus_bots.bot.templates import TemplateCache
from pyrus_bots.bot.urls import DEFAULT_API_URL
from pyrus_bots.protocol.signature import sign

if TYPE_CHECKING:
    from pyrus_bots.bot.client import AsyncPyrusClient

__all__ = [
    "DEFAULT_API_URL",
    "DEFAULT_INLINE_BUDGET",
    "DEFAULT_MAX_BODY_SIZE",
    "Bot",
    "Outcome",
]

DEFAULT_INLINE_BUDGET = 50.0
"""Seconds a handler may take before Pyrus gets an empty 200 (Pyrus waits 60 s)."""
DEFAULT_MAX_BODY_SIZE = 32 * 1024 * 1024
"""Largest delivery accepted, in bytes (real payloads exceed 2 MB)."""
DEFAULT_DRAIN_TIMEOUT = 30.0
"""Seconds shutdown waits for handlers still running in the background."""

H = TypeVar("H", bound=Handler)


class Bot(DeliveryPipeline, Served):
    """A Pyrus bot: handlers for deliveries, served by :meth:`asgi`, :meth:`wsgi` or
    :meth:`lambda_handler`.

    ``secret`` is the bot's security key (the HMAC key of ``X-Pyrus-Sig``). ``api_url`` is
    where deferred replies go (real Pyrus by default, or this project's platform).
    ``inline_budget`` is how long a handler may run before Pyrus gets an empty 200 and the
    reply is posted through the API instead. ``dedupe`` remembers deliveries so retries do
    not run a handler twice (``False`` turns that off). ``api_options`` go to every
    :class:`~pyrus_bots.bot.client.AsyncPyrusClient` the bot opens (``timeout``,
    ``max_retries``, ``transport``...). ``record`` (a directory or a
    :class:`~pyrus_bots.bot.recording.DeliveryRecorder`) stores every verified delivery with
    the bot's answer, for ``pyrus-bots replay`` and the test kit.
    """

    def __init__(
        self,
        secret: str | bytes,
        *,
        name: str | None = None,
        api_url: str = DEFAULT_API_URL,
        inline_budget: float = DEFAULT_INLINE_BUDGET,
        max_body_size: int = DEFAULT_MAX_BODY_SIZE,
        dedupe: DedupeStore | Literal[False] | None = None,
        api_options: Mapping[str, Any] | None = None,
        record: str | os.PathLike[str] | DeliveryRecorder | None = None,
    ) -> None:
        key = secret.encode() if isinstance(secret, str) else bytes(secret)
        if not key:
            raise ValueError("a bot needs its security key (secret)")
        if inline_budget <= 0:
            raise ValueError("inline_budget is a positive number of seconds")
        self._key = key
        # A stable, non-reversible id for dedupe keys and logs when no name is given.
        self.name = name or "bot-" + hashlib.sha256(b"pyrus-bots:" + key).hexdigest()[:12]
        self.api_url = api_url
        self.api_options: dict[str, Any] = dict(api_options or {})
        self.inline_budget = inline_budget
        self.max_body_size = max_body_size
        self.dedupe: DedupeStore | None = (
            None if dedupe is False else dedupe if dedupe is not None else MemoryDedupeStore()
        )
        self.router = Router()
        self._background: set[asyncio.Task[Any]] = set()
        # Form templates and catalogs that choice and catalog names are resolved with.
        self.templates = TemplateCache()
        if record is not None:
            self.recorder = (
                record if isinstance(record, DeliveryRecorder) else DeliveryRecorder(record)
            )

    def __repr__(self) -> str:
        return f"Bot(name={self.name!r}, handlers={len(self.router.routes)})"

    # --- registering handlers -------------------------------------------------------------

    def on_task(
        self,
        form_id: int | Collection[int] | None = None,
        *,
        step: int | Collection[int] | None = None,
        event: str | None = "comment",
        when: Predicate | None = None,
    ) -> Callable[[H], H]:
        """Decorate a handler for tasks (by default ``comment`` deliveries) of ``form_id`` on
        ``step`` for which ``when(event)`` holds. Omitted filters match anything; pass
        ``event=None`` to take ``close`` deliveries too. First match wins."""

        def register(handler: H) -> H:
            self.add_handler(handler, form_id=form_id, step=step, event=event, when=when)
            return handler

        return register

    def on_comment(
        self,
        form_id: int | Collection[int] | None = None,
        *,
        step: int | Collection[int] | None = None,
        when: Predicate | None = None,
    ) -> Callable[[H], H]:
        """Decorate a handler for ``comment`` deliveries (a task arrived or changed)."""
        return self.on_task(form_id, step=step, event="comment", when=when)

    def on_close(
        self,
        form_id: int | Collection[int] | None = None,
        *,
        when: Predicate | None = None,
    ) -> Callable[[H], H]:
        """Decorate a handler for ``close`` deliveries (a task in the bot's inbox closed)."""
        return self.on_task(form_id, event="close", when=when)

    def default(self, handler: H) -> H:
        """Decorate the handler for deliveries no other handler takes (else the reply is {})."""
        self.router.default = Route.build(handler, event=None, form_id=None, step=None, when=None)
        return handler

    def add_handler(
        self,
        handler: Handler,
        *,
        form_id: int | Collection[int] | None = None,
        step: int | Collection[int] | None = None,
        event: str | None = "comment",
        when: Predicate | None = None,
    ) -> None:
        """Register ``handler`` without a decorator (same filters as :meth:`on_task`)."""
        self.router.add(Route.build(handler, event=event, form_id=form_id, step=step, when=when))

    def sign(self, body: bytes) -> str:
        """The ``X-Pyrus-Sig`` Pyrus would send with ``body`` (upper-case hex), for tests."""
        return sign(body, self._key, upper=True)

    def open_api(self, access_token: str) -> AsyncPyrusClient:
        """An API client acting as the bot with ``access_token`` (the caller closes it)."""
        from pyrus_bots.bot.client import AsyncPyrusClient

        return AsyncPyrusClient(access_token, api_url=self.api_url, **self.api_options)

    # --- lifecycle ------------------------------------------------------------------------

    @property
    def pending(self) -> int:
        """Handlers still running in the background (deferred replies not yet posted)."""
        return len(self._background)

    async def drain(self, grace: float | None = None) -> bool:
        """Wait up to ``grace`` seconds (None: no limit) for background handlers (deferred
        replies) to finish; False if some still run."""
        while self._background:
            _, pending = await asyncio.wait(set(self._background), timeout=grace)
            if pending:
                return False
        return True

    async def aclose(self, grace: float = DEFAULT_DRAIN_TIMEOUT) -> None:
        """Shut down: let background handlers finish (up to ``grace`` s), close the store."""
        if not await self.drain(grace):
            logs.drain_timeout(self.name, len(self._background))
        if self.dedupe is not None:
            await self.dedupe.aclose()
        if self.recorder is not None:
            self.recorder.close()

    # --- serving ------------------------------------------------------------------------

    def bot_for_path(self, path: str) -> Bot | None:
        """A single bot answers on every path (mount it where you like)."""
        return self
