"""The SDK to write Pyrus bots.

```python
from pyrus_bots.bot import Bot, Reply

bot = Bot(secret=os.environ["BOT_SECRET"])

@bot.on_task(form_id=321, step=1)
async def check(event):
    if event.task.field("u_amount").value > 1000:
        return Reply.reject("Over the limit").set_field("u_status", "Rejected")
    return Reply.approve(f"Hello, {event.task.author.email}.")

app = bot.asgi()
```
"""

from pyrus_bots.bot.app import (
    DEFAULT_API_URL,
    DEFAULT_INLINE_BUDGET,
    DEFAULT_MAX_BODY_SIZE,
    Bot,
    Outcome,
)
from pyrus_bots.bot.dedupe import (
    Claim,
    ClaimState,
    DedupeStore,
    MemoryDedupeStore,
    SQLiteDedupeStore,
)
from pyrus_bots.bot.event import Event
from pyrus_bots.bot.fields import FieldValueError, ReplyError
from pyrus_bots.bot.group import BotGroup
from pyrus_bots.bot.reply import Later, Reply
from pyrus_bots.bot.reply_errors import (
    UnknownCatalogItemError,
    UnknownChoiceError,
    UnresolvedNameError,
)
from pyrus_bots.bot.task_view import TaskView
from pyrus_bots.bot.templates import TemplateCache

__all__ = [
    "DEFAULT_API_URL",
    "DEFAULT_INLINE_BUDGET",
    "DEFAULT_MAX_BODY_SIZE",
    "Bot",
    "BotGroup",
    "Claim",
    "ClaimState",
    "DedupeStore",
    "Event",
    "FieldValueError",
    "Later",
    "MemoryDedupeStore",
    "Outcome",
    "Reply",
    "ReplyError",
    "SQLiteDedupeStore",
    "TaskView",
    "TemplateCache",
    "UnknownCatalogItemError",
    "UnknownChoiceError",
    "UnresolvedNameError",
]
