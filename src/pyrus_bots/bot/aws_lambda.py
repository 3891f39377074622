"""The AWS Lambda adapter: API Gateway REST (v1) and HTTP (v2) events and Function URLs.

Lambda freezes the process once the handler returns, so a handler deferred past the inline
budget may not finish until the next invocation thaws it: on Lambda keep the work inline, or
give the function a timeout above the budget and post through the API yourself.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any

from pyrus_bots.bot.loop_thread import LoopThread
from pyrus_bots.bot.outcome import (
    METHOD_NOT_ALLOWED,
    NOT_JSON,
    TOO_LARGE,
    Outcome,
)
from pyrus_bots.bot.target import BotTarget, admit

__all__ = ["handle_lambda_event"]

_runner = LoopThread("pyrus-bots-lambda")


def handle_lambda_event(target: BotTarget, event: Mapping[str, Any]) -> dict[str, Any]:
    """The proxy response for one API Gateway / Function URL event."""
    outcome, extra = _handle(target, event)
    status, body = outcome
    headers = {"content-type": "application/json", **extra}
    return {
        "statusCode": status,
        "headers": headers,
        "body": body.decode(),
        "isBase64Encoded": False,
    }


def _handle(target: BotTarget, event: Mapping[str, Any]) -> tuple[Outcome, dict[str, str]]:
    http = (event.get("requestContext") or {}).get("http") or {}
    method = event.get("httpMethod") or http.get("method") or ""
    path = event.get("rawPath") or event.get("path") or http.get("path") or "/"
    bot = admit(target, path, method.upper())
    if isinstance(bot, Outcome):
        return bot, {"allow": "POST"} if bot is METHOD_NOT_ALLOWED else {}
    headers = {str(k).lower(): v for k, v in (event.get("headers") or {}).items()}
    raw = event.get("body") or ""
    if event.get("isBase64Encoded"):
        try:
            body = base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError):
            return NOT_JSON, {}
    else:
        body = raw.encode() if isinstance(raw, str) else bytes(raw)
    if len(body) > bot.max_body_size:
        return TOO_LARGE, {}
    coro = bot.process(body, headers.get("x-pyrus-sig"), headers.get("x-pyrus-retry"))
    return _runner.run(coro), {}
