"""Scale-out on PostgreSQL with real processes: several ``serve --role api`` and ``--role worker``
processes on one database, a recording bot on loopback, crash takeover and shared bot limits.
Plus SQLite's single-worker rule."""

from __future__ import annotations

import asyncio
import signal
import statistics
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from alembic.script import ScriptDirectory
from scale_cluster import (
    BOT_ID,
    FORM_ID,
    HUMAN_KEY,
    SERVE,
    Call,
    Cluster,
    Process,
    free_port,
    max_in_window,
    read_calls,
    wait_healthy,
)

from pyrus_bots.server.store.db import alembic_config

TASKS = 1000
API_LIMIT = 40


MakeCluster = Callable[..., Cluster]
"""Builds a :class:`Cluster` on a fresh PostgreSQL database; stopped after the test."""


@pytest.fixture
def make_cluster(postgres_url: str, tmp_path: Path) -> Iterator[MakeCluster]:
    made: list[Cluster] = []

    def factory(**options: Any) -> Cluster:
        cluster = Cluster(postgres_url, tmp_path, **options)
        made.append(cluster)
        return cluster

    yield factory
    for cluster in made:
        cluster.stop()


def expected_calls(task_id: int, fail_every: int) -> list[tuple[str, int]]:
    """What the bot must have seen for one task: one call, or its own 503 and one retry."""
    if fail_every and task_id % fail_every == 0:
        return [("1/3", 503), ("2/3", 200)]
    return [("1/3", 200)]


@pytest.mark.postgres
@pytest.mark.timeout(120)
async def test_processes_start_together_and_keep_to_their_role(make_cluster: MakeCluster) -> None:
    cluster = make_cluster(api_limit=f"{API_LIMIT}/600")
    await asyncio.to_thread(cluster.start_bot)
    # Three processes migrate the empty database and load the workspace at the same instant.
    apis = [cluster.spawn("api") for _ in range(3)]
    for process in apis:
        await asyncio.to_thread(wait_healthy, process)
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert await cluster.query("SELECT version_num FROM alembic_version") == [(head,)]
    people = await cluster.query("SELECT id FROM people ORDER BY id")
    assert [r[0] for r in people] == [1001, BOT_ID]

    # API processes never deliver: the trigger waits in the outbox.
    [task_id] = await cluster.create_tasks(1)
    await asyncio.sleep(1.5)
    pending = await cluster.query("SELECT state FROM deliveries WHERE task_id = $1", task_id)
    assert [r[0] for r in pending] == ["pending"]
    assert read_calls(cluster.bot_log) == []

    worker = cluster.spawn("worker")
    await asyncio.to_thread(wait_healthy, worker)
    async with httpx.AsyncClient(base_url=worker.base) as client:
        assert (await client.post("/v4/auth", json={})).status_code == 404
        metrics = await client.get("/metrics")
        assert metrics.status_code == 200 and "pyrus_bots_delivery" in metrics.text
    await cluster.wait_at_step_two(1, within=20)
    assert await cluster.bot_comments() == {task_id: 1}

    # An idle worker is woken by the commit (LISTEN/NOTIFY), not by its 1-s poll.
    delays = []
    async with httpx.AsyncClient(base_url=apis[0].base, timeout=30) as api:
        auth = await api.post(
            "/v4/auth", json={"login": "alice@acme.test", "security_key": HUMAN_KEY}
        )
        api.headers["Authorization"] = f"Bearer {auth.json()['access_token']}"
        for n in range(10):
            before = time.time()
            created = await api.post(
                "/v4/tasks", json={"form_id": FORM_ID, "fields": [{"id": 1, "value": f"{n}"}]}
            )
            task_id = created.json()["task"]["id"]
            deadline = time.monotonic() + 10
            arrived: list[Call] = []
            while not arrived and time.monotonic() < deadline:
                await asyncio.sleep(0.005)
                arrived = [c for c in read_calls(cluster.bot_log) if c.task_id == task_id]
            delays.append(arrived[0].arrived - before)
            await asyncio.sleep(0.3)  # the worker goes idle again
    assert statistics.median(delays) < 0.25, delays

    # Alice made 11 API calls so far; the rest of her limit is shared by the three processes.
    statuses: list[int] = []
    remaining: list[int] = []
    clients = [httpx.AsyncClient(base_url=a.base, timeout=30) for a in apis]
    try:
        for client in clients:
            client.headers["Authorization"] = api.headers["Authorization"]
        for n in range(API_LIMIT):
            answer = await clients[n % 3].get("/v4/profile")
            statuses.append(answer.status_code)
            remaining.append(int(answer.headers["X-RateLimit-Remaining"]))
            assert answer.headers["X-RateLimit-Limit"] == str(API_LIMIT)
    finally:
        for client in clients:
            await client.aclose()
    allowed = API_LIMIT - 11
    assert statuses == [200] * allowed + [429] * (API_LIMIT - allowed)
    assert remaining[:allowed] == list(range(allowed - 1, -1, -1))


