"""A slow bot: shows the deadline fallback.

Its work takes longer than the inline budget (``SLOW_BOT_BUDGET`` seconds, default 50 — Pyrus
waits 60). Pyrus gets an empty 200 as the budget runs out; when the work is done the SDK posts
the reply through ``POST /tasks/{id}/comments`` with the delivery's ``access_token``.

Run:  BOT_SECRET=... SLOW_BOT_WORK=3 SLOW_BOT_BUDGET=1 pyrus-bots bot run examples.slow_bot:bot
"""

from __future__ import annotations

import asyncio
import os

from pyrus_bots.bot import Bot, Event, Reply

bot = Bot(
    secret=os.environ.get("BOT_SECRET", "bot-secret"),
    name="slow",
    api_url=os.environ.get("PYRUS_API_URL", "https://api.pyrus.com/v4/"),
    inline_budget=float(os.environ.get("SLOW_BOT_BUDGET", "50")),
)

WORK_SECONDS = float(os.environ.get("SLOW_BOT_WORK", "55"))


@bot.on_task()
async def think_hard(event: Event) -> Reply:
    await asyncio.sleep(WORK_SECONDS)  # stands for a slow external system
    return Reply.approve(f"Checked after {WORK_SECONDS:g} s.")


app = bot.asgi()
