"""Bot delivery: outbox -> scheduler -> HTTP dispatcher (DESIGN.md 3.4 and 4, docs/delivery.md).

The pipeline, one module per step: ``triggers`` (workflow events -> outbox rows, in the caller's
transaction), ``service`` (the worker: claims, leases, limits, attempts), ``snapshot`` (batch
reads a claim builds webhooks from), ``payload`` (body and signed headers), ``policy`` (hook URL
policy after DNS), ``dispatcher`` (aiohttp POST and outcome), ``ratelimit`` (per-bot sliding
window), ``reply`` (what a 2XX answer carries and what applying it came to), ``batching``
(group commit: answered attempts finished together), ``metrics`` (Prometheus).
"""
