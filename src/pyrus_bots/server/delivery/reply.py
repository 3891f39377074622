"""A bot's 2XX answer: parse it whatever its Content-Type, and apply it as the bot's comment.

``{}``, an empty body, a non-JSON body or JSON that is not an object is a success that changes
nothing. A JSON object goes through exactly the validation of ``POST /v4/tasks/{id}/comments``;
if it fails, nothing changes and the attempt records ``invalid_reply: <code>`` with the message.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.server.delivery.dispatcher import SUCCESS, HttpResult
from pyrus_bots.server.workflow.state import Directory, Person

REPLY_TOO_LARGE = "reply_too_large"

log = logging.getLogger("pyrus_bots.delivery")


@dataclass(slots=True)
class ReplyOutcome:
    outcome: str
    detail: str | None = None
    applied: bool = False
    comment_id: int | None = None


def parse_reply(result: HttpResult, max_bytes: int) -> dict[str, Any] | ReplyOutcome:
    """The comment request a reply carries, or the outcome of a reply that carries none."""
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
    return reply


async def apply_reply(
    session: AsyncSession,
    directory: Directory,
    *,
    task_id: int,
    bot: Person,
    request: dict[str, Any],
    now: datetime,
) -> ReplyOutcome:
    """Apply ``request`` as the bot's comment inside a savepoint of the caller's transaction."""
    from pyrus_bots.server.service import comment_task  # the API layer's one comment path

    try:
        async with session.begin_nested():
            _, comment = await comment_task(session, directory, task_id, bot, request, now)
    except PyrusError as exc:
        return ReplyOutcome(f"invalid_reply: {exc.code}", exc.message)
    except SQLAlchemyError:
        raise  # the database failed: the whole attempt is rolled back and delivered again
    except Exception as exc:
        # A reply the workflow cannot digest must not make the bot be called again and again.
        log.exception("applying the reply of bot %d to task %d failed", bot.id, task_id)
        return ReplyOutcome(
            "invalid_reply: server_error",
            f"the platform failed to apply this reply ({type(exc).__name__})",
        )
    return ReplyOutcome(SUCCESS, None, applied=True, comment_id=comment.id)
