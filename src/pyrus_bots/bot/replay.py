"""Replaying recorded deliveries to a bot and comparing its answers with the recorded ones.

What ``pyrus-bots replay`` and the test kit's ``BotTester.replay`` share: the comparison (status
and reply JSON, where an empty body and ``{}`` both mean "no change", as on Pyrus) and its
unified diff; and the HTTP sender, which signs each recorded body again with the secret given.
"""

from __future__ import annotations

import difflib
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import httpx
import orjson

from pyrus_bots.protocol.models.recording import RecordedDelivery, RecordedReply
from pyrus_bots.protocol.signature import sign

__all__ = ["ReplayResult", "reply_diff", "send_recordings", "signed_headers"]


@dataclass(slots=True)
class ReplayResult:
    """A recording, and what the bot answered when it was delivered again."""

    recording: RecordedDelivery
    status: int | None
    body: bytes
    duration_ms: float
    error: str | None = None
    """Why no answer came (connection refused, timeout)."""

    @property
    def diff(self) -> str:
        """A unified diff of recorded -> replayed answer; empty when they are the same."""
        if self.error is not None:
            return f"no answer: {self.error}"
        return reply_diff(self.recording.reply, self.status, self.body)

    @property
    def same(self) -> bool:
        return not self.diff


def _canonical(status: int | None, body: bytes) -> str:
    """Status and reply as comparable text: JSON indented with sorted keys."""
    data: Any
    if not body.strip():
        data = {}
    else:
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError:
            data = body.decode("utf-8", errors="replace")
    if status is not None and 200 <= status < 300 and not data:
        data = {}  # empty body, {}, [] or "" all change nothing
    rendered = orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode()
    return f"HTTP {status}\n{rendered}\n"


def reply_diff(recorded: RecordedReply, status: int | None, body: bytes) -> str:
    """The unified diff from the recorded answer to (``status``, ``body``); "" when equal."""
    before = _canonical(recorded.status, recorded.body_bytes())
    after = _canonical(status, body)
    if before == after:
        return ""
    lines = difflib.unified_diff(
        before.splitlines(keepends=True),
        after.splitlines(keepends=True),
        fromfile="recorded",
        tofile="replayed",
    )
    return "".join(lines)


def signed_headers(recording: RecordedDelivery, body: bytes, secret: str | bytes) -> dict[str, str]:
    """The headers Pyrus would send with ``body``: the recorded ones, signed with ``secret``."""
    return {
        "Content-Type": "application/json",
        "User-Agent": "Pyrus-Bot-4",
        **recording.request.headers,
        "X-Pyrus-Retry": recording.request.retry,
        "X-Pyrus-Sig": sign(body, secret, upper=True),
    }


def send_recordings(
    recordings: Iterable[RecordedDelivery],
    *,
    url: str,
    secret: str | bytes,
    access_token: str | None = None,
    timeout: float = 60.0,
    transport: httpx.BaseTransport | None = None,
) -> list[ReplayResult]:
    """POST each recording to ``url`` in order, signed with ``secret``; ``access_token`` goes
    in place of the masked token (so the bot may call the API)."""
    results: list[ReplayResult] = []
    with httpx.Client(timeout=timeout, transport=transport) as client:
        for recording in recordings:
            body = recording.body_with_token(access_token)
            headers = signed_headers(recording, body, secret)
            started = time.perf_counter()
            try:
                response = client.post(url, content=body, headers=headers)
            except httpx.HTTPError as exc:
                elapsed = (time.perf_counter() - started) * 1000
                error = f"{type(exc).__name__}: {exc}"
                results.append(ReplayResult(recording, None, b"", elapsed, error))
                continue
            elapsed = (time.perf_counter() - started) * 1000
            results.append(ReplayResult(recording, response.status_code, response.content, elapsed))
    return results
