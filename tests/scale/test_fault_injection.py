"""Fault injection on PostgreSQL: ``kill -9`` of API and worker processes at random moments while
tasks are created and delivered to a bot that fails, times out and answers garbage.

Afterwards, from the database and the bot's own record of the requests it received:
- no trigger is lost: every task that exists has its delivery, and every delivery has ended;
- every task has exactly the bot comments that its delivery's successful attempts applied, and
  what the bot's behaviour for that task calls for (an approval moves it on, garbage or an
  invalid reply changes nothing, three failures pause the pair);
- the delivery log accounts for every attempt: each attempt the bot received has its log row
  (an attempt cut short by a killed worker is made again under the same number), each log row
  was received by the bot, and a delivery's attempt counter is the number of its rows.

``PYRUS_BOTS_FAULT_TASKS`` sets how many tasks (default 500, about 1.5 min on two cores).
"""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from chaos_bot import kind_of
from scale_cluster import (
    BOT_ID,
    BOT_SECRET,
    FORM_ID,
    HUMAN_KEY,
    SERVE,
    Cluster,
    Process,
    free_port,
    wait_healthy,
    wait_listening,
    workspace,
)

TASKS = int(os.environ.get("PYRUS_BOTS_FAULT_TASKS", "500"))
SEED = int(os.environ.get("PYRUS_BOTS_FAULT_SEED", "15"))
BOT_TIMEOUT = 1.0
WORKER_LEASE = 3.0
CREATE_CONCURRENCY = 4
CREATE_PAUSE = 0.3  # seconds each creator waits between tasks: the run spans many kills
KILL_EVERY = (0.5, 2.0)  # seconds between two kills, drawn at random
SETTLE_TIMEOUT = 120.0
CHAOS_BOT = Path(__file__).with_name("chaos_bot.py")

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(600)]


