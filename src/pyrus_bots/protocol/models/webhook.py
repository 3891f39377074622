"""The webhook body Pyrus POSTs to a bot (spec 1.3)."""

from __future__ import annotations

from typing import Any

from pyrus_bots.protocol.models.base import PyrusModel
from pyrus_bots.protocol.models.task import TaskWithComments
from pyrus_bots.protocol.pyrus_json import loads

__all__ = ["WebhookEvent", "WebhookPayload"]


class WebhookEvent:
    """Known values of ``WebhookPayload.event`` (others are accepted as they come)."""

    COMMENT = "comment"
    CLOSE = "close"


class WebhookPayload(PyrusModel):
    """The task as ``GET /tasks/{id}`` shows it to the bot, plus the call's metadata.

    ``bot_settings`` is the verbatim text of the bot's settings box: a JSON *string*, even when
    it holds JSON (see :meth:`settings_json`).
    """

    event: str | None = None
    task_id: int | None = None
    user_id: int | None = None
    access_token: str | None = None
    bot_settings: str | None = None
    task: TaskWithComments

    secret_fields = frozenset({"access_token"})

    @property
    def is_comment(self) -> bool:
        return self.event == WebhookEvent.COMMENT

    @property
    def is_close(self) -> bool:
        return self.event == WebhookEvent.CLOSE

    def settings_json(self) -> Any | None:
        """``bot_settings`` parsed as JSON, or None when it is empty or not JSON."""
        if not self.bot_settings or not self.bot_settings.strip():
            return None
        try:
            return loads(self.bot_settings)
        except ValueError:
            return None
