"""The WSGI adapter (gunicorn, Flask, Django): each request runs the async pipeline on a
private event loop thread shared by the app, where deferred handlers keep running."""

from __future__ import annotations

import atexit
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any

from pyrus_bots.bot.loop_thread import LoopThread
from pyrus_bots.bot.outcome import METHOD_NOT_ALLOWED, TOO_LARGE, Outcome
from pyrus_bots.bot.target import BotTarget, admit

__all__ = ["WSGIApp"]

StartResponse = Callable[..., Any]
_READ_CHUNK = 64 * 1024


class WSGIApp:
    """``bot.wsgi()`` / ``group.wsgi()``: a WSGI application serving deliveries."""

    def __init__(self, target: BotTarget) -> None:
        self.target = target
        self.runner = LoopThread("pyrus-bots-wsgi")
        atexit.register(self.close)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        outcome, extra = self._handle(environ)
        status, body = outcome
        headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
        headers.extend(extra)
        start_response(f"{status} {HTTPStatus(status).phrase}", headers)
        return [body]

    def _handle(self, environ: dict[str, Any]) -> tuple[Outcome, list[tuple[str, str]]]:
        bot = admit(self.target, environ.get("PATH_INFO") or "/", environ.get("REQUEST_METHOD", ""))
        if isinstance(bot, Outcome):
            return bot, [("Allow", "POST")] if bot is METHOD_NOT_ALLOWED else []
        limit = bot.max_body_size
        body = _read_body(environ, limit)
        if body is None:
            return TOO_LARGE, []
        signature = environ.get("HTTP_X_PYRUS_SIG")
        retry = environ.get("HTTP_X_PYRUS_RETRY")
        return self.runner.run(bot.process(body, signature, retry)), []

    def close(self) -> None:
        """Let deferred handlers finish, then stop the loop thread."""
        if self.runner._loop is not None:
            try:
                self.runner.run(self.target.aclose(), timeout=60)
            finally:
                self.runner.stop()


def _read_body(environ: dict[str, Any], limit: int) -> bytes | None:
    stream = environ["wsgi.input"]
    length_text = environ.get("CONTENT_LENGTH") or ""
    if length_text.isdigit():
        length = int(length_text)
        if length > limit:
            return None
        data: bytes = stream.read(length) if length else b""
        return data
    # No length (chunked): read until the end, stopping once past the limit.
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = stream.read(_READ_CHUNK)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
