"""Delivery benchmark: how fast the platform calls bots and applies their replies.

(1) throughput: N tasks already waiting on a bot step (created before the worker starts); the
    rate at which they are delivered, answered (approved) and moved to step 2, on SQLite and on
    PostgreSQL, against a bare aiohttp loop POSTing the same signed payloads to the same bot at
    the same concurrency (the limit). The bot is one Python process (aiohttp, one core) that
    checks the signature, parses the body with orjson and approves.
(2) end to end: tasks per second including their creation through ``POST /v4/tasks`` of a
    ``pyrus-bots``-equivalent server process (create_app on uvicorn) with the worker inside.
(3) many in flight: 10,000 tasks across 100 bots that hold every request 30 s (per-bot cap
    raised to 100): all complete; the server's peak RSS; the API's p99 meanwhile.

Usage:  .venv/bin/python bench/delivery.py [--tasks 5000] [--concurrency 64] [--only 1,2,3]
        [--profile] [--write]
``--write`` replaces the "Delivery" section of docs/benchmarks.md. Never part of the tests.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import hashlib
import hmac
import io
import os
import platform
import pstats
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import orjson
import uvloop
from aiohttp import web
from cpu_meter import CpuMeter, bot_pid  # type: ignore[import-not-found]
from peers import RUNNERS as PEERS  # type: ignore[import-not-found]
from peers import count_moved as peer_moved  # type: ignore[import-not-found]
from peers import prepare as prepare_peer  # type: ignore[import-not-found]
from results import replace_section  # type: ignore[import-not-found]
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from pyrus_bots.protocol.models import CreateTaskRequest
from pyrus_bots.server.delivery.payload import build_webhook
from pyrus_bots.server.delivery.service import DeliveryService
from pyrus_bots.server.settings import Settings
from pyrus_bots.server.store import bots as bot_store
from pyrus_bots.server.store import comments as comment_store
from pyrus_bots.server.store import forms as form_store
from pyrus_bots.server.store import people as people_store
from pyrus_bots.server.store import tasks as task_store
from pyrus_bots.server.store.db import Database
from pyrus_bots.server.store.directory import load_directory
from pyrus_bots.server.store.models import TaskRow
from pyrus_bots.server.store.outbox import Delivery
from pyrus_bots.server.tasks import changes as task_service
from pyrus_bots.server.workflow.render import render_task
from pyrus_bots.server.workflow.state import FieldDef, FormDef, StepDef

SECTION = "## Delivery"
POSTGRES = os.environ.get(
    "PYRUS_BOTS_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
HUMAN_ID = 1001
HUMAN_KEY = "bench-human-key"
FIRST_BOT = 2001
FIRST_FORM = 300
CREATE_BATCH = 250
APPROVE = orjson.dumps({"text": "approved by the bench bot", "approval_choice": "approved"})


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def secret_of(index: int) -> str:
    return f"bench-secret-{index}"


# --- the bot (its own process, one core) -----------------------------------------------------


def run_bot(port: int, hold: float) -> None:
    async def handle(request: web.Request) -> web.Response:
        index = int(request.match_info["index"])
        body = await request.read()
        digest = hmac.new(secret_of(index).encode(), body, hashlib.sha1).hexdigest()
        if not hmac.compare_digest(digest, request.headers.get("X-Pyrus-Sig", "").lower()):
            return web.Response(status=403)
        orjson.loads(body)
        if hold:
            await asyncio.sleep(hold)
        return web.Response(body=APPROVE, content_type="application/json")

    app = web.Application(client_max_size=32 * 1024 * 1024)
    app.router.add_post("/bot/{index}", handle)
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None, backlog=4096)


@contextlib.contextmanager
def bot_process(hold: float = 0.0) -> Any:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, __file__, "bot", "--port", str(port), "--hold", str(hold)]
    )
    wait_port(port)
    try:
        yield port
    finally:
        process.terminate()
        process.wait(10)


def wait_port(port: int, within: float = 30.0) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port}")


# --- the server (its own process, for parts 2 and 3) ------------------------------------------


def run_server(db_url: str, port: int, options: str) -> None:
    import uvicorn

    from pyrus_bots.server.app import create_app

    settings = Settings(db=db_url, port=port, **orjson.loads(options))
    settings.bot_call_limit = tuple(settings.bot_call_limit)  # type: ignore[assignment]
    settings.retry_schedule = tuple(settings.retry_schedule)
    app = create_app(settings)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


@contextlib.contextmanager
def server_process(db_url: str, **options: Any) -> Any:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            __file__,
            "server",
            "--db",
            db_url,
            "--port",
            str(port),
            "--options",
            orjson.dumps(options).decode(),
        ]
    )
    wait_port(port, 60)
    try:
        yield port, process.pid
    finally:
        process.terminate()
        process.wait(120)


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


# --- databases and workspace -----------------------------------------------------------------


@contextlib.asynccontextmanager
async def fresh_database(kind: str, tmp: Path) -> AsyncIterator[str]:
    if kind == "sqlite":
        path = tmp / f"bench-{secrets.token_hex(4)}.db"
        yield f"sqlite:///{path}"
        return
    url = make_url(POSTGRES)
    name = f"bench_delivery_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(
        host=url.host or "127.0.0.1",
        port=url.port or 5432,
        user=url.username or "postgres",
        password=url.password,
        database="postgres",
    )
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def seed(database: Database, bot_port: int, bots: int) -> None:
    async with database.session() as session, session.begin():
        await people_store.save_organization(session, 1, "Bench")
        await people_store.create_person(
            session,
            1,
            email="alice@bench.test",
            first_name="Alice",
            security_key=HUMAN_KEY,
            person_id=HUMAN_ID,
        )
        for i in range(bots):
            await bot_store.create_bot(
                session,
                1,
                f"Bot {i}",
                hook_url=f"http://127.0.0.1:{bot_port}/bot/{i}",
                security_key=secret_of(i),
                person_id=FIRST_BOT + i,
            )
            await form_store.save_form(
                session,
                1,
                FormDef(
                    id=FIRST_FORM + i,
                    name=f"Purchase request {i}",
                    fields=[
                        FieldDef(id=1, type="text", name="Item", code="u_item"),
                        FieldDef(id=2, type="text", name="Notes", code="u_notes"),
                    ],
                    steps=[
                        StepDef(1, "Bot check", [FIRST_BOT + i]),
                        StepDef(2, "Manager", [HUMAN_ID]),
                    ],
                ),
            )


async def create_tasks(database: Database, count: int, bots: int) -> list[int]:
    """Tasks on step 1, created in the store directly (their deliveries wait in the outbox)."""
    ids: list[int] = []
    notes = "lorem ipsum " * 100  # a task body of a few KB, like a real form
    for start in range(0, count, CREATE_BATCH):
        async with database.session() as session, session.begin():
            directory = await load_directory(session)
            human = directory.people[HUMAN_ID]
            for n in range(start, min(count, start + CREATE_BATCH)):
                request = CreateTaskRequest.model_validate(
                    {
                        "form_id": FIRST_FORM + n % bots,
                        "fields": [{"id": 1, "value": f"item {n}"}, {"id": 2, "value": notes}],
                    }
                )
                task, _ = await task_service.create_task(
                    session, directory, human, request, datetime.now(UTC)
                )
                ids.append(task.id)
    return ids


async def count_done(database: Database) -> int:
    async with database.session() as session:
        stmt = select(func.count()).select_from(Delivery).where(Delivery.state == "done")
        return int((await session.execute(stmt)).scalar() or 0)


async def count_at_step_two(database: Database) -> int:
    async with database.session() as session:
        stmt = select(func.count()).select_from(TaskRow).where(TaskRow.current_step == 2)
        return int((await session.execute(stmt)).scalar() or 0)


async def wait_done(database: Database, count: int, within: float) -> float:
    started = time.perf_counter()
    while time.perf_counter() - started < within:
        if await count_done(database) >= count:
            return time.perf_counter() - started
        await asyncio.sleep(0.05)
    raise RuntimeError(f"only {await count_done(database)} of {count} delivered")


# --- part 1 ----------------------------------------------------------------------------------


async def signed_payloads(database: Database, task_ids: list[int], bot_port: int) -> list[Any]:
    """The bodies the worker would send, signed, with a stand-in token (the bot ignores it)."""
    payloads = []
    async with database.session() as session:
        directory = await load_directory(session)
        bots = {b.person_id: b for b in await bot_store.list_bots(session)}
        for task in await task_store.get_tasks(session, task_ids):
            comments = await comment_store.get_comments(session, task.id)
            bot_id = task.approvals[0][0].person_id
            bot = bots[bot_id]
            webhook = build_webhook(
                url=bot.hook_url or "",
                event="comment",
                bot_id=bot_id,
                task_id=task.id,
                access_token=secrets.token_urlsafe(32),
                bot_settings=bot.settings,
                task=render_task(directory, task, comments),
                security_key=bot.security_key,
                attempt=1,
                attempts_per_series=3,
                signature_case="upper",
            )
            payloads.append(webhook)
    return payloads


async def bare_loop(payloads: list[Any], concurrency: int) -> float:
    """Tasks per second of plain aiohttp POSTs of the same payloads (no database at all)."""
    limit = asyncio.Semaphore(concurrency)
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as http:

        async def post(webhook: Any) -> None:
            async with (
                limit,
                http.post(webhook.url, data=webhook.body, headers=webhook.headers) as r,
            ):
                await r.read()
                assert r.status == 200, r.status

        started = time.perf_counter()
        await asyncio.gather(*(post(p) for p in payloads))
        return len(payloads) / (time.perf_counter() - started)


async def part_one(
    kind: str, tasks: int, concurrency: int, tmp: Path, profile: bool
) -> dict[str, Any]:
    with bot_process() as bot_port:
        async with fresh_database(kind, tmp) as url:
            database = Database(url)
            await database.migrate()
            await seed(database, bot_port, bots=1)
            task_ids = await create_tasks(database, tasks, bots=1)
            payloads = await signed_payloads(database, task_ids, bot_port)
            bot = bot_pid(bot_port)
            parties = {"this process": [os.getpid()], "bot": [bot] if bot else []}
            db_name = str(make_url(url).database) if kind == "postgresql" else ""
            bare_meter = CpuMeter(parties, db_name)
            bare_meter.start()
            bare = await bare_loop(payloads, concurrency)
            bare_meter.stop()
            settings = Settings(
                db=url,
                bot_concurrency=concurrency,
                global_concurrency=concurrency,
                bot_call_limit=None,  # measured without a call limit
            )
            service = DeliveryService(database, settings)
            profiler = cProfile.Profile() if profile else None
            if profiler:
                profiler.enable()
            meter = CpuMeter(parties, db_name)
            meter.start()
            cpu_before = time.process_time()
            await service.start()
            elapsed = await wait_done(database, tasks, within=600)
            cpu = time.process_time() - cpu_before
            meter.stop()
            if profiler:
                profiler.disable()
            await service.stop()
            moved = await count_at_step_two(database)
            await database.dispose()
    result = {
        "db": kind,
        "tasks": tasks,
        "concurrency": concurrency,
        "seconds": elapsed,
        "rate": tasks / elapsed,
        "bare": bare,
        "moved": moved,
        "cpu_ms_per_task": cpu * 1000 / tasks,
        # CPU ms per task by party (from /proc): what the two cores spend on one delivery
        "party_cpu_ms": {k: v * 1000 / tasks for k, v in meter.spent.items()},
        "bare_party_cpu_ms": {k: v * 1000 / tasks for k, v in bare_meter.spent.items()},
        "load": os.getloadavg()[0],
        "bodies": [p.body for p in payloads],
    }
    if profiler:
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats(os.environ.get("BENCH_SORT", "tottime")).print_stats(45)
        result["profile"] = out.getvalue()
    return result


async def part_one_peer(name: str, bodies: list[bytes], tmp: Path) -> dict[str, Any]:
    """Part (1)'s work on a peer job queue (``bench/peers.py``): the same bodies, the same bot."""
    with bot_process() as bot_port:
        async with fresh_database("postgresql", tmp) as url:
            documents = [
                (n + 1, 0, f"http://127.0.0.1:{bot_port}/bot/0", body)
                for n, body in enumerate(bodies)
            ]
            await prepare_peer(url, documents)
            bot = bot_pid(bot_port)
            parties = {"this process": [os.getpid()], "bot": [bot] if bot else []}
            meter = CpuMeter(parties, str(make_url(url).database))
            await PEERS[name](url, [d[0] for d in documents], secret_of, meter)
            moved = await peer_moved(url)
    tasks = len(bodies)
    return {
        "db": name,
        "tasks": tasks,
        "seconds": meter.wall,
        "rate": tasks / meter.wall,
        "moved": moved,
        "body_bytes": statistics.median(len(b) for b in bodies),
        "party_cpu_ms": {k: v * 1000 / tasks for k, v in meter.spent.items()},
    }


