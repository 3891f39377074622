"""Scale-out benchmark: ``pyrus-bots serve`` processes on one PostgreSQL, one to three workers.

In one run, for 1, 2 and 3 worker processes (plus two API processes and one bot process, all
real ``pyrus-bots serve --role ...`` processes on loopback):

(a) end to end: tasks created through ``POST /v4/tasks`` of both API processes (32 concurrent
    clients), delivered to the bot, approved and moved to step 2; tasks per second from the first
    request to the last task at step 2;
(b) drain: the same number of tasks created while no worker runs, then the workers started; the
    rate from the first attempt to the last (from the attempt log);
(c) the bare aiohttp loop of bench/delivery.py POSTing the same signed payloads to the same bot
    at the workers' concurrency (10 calls in flight per worker);
(d) CPU seconds spent by each party (API processes, workers, the bot, PostgreSQL) during (a) and
    (b), from /proc, and a py-spy profile of one worker and one API process during (a).

Then the takeover: two workers with ``--worker-lease 5``, a bot that holds every request 1 s;
one worker is SIGKILLed with deliveries in flight; the time until the first and the last of its
deliveries are attempted again by the survivor.

Usage:  .venv/bin/python bench/scale.py [--tasks 1000] [--workers 1,2,3] [--write]
``--write`` replaces the "Scale-out" section of docs/benchmarks.md. Never part of the tests.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import orjson
import yaml
from cpu_meter import CpuMeter, bot_pid  # type: ignore[import-not-found]

# The bot, the database helper and the bare loop of the delivery benchmark, reused as they are.
from delivery import (  # type: ignore[import-not-found]
    HUMAN_ID,
    HUMAN_KEY,
    bare_loop,
    bot_process,
    free_port,
    fresh_database,
    secret_of,
    signed_payloads,
)
from results import replace_section  # type: ignore[import-not-found]
from sqlalchemy.engine import make_url

from pyrus_bots.server.store.db import Database

SECTION = "## Scale-out"
SERVE = str(Path(sys.executable).parent / "pyrus-bots")
PY_SPY = str(Path(sys.executable).parent / "py-spy")
BOT_ID = 2001
FORM_ID = 300
PER_WORKER_IN_FLIGHT = 10  # the default per-bot cap of one worker
CLIENTS = 32


def workspace(bot_port: int) -> dict[str, Any]:
    return {
        "organization": {"id": 1, "name": "Bench"},
        "people": [
            {"id": HUMAN_ID, "email": "alice@bench.test", "first_name": "Alice",
             "security_key": HUMAN_KEY},
        ],
        "bots": [
            {"id": BOT_ID, "name": "Bench bot", "security_key": secret_of(0),
             "hook_url": f"http://127.0.0.1:{bot_port}/bot/0"},
        ],
        "forms": [
            {
                "id": FORM_ID,
                "name": "Purchase request",
                "fields": [
                    {"id": 1, "code": "u_item", "name": "Item", "type": "text"},
                    {"id": 2, "code": "u_notes", "name": "Notes", "type": "text"},
                ],
                "steps": [
                    {"name": "Bot check", "approvers": [BOT_ID]},
                    {"name": "Manager", "approvers": [HUMAN_ID]},
                ],
            }
        ],
    }  # fmt: skip


# --- processes -------------------------------------------------------------------------------


@dataclass
class Serve:
    role: str
    port: int
    popen: subprocess.Popen[bytes]

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def spawn(role: str, db_url: str, workspace_file: Path, log_dir: Path, lease: float) -> Serve:
    port = free_port()
    command = [
        SERVE, "serve", "--role", role, "--port", str(port), "--db", db_url,
        "--workspace", str(workspace_file), "--worker-lease", f"{lease:g}",
        "--bot-call-limit", "10000/600", "--api-limit", "1000000000/600",
    ]  # fmt: skip
    log = (log_dir / f"{role}-{port}.log").open("ab")
    popen = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    return Serve(role, port, popen)


async def wait_healthy(processes: list[Serve], within: float = 120.0) -> None:
    deadline = time.monotonic() + within
    async with aiohttp.ClientSession() as http:
        for process in processes:
            while True:
                if process.popen.poll() is not None:
                    raise RuntimeError(f"{process.role} on {process.port} exited")
                with contextlib.suppress(aiohttp.ClientError):
                    async with http.get(f"{process.base}/healthz") as r:
                        if r.status == 200:
                            break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{process.role} on {process.port} did not start")
                await asyncio.sleep(0.1)


def stop(processes: list[Serve]) -> None:
    for process in processes:
        if process.popen.poll() is None:
            process.popen.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.popen.wait(30)
        except subprocess.TimeoutExpired:
            process.popen.kill()


# --- profile ---------------------------------------------------------------------------------

CATEGORIES = (
    ("database driver (asyncpg, SQLAlchemy)", ("asyncpg", "sqlalchemy")),
    ("outbound HTTP (aiohttp)", ("aiohttp/client", "aiohttp/connector", "aiohttp/streams")),
    ("inbound HTTP (uvicorn, Starlette, FastAPI)", ("uvicorn", "starlette", "fastapi")),
    ("rendering / workflow", ("pyrus_bots/server/workflow",)),
    ("pydantic", ("pydantic",)),
    ("JSON (orjson/json)", ("orjson", "json/")),
    ("event loop", ("asyncio/", "uvloop")),
)


def start_profile(pid: int, out: Path, seconds: float) -> subprocess.Popen[bytes] | None:
    if not shutil.which(PY_SPY) and not Path(PY_SPY).exists():
        return None
    command = [
        PY_SPY, "record", "--pid", str(pid), "--duration", str(int(seconds)), "--rate", "200",
        "--format", "raw", "--output", str(out), "--nonblocking",
    ]  # fmt: skip
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def summarise_profile(path: Path) -> dict[str, Any]:
    """Share of samples by category (first matching frame from the leaf) and top leaf functions."""
    if not path.exists():
        return {}
    by_category: Counter[str] = Counter()
    by_leaf: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack:
            continue
        count = int(count_text)
        frames = stack.split(";")
        total += count
        by_leaf[frames[-1].split(" (")[0] + " " + _short(frames[-1])] += count
        category = "other (own code, stdlib)"
        for frame in reversed(frames):
            found = next((name for name, keys in CATEGORIES if any(k in frame for k in keys)), None)
            if found is not None:
                category = found
                break
        by_category[category] += count
    return {
        "samples": total,
        "categories": {k: v / total for k, v in by_category.most_common()} if total else {},
        "leaves": [(k, v / total) for k, v in by_leaf.most_common(8)] if total else [],
    }


def _short(frame: str) -> str:
    inside = frame.split(" (", 1)[1].rstrip(")") if " (" in frame else ""
    for marker in ("site-packages/", "python3.11/", "src/"):
        if marker in inside:
            return "(" + inside.split(marker, 1)[1] + ")"
    return f"({inside})"


# --- database reads --------------------------------------------------------------------------


async def query(db_url: str, sql: str, *args: Any) -> list[Any]:
    url = make_url(db_url)
    connection = await asyncpg.connect(
        host=url.host, port=url.port, user=url.username, password=url.password,
        database=url.database,
    )  # fmt: skip
    try:
        return list(await connection.fetch(sql, *args))
    finally:
        await connection.close()


async def commits(db_url: str) -> int:
    """Transactions committed in this database so far (statistics lag up to a second)."""
    await asyncio.sleep(1.1)
    rows = await query(
        db_url, "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()"
    )
    return int(rows[0][0])


async def at_step_two(db_url: str) -> int:
    return int((await query(db_url, "SELECT count(*) FROM tasks WHERE current_step = 2"))[0][0])


POLL = 0.1  # seconds between two counts of tasks at step 2 (one connection, one commit each)


async def wait_step_two(db_url: str, count: int, within: float = 600.0) -> None:
    url = make_url(db_url)
    connection = await asyncpg.connect(
        host=url.host, port=url.port, user=url.username, password=url.password,
        database=url.database,
    )  # fmt: skip
    deadline = time.monotonic() + within
    try:
        while True:
            done = await connection.fetchval("SELECT count(*) FROM tasks WHERE current_step = 2")
            if done >= count:
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"only {done} of {count} at step 2")
            await asyncio.sleep(POLL)
    finally:
        await connection.close()


async def create_tasks(apis: list[Serve], count: int, offset: int) -> list[int]:
    notes = "lorem ipsum " * 100
    sessions = []
    for api in apis:
        # Idle connections close before uvicorn's 5-s keep-alive would close them under us.
        http = aiohttp.ClientSession(
            base_url=api.base, connector=aiohttp.TCPConnector(keepalive_timeout=1.0)
        )
        async with http.post(
            "/v4/auth", json={"login": "alice@bench.test", "security_key": HUMAN_KEY}
        ) as r:
            token = (await r.json())["access_token"]
        http.headers["Authorization"] = f"Bearer {token}"
        sessions.append(http)
    gate = asyncio.Semaphore(CLIENTS)
    rotation = itertools.cycle(sessions)
    ids: list[int] = []

    async def create(n: int, http: aiohttp.ClientSession) -> None:
        body = {
            "form_id": FORM_ID,
            "fields": [{"id": 1, "value": f"item {n}"}, {"id": 2, "value": notes}],
        }
        async with gate, http.post("/v4/tasks", json=body) as r:
            assert r.status == 200, await r.text()
            ids.append(int((await r.json())["task"]["id"]))

    try:
        await asyncio.gather(*(create(offset + n, next(rotation)) for n in range(count)))
    finally:
        for http in sessions:
            await http.close()
    return ids


# --- one configuration -----------------------------------------------------------------------


async def run_workers(workers: int, tasks: int, tmp: Path, profile: bool) -> dict[str, Any]:
    result: dict[str, Any] = {"workers": workers, "tasks": tasks}
    with bot_process() as bot_port:
        async with fresh_database("postgresql", tmp) as db_url:
            database = Database(db_url)
            await database.migrate()
            await database.dispose()
            workspace_file = tmp / f"workspace-{workers}.yaml"
            workspace_file.write_text(yaml.safe_dump(workspace(bot_port)))
            apis = [spawn("api", db_url, workspace_file, tmp, 90) for _ in range(2)]
            pool = [spawn("worker", db_url, workspace_file, tmp, 90) for _ in range(workers)]
            try:
                await wait_healthy(apis + pool)
                bot = bot_pid(bot_port)
                parties = {
                    "API processes": [a.popen.pid for a in apis],
                    "workers": [w.popen.pid for w in pool],
                    "bot": [bot] if bot else [],
                }
                # (a) end to end
                meter = CpuMeter(parties, str(make_url(db_url).database))
                profiles: list[tuple[str, Path, subprocess.Popen[bytes] | None]] = []
                if profile:
                    expected = tasks / 25  # seconds the creation takes here, roughly
                    for name, pid in (("worker", pool[0].popen.pid), ("api", apis[0].popen.pid)):
                        out = tmp / f"profile-{name}-{workers}.txt"
                        profiles.append((name, out, start_profile(pid, out, expected)))
                commits_before = await commits(db_url)
                meter.start()
                started = time.perf_counter()
                ids = await create_tasks(apis, tasks, 0)
                created = time.perf_counter() - started
                await wait_step_two(db_url, tasks)
                elapsed = time.perf_counter() - started
                meter.stop()
                polls = elapsed / POLL  # our own counting commits too
                result["commits_per_task"] = (
                    await commits(db_url) - commits_before - polls
                ) / tasks
                for _name, _out, spy in profiles:
                    if spy is not None:
                        spy.wait(120)
                result.update(
                    e2e_rate=tasks / elapsed,
                    create_rate=tasks / created,
                    e2e_cpu=meter.spent,
                    e2e_wall=meter.wall,
                    profiles={n: summarise_profile(o) for n, o, _ in profiles},
                )
                # (b) drain: tasks created while no worker runs, then the workers started
                stop(pool)
                ids += await create_tasks(apis, tasks, tasks)
                pool = [spawn("worker", db_url, workspace_file, tmp, 90) for _ in range(workers)]
                parties["workers"] = [w.popen.pid for w in pool]
                await wait_healthy(pool)
                drain_meter = CpuMeter(parties, str(make_url(db_url).database))
                drain_meter.start()
                await wait_step_two(db_url, 2 * tasks)
                drain_meter.stop()
                first, last = (
                    await query(
                        db_url,
                        "SELECT min(started_at), max(finished_at) FROM delivery_attempts "
                        "WHERE task_id = ANY($1::bigint[])",
                        ids[tasks:],
                    )
                )[0]
                result.update(
                    drain_rate=tasks / (last - first).total_seconds(),
                    drain_cpu=drain_meter.spent,
                    drain_wall=drain_meter.wall,
                )
                # (c) the bare loop at the workers' concurrency, same payloads
                database = Database(db_url)
                payloads = await signed_payloads(database, ids[:tasks], bot_port)
                await database.dispose()
                result["bare_concurrency"] = PER_WORKER_IN_FLIGHT * workers
                result["bare_rate"] = await bare_loop(payloads, PER_WORKER_IN_FLIGHT * workers)
                result["load"] = os.getloadavg()[0]
            finally:
                stop(apis + pool)
    return result


# --- takeover --------------------------------------------------------------------------------


async def takeover(tmp: Path, lease: float, hold: float) -> dict[str, Any]:
    with bot_process(hold=hold) as bot_port:
        async with fresh_database("postgresql", tmp) as db_url:
            workspace_file = tmp / "workspace-takeover.yaml"
            workspace_file.write_text(yaml.safe_dump(workspace(bot_port)))
            apis = [spawn("api", db_url, workspace_file, tmp, lease)]
            pool = [spawn("worker", db_url, workspace_file, tmp, lease) for _ in range(2)]
            try:
                await wait_healthy(apis + pool)
                victim = pool[0]
                await create_tasks(apis, 40, 0)
                # Wait until the victim holds calls in flight, then kill it.
                owner_like = f"%:{victim.popen.pid}:%"
                held: list[int] = []
                deadline = time.monotonic() + 30
                while len(held) < PER_WORKER_IN_FLIGHT // 2 and time.monotonic() < deadline:
                    rows = await query(
                        db_url,
                        "SELECT id FROM deliveries WHERE state = 'pending' AND lease_owner LIKE $1",
                        owner_like,
                    )
                    held = [int(r[0]) for r in rows]
                    await asyncio.sleep(0.02)
                victim.popen.send_signal(signal.SIGKILL)
                killed = datetime.now(UTC)
                victim.popen.wait(10)
                rows = await query(
                    db_url,
                    "SELECT id FROM deliveries WHERE state = 'pending' AND lease_owner LIKE $1",
                    owner_like,
                )
                held = [int(r[0]) for r in rows]
                await wait_step_two(db_url, 40, within=lease * 4 + 60)
                first, last = (
                    await query(
                        db_url,
                        "SELECT min(started_at), max(started_at) FROM delivery_attempts "
                        "WHERE delivery_id = ANY($1::bigint[])",
                        held,
                    )
                )[0]
            finally:
                stop(apis + pool)
    return {
        "lease": lease,
        "hold": hold,
        "held": len(held),
        "first_resumed": (first - killed).total_seconds(),
        "last_resumed": (last - killed).total_seconds(),
    }


# --- report ----------------------------------------------------------------------------------


def report(runs: list[dict[str, Any]], take: dict[str, Any] | None) -> str:
    lines = [
        SECTION,
        "",
        f"`bench/scale.py`, {datetime.now(UTC):%Y-%m-%d}, "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}. Real `pyrus-bots serve` processes: two `--role api`, "
        "one to three `--role worker`, one PostgreSQL, the aiohttp bot of `bench/delivery.py` "
        "(signature check, orjson parse, approve; one process). Everything shares the two "
        f"cores. Tasks are created by {CLIENTS} concurrent clients spread over both API "
        "processes. (a) end to end = first `POST /v4/tasks` to the last task at step 2; "
        "(b) drain = the same number of tasks created with no worker running, then the "
        "workers started, first to last attempt; bare = `bench/delivery.py`'s aiohttp loop "
        "POSTing the same signed payloads at the workers' concurrency (10 in flight per "
        "worker).",
        "",
        "| workers | tasks | (a) end to end tasks/s | creation alone /s | (b) drain tasks/s "
        "| bare loop /s | drain / bare | transactions per task (a) |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in runs:
        lines.append(
            f"| {r['workers']} | {r['tasks']} | {r['e2e_rate']:.0f} | {r['create_rate']:.0f} | "
            f"{r['drain_rate']:.0f} | {r['bare_rate']:.0f} | "
            f"{r['drain_rate'] / r['bare_rate']:.1%} | {r['commits_per_task']:.0f} |"
        )
    lines += [
        "",
        "CPU seconds per 1,000 tasks by party (from /proc; 2 cores = at most 2 CPU s per "
        "wall second):",
        "",
        "| workers | phase | wall s | API processes | workers | PostgreSQL | bot "
        "| total CPU / wall |",
        "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in runs:
        for phase in ("e2e", "drain"):
            cpu = r[f"{phase}_cpu"]
            wall = r[f"{phase}_wall"]
            scale = 1000 / r["tasks"]
            total = sum(cpu.values())
            lines.append(
                f"| {r['workers']} | {'(a) end to end' if phase == 'e2e' else '(b) drain'} | "
                f"{wall:.1f} | {cpu.get('API processes', 0) * scale:.1f} | "
                f"{cpu.get('workers', 0) * scale:.1f} | {cpu.get('postgresql', 0) * scale:.1f} | "
                f"{cpu.get('bot', 0) * scale:.1f} | {total / wall:.2f} |"
            )
    profiled = [r for r in runs if r.get("profiles")]
    if profiled:
        r = profiled[-1]
        lines += [
            "",
            f"py-spy profile during (a) with {r['workers']} workers (share of samples; py-spy "
            "drops samples of idle threads, but time inside uvloop's C loop shows as "
            "`Runner.run`, and asyncpg's Cython protocol work shows under "
            "`PreparedStatement.__do_execute`):",
        ]
        for name, summary in r["profiles"].items():
            if not summary:
                continue
            shares = ", ".join(f"{k} {v:.0%}" for k, v in summary["categories"].items())
            leaves = ", ".join(f"`{k}` {v:.0%}" for k, v in summary["leaves"][:5])
            lines += [
                "",
                f"- one {name} process ({summary['samples']} samples): {shares}.",
                f"  Hottest leaf functions: {leaves}.",
            ]
    lines += limits_analysis(runs)
    if take:
        lines += [
            "",
            f"Takeover: two workers, `--worker-lease {take['lease']:g}`, a bot holding every "
            f"request {take['hold']:g} s; one worker SIGKILLed holding {take['held']} "
            f"deliveries. The survivor attempted the first of them again "
            f"{take['first_resumed']:.1f} s after the kill and the last "
            f"{take['last_resumed']:.1f} s after it (the lease is renewed every lease/3, so a "
            "dead worker's rows free between 2/3 of the lease and the full lease after its "
            "death, plus up to one 1-s poll when no notification arrives). With the default "
            "90-s lease expect 60-91 s.",
        ]
    return "\n".join(lines)


def limits_analysis(runs: list[dict[str, Any]]) -> list[str]:
    """What limits the throughput, computed from the measurements of this run."""
    if not runs:
        return []
    one, most = runs[0], runs[-1]

    def per_task_ms(r: dict[str, Any], phase: str, party: str) -> float:
        return float(r[f"{phase}_cpu"].get(party, 0.0)) * 1000 / r["tasks"]

    create_ms = per_task_ms(one, "e2e", "API processes")
    worker_ms = per_task_ms(one, "drain", "workers")
    pg_ms = per_task_ms(one, "drain", "postgresql") + per_task_ms(one, "e2e", "postgresql") / 2
    bot_ms = per_task_ms(one, "drain", "bot")
    total_ms = create_ms + worker_ms + pg_ms + bot_ms
    lines = [
        "",
        "What limits the throughput (read from the CPU table and the profile above):",
        "",
        f"- Not the bot: it spends {bot_ms:.1f} ms of CPU per task, and the bare loop reaches "
        f"{min(r['bare_rate'] for r in runs):,.0f}-{max(r['bare_rate'] for r in runs):,.0f} "
        "calls/s against the same process.",
        f"- CPU, on the platform's side: a task costs about {create_ms:.0f} ms of API-process CPU "
        f"to create, {worker_ms:.0f} ms of worker CPU and about {pg_ms:.0f} ms of PostgreSQL CPU "
        f"to deliver, {total_ms:.0f} ms in all, so two cores cannot carry more than about "
        f"{2000 / total_ms:.0f} tasks/s end to end however many processes share them. Adding "
        "worker processes on the same two cores therefore cannot raise the rate; they pay off "
        "on more cores or machines. (The CPU / wall column shows how much of the two cores the "
        "benchmark's processes used; the load average, which counts them too, was "
        f"{min(r['load'] for r in runs):.1f}-{max(r['load'] for r in runs):.1f}.)",
    ]
    profiles = most.get("profiles") or {}
    worker = profiles.get("worker") or {}
    api = profiles.get("api") or {}
    db_key = CATEGORIES[0][0]
    if worker and api:
        lines.append(
            f"- Inside the processes that CPU is the database layer: "
            f"{worker['categories'].get(db_key, 0):.0%} of a worker's samples and "
            f"{api['categories'].get(db_key, 0):.0%} of an API process's are in SQLAlchemy and "
            "asyncpg (building statements, encoding parameters, decoding rows), i.e. the "
            f"client side of the database round trips ({one['commits_per_task']:.0f} "
            "transactions per task, several statements each); rendering the task, JSON and the "
            "outbound HTTP call are a few per cent each."
        )
    if len(runs) > 1:
        lines.append(
            f"- Each extra worker adds overhead for the same work: worker CPU during (a) is "
            f"{per_task_ms(one, 'e2e', 'workers'):.1f} ms per task with {one['workers']} "
            f"worker(s) and {per_task_ms(most, 'e2e', 'workers'):.1f} ms with "
            f"{most['workers']}, and transactions per task go from "
            f"{one['commits_per_task']:.0f} to {most['commits_per_task']:.0f}: the same "
            "deliveries are spread over more, smaller claims and finish batches, so fewer of "
            "them share each transaction's fixed cost. (Idle workers woken by every NOTIFY are "
            "not the cause: letting an idle worker look for due rows in one statement before "
            "opening a claim moved this by under 5 %.)"
        )
    return lines


async def main(args: argparse.Namespace) -> None:
    runs = []
    take = None
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        counts = [int(n) for n in args.workers.split(",")]
        for workers in counts:
            r = await run_workers(workers, args.tasks, tmp, profile=workers == max(counts))
            print(orjson.dumps(r, default=str).decode(), flush=True)
            runs.append(r)
        if not args.no_takeover:
            take = await takeover(tmp, args.lease, hold=1.0)
            print(orjson.dumps(take).decode(), flush=True)
    text = report(runs, take)
    print(text)
    if args.write:
        replace_section(text)


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=1000)
    parser.add_argument("--workers", default="1,2,3")
    parser.add_argument("--lease", type=float, default=5.0)
    parser.add_argument("--no-takeover", action="store_true")
    parser.add_argument("--write", action="store_true")
    asyncio.run(main(parser.parse_args()))


if __name__ == "__main__":
    cli()
