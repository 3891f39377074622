"""What an adapter serves (a bot, or a group routing paths to bots) and the checks every
adapter makes before handing a body to the pipeline.

Adapters (``asgi``, ``wsgi``, ``aws_lambda``) depend on this module and on the pipeline, never
on ``app`` or ``group``, so that those can offer the adapters and arrows point one way.
"""

from __future__ import annotations

from typing import Protocol

from pyrus_bots.bot.outcome import METHOD_NOT_ALLOWED, NOT_FOUND, Outcome
from pyrus_bots.bot.pipeline import DeliveryPipeline

__all__ = ["BotTarget", "admit"]


class BotTarget(Protocol):
    """What an adapter serves: a Bot, or a BotGroup routing paths to bots."""

    def bot_for_path(self, path: str) -> DeliveryPipeline | None: ...

    async def aclose(self) -> None: ...


def admit(target: BotTarget, path: str, method: str) -> DeliveryPipeline | Outcome:
    """The bot that takes a ``method`` request on ``path``, or the answer refusing it
    (``method`` as the server gives it: upper case)."""
    bot = target.bot_for_path(path)
    if bot is None:
        return NOT_FOUND
    if method != "POST":
        return METHOD_NOT_ALLOWED
    return bot
