"""A bot's 2XX answer: parse it whatever its Content-Type, and what applying it came to.

``{}``, an empty body, a non-JSON body or JSON that is not an object is a success that changes
nothing. A JSON object goes through exactly the validation of ``POST /v4/tasks/{id}/comments``
(the task service's ``comment_tasks``); if it fails, nothing changes and the attempt records
``invalid_reply: <code>`` with the message.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

import orjson

from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.protocol.models.parsing import check_storable
from pyrus_bots.protocol.models.requests import CommentRequest, parse_comment_request
from pyrus_bots.server.delivery.dispatcher import SUCCESS, HttpResult

if TYPE_CHECKING:
    from pyrus_bots.server.tasks.changes import CommentResult

REPLY_TOO_LARGE = "reply_too_large"

log = logging.getLogger("pyrus_bots.delivery")


@dataclass(slots=True)
class ReplyOutcome:
    outcome: str
    detail: str | None = None
    applied: bool = False
    comment_id: int | None = None


def parse_reply(result: HttpResult, max_bytes: int) -> CommentRequest | ReplyOutcome:
    """The comment request a reply carries, or the outcome of a reply that carries none (or
    an invalid one: ``invalid_reply: <code>``, as the API would have answered it)."""
    if result.body_truncated:
        return ReplyOutcome(REPLY_TOO_LARGE, f"reply longer than {max_bytes} bytes: not applied")
    if not result.body.strip():
        return ReplyOutcome(SUCCESS, "empty reply: nothing to apply")
    try:
        reply = orjson.loads(result.body)
    except orjson.JSONDecodeError:
        return ReplyOutcome(SUCCESS, "reply is not JSON: nothing to apply")
    if not isinstance(reply, dict):
        return ReplyOutcome(SUCCESS, "reply is not a JSON object: nothing to apply")
    if not reply:
        return ReplyOutcome(SUCCESS, "empty reply: nothing to apply")
    try:
        # What the API refuses as a body, a reply may not carry either (NUL, deep nesting).
        check_storable(reply, result.body)
        return parse_comment_request(reply)
    except PyrusError as error:
        return ReplyOutcome(f"invalid_reply: {error.code}", error.message)


def reply_outcome(result: CommentResult, *, bot_id: int, task_id: int) -> ReplyOutcome:
    """What applying a reply through the task service came to (``comment_tasks``' result)."""
    if isinstance(result, PyrusError):
        return ReplyOutcome(f"invalid_reply: {result.code}", result.message)
    if isinstance(result, Exception):
        # A reply the workflow cannot digest must not make the bot be called again and again.
        log.error(
            "applying the reply of bot %d to task %d failed",
            bot_id,
            task_id,
            exc_info=(type(result), result, result.__traceback__),
        )
        return ReplyOutcome(
            "invalid_reply: server_error",
            f"the platform failed to apply this reply ({type(result).__name__})",
        )
    _, comment = result
    return ReplyOutcome(SUCCESS, None, applied=True, comment_id=comment.id)
