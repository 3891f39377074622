"""What a handler receives: one webhook delivery, read lazily.

Routing reads the raw dict; typed views (:attr:`Event.task`, :attr:`Event.payload`) are built on
first access, so a handler that needs only a couple of keys never pays for a full validation.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING, Any

import orjson

from pyrus_bots.bot.fields import FieldIndex
from pyrus_bots.bot.task_view import TaskView
from pyrus_bots.protocol.models.comment import TaskComment
from pyrus_bots.protocol.models.task import TaskWithComments

if TYPE_CHECKING:
    from pyrus_bots.bot.client import AsyncPyrusClient
    from pyrus_bots.bot.templates import TemplateCache
    from pyrus_bots.protocol import WebhookPayload

__all__ = ["Event"]


class Event:
    """One delivery to the bot: the event name, the task, the bot's token and settings."""

    __slots__ = (
        "__dict__",  # cached_property storage
        "_api",
        "_defer",
        "_loop",
        "_open_api",
        "_templates",
        "data",
        "kind",
        "retry",
        "task_dict",
    )

    def __init__(
        self,
        data: dict[str, Any],
        task: dict[str, Any],
        *,
        retry: int = 1,
        open_api: Callable[[str], AsyncPyrusClient] | None = None,
        templates: TemplateCache | None = None,
    ) -> None:
        self.data = data
        """The decoded webhook body, as Pyrus sent it."""
        self.task_dict = task
        """The raw ``task`` object of the body."""
        self.kind: str = data.get("event") or "comment"
        """``"comment"`` or ``"close"``."""
        self.retry = retry
        """The attempt number from ``X-Pyrus-Retry`` (1 on the first attempt)."""
        self._open_api = open_api
        self._templates = templates
        self._api: AsyncPyrusClient | None = None
        self._defer: Callable[[dict[str, Any] | None], None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def __repr__(self) -> str:  # no token, no settings: reprs end up in logs
        return (
            f"Event(kind={self.kind!r}, task_id={self.task_id}, form_id={self.form_id}, "
            f"step={self.step}, retry={self.retry})"
        )

    # --- raw keys (cheap) -----------------------------------------------------------------

    @property
    def task_id(self) -> int | None:
        task_id = self.data.get("task_id")
        return task_id if isinstance(task_id, int) else self.task_dict.get("id")

    @property
    def form_id(self) -> int | None:
        return self.task_dict.get("form_id")

    @property
    def step(self) -> int | None:
        """The task's current step (1-based), None for simple tasks."""
        return self.task_dict.get("current_step")

    @property
    def user_id(self) -> int | None:
        """The bot's own person id."""
        return self.data.get("user_id")

    @property
    def access_token(self) -> str | None:
        """The bot's API token for this task (valid about an hour). Never log it."""
        return self.data.get("access_token")

    @property
    def bot_settings(self) -> str | None:
        """The raw text of the bot's Settings box."""
        return self.data.get("bot_settings")

    @cached_property
    def settings(self) -> Any:
        """``bot_settings`` parsed as JSON; ``{}`` when empty, the text itself when not JSON."""
        text = self.bot_settings
        if not text:
            return {}
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            return text

    @property
    def is_close(self) -> bool:
        return self.kind == "close"

    # --- typed views (built on first access) ----------------------------------------------

    @cached_property
    def task(self) -> TaskView:
        """The task, typed on access: ``event.task.field("u_amount").value``,
        ``event.task.author.email``. Each attribute validates only its own part of the raw
        task; ``event.task.model`` is the whole :class:`TaskWithComments`."""
        return TaskView(self.task_dict)

    @cached_property
    def payload(self) -> WebhookPayload:
        """The whole body as a typed model."""
        from pyrus_bots.protocol import WebhookPayload

        return WebhookPayload.model_validate(self.data)

    @cached_property
    def last_comment(self) -> TaskComment | None:
        """The newest comment of the task (the one that caused this delivery, usually)."""
        comments = self.task_dict.get("comments")
        if not comments:
            return None
        return TaskComment.model_validate(comments[-1])

    @cached_property
    def fields(self) -> FieldIndex:
        """The task's fields indexed by id, code and name, as replies resolve them."""
        return FieldIndex.of_task(self.task_dict)

    def field_value(self, ref: int | str, default: Any = None) -> Any:
        """The raw value of a field by id, code or name (``default`` when empty or absent)."""
        field = self.task.field(ref)
        return default if field is None or field.value is None else field.value

    # --- talking back ---------------------------------------------------------------------

    def defer(self, now: Any = None) -> None:
        """Answer Pyrus at once (with ``now``, default nothing) and keep running: what the
        handler returns afterwards is posted through the API. Safe from sync handlers too."""
        from pyrus_bots.bot.reply import render_reply

        rendered = render_reply(now, self.fields) if now is not None else None
        if self._defer is None:
            return
        defer = self._defer
        self._defer = None
        loop = self._loop
        if loop is None:
            return
        try:
            on_loop = asyncio.get_running_loop() is loop
        except RuntimeError:  # a sync handler's worker thread
            on_loop = False
        if on_loop:
            defer(rendered)  # at once: the handler may return right after this call
        else:
            loop.call_soon_threadsafe(defer, rendered)

    @property
    def api(self) -> AsyncPyrusClient:
        """An API client authorised as the bot with this delivery's token (closed by the SDK
        when the handler finishes)."""
        if self._api is None:
            token = self.access_token
            if not token:
                raise RuntimeError("the delivery carries no access_token: the API is unavailable")
            if self._open_api is None:
                from pyrus_bots.bot.client import AsyncPyrusClient

                self._api = AsyncPyrusClient(token)
            else:
                self._api = self._open_api(token)
        return self._api

    async def comment(self, reply: Any) -> TaskWithComments:
        """Post ``reply`` on the task through the API now (e.g. progress while working)."""
        from pyrus_bots.bot.templates import TemplateCache, render_for_delivery

        if self._templates is None:
            self._templates = TemplateCache()
        body = await render_for_delivery(reply, self, self._templates)
        task_id = self.task_id
        if task_id is None:
            raise RuntimeError("the delivery names no task")
        return await self.api.comment_task(task_id, body)

    async def _close_api(self) -> None:
        api, self._api = self._api, None
        if api is not None:
            await api.aclose()
