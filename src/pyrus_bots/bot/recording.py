"""Recording the deliveries a bot receives, and reading recordings back.

``Bot(secret, record="recorded/")`` (or ``pyrus-bots bot run --record recorded/``) appends each
delivery whose signature checks out, with the answer the bot gave and how long it took, to
``recorded/deliveries.jsonl`` in the format of
:mod:`pyrus_bots.protocol.models.recording`. Files rotate by size with the standard library's
``RotatingFileHandler`` (``deliveries.jsonl.1`` is the newest full file, the highest number
the oldest kept).
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Awaitable, Callable
from logging.handlers import RotatingFileHandler
from pathlib import Path

from pyrus_bots.bot import logs
from pyrus_bots.bot.outcome import Outcome
from pyrus_bots.protocol.models.recording import (
    RecordedDelivery,
    RecordingError,
    parse_recordings,
)

__all__ = [
    "DEFAULT_BACKUP_COUNT",
    "DEFAULT_MAX_BYTES",
    "RECORDING_FILE",
    "DeliveryRecorder",
    "load_recordings",
]

RECORDING_FILE = "deliveries.jsonl"
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
"""A recording file rotates once it would pass this size."""
DEFAULT_BACKUP_COUNT = 100
"""Rotated files kept (older ones are deleted): with the default size, 1 GB at most."""

Answer = Callable[[Outcome], Awaitable[None]]


class _Line(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return str(record.msg)


class DeliveryRecorder:
    """Appends recorded deliveries to ``directory`` (created when missing)."""

    def __init__(
        self,
        directory: str | os.PathLike[str],
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        backup_count: int = DEFAULT_BACKUP_COUNT,
        bot: str | None = None,
    ) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.bot = bot
        self._handler = RotatingFileHandler(
            self.directory / RECORDING_FILE,
            maxBytes=max_bytes,
            backupCount=backup_count,
            encoding="utf-8",
        )
        self._handler.setFormatter(_Line())
        # A logger outside the logging tree: configuring logging never redirects recordings.
        self._logger = logging.Logger("pyrus_bots.recording", logging.INFO)
        self._logger.propagate = False
        self._logger.addHandler(self._handler)

    def __repr__(self) -> str:
        return f"DeliveryRecorder({str(self.directory)!r})"

    def record(self, recording: RecordedDelivery) -> None:
        self._logger.info(recording.to_line().decode().rstrip("\n"))

    def wrap(self, body: bytes, retry: str | None, answer: Answer, *, bot: str | None) -> Answer:
        """``answer`` that also records ``body`` with the answer given and its timing."""
        started = time.perf_counter()
        headers = {"Content-Type": "application/json", "User-Agent": "Pyrus-Bot-4"}
        if retry:
            headers["X-Pyrus-Retry"] = retry

        async def recorded(outcome: Outcome) -> None:
            elapsed = (time.perf_counter() - started) * 1000
            try:
                self.record(
                    RecordedDelivery.capture(
                        source="sdk",
                        body=body,
                        headers=headers,
                        status=outcome.status,
                        reply=outcome.body,
                        duration_ms=elapsed,
                        bot=self.bot or bot,
                    )
                )
            except Exception as exc:  # recording never costs the bot its answer
                logs.recording_failed(self.bot or bot or "bot", exc)
            await answer(outcome)

        return recorded

    def close(self) -> None:
        self._logger.removeHandler(self._handler)
        self._handler.close()


def load_recordings(path: str | os.PathLike[str]) -> list[RecordedDelivery]:
    """The recordings in a file, or in every ``*.jsonl*`` / ``*.json`` file of a directory,
    oldest first. Raises :class:`RecordingError` naming the file and line of a bad one."""
    where = Path(path)
    if where.is_dir():
        files = sorted(
            (f for f in where.iterdir() if f.is_file() and _is_recording(f.name)),
            key=_age_order,
        )
    elif where.is_file():
        files = [where]
    else:
        raise RecordingError(f"{where}: no such file or directory")
    recordings: list[RecordedDelivery] = []
    for file in files:
        recordings.extend(parse_recordings(file.read_bytes(), source=str(file)))
    return recordings


_ROTATED = re.compile(r"^(?P<stem>.+?\.jsonl)(?:\.(?P<number>\d+))?$")


def _is_recording(name: str) -> bool:
    return bool(_ROTATED.match(name)) or name.endswith(".json")


def _age_order(file: Path) -> tuple[str, int]:
    """Group by base name; within a group the highest rotation number (oldest) comes first."""
    match = _ROTATED.match(file.name)
    if match is None:
        return (file.name, 0)
    number = int(match.group("number") or 0)
    return (match.group("stem"), -number)
