"""The ASGI adapter: a minimal receive loop on the hot path (no request object), lifespan
handled so that shutdown lets deferred replies finish."""

from __future__ import annotations

import gc
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from pyrus_bots.bot.outcome import METHOD_NOT_ALLOWED, TOO_LARGE, Outcome
from pyrus_bots.bot.target import BotTarget, admit

__all__ = ["ASGIApp", "BotTarget"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

FREEZE_GC_ON_STARTUP = True
"""Call ``gc.freeze()`` when the server starts the app (lifespan startup)."""

_JSON_HEADERS = [(b"content-type", b"application/json")]
_ALLOW = [(b"allow", b"POST")]


class ASGIApp:
    """``bot.asgi()`` / ``group.asgi()``: serve deliveries over ASGI 3."""

    def __init__(self, target: BotTarget) -> None:
        self.target = target

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path") or "/"
        root: str = scope.get("root_path") or ""
        if root and path.startswith(root):  # mounted: Starlette keeps the prefix in path
            path = path[len(root) :]
        bot = admit(self.target, path, scope["method"])
        if isinstance(bot, Outcome):
            await _respond(send, bot, _ALLOW if bot is METHOD_NOT_ALLOWED else None)
            return
        signature = retry = None
        declared = -1
        for name, value in scope["headers"]:
            if name == b"x-pyrus-sig":
                signature = value.decode("latin-1")
            elif name == b"x-pyrus-retry":
                retry = value.decode("latin-1")
            elif name == b"content-length":
                declared = int(value) if value.isdigit() else -1
        limit = bot.max_body_size
        if declared > limit:
            await _respond(send, TOO_LARGE)
            return
        body = await _read_body(receive, limit)
        if body is None:
            await _respond(send, TOO_LARGE)
            return

        async def answer(outcome: Outcome) -> None:
            await _respond(send, outcome)

        # The handler runs in this task; past the budget the answer goes out from a side task
        # while it carries on here (as Starlette's background tasks do after a response).
        await bot.handle(body, signature, retry, answer)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                if FREEZE_GC_ON_STARTUP:
                    # Everything imported so far lives as long as the process: move it out of
                    # the collector's sight, so full collections walk only request objects
                    # (a full pass over the SDK's ~40k startup objects costs ~10-30 ms of
                    # tail latency).
                    gc.freeze()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.target.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    """The request body, or None as soon as it passes ``limit`` bytes."""
    message = await receive()
    body: bytes = message.get("body", b"")
    if not message.get("more_body"):  # the usual case: one message
        return body if len(body) <= limit else None
    chunks = [body]
    size = len(body)
    while True:
        if size > limit:
            return None
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        if not message.get("more_body"):
            return b"".join(chunks) if size <= limit else None


async def _respond(
    send: Send, outcome: Outcome, extra: list[tuple[bytes, bytes]] | None = None
) -> None:
    status, body = outcome
    headers = [*_JSON_HEADERS, (b"content-length", str(len(body)).encode())]
    if extra:
        headers.extend(extra)
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
