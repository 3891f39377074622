"""What an adapter needs to serve a bot, without knowing the Bot class: the HTTP answer to a
delivery (:class:`Outcome`), the fixed answers, the shape of what it serves, and the checks
every adapter makes before handing the body over (path, method).

Adapters (``asgi``, ``wsgi``, ``aws_lambda``) import this module only, so that ``app`` can
import them and arrows point one way.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import NamedTuple, Protocol

import orjson

__all__ = [
    "EMPTY",
    "EMPTY_OBJECT",
    "HANDLER_FAILED",
    "METHOD_NOT_ALLOWED",
    "NOT_FOUND",
    "NOT_JSON",
    "NO_TASK",
    "TOO_LARGE",
    "UNAUTHORIZED",
    "BotTarget",
    "Outcome",
    "Receiver",
    "admit",
]


class Outcome(NamedTuple):
    """The HTTP answer to one delivery."""

    status: int
    body: bytes


def _error(status: int, text: str) -> Outcome:
    return Outcome(status, orjson.dumps({"error": text}))


EMPTY = Outcome(200, b"")
EMPTY_OBJECT = b"{}"
UNAUTHORIZED = _error(401, "bad signature")
NOT_JSON = _error(400, "the body is not a JSON object")
NO_TASK = _error(400, "the body has no task object")
METHOD_NOT_ALLOWED = _error(405, "deliveries are POST requests")
TOO_LARGE = _error(413, "the body is over the size limit")
NOT_FOUND = _error(404, "no bot at this path")
HANDLER_FAILED = _error(500, "the bot failed; Pyrus will retry")


class Receiver(Protocol):
    """One bot as adapters see it: a size limit and the two ways to answer a delivery."""

    @property
    def max_body_size(self) -> int: ...

    async def handle(
        self,
        body: bytes,
        signature: str | None,
        retry: str | None,
        answer: Callable[[Outcome], Awaitable[None]],
    ) -> None: ...

    async def process(
        self, body: bytes, signature: str | None, retry: str | None = None
    ) -> Outcome: ...


class BotTarget(Protocol):
    """What an adapter serves: a Bot, or a BotGroup routing paths to bots."""

    def bot_for_path(self, path: str) -> Receiver | None: ...

    async def aclose(self) -> None: ...


def admit(target: BotTarget, path: str, method: str) -> Receiver | Outcome:
    """The bot that takes a ``method`` request on ``path``, or the answer refusing it
    (``method`` as the server gives it: upper case)."""
    bot = target.bot_for_path(path)
    if bot is None:
        return NOT_FOUND
    if method != "POST":
        return METHOD_NOT_ALLOWED
    return bot