# --- where the time goes ----------------------------------------------------------------------


async def phase_breakdown(kind: str, tasks: int, tmp: Path) -> dict[str, float]:
    """CPU milliseconds per delivery by phase, one delivery at a time (so that the process CPU
    time measured around each phase belongs to that phase alone)."""
    from pyrus_bots.server.delivery import claims, dispatcher, finisher, sources

    spent: dict[str, float] = {}
    originals: list[tuple[Any, str, Any]] = []

    def measure(owner: Any, name: str, label: str, is_async: bool = True) -> None:
        original = getattr(owner, name)
        originals.append((owner, name, original))

        def account(started: float) -> None:
            spent[label] = spent.get(label, 0.0) + time.process_time() - started

        if is_async:

            async def timed(*args: Any, **kwargs: Any) -> Any:
                started = time.process_time()
                try:
                    return await original(*args, **kwargs)
                finally:
                    account(started)

        else:

            def timed(*args: Any, **kwargs: Any) -> Any:  # type: ignore[misc]
                started = time.process_time()
                try:
                    return original(*args, **kwargs)
                finally:
                    account(started)

        setattr(owner, name, timed)

    measure(claims.ClaimLoop, "claim_once", "claim + read tasks/comments + tokens")
    measure(sources.SourceReader, "build", "render the task + sign", is_async=False)
    measure(dispatcher.HookClient, "post", "HTTP POST (aiohttp)")
    measure(finisher.Finisher, "finish_answered", "finish transaction, total")
    measure(finisher, "comment_tasks", "finish: reply applied by the task service")
    try:
        result = await part_one(kind, tasks, 1, tmp, profile=False)
    finally:
        for owner, name, original in originals:
            setattr(owner, name, original)
    per_task = {label: value * 1000 / tasks for label, value in spent.items()}
    per_task["total CPU of the process"] = result["cpu_ms_per_task"]
    return per_task