class ChaosCluster(Cluster):
    """Two API and two worker processes; any of them may be killed and replaced at any time."""

    kills: Counter[str]
    ready: set[int]

    def start_bot(self) -> None:
        port = free_port()
        self.workspace_file.write_text(yaml.safe_dump(workspace(port)))
        self.bot_log.touch()
        self.bot = subprocess.Popen(
            [sys.executable, str(CHAOS_BOT), "--port", str(port), "--secret", BOT_SECRET,
             "--log", str(self.bot_log), "--hold", str(BOT_TIMEOUT * 2)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_listening(port)

    def spawn(self, role: str) -> Process:
        port = free_port()
        log = self.tmp / f"{role}-{port}.log"
        command = [
            SERVE, "serve", "--role", role, "--port", str(port), "--db", self.db_url,
            "--workspace", str(self.workspace_file), "--retry-schedule", "0,0.5,1",
            "--bot-timeout", f"{BOT_TIMEOUT:g}", "--worker-lease", f"{WORKER_LEASE:g}",
            "--bot-call-limit", "100000/600", "--api-limit", "1000000/600",
        ]  # fmt: skip
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        popen = subprocess.Popen(command, stdout=log.open("ab"), stderr=subprocess.STDOUT, env=env)
        process = Process(role, port, popen, log)
        self.processes.append(process)
        return process

    def serving(self, role: str) -> list[Process]:
        """The processes of ``role`` that have answered ``/healthz`` and are not killed."""
        return [p for p in self.processes if p.role == role and p.port in self.ready]

    async def until_serving(self, process: Process) -> None:
        await asyncio.to_thread(wait_healthy, process)
        self.ready.add(process.port)

    async def kill_and_replace(self, role: str, rng: random.Random) -> None:
        """Once every process of ``role`` serves, SIGKILL one of them and start another: one of
        each role always serves or is starting, and the faults outpace no restart."""
        for process in [p for p in self.processes if p.role == role]:
            await self.until_serving(process)
        victim = rng.choice(self.serving(role))
        self.ready.discard(victim.port)
        victim.popen.send_signal(signal.SIGKILL)
        victim.popen.wait()
        self.processes.remove(victim)
        self.kills[role] += 1
        self.spawn(role)


@pytest.fixture
def cluster(postgres_url: str, tmp_path: Path) -> Iterator[ChaosCluster]:
    made = ChaosCluster(postgres_url, tmp_path, worker_lease=WORKER_LEASE)
    made.kills = Counter()
    made.ready = set()
    yield made
    made.stop()


async def _create_tasks(cluster: ChaosCluster, count: int) -> int:
    """Create ``count`` tasks through whichever API process is alive, trying again (on another
    process) when one is killed under a request. Answers how many requests were cut short."""
    cut_short = 0
    numbers = iter(range(count))

    async def creator() -> None:
        nonlocal cut_short
        async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(keepalive_expiry=0)) as client:
            for n in numbers:
                while True:
                    apis = cluster.serving("api")
                    if not apis:
                        await asyncio.sleep(0.1)
                        continue
                    base = random.choice(apis).base
                    try:
                        auth = await client.post(
                            f"{base}/v4/auth",
                            json={"login": "alice@acme.test", "security_key": HUMAN_KEY},
                        )
                        token = auth.json()["access_token"]
                        answer = await client.post(
                            f"{base}/v4/tasks",
                            json={"form_id": FORM_ID, "fields": [{"id": 1, "value": f"#{n}"}]},
                            headers={"Authorization": f"Bearer {token}"},
                        )
                    except (httpx.TransportError, ValueError, KeyError):
                        cut_short += 1  # the process died under the request: try again
                        await asyncio.sleep(0.1)
                        continue
                    assert answer.status_code == 200, answer.text
                    break
                await asyncio.sleep(CREATE_PAUSE)

    await asyncio.gather(*(creator() for _ in range(CREATE_CONCURRENCY)))
    return cut_short


async def _chaos(cluster: ChaosCluster, rng: random.Random, stop: asyncio.Event) -> None:
    """Kill an API process and a worker in turn, at random intervals, until ``stop``."""
    for role in itertools.cycle(("worker", "api")):
        try:
            await asyncio.wait_for(stop.wait(), rng.uniform(*KILL_EVERY))
            return
        except TimeoutError:
            await cluster.kill_and_replace(role, rng)


async def _settled(cluster: ChaosCluster) -> None:
    deadline = time.monotonic() + SETTLE_TIMEOUT
    while time.monotonic() < deadline:
        rows = await cluster.query("SELECT count(*) FROM deliveries WHERE state = 'pending'")
        if rows[0][0] == 0:
            return
        await asyncio.sleep(0.3)
    pending = await cluster.query(
        "SELECT task_id, attempts, outcome FROM deliveries WHERE state = 'pending' LIMIT 10"
    )
    errors = [
        line
        for process in cluster.processes
        for line in process.log.read_text(errors="replace").splitlines()
        if "Error" in line or "error" in line
    ]
    raise AssertionError(
        "deliveries still pending after the faults stopped: "
        f"{[(r[0], kind_of(r[0]), r[1], r[2]) for r in pending]}\n" + "\n".join(errors[-15:])
    )


def _bot_calls(log: Path) -> list[tuple[int, int, int]]:
    calls = []
    for line in log.read_text().splitlines():
        task_id, attempt, status = line.split()
        calls.append((int(task_id), int(attempt), int(status)))
    return calls


async def test_kill_9_of_api_and_workers_loses_and_duplicates_nothing(
    cluster: ChaosCluster,
) -> None:
    rng = random.Random(SEED)
    cluster.start(apis=2, workers=2)
    cluster.ready.update(p.port for p in cluster.processes)
    stop = asyncio.Event()
    chaos = asyncio.create_task(_chaos(cluster, rng, stop))
    started = time.monotonic()
    cut_short = await _create_tasks(cluster, TASKS)
    # Keep killing while the deliveries of the last tasks are under way.
    await asyncio.sleep(3.0)
    stop.set()
    await chaos
    for process in cluster.processes:
        await cluster.until_serving(process)
    await _settled(cluster)
    elapsed = time.monotonic() - started

    tasks = {
        r["id"]: r["current_step"]
        for r in await cluster.query("SELECT id, current_step FROM tasks")
    }
    deliveries = await cluster.query("SELECT id, task_id, state, attempts, outcome FROM deliveries")
    attempts = await cluster.query(
        "SELECT delivery_id, task_id, number, response_status, outcome, reply_applied, comment_id "
        "FROM delivery_attempts"
    )
    bot_comments = await cluster.query(
        "SELECT task_id, id FROM comments WHERE author_id = $1", BOT_ID
    )
    calls = _bot_calls(cluster.bot_log)
    print(
        f"\n{len(tasks)} tasks in {elapsed:.1f} s; kills {dict(cluster.kills)}; "
        f"{cut_short} API requests cut short; {len(calls)} bot calls; {len(attempts)} attempts"
    )
    assert TASKS <= len(tasks) <= TASKS + cut_short
    assert cluster.kills["api"] and cluster.kills["worker"], cluster.kills

    # No trigger is lost: one delivery per task (only its creation calls the bot), all ended.
    per_task = Counter(d["task_id"] for d in deliveries)
    assert set(per_task) == set(tasks) and set(per_task.values()) == {1}
    assert {d["state"] for d in deliveries} <= {"done", "failed"}

    # The delivery log accounts for every attempt.
    rows_of: dict[int, list[int]] = defaultdict(list)
    for row in attempts:
        rows_of[row["delivery_id"]].append(row["number"])
    for delivery in deliveries:
        numbers = sorted(rows_of[delivery["id"]])
        assert numbers == list(range(1, delivery["attempts"] + 1)), (delivery, numbers)
    logged = {(r["task_id"], r["number"]) for r in attempts}
    received = {(task_id, attempt) for task_id, attempt, _ in calls}
    assert logged == received
    for task_id, attempt, status in calls:
        assert (
            status
            in {
                r["response_status"]
                for r in attempts
                if (r["task_id"], r["number"]) == (task_id, attempt)
            }
            or kind_of(task_id) == "time_out_first"
        )

    # Every task has exactly the bot comments its successful attempts applied ...
    comments_of: dict[int, set[int]] = defaultdict(set)
    for row in bot_comments:
        comments_of[row["task_id"]].add(row["id"])
    applied_of: dict[int, set[int]] = defaultdict(set)
    for row in attempts:
        if row["reply_applied"]:
            assert row["outcome"] == "success" and row["comment_id"] is not None
            applied_of[row["task_id"]].add(row["comment_id"])
    assert comments_of == applied_of
    # ... and what the bot's behaviour for the task calls for.
    state_of = {d["task_id"]: d for d in deliveries}
    for task_id, step in tasks.items():
        kind = kind_of(task_id)
        approves = kind in {"approve", "fail_first", "time_out_first"}
        assert len(comments_of[task_id]) == (1 if approves else 0), (task_id, kind)
        assert step == (2 if approves else 1), (task_id, kind)
        expected_state = "failed" if kind == "always_fail" else "done"
        assert state_of[task_id]["state"] == expected_state, (task_id, kind)
        if kind == "invalid_reply":
            assert (state_of[task_id]["outcome"] or "").startswith("invalid_reply"), task_id
