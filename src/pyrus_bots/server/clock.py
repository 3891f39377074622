"""The one clock the platform reads: injectable so tests can control time."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC, whole seconds are not required."""
        ...

    def monotonic(self) -> float:
        """Seconds from an arbitrary origin, never going back: for timeouts and rate windows."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()


SYSTEM_CLOCK: Clock = SystemClock()