# --- part 2 ----------------------------------------------------------------------------------


async def part_two(kind: str, tasks: int, concurrency: int, tmp: Path) -> dict[str, Any]:
    with bot_process() as bot_port:
        async with fresh_database(kind, tmp) as url:
            database = Database(url)
            await database.migrate()
            await seed(database, bot_port, bots=1)
            options = {
                "bot_concurrency": concurrency,
                "global_concurrency": concurrency,
                "bot_call_limit": None,
                "api_limit": [10**9, 600.0],
            }
            with server_process(url, **options) as (port, _pid):
                base = f"http://127.0.0.1:{port}"
                async with aiohttp.ClientSession(base_url=base) as http:
                    async with http.post(
                        "/v4/auth", json={"login": "alice@bench.test", "security_key": HUMAN_KEY}
                    ) as r:
                        token = (await r.json())["access_token"]
                    headers = {"Authorization": f"Bearer {token}"}
                    limit = asyncio.Semaphore(32)
                    notes = "lorem ipsum " * 100

                    async def create(n: int) -> None:
                        body = {
                            "form_id": FIRST_FORM,
                            "fields": [{"id": 1, "value": f"item {n}"}, {"id": 2, "value": notes}],
                        }
                        async with limit, http.post("/v4/tasks", json=body, headers=headers) as r:
                            assert r.status == 200, await r.text()
                            await r.read()

                    started = time.perf_counter()
                    await asyncio.gather(*(create(n) for n in range(tasks)))
                    created = time.perf_counter() - started
                    await wait_done(database, tasks, within=600)
                    elapsed = time.perf_counter() - started
            moved = await count_at_step_two(database)
            await database.dispose()
    return {
        "db": kind,
        "tasks": tasks,
        "seconds": elapsed,
        "rate": tasks / elapsed,
        "create_rate": tasks / created,
        "moved": moved,
    }


