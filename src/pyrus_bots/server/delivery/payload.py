"""The webhook request (DESIGN.md 3.4): body, signed headers, and their masked log copies."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from pyrus_bots.protocol import pyrus_json
from pyrus_bots.protocol.signature import sign
from pyrus_bots.server.settings import SignatureCase

USER_AGENT = "Pyrus-Bot-4"
MASK = "***"


@dataclass(slots=True, frozen=True)
class Webhook:
    url: str
    body: bytes
    headers: dict[str, str]
    access_token: str

    def logged_body(self, limit: int | None = None) -> str:
        """The body as the attempt log keeps it: the bot's access token masked (before the
        cut, so no part of it survives), then its first ``limit`` bytes."""
        body = self.body
        if self.access_token:
            body = body.replace(self.access_token.encode(), MASK.encode())
        if limit is not None and len(body) > limit:
            body = body[:limit]
        return body.decode("utf-8", errors="replace")

    def digest(self) -> str:
        """SHA-256 hex of the exact body sent: names the whole of a body the log keeps cut."""
        return hashlib.sha256(self.body).hexdigest()


def build_webhook(
    *,
    url: str,
    event: str,
    bot_id: int,
    task_id: int,
    access_token: str,
    bot_settings: str | None,
    task: dict[str, Any],
    security_key: str,
    attempt: int,
    attempts_per_series: int,
    signature_case: SignatureCase,
) -> Webhook:
    envelope: dict[str, Any] = {
        "event": event,
        "task_id": task_id,
        "user_id": bot_id,
        "access_token": access_token,
    }
    if bot_settings:
        envelope["bot_settings"] = bot_settings
    envelope["task"] = task
    # The task is rendered without empty values already: it is not walked again.
    body = pyrus_json.dumps_clean(envelope)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Pyrus-Sig": sign(body, security_key, upper=signature_case == "upper"),
        "X-Pyrus-Retry": f"{attempt}/{attempts_per_series}",
    }
    return Webhook(url=url, body=body, headers=headers, access_token=access_token)
