"""Copies one field into another and approves. Which fields comes from the bot's settings
(the Settings box of its profile), as JSON: ``{"from": "u_source", "to": "u_target"}``.

Run:  BOT_SECRET=... pyrus-bots bot run examples.copy_field:bot --port 5002
"""

from __future__ import annotations

import os

from pyrus_bots.bot import Bot, Event, Reply

bot = Bot(
    secret=os.environ.get("BOT_SECRET", "bot-secret"),
    name="copy-field",
    api_url=os.environ.get("PYRUS_API_URL", "https://api.pyrus.com/v4/"),
)


@bot.on_task()
async def copy_field(event: Event) -> Reply:
    settings = event.settings
    if not isinstance(settings, dict) or not {"from", "to"} <= settings.keys():
        return Reply.comment('Settings must be JSON like {"from": "u_a", "to": "u_b"}.')
    source = event.task.field(settings["from"])
    if source is None:
        return Reply.comment(f"The form has no field {settings['from']!r}.")
    if source.value is None:
        return Reply.approve(f"{source.name or settings['from']} is empty: nothing to copy.")
    # The value is checked against the target field's type before anything is sent.
    return Reply.approve("Copied.").set_field(settings["to"], source.value)


app = bot.asgi()
