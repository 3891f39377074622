"""``pyrus-bots bot run --record DIR``: give a served bot, or each bot of a group, a recorder."""

from __future__ import annotations

import os
from pathlib import Path

from pyrus_bots.bot.app import Bot
from pyrus_bots.bot.group import BotGroup
from pyrus_bots.bot.recording import DeliveryRecorder

__all__ = ["attach_recorder"]


def attach_recorder(target: object, directory: str | os.PathLike[str]) -> list[DeliveryRecorder]:
    """Record every delivery ``target`` answers: a Bot records into ``directory``, each bot
    of a BotGroup into a sub-directory named after its path. ``TypeError`` for anything else
    (an arbitrary ASGI app has no deliveries to record)."""
    root = Path(directory)
    if isinstance(target, Bot):
        target.recorder = DeliveryRecorder(root, bot=target.name)
        return [target.recorder]
    if isinstance(target, BotGroup):
        recorders = []
        for path, bot in target.bots.items():
            bot.recorder = DeliveryRecorder(root / (path.strip("/") or "root"), bot=bot.name)
            recorders.append(bot.recorder)
        return recorders
    raise TypeError("recording needs a Bot or a BotGroup, not an arbitrary ASGI application")
