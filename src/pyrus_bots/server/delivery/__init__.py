"""Bot delivery: outbox -> worker -> HTTP dispatcher (DESIGN.md 3.4 and 4, docs/delivery.md).

The rules are pure (``rules``: retry schedule, what an attempt means, new series, call window);
the worker around them only reads, applies the rules and writes. One module per step:
``service`` (the worker: start, stop, wake, lease upkeep), ``claims`` (the claim loop),
``sources`` (what webhooks are built from, read for a claim at once), ``sender`` (build, sign,
wait for the call limit, call the bot), ``limits`` (the call limit: one interface, one
implementation per backend), ``payload`` (body and signed headers), ``policy`` (hook URL policy
after DNS), ``dispatcher`` (aiohttp POST and outcome), ``finisher`` (record the attempt, apply
the reply, complete, retry or pause the row), ``batching`` (group commit of answered attempts),
``reply`` (what a 2XX answer carries), ``flights`` (the types a delivery passes through),
``metrics`` (Prometheus).
"""