@pytest.mark.postgres
@pytest.mark.timeout(150)
async def test_two_apis_three_workers_deliver_each_task_once(make_cluster: MakeCluster) -> None:
    cluster = make_cluster(bot_fail_every=50)
    await asyncio.to_thread(cluster.start, 2, 3)
    task_ids = await cluster.create_tasks(TASKS)
    assert len(set(task_ids)) == TASKS
    await cluster.wait_at_step_two(TASKS, within=90)

    assert await cluster.bot_comments() == dict.fromkeys(task_ids, 1)
    calls = cluster.calls()
    assert set(calls) == set(task_ids)
    for task_id in task_ids:
        seen = [(c.retry, c.status) for c in calls[task_id]]
        assert seen == expected_calls(task_id, 50), (task_id, seen)
    # Every worker took part: the claim is shared, not won by one process.
    per_worker = [await successes(worker.base) for worker in cluster.workers]
    assert all(n > 0 for n in per_worker), per_worker
    assert sum(per_worker) == TASKS
    left = await cluster.query("SELECT count(*) FROM deliveries WHERE state <> 'done'")
    assert left[0][0] == 0


async def successes(base: str) -> int:
    async with httpx.AsyncClient(base_url=base) as client:
        text = (await client.get("/metrics")).text
    for line in text.splitlines():
        if line.startswith('pyrus_bots_delivery_attempts_total{outcome="success"}'):
            return int(float(line.split()[-1]))
    return 0


@pytest.mark.postgres
@pytest.mark.timeout(150)
async def test_a_killed_worker_loses_nothing(make_cluster: MakeCluster) -> None:
    cluster = make_cluster(worker_lease=3.0, bot_hold=0.05)
    await asyncio.to_thread(cluster.start, 2, 3)
    victim = cluster.workers[0]
    creating = asyncio.create_task(cluster.create_tasks(TASKS))
    while len(read_calls(cluster.bot_log)) < TASKS // 4:
        assert not creating.done() or creating.exception() is None
        await asyncio.sleep(0.05)
    victim.popen.send_signal(signal.SIGKILL)
    victim.popen.wait(10)
    killed_at = time.time()
    orphaned = await cluster.query(
        "SELECT id, task_id FROM deliveries WHERE state = 'pending' AND lease_owner LIKE $1",
        f"%:{victim.popen.pid}:%",
    )
    assert orphaned, "the killed worker held no delivery"
    task_ids = await creating
    await cluster.wait_at_step_two(TASKS, within=100)

    # Exactly one applied reply per task, none lost.
    assert await cluster.bot_comments() == dict.fromkeys(task_ids, 1)
    calls = cluster.calls()
    assert set(calls) == set(task_ids)
    applied = await cluster.query(
        "SELECT task_id, count(*), max(extract(epoch FROM started_at)) FROM delivery_attempts "
        "WHERE reply_applied GROUP BY task_id"
    )
    assert {r[0]: r[1] for r in applied} == dict.fromkeys(task_ids, 1)
    # What the victim held was delivered by a survivor once its lease had run out (the lease is
    # 3 s, renewed every second: it expires 2 to 3 s after the death).
    started = {r[0]: float(r[2]) for r in applied}
    for _delivery_id, task_id in orphaned:
        assert started[task_id] >= killed_at + 1.9, (task_id, started[task_id] - killed_at)


