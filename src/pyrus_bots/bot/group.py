"""Several bots in one process, each on its own path with its own secret."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from pyrus_bots.bot.app import Bot
from pyrus_bots.bot.serving import Served

__all__ = ["BotGroup"]


def _normalise(path: str) -> str:
    return "/" + path.strip("/")


class BotGroup(Served):
    """Routes deliveries by path: ``BotGroup({"/approver": approver, "/greeter": greeter})``.
    Unknown paths get 404. Serve with :meth:`asgi`, :meth:`wsgi` or :meth:`lambda_handler`."""

    def __init__(self, bots: Mapping[str, Bot] | None = None) -> None:
        self._bots: dict[str, Bot] = {}
        for path, bot in (bots or {}).items():
            self.add(path, bot)

    def __repr__(self) -> str:
        return f"BotGroup({sorted(self._bots)})"

    def add(self, path: str, bot: Bot) -> BotGroup:
        """Serve ``bot`` at ``path``."""
        key = _normalise(path)
        if key in self._bots:
            raise ValueError(f"path {key!r} already has a bot")
        self._bots[key] = bot
        return self

    @property
    def bots(self) -> dict[str, Bot]:
        return dict(self._bots)

    def bot_for_path(self, path: str) -> Bot | None:
        return self._bots.get(_normalise(path))

    async def aclose(self) -> None:
        await asyncio.gather(*(bot.aclose() for bot in self._bots.values()))
