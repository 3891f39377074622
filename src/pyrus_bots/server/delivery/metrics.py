"""Delivery metrics, registered in prometheus_client's default registry (served on /metrics)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

ATTEMPTS = Counter(
    "pyrus_bots_delivery_attempts",
    "Webhook attempts by outcome kind (success, timeout, http_503, invalid_reply, ...).",
    ["outcome"],
)
LATENCY = Histogram(
    "pyrus_bots_delivery_latency_seconds",
    "Time from sending a webhook to the end of the bot's answer (or the failure).",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0),
)
QUEUE_DEPTH = Gauge(
    "pyrus_bots_delivery_queue_depth",
    "Deliveries waiting or in flight (pending rows of the outbox).",
)
IN_FLIGHT = Gauge(
    "pyrus_bots_delivery_in_flight",
    "Deliveries this process holds a lease on.",
)
PAUSED_PAIRS = Gauge(
    "pyrus_bots_delivery_paused_pairs",
    "(bot, task) pairs paused after a failed series of attempts.",
)
RATE_LIMIT_WAITS = Counter(
    "pyrus_bots_delivery_rate_limit_waits",
    "Attempts that waited for the bot's call limit.",
)
RATE_LIMIT_WAIT_SECONDS = Counter(
    "pyrus_bots_delivery_rate_limit_wait_seconds",
    "Total time attempts waited for the bot's call limit.",
)


def outcome_kind(outcome: str) -> str:
    """The bounded label of an outcome: ``invalid_reply: invalid_field_id`` -> ``invalid_reply``."""
    return outcome.split(":", 1)[0].strip()
