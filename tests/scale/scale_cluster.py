"""Real processes for the scale-out tests: ``pyrus-bots serve --role ...`` and a recording bot.

A :class:`Cluster` starts API and worker processes against one database (all at the same time),
creates tasks through the API processes in turn and reads the outcome from the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import signal
import socket
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import yaml
from sqlalchemy.engine import make_url

HUMAN_ID = 1001
HUMAN_KEY = "alice-key"
BOT_ID = 2001
BOT_SECRET = "scale-bot-secret"
FORM_ID = 321
SERVE = str(Path(sys.executable).parent / "pyrus-bots")
BOT_SCRIPT = Path(__file__).with_name("recording_bot.py")
START_TIMEOUT = 60.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def workspace(bot_port: int) -> dict[str, Any]:
    return {
        "organization": {"id": 1, "name": "Acme"},
        "people": [
            {"id": HUMAN_ID, "email": "alice@acme.test", "first_name": "Alice",
             "security_key": HUMAN_KEY},
        ],
        "bots": [
            {"id": BOT_ID, "name": "Approver", "security_key": BOT_SECRET,
             "hook_url": f"http://127.0.0.1:{bot_port}/"},
        ],
        "forms": [
            {
                "id": FORM_ID,
                "name": "Purchase request",
                "fields": [{"id": 1, "code": "u_item", "name": "Item", "type": "text"}],
                "steps": [
                    {"name": "Bot check", "approvers": [BOT_ID]},
                    {"name": "Manager", "approvers": [HUMAN_ID]},
                ],
            }
        ],
    }  # fmt: skip


@dataclass(frozen=True, slots=True)
class Call:
    """One request the bot received."""

    task_id: int
    retry: str
    arrived: float
    status: int


def read_calls(log: Path) -> list[Call]:
    calls = []
    for line in log.read_text().splitlines():
        task_id, retry, arrived, status = line.split()
        calls.append(Call(int(task_id), retry, float(arrived), int(status)))
    return calls


def max_in_window(times: list[float], window: float) -> int:
    """The most calls any half-open window of ``window`` seconds holds."""
    ordered = sorted(times)
    most = 0
    start = 0
    for end, at in enumerate(ordered):
        while ordered[start] <= at - window:
            start += 1
        most = max(most, end - start + 1)
    return most


@dataclass
class Process:
    role: str
    port: int
    popen: subprocess.Popen[bytes]
    log: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]


@dataclass
class Cluster:
    db_url: str
    tmp: Path
    worker_lease: float = 90.0
    bot_call_limit: str = "100000/600"
    api_limit: str = "1000000/600"
    bot_hold: float = 0.0
    bot_fail_every: int = 0
    processes: list[Process] = field(default_factory=list)
    bot: subprocess.Popen[bytes] | None = None
    bot_log: Path = field(init=False)
    workspace_file: Path = field(init=False)

    def __post_init__(self) -> None:
        self.bot_log = self.tmp / "bot-calls.log"
        self.workspace_file = self.tmp / "workspace.yaml"

    # --- processes ---------------------------------------------------------------------------

    def start_bot(self) -> None:
        port = free_port()
        self.workspace_file.write_text(yaml.safe_dump(workspace(port)))
        self.bot_log.touch()
        self.bot = subprocess.Popen(
            [sys.executable, str(BOT_SCRIPT), "--port", str(port), "--secret", BOT_SECRET,
             "--log", str(self.bot_log), "--fail-every", str(self.bot_fail_every),
             "--hold", str(self.bot_hold)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_listening(port)

    def spawn(self, role: str) -> Process:
        port = free_port()
        log = self.tmp / f"{role}-{port}.log"
        command = [
            SERVE, "serve", "--role", role, "--port", str(port), "--db", self.db_url,
            "--workspace", str(self.workspace_file), "--retry-schedule", "0,0.5,1",
            "--bot-timeout", "10", "--worker-lease", f"{self.worker_lease:g}",
            "--bot-call-limit", self.bot_call_limit, "--api-limit", self.api_limit,
        ]  # fmt: skip
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        popen = subprocess.Popen(command, stdout=log.open("ab"), stderr=subprocess.STDOUT, env=env)
        process = Process(role, port, popen, log)
        self.processes.append(process)
        return process

    def start(self, apis: int, workers: int) -> None:
        """Start every process at once and wait until each answers ``/healthz``."""
        self.start_bot()
        started = [self.spawn("api") for _ in range(apis)]
        started += [self.spawn("worker") for _ in range(workers)]
        for process in started:
            wait_healthy(process)

    def stop(self) -> None:
        for process in self.processes:
            if process.popen.poll() is None:
                process.popen.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.popen.wait(15)
            except subprocess.TimeoutExpired:
                process.popen.kill()
                process.popen.wait(5)
        if self.bot is not None:
            self.bot.terminate()
            self.bot.wait(10)

    @property
    def apis(self) -> list[Process]:
        return [p for p in self.processes if p.role == "api"]

    @property
    def workers(self) -> list[Process]:
        return [p for p in self.processes if p.role == "worker"]

    # --- traffic -----------------------------------------------------------------------------

    async def create_tasks(self, count: int, concurrency: int = 16) -> list[int]:
        """Create ``count`` form tasks, alternating between the API processes."""
        clients = []
        for api in self.apis:
            # Idle connections are dropped before uvicorn's 5-s keep-alive ends: a request on a
            # connection the server is closing at that instant would fail with ReadError.
            client = httpx.AsyncClient(
                base_url=api.base, timeout=60, limits=httpx.Limits(keepalive_expiry=1.0)
            )
            auth = await client.post(
                "/v4/auth", json={"login": "alice@acme.test", "security_key": HUMAN_KEY}
            )
            assert auth.status_code == 200, auth.text
            client.headers["Authorization"] = f"Bearer {auth.json()['access_token']}"
            clients.append(client)
        gate = asyncio.Semaphore(concurrency)
        rotation = itertools.cycle(clients)
        task_ids: list[int] = []

        async def create(n: int, client: httpx.AsyncClient) -> None:
            async with gate:
                response = await client.post(
                    "/v4/tasks",
                    json={"form_id": FORM_ID, "fields": [{"id": 1, "value": f"item {n}"}]},
                )
            assert response.status_code == 200, response.text
            task_ids.append(int(response.json()["task"]["id"]))

        try:
            await asyncio.gather(*(create(n, next(rotation)) for n in range(count)))
        finally:
            for client in clients:
                await client.aclose()
        return task_ids

    # --- outcome -----------------------------------------------------------------------------

    async def query(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        url = make_url(self.db_url)
        connection = await asyncpg.connect(
            host=url.host, port=url.port, user=url.username, password=url.password,
            database=url.database,
        )  # fmt: skip
        try:
            return list(await connection.fetch(sql, *args))
        finally:
            await connection.close()

    async def at_step_two(self) -> int:
        rows = await self.query("SELECT count(*) FROM tasks WHERE current_step = 2")
        return int(rows[0][0])

    async def wait_at_step_two(self, count: int, within: float) -> None:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if await self.at_step_two() >= count:
                return
            for process in self.processes:
                assert process.popen.poll() is None or process.popen.returncode in (
                    0,
                    -signal.SIGKILL,
                    -signal.SIGTERM,
                ), f"{process.role} exited: {process.output()}"
            await asyncio.sleep(0.25)
        raise AssertionError(f"only {await self.at_step_two()} of {count} tasks reached step 2")

    async def bot_comments(self) -> dict[int, int]:
        """Bot comments per task."""
        rows = await self.query(
            "SELECT task_id, count(*) FROM comments WHERE author_id = $1 GROUP BY task_id", BOT_ID
        )
        return {int(r[0]): int(r[1]) for r in rows}

    def calls(self) -> dict[int, list[Call]]:
        by_task: dict[int, list[Call]] = defaultdict(list)
        for call in read_calls(self.bot_log):
            by_task[call.task_id].append(call)
        return by_task


def wait_listening(port: int, within: float = 20.0) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise AssertionError(f"nothing listens on port {port}")


def wait_healthy(process: Process) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.popen.poll() is not None:
            raise AssertionError(f"{process.role} exited at start: {process.output()}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{process.base}/healthz", timeout=1).status_code == 200:
                return
        time.sleep(0.1)
    raise AssertionError(f"{process.role} did not start: {process.output()}")
