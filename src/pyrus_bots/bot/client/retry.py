"""When to try a call again, and how long to wait first.

Retried: failures to connect (the request never left), 429 and 503 for every call; other
transport failures (read timeouts, dropped connections) and other 5XX only for idempotent calls,
because a POST that reached the server may have been applied already and a second comment or
task must not appear. Other 4XX are never retried. Delays grow exponentially with jitter; a
``Retry-After`` header wins when present.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

__all__ = ["RetryPolicy", "parse_retry_after"]

# Failures where the request certainly did not reach the server: safe to repeat any call.
_NOT_SENT_ERRORS: tuple[type[httpx.TransportError], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
)
# Statuses meaning "not processed, come back later".
_ALWAYS_RETRIED_STATUSES = frozenset({429, 503})


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


@dataclass
class RetryPolicy:
    """Retry budget and backoff: ``max_retries`` retries after the first attempt.

    The n-th retry waits ``min(backoff_max, backoff_base * 2**n)`` scaled by a random factor in
    [0.5, 1) (jitter spreads clients that failed together). A ``Retry-After`` longer than
    ``max_retry_after`` is not waited for: the error is raised with its ``retry_after`` instead.
    """

    max_retries: int = 3
    backoff_base: float = 0.5
    backoff_max: float = 10.0
    max_retry_after: float = 60.0
    rng: random.Random = field(default_factory=random.Random)

    def backoff(self, retry_number: int) -> float:
        delay = min(self.backoff_max, self.backoff_base * float(2**retry_number))
        return delay * (0.5 + self.rng.random() / 2)

    def after_transport_error(
        self, retries_done: int, error: httpx.TransportError, *, idempotent: bool
    ) -> float | None:
        """Seconds to wait before retrying after ``error``, or None to give up."""
        if retries_done >= self.max_retries:
            return None
        if not idempotent and not isinstance(error, _NOT_SENT_ERRORS):
            return None
        return self.backoff(retries_done)

    def after_status(
        self, retries_done: int, response: httpx.Response, *, idempotent: bool
    ) -> float | None:
        """Seconds to wait before retrying after a non-2XX ``response``, or None to give up."""
        status = response.status_code
        if retries_done >= self.max_retries:
            return None
        if status in _ALWAYS_RETRIED_STATUSES or (idempotent and status >= 500):
            asked = parse_retry_after(response.headers.get("retry-after"))
            if asked is None:
                return self.backoff(retries_done)
            return asked if asked <= self.max_retry_after else None
        return None
