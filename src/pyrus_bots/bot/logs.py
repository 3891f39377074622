"""Every log line of the SDK, in one place, on the ``pyrus_bots.bot`` logger.

Lines name the bot, the task and the handler; they never carry the token, the secret, the
signature, the settings or the body.
"""

from __future__ import annotations

import logging
from typing import Any

logger = logging.getLogger("pyrus_bots.bot")

__all__ = ["logger"]


def _where(bot: str, event: Any) -> str:
    return f"bot={bot} task={event.task_id} event={event.kind} retry={event.retry}"


def bad_signature(bot: str) -> None:
    logger.warning("bot=%s rejected a delivery: bad or missing X-Pyrus-Sig", bot)


def bad_body(bot: str, reason: str) -> None:
    logger.warning("bot=%s rejected a delivery: %s", bot, reason)


def duplicate(bot: str, event: Any, state: str) -> None:
    logger.info("%s: retried delivery already %s; handler not run again", _where(bot, event), state)


def no_route(bot: str, event: Any) -> None:
    logger.debug("%s: no handler matches; answering {}", _where(bot, event))


def handler_failed(bot: str, event: Any, handler: str, error: BaseException | None) -> None:
    logger.error(
        "%s: handler %s failed; answering 500", _where(bot, event), handler, exc_info=error
    )


def deferred(bot: str, event: Any, handler: str, reason: str) -> None:
    logger.info(
        "%s: handler %s continues in the background (%s); its reply goes through the API",
        _where(bot, event),
        handler,
        reason,
    )


def background_failed(bot: str, event: Any, handler: str) -> None:
    logger.exception("%s: handler %s failed in the background", _where(bot, event), handler)


def posted(bot: str, event: Any) -> None:
    logger.info("%s: deferred reply posted through the API", _where(bot, event))


def post_failed(bot: str, event: Any, error: BaseException) -> None:
    logger.error(
        "%s: posting the deferred reply failed: %s: %.200s",
        _where(bot, event),
        type(error).__name__,
        error,
    )


def no_token(bot: str, event: Any) -> None:
    logger.error(
        "%s: deferred reply dropped: the delivery carries no access_token", _where(bot, event)
    )


def dedupe_failed(bot: str, action: str) -> None:
    logger.exception("bot=%s: dedupe store failed to %s; going on without it", bot, action)


def drain_timeout(bot: str, pending: int) -> None:
    logger.warning("bot=%s shutting down with %d background handlers still running", bot, pending)


def recording_failed(bot: str, error: BaseException) -> None:
    logger.warning("bot=%s: could not record a delivery: %s", bot, type(error).__name__)