# --- part 3 ----------------------------------------------------------------------------------


async def part_three(kind: str, bots: int, per_bot: int, hold: float, tmp: Path) -> dict[str, Any]:
    total = bots * per_bot
    with bot_process(hold=hold) as bot_port:
        async with fresh_database(kind, tmp) as url:
            database = Database(url)
            await database.migrate()
            await seed(database, bot_port, bots=bots)
            await create_tasks(database, total, bots=bots)
            options = {
                "bot_concurrency": per_bot,
                "global_concurrency": total,
                "bot_call_limit": None,
                "api_limit": [10**9, 600.0],
                "bot_timeout": hold * 2,
            }
            with server_process(url, **options) as (port, pid):
                base = f"http://127.0.0.1:{port}"
                latencies: list[float] = []
                started = time.perf_counter()
                async with aiohttp.ClientSession(base_url=base) as http:
                    async with http.post(
                        "/v4/auth", json={"login": "alice@bench.test", "security_key": HUMAN_KEY}
                    ) as r:
                        token = (await r.json())["access_token"]
                    headers = {"Authorization": f"Bearer {token}"}
                    done = 0
                    peak = 0
                    while done < total and time.perf_counter() - started < hold * 12:
                        t0 = time.perf_counter()
                        async with http.get("/v4/profile", headers=headers) as r:
                            await r.read()
                        latencies.append(time.perf_counter() - t0)
                        if len(latencies) % 20 == 0:
                            done = await count_done(database)
                            async with http.get("/metrics") as r:
                                for line in (await r.text()).splitlines():
                                    if line.startswith("pyrus_bots_delivery_in_flight "):
                                        peak = max(peak, int(float(line.split()[1])))
                        await asyncio.sleep(0.05)
                elapsed = time.perf_counter() - started
                rss = peak_rss_mb(pid)
            done = await count_done(database)
            moved = await count_at_step_two(database)
            await database.dispose()
    latencies.sort()
    p99 = latencies[int(len(latencies) * 0.99) - 1] if latencies else float("nan")
    return {
        "db": kind,
        "total": total,
        "done": done,
        "moved": moved,
        "seconds": elapsed,
        "rss_mb": rss,
        "api_p99_ms": p99 * 1000,
        "api_p50_ms": statistics.median(latencies) * 1000,
        "api_samples": len(latencies),
        "peak_in_flight": peak,
    }


