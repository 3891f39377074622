"""Greets the task's author and approves the step.

Run:  BOT_SECRET=... pyrus-bots bot run examples.greeter:bot --port 5001
"""

from __future__ import annotations

import os

from pyrus_bots.bot import Bot, Event, Reply

# The security key from the bot's profile; the default suits the demo workspace only.
bot = Bot(
    secret=os.environ.get("BOT_SECRET", "bot-secret"),
    name="greeter",
    api_url=os.environ.get("PYRUS_API_URL", "https://api.pyrus.com/v4/"),
)


@bot.on_task()
async def greet(event: Event) -> Reply:
    author = event.task.author
    name = author.first_name if author and author.first_name else "there"
    return Reply.approve(f"Hello, {name}!")


app = bot.asgi()
