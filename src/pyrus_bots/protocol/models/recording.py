"""A recorded delivery: what a bot received and what it answered, stored to be replayed.

The one format for both halves: the SDK's recorder (``Bot(record=...)``, ``bot run --record``)
writes it, the platform's delivery log exports it, ``pyrus-bots replay`` and the test kit read
it. A file holds one recording per line (JSON Lines); a JSON array or a single object reads too.

The body is kept byte for byte except the bot's access token, which is masked: a replay signs
the body again with the secret it is given, and may put a live token back in.
"""

from __future__ import annotations

import base64
import binascii
import re
from datetime import UTC, datetime
from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, ValidationError

__all__ = [
    "MASK",
    "RECORDED_HEADERS",
    "RECORDING_FORMAT",
    "RecordedBody",
    "RecordedDelivery",
    "RecordedReply",
    "RecordedRequest",
    "RecordingError",
    "mask_access_token",
    "parse_recordings",
]

RECORDING_FORMAT = "pyrus-bots.delivery/1"
MASK = "***"
"""What stands for the access token in a recorded body."""
RECORDED_HEADERS = ("Content-Type", "User-Agent", "X-Pyrus-Retry")
"""The request headers a recording keeps (the signature is made again on replay)."""
_MASKED_TOKEN = re.compile(rb'"access_token"\s*:\s*"\*\*\*"')


class RecordingError(ValueError):
    """A recording that cannot be read; the message says where."""


class RecordedBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    body: str = ""
    body_encoding: Literal["utf-8", "base64"] = "utf-8"
    """``base64`` for bodies that are not UTF-8 text (rare: deliveries are JSON)."""

    def body_bytes(self) -> bytes:
        if self.body_encoding == "base64":
            return base64.b64decode(self.body)
        return self.body.encode()

    @staticmethod
    def encode(data: bytes) -> dict[str, str]:
        try:
            return {"body": data.decode("utf-8")}
        except UnicodeDecodeError:
            return {"body": base64.b64encode(data).decode(), "body_encoding": "base64"}

    def decoded(self) -> Any:
        """The body decoded as JSON; None when empty or not JSON."""
        data = self.body_bytes()
        if not data.strip():
            return None
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError:
            return None


class RecordedRequest(RecordedBody):
    headers: dict[str, str] = {}

    @property
    def retry(self) -> str:
        return self.headers.get("X-Pyrus-Retry") or "1/3"


class RecordedReply(RecordedBody):
    status: int | None = None
    """The HTTP status the bot answered; None when no answer came (connection error, timeout)."""
    duration_ms: float | None = None
    """From the body read to the answer (SDK), or the attempt's latency (platform)."""


class RecordedDelivery(BaseModel):
    """One delivery and the bot's answer to it."""

    model_config = ConfigDict(extra="forbid")

    format: Literal["pyrus-bots.delivery/1"] = "pyrus-bots.delivery/1"
    recorded_at: datetime
    source: Literal["sdk", "platform"]
    bot: str | None = None
    """The bot's name (SDK) or id (platform)."""
    delivery_id: int | None = None
    """The platform's delivery id (exports only)."""
    event: str | None = None
    task_id: int | None = None
    request: RecordedRequest
    reply: RecordedReply

    @classmethod
    def capture(
        cls,
        *,
        source: Literal["sdk", "platform"],
        body: bytes,
        headers: dict[str, str],
        status: int | None,
        reply: bytes,
        duration_ms: float | None,
        bot: str | None = None,
        delivery_id: int | None = None,
        recorded_at: datetime | None = None,
    ) -> RecordedDelivery:
        """A recording of ``body`` (access token masked here) and the answer."""
        masked = mask_access_token(body)
        data = _json_object(masked)
        task_id = data.get("task_id")
        event = data.get("event")
        kept = {name: headers[name] for name in RECORDED_HEADERS if headers.get(name)}
        return cls(
            recorded_at=recorded_at or datetime.now(UTC),
            source=source,
            bot=bot,
            delivery_id=delivery_id,
            event=event if isinstance(event, str) else None,
            task_id=task_id if type(task_id) is int else None,
            request=RecordedRequest(headers=kept, **RecordedBody.encode(masked)),
            reply=RecordedReply(
                status=status,
                duration_ms=None if duration_ms is None else round(duration_ms, 3),
                **RecordedBody.encode(reply),
            ),
        )

    @property
    def label(self) -> str:
        """A short name for tables and test ids: ``task 12 comment #3``."""
        parts = [f"task {self.task_id}" if self.task_id is not None else "task ?"]
        if self.event:
            parts.append(self.event)
        if self.delivery_id is not None:
            parts.append(f"delivery {self.delivery_id}")
        return " ".join(parts)

    def body_with_token(self, access_token: str | None) -> bytes:
        """The recorded body, with ``access_token`` put back in place of the mask."""
        body = self.request.body_bytes()
        if not access_token:
            return body
        replacement = b'"access_token":' + orjson.dumps(access_token)
        return _MASKED_TOKEN.sub(lambda _: replacement, body, count=1)

    def to_line(self) -> bytes:
        """One JSON Lines record (with its newline)."""
        return orjson.dumps(self.model_dump(mode="json", exclude_none=True)) + b"\n"


def mask_access_token(body: bytes) -> bytes:
    """``body`` with the value of its ``access_token`` replaced by :data:`MASK` everywhere."""
    token = _json_object(body).get("access_token")
    if not isinstance(token, str) or not token or token == MASK:
        return body
    return body.replace(token.encode(), MASK.encode())


def parse_recordings(data: bytes, *, source: str = "<recording>") -> list[RecordedDelivery]:
    """The recordings in ``data``: JSON Lines, a JSON array or one object. ``source`` names the
    file in errors."""
    stripped = data.strip()
    if not stripped:
        return []
    items: list[tuple[int, Any]] = []
    if stripped[:1] == b"[":
        try:
            items = list(enumerate(orjson.loads(stripped), start=1))
        except orjson.JSONDecodeError as exc:
            raise RecordingError(f"{source}: not JSON: {exc}") from None
    else:
        for number, line in enumerate(data.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                items.append((number, orjson.loads(line)))
            except orjson.JSONDecodeError as exc:
                raise RecordingError(f"{source}:{number}: not JSON: {exc}") from None
    recordings = []
    for number, item in items:
        try:
            recordings.append(RecordedDelivery.model_validate(item))
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
            )
            raise RecordingError(
                f"{source}:{number}: not a recorded delivery: {problems}"
            ) from None
        except (binascii.Error, ValueError) as exc:
            raise RecordingError(f"{source}:{number}: {exc}") from None
    return recordings


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return {}
    return data if isinstance(data, dict) else {}