def median_record(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """One record for several runs: the median of each figure (per party for CPU), and the
    per-run rates under ``rates``."""
    merged: dict[str, Any] = dict(runs[0])
    for key, value in runs[0].items():
        if isinstance(value, int | float) and not isinstance(value, bool):
            merged[key] = statistics.median(r[key] for r in runs)
        elif isinstance(value, dict):
            merged[key] = {k: statistics.median(r[key].get(k, 0.0) for r in runs) for k in value}
    merged["rates"] = [r["rate"] for r in runs]
    merged["rounds"] = len(runs)
    return merged


def total_cpu(spent: dict[str, float]) -> float:
    return sum(spent.get(k, 0.0) for k in ("this process", "bot", "postgresql"))


def peers_report(rows: list[dict[str, Any]], bare: dict[str, Any]) -> list[str]:
    """The platform (PostgreSQL) next to the peer job queues, from the same rounds."""
    lines = [
        f"Peers, the same rounds (medians of {rows[0]['rounds']}): the same unit of work on "
        "`pgqueuer` and `procrastinate` (`bench/peers.py`): claim, read the task, sign, POST "
        f"the same bodies (median {rows[-1].get('body_bytes', 0) / 1024:.1f} KB) to the same "
        "bot, then one transaction writing the comment, the step and the attempt; 64 jobs at "
        "once.",
        "",
        "| queue | tasks/s (median) | each round | CPU ms per task: process | bot | PostgreSQL "
        "| total | tasks per CPU-second | moved |",
        "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        spent = r["party_cpu_ms"]
        total = total_cpu(spent)
        name = "platform (PostgreSQL)" if r["db"] == "postgresql" else r["db"]
        each = ", ".join(f"{rate:.0f}" for rate in r["rates"])
        lines.append(
            f"| {name} | {r['rate']:.0f} | {each} | {spent.get('this process', 0):.2f} | "
            f"{spent.get('bot', 0):.2f} | {spent.get('postgresql', 0):.2f} | {total:.2f} | "
            f"{1000 / total:.0f} | {r['moved']} |"
        )
    platform, peers = rows[0], rows[1:]
    if peers:
        best_rate = max(peers, key=lambda r: r["rate"])
        best_cpu = min(peers, key=lambda r: total_cpu(r["party_cpu_ms"]))
        own = total_cpu(platform["party_cpu_ms"])
        lines += [
            "",
            f"- throughput: platform / {best_rate['db']} = "
            f"**{platform['rate'] / best_rate['rate']:.2f}x** (target at least 2x)",
            f"- CPU per task (all parties): {best_cpu['db']} / platform = "
            f"**{total_cpu(best_cpu['party_cpu_ms']) / own:.2f}x** as efficient",
            f"- drain CPU: platform {own:.2f} ms per delivery against the bare loop's "
            f"{total_cpu(bare['bare_party_cpu_ms']):.2f} ms per request = "
            f"**{own / total_cpu(bare['bare_party_cpu_ms']):.1f}x** (target at most 3x)",
        ]
    return [*lines, ""]


# --- report ----------------------------------------------------------------------------------


def report(results: dict[str, list[dict[str, Any]]]) -> str:
    lines = [
        SECTION,
        "",
        f"`bench/delivery.py`, {datetime.now(UTC):%Y-%m-%d}, "
        f"{platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}. The bot is one aiohttp "
        "process (signature check, orjson parse, approve); server, bot and PostgreSQL share "
        "the two cores.",
        "",
    ]
    if results.get("1"):
        lines += [
            "(1) Throughput: tasks already waiting on the bot's step, delivered, answered "
            "and moved to step 2 (reply applied).",
            "",
            "| database | tasks | concurrency | platform tasks/s | bare aiohttp loop /s | ratio "
            "| worker CPU ms per task | moved to step 2 |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for r in results["1"]:
            lines.append(
                f"| {r['db']} | {r['tasks']} | {r['concurrency']} | {r['rate']:.0f} | "
                f"{r['bare']:.0f} | {r['rate'] / r['bare']:.1%} | {r['cpu_ms_per_task']:.1f} | "
                f"{r['moved']} |"
            )
        lines += [
            "",
            "CPU ms per task by party during (1) (from /proc; two cores give at most 2 ms of CPU "
            "per ms of wall time):",
            "",
            "| run | this process (worker or bare loop) | bot | PostgreSQL | total |",
            "| --- | ---: | ---: | ---: | ---: |",
        ]
        for r in results["1"]:
            for label, spent in (
                ("platform", r["party_cpu_ms"]),
                ("bare loop", r["bare_party_cpu_ms"]),
            ):
                own, bot, pg = (spent.get(k, 0.0) for k in ("this process", "bot", "postgresql"))
                lines.append(
                    f"| {r['db']}, {label} | {own:.2f} | {bot:.2f} | {pg:.2f} | "
                    f"{own + bot + pg:.2f} |"
                )
        lines.append("")
    if results.get("peers"):
        lines += peers_report(results["peers"], results["peers"][0])
    if results.get("phases"):
        labels = [k for k in results["phases"][0] if k != "db"]
        kinds = [r["db"] for r in results["phases"]]
        lines += [
            "Where the worker's CPU goes, per delivery (one at a time, 300 tasks, ms):",
            "",
            "| phase | " + " | ".join(kinds) + " |",
            "| --- |" + " ---: |" * len(kinds),
        ]
        for label in labels:
            values = " | ".join(f"{r[label]:.2f}" for r in results["phases"])
            lines.append(f"| {label} | {values} |")
        lines.append("")
    if results.get("2"):
        lines += [
            "(2) End to end, tasks created through `POST /v4/tasks` (32 concurrent clients) "
            "on a server process with the worker inside:",
            "",
            "| database | tasks | tasks/s end to end | creation alone /s | moved to step 2 |",
            "| --- | ---: | ---: | ---: | ---: |",
        ]
        for r in results["2"]:
            lines.append(
                f"| {r['db']} | {r['tasks']} | {r['rate']:.0f} | {r['create_rate']:.0f} | "
                f"{r['moved']} |"
            )
        lines.append("")
    if results.get("3"):
        lines += [
            "(3) Many in flight: every request held by the bots; per-bot cap raised to match.",
            "",
            "| database | deliveries | peak in flight | completed | moved to step 2 | wall s "
            "| server peak RSS MB | API p50 ms | API p99 ms |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for r in results["3"]:
            lines.append(
                f"| {r['db']} | {r['total']} | {r['peak_in_flight']} | {r['done']} | "
                f"{r['moved']} | "
                f"{r['seconds']:.0f} | "
                f"{r['rss_mb']:.0f} | {r['api_p50_ms']:.1f} | {r['api_p99_ms']:.1f} |"
            )
        lines.append("")
    return "\n".join(lines)


async def main(args: argparse.Namespace) -> None:
    parts = set(args.only.split(","))
    results: dict[str, list[dict[str, Any]]] = {}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        if "1" in parts:
            runs: dict[str, list[dict[str, Any]]] = {}
            for round_no in range(args.rounds):
                for kind in ("sqlite", "postgresql"):
                    r = await part_one(kind, args.tasks, args.concurrency, tmp, args.profile)
                    bodies = r.pop("bodies")
                    print(
                        round_no,
                        orjson.dumps({k: v for k, v in r.items() if k != "profile"}).decode(),
                        flush=True,
                    )
                    if "profile" in r:
                        print(r.pop("profile"), flush=True)
                    runs.setdefault(kind, []).append(r)
                if args.peers:
                    for name in PEERS:
                        r = await part_one_peer(name, bodies, tmp)
                        print(round_no, orjson.dumps(r).decode(), flush=True)
                        runs.setdefault(name, []).append(r)
            results["1"] = [median_record(runs[k]) for k in ("sqlite", "postgresql")]
            results["peers"] = [
                median_record(runs[k]) for k in ("postgresql", *PEERS) if k in runs and args.peers
            ]
            results["phases"] = []
            for kind in ("sqlite", "postgresql"):
                phases = await phase_breakdown(kind, 300, tmp)
                print(kind, orjson.dumps(phases).decode(), flush=True)
                results["phases"].append({"db": kind, **phases})
        if "2" in parts:
            results["2"] = []
            for kind in ("sqlite", "postgresql"):
                r = await part_two(kind, args.e2e_tasks, args.concurrency, tmp)
                print(orjson.dumps(r).decode(), flush=True)
                results["2"].append(r)
        if "3" in parts:
            r = await part_three("postgresql", args.bots, args.per_bot, args.hold, tmp)
            print(orjson.dumps(r).decode(), flush=True)
            results["3"] = [r]
    text = report(results)
    print(text)
    if args.write:
        replace_section(text)


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command")
    bot = sub.add_parser("bot")
    bot.add_argument("--port", type=int, required=True)
    bot.add_argument("--hold", type=float, default=0.0)
    server = sub.add_parser("server")
    server.add_argument("--db", required=True)
    server.add_argument("--port", type=int, required=True)
    server.add_argument("--options", default="{}")
    parser.add_argument("--tasks", type=int, default=5000)
    parser.add_argument("--e2e-tasks", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--bots", type=int, default=100)
    parser.add_argument("--per-bot", type=int, default=100)
    parser.add_argument("--hold", type=float, default=30.0)
    parser.add_argument("--only", default="1,2,3")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of (1); medians reported")
    parser.add_argument(
        "--no-peers", dest="peers", action="store_false", help="skip pgqueuer and procrastinate"
    )
    parser.add_argument(
        "--loop", choices=("uvloop", "asyncio"), default="uvloop", help="as `serve` runs"
    )
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    if args.command == "bot":
        run_bot(args.port, args.hold)
    elif args.command == "server":
        run_server(args.db, args.port, args.options)
    elif args.loop == "uvloop":
        uvloop.run(main(args))
    else:
        asyncio.run(main(args))


if __name__ == "__main__":
    cli()
