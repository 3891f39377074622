"""Crash safety of delivery: SIGKILL `pyrus-bots serve` with 200 deliveries in flight, restart
it, and every task ends with exactly one applied bot reply; no trigger is lost."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import yaml
from aiohttp import web

from pyrus_bots.protocol.signature import verify

BOTS = 20  # the per-bot cap is 10 calls in flight: 20 bots hold 200 at once
TASKS_PER_BOT = 10
HOLD = 45.0  # seconds a bot holds a request before the crash (answers at once afterwards)
HUMAN_KEY = "alice-key"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def workspace(bot_port: int) -> dict[str, Any]:
    bots = [
        {
            "id": 2001 + i,
            "name": f"Bot {i}",
            "security_key": f"secret-{i}",
            "hook_url": f"http://127.0.0.1:{bot_port}/bot/{i}",
        }
        for i in range(BOTS)
    ]
    forms = [
        {
            "id": 300 + i,
            "name": f"Request {i}",
            "fields": [{"id": 1, "code": "u_item", "name": "Item", "type": "text"}],
            "steps": [
                {"name": "Bot check", "approvers": [2001 + i]},
                {"name": "Manager", "approvers": [1001]},
            ],
        }
        for i in range(BOTS)
    ]
    return {
        "organization": {"id": 1, "name": "Acme"},
        "people": [
            {
                "id": 1001,
                "email": "alice@acme.test",
                "first_name": "Alice",
                "security_key": HUMAN_KEY,
            }
        ],
        "bots": bots,
        "forms": forms,
    }


class HoldingBot:
    """Approves every delivery after HOLD seconds; counts deliveries per task."""

    def __init__(self) -> None:
        self.received: Counter[int] = Counter()
        self.in_flight = 0
        self.bad_signatures = 0
        self.release = asyncio.Event()

    async def handle(self, request: web.Request) -> web.Response:
        index = int(request.match_info["index"])
        body = await request.read()
        if not verify(body, f"secret-{index}", request.headers.get("X-Pyrus-Sig")):
            self.bad_signatures += 1
            return web.Response(status=403)
        task_id = orjson.loads(body)["task_id"]
        self.received[task_id] += 1
        self.in_flight += 1
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.release.wait(), HOLD)
        finally:
            self.in_flight -= 1
        return web.json_response({"text": "approved", "approval_choice": "approved"})


def start_server(
    db_url: str, port: int, workspace_file: Path, log: Path
) -> subprocess.Popen[bytes]:
    command = [
        str(Path(sys.executable).parent / "pyrus-bots"),
        "serve",
        "--db",
        db_url,
        "--port",
        str(port),
        "--workspace",
        str(workspace_file),
        "--retry-schedule",
        "0,1,2",
        "--bot-timeout",
        "60",
        "--worker-lease",
        "3",
    ]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(command, stdout=log.open("ab"), stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"serve exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    process.kill()
    raise AssertionError(f"serve did not start: {log.read_text()[-2000:]}")


async def wait_for(check: Any, within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if await check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out: {what}")


@pytest.mark.timeout(180)
async def test_sigkill_with_200_in_flight(db_url: str, tmp_path: Path) -> None:
    bot = HoldingBot()
    app = web.Application()
    app.router.add_post("/bot/{index}", bot.handle)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
    await runner.setup()
    bot_port = free_port()
    await web.TCPSite(runner, "127.0.0.1", bot_port, backlog=1024).start()
    workspace_file = tmp_path / "workspace.yaml"
    workspace_file.write_text(yaml.safe_dump(workspace(bot_port)))
    port = free_port()
    log = tmp_path / "serve.log"
    server = await asyncio.to_thread(start_server, db_url, port, workspace_file, log)
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base, timeout=30) as api:
            auth = await api.post(
                "/v4/auth", json={"login": "alice@acme.test", "security_key": HUMAN_KEY}
            )
            token = auth.json()["access_token"]
            api.headers["Authorization"] = f"Bearer {token}"
            task_ids: list[int] = []

            async def create(form_id: int, n: int) -> None:
                created = await api.post(
                    "/v4/tasks",
                    json={"form_id": form_id, "fields": [{"id": 1, "value": f"item {n}"}]},
                )
                assert created.status_code == 200, created.text
                task_ids.append(created.json()["task"]["id"])

            for n in range(TASKS_PER_BOT):
                await asyncio.gather(*(create(300 + i, n) for i in range(BOTS)))

            async def crowded() -> bool:
                return bot.in_flight >= 190

            await wait_for(crowded, 30, "200 deliveries in flight")
            server.send_signal(signal.SIGKILL)
            server.wait(10)
            killed_with = bot.in_flight
            bot.release.set()
            server = await asyncio.to_thread(start_server, db_url, port, workspace_file, log)

            async def nothing_pending() -> bool:
                listed = await api.get("/admin/api/deliveries", params={"state": "pending"})
                return listed.status_code == 200 and listed.json()["deliveries"] == []

            await wait_for(nothing_pending, 90, "every delivery finished")
            for task_id in task_ids:
                task = (await api.get(f"/v4/tasks/{task_id}")).json()["task"]
                bot_comments = [
                    c
                    for c in task["comments"]
                    if c["author"]["id"] == 2001 + (task["form_id"] - 300)
                ]
                assert task["current_step"] == 2, task_id
                assert len(bot_comments) == 1, (task_id, bot_comments)
            assert set(bot.received) == set(task_ids)  # no trigger lost
            assert killed_with >= 190
            assert sum(bot.received.values()) > len(task_ids)  # some were re-delivered
            assert bot.bad_signatures == 0
    finally:
        server.kill()
        server.wait(10)
        await runner.cleanup()
