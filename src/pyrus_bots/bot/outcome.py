"""The HTTP answer to one delivery (:class:`Outcome`) and the fixed answers the pipeline and
the adapters give."""

from __future__ import annotations

from typing import NamedTuple

import orjson

__all__ = [
    "EMPTY",
    "EMPTY_OBJECT",
    "HANDLER_FAILED",
    "METHOD_NOT_ALLOWED",
    "NOT_FOUND",
    "NOT_JSON",
    "NO_TASK",
    "TOO_LARGE",
    "UNAUTHORIZED",
    "Outcome",
]


class Outcome(NamedTuple):
    """The HTTP answer to one delivery."""

    status: int
    body: bytes


def _error(status: int, text: str) -> Outcome:
    return Outcome(status, orjson.dumps({"error": text}))


EMPTY = Outcome(200, b"")
EMPTY_OBJECT = b"{}"
UNAUTHORIZED = _error(401, "bad signature")
NOT_JSON = _error(400, "the body is not a JSON object")
NO_TASK = _error(400, "the body has no task object")
METHOD_NOT_ALLOWED = _error(405, "deliveries are POST requests")
TOO_LARGE = _error(413, "the body is over the size limit")
NOT_FOUND = _error(404, "no bot at this path")
HANDLER_FAILED = _error(500, "the bot failed; Pyrus will retry")