@pytest.mark.postgres
@pytest.mark.timeout(120)
async def test_bot_call_limit_holds_across_three_workers(make_cluster: MakeCluster) -> None:
    cluster = make_cluster(bot_call_limit="50/10")
    await asyncio.to_thread(cluster.start, 1, 3)
    task_ids = await cluster.create_tasks(120)
    await cluster.wait_at_step_two(120, within=60)
    calls = read_calls(cluster.bot_log)
    assert sorted(c.task_id for c in calls) == sorted(task_ids)
    arrivals = [c.arrived for c in calls]
    assert max_in_window(arrivals, 10.0) <= 50
    # The limit was the bottleneck: it took three windows, not one.
    assert max(arrivals) - min(arrivals) >= 20.0


def test_sqlite_refuses_a_second_worker(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'one.db'}"

    def serve(role: str) -> Process:
        port = free_port()
        log = tmp_path / f"{role}-{port}.log"
        command = [SERVE, "serve", "--role", role, "--port", str(port), "--db", db]
        popen = subprocess.Popen(command, stdout=log.open("ab"), stderr=subprocess.STDOUT)
        return Process(role, port, popen, log)

    first = serve("worker")
    try:
        wait_healthy(first)
        second = serve("all")
        assert second.popen.wait(30) == 1
        out = second.output()
        assert "SQLite supports one worker process" in out
        assert str(tmp_path / "one.db") in out and "--role api" in out
        api = serve("api")  # an API process next to the worker is fine
        try:
            wait_healthy(api)
        finally:
            api.popen.terminate()
            api.popen.wait(10)
    finally:
        first.popen.send_signal(signal.SIGKILL)  # however it ends, the lock ends with it
        first.popen.wait(10)
    again = serve("worker")
    try:
        wait_healthy(again)
    finally:
        again.popen.terminate()
        again.popen.wait(10)


@pytest.mark.postgres
@pytest.mark.timeout(120)
async def test_sigterm_finishes_calls_in_flight_and_releases_the_rest(
    make_cluster: MakeCluster,
) -> None:
    cluster = make_cluster(bot_hold=1.5)
    await asyncio.to_thread(cluster.start, 1, 2)
    leaving = cluster.workers[0]
    owner = f"%:{leaving.popen.pid}:%"
    task_ids = await cluster.create_tasks(60)
    held: list[object] = []
    deadline = time.monotonic() + 20
    while not held and time.monotonic() < deadline:
        held = await cluster.query(
            "SELECT id FROM deliveries WHERE state = 'pending' AND lease_owner LIKE $1", owner
        )
        await asyncio.sleep(0.02)
    assert held, "the worker never held a delivery"
    leaving.popen.send_signal(signal.SIGTERM)
    # Calls already sent finish (the bot answers within 1.5 s), then the process exits
    # (uvicorn re-raises the signal after its graceful shutdown).
    assert await asyncio.to_thread(leaving.popen.wait, 15) in (0, -signal.SIGTERM)
    assert "Application shutdown complete" in leaving.output()
    still_leased = await cluster.query(
        "SELECT count(*) FROM deliveries WHERE lease_owner LIKE $1", owner
    )
    assert still_leased[0][0] == 0
    await cluster.wait_at_step_two(60, within=60)
    assert await cluster.bot_comments() == dict.fromkeys(task_ids, 1)
    # Nothing was cut off mid-call, so nothing was delivered twice.
    calls = cluster.calls()
    assert {t: len(calls[t]) for t in task_ids} == dict.fromkeys(task_ids, 1)
