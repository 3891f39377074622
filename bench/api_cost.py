"""API cost: CPU of the server process per ``POST /v4/tasks`` and per ``GET /v4/tasks/{id}``.

A ``pyrus-bots`` server process with ``role=api`` (no delivery worker inside), 32 concurrent
aiohttp clients in this process; the server's CPU is read from /proc before and after, so the
load generator's own CPU does not count and other work on the machine matters less than for
wall-clock rates.

(a) create: ``POST /v4/tasks`` of the form task of ``bench/delivery.py`` (two text fields, a
    few KB): server CPU ms per call and calls/s.
(b) read: ``GET /v4/tasks/{id}`` of a form task with 30 fields and 15 comments, against a raw
    ASGI callable on the same uvicorn serving the very same bytes (the limit: no auth, no
    database, no rendering). Server CPU ms per call of each and their ratio.

Usage:  .venv/bin/python bench/api_cost.py [--creates 2000] [--reads 3000] [--db sqlite,postgresql]
Prints a Markdown table; never part of the tests.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import orjson
from cpu_meter import cpu_seconds  # type: ignore[import-not-found]
from delivery import (  # type: ignore[import-not-found]
    FIRST_FORM,
    HUMAN_ID,
    HUMAN_KEY,
    free_port,
    fresh_database,
    seed,
    server_process,
    wait_port,
)

from pyrus_bots.server.store import forms as form_store
from pyrus_bots.server.store.db import Database
from pyrus_bots.server.workflow.state import FieldDef, FormDef, StepDef

CONCURRENCY = 32
WIDE_FORM = 900
WIDE_FIELDS = 30
COMMENTS = 15

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


# --- the raw ASGI callable: the same bytes, nothing else ---------------------------------------


def run_raw(port: int, path: str) -> None:
    import uvicorn

    body = Path(path).read_bytes()
    start = {
        "type": "http.response.start",
        "status": 200,
        "headers": [(b"content-type", b"application/json")],
    }
    done = {"type": "http.response.body", "body": body}

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        await send(start)
        await send(done)

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


@contextlib.contextmanager
def raw_process(body_path: Path) -> Any:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, __file__, "raw", "--port", str(port), "--body", str(body_path)]
    )
    wait_port(port)
    try:
        yield port, process.pid
    finally:
        process.terminate()
        process.wait(30)


# --- load ---------------------------------------------------------------------------------------


async def load(
    base: str, count: int, call: Callable[[aiohttp.ClientSession, int], Awaitable[None]], pid: int
) -> tuple[float, float]:
    """(server CPU ms per call, calls per second) of ``count`` calls, CONCURRENCY at a time."""
    limit = asyncio.Semaphore(CONCURRENCY)
    connector = aiohttp.TCPConnector(limit=CONCURRENCY)
    async with aiohttp.ClientSession(base_url=base, connector=connector) as http:

        async def one(n: int) -> None:
            async with limit:
                await call(http, n)

        await asyncio.gather(*(one(n) for n in range(min(200, count))))  # warm up
        cpu = cpu_seconds(pid)
        started = time.perf_counter()
        await asyncio.gather(*(one(n) for n in range(count)))
        wall = time.perf_counter() - started
        spent = cpu_seconds(pid) - cpu
    return spent * 1000 / count, count / wall


async def add_wide_form(database: Database) -> None:
    fields = [
        FieldDef(id=i, type="text", name=f"Field {i}", code=f"u_field_{i}")
        for i in range(1, WIDE_FIELDS + 1)
    ]
    async with database.session() as session, session.begin():
        await form_store.save_form(
            session,
            1,
            FormDef(
                id=WIDE_FORM,
                name="Wide form",
                fields=fields,
                steps=[StepDef(1, "Review", [HUMAN_ID])],
            ),
        )


async def measure(
    kind: str, creates: int, reads: int, tmp: Path, extra: dict[str, Any]
) -> dict[str, Any]:
    async with fresh_database(kind, tmp) as url:
        database = Database(url)
        await database.migrate()
        await seed(database, free_port(), bots=1)  # the bot never answers: role=api
        await add_wide_form(database)
        await database.dispose()
        options = {"role": "api", "api_limit": [10**9, 600.0], **extra}
        with server_process(url, **options) as (port, pid):
            base = f"http://127.0.0.1:{port}"
            async with aiohttp.ClientSession(base_url=base) as http:
                login = {"login": "alice@bench.test", "security_key": HUMAN_KEY}
                async with http.post("/v4/auth", json=login) as r:
                    token = (await r.json())["access_token"]
                headers = {"Authorization": f"Bearer {token}"}
                wide = {
                    "form_id": WIDE_FORM,
                    "fields": [
                        {"id": i, "value": f"value of field {i} " * 3}
                        for i in range(1, WIDE_FIELDS + 1)
                    ],
                }
                async with http.post("/v4/tasks", json=wide, headers=headers) as r:
                    wide_id = (await r.json())["task"]["id"]
                for n in range(COMMENTS - 1):
                    comment = {"text": f"comment {n} " + "lorem ipsum " * 10}
                    path = f"/v4/tasks/{wide_id}/comments"
                    async with http.post(path, json=comment, headers=headers) as r:
                        assert r.status == 200, await r.text()
                async with http.get(f"/v4/tasks/{wide_id}", headers=headers) as r:
                    wide_body = await r.read()
            notes = "lorem ipsum " * 100

            async def create(http: aiohttp.ClientSession, n: int) -> None:
                body = {
                    "form_id": FIRST_FORM,
                    "fields": [{"id": 1, "value": f"item {n}"}, {"id": 2, "value": notes}],
                }
                async with http.post("/v4/tasks", json=body, headers=headers) as r:
                    assert r.status == 200, await r.text()
                    await r.read()

            async def read(http: aiohttp.ClientSession, n: int) -> None:
                async with http.get(f"/v4/tasks/{wide_id}", headers=headers) as r:
                    assert r.status == 200
                    await r.read()

            create_ms, create_rate = await load(base, creates, create, pid)
            read_ms, read_rate = await load(base, reads, read, pid)
        body_path = tmp / f"wide-{kind}.json"
        body_path.write_bytes(wide_body)
        with raw_process(body_path) as (raw_port, raw_pid):
            raw_ms, raw_rate = await load(f"http://127.0.0.1:{raw_port}", reads * 5, read, raw_pid)
    return {
        "db": kind,
        "create_cpu_ms": create_ms,
        "create_rate": create_rate,
        "read_bytes": len(wide_body),
        "read_cpu_ms": read_ms,
        "read_rate": read_rate,
        "raw_cpu_ms": raw_ms,
        "raw_rate": raw_rate,
    }


def report(results: list[dict[str, Any]]) -> str:
    lines = [
        f"`bench/api_cost.py`, {datetime.now(UTC):%Y-%m-%d}, "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; server CPU from /proc, {CONCURRENCY} clients.",
        "",
        "| database | POST /v4/tasks CPU ms | POST /s | GET task CPU ms | GET /s "
        "| raw ASGI CPU ms | raw /s | GET / raw (CPU) | body bytes |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        lines.append(
            f"| {r['db']} | {r['create_cpu_ms']:.2f} | {r['create_rate']:.0f} | "
            f"{r['read_cpu_ms']:.2f} | {r['read_rate']:.0f} | {r['raw_cpu_ms']:.3f} | "
            f"{r['raw_rate']:.0f} | {r['read_cpu_ms'] / r['raw_cpu_ms']:.1f}x | "
            f"{r['read_bytes']} |"
        )
    return "\n".join(lines)


async def main(args: argparse.Namespace) -> None:
    results = []
    with tempfile.TemporaryDirectory() as tmp_name:
        for kind in args.db.split(","):
            extra = orjson.loads(args.server_options)
            r = await measure(kind, args.creates, args.reads, Path(tmp_name), extra)
            print(orjson.dumps(r).decode(), flush=True)
            results.append(r)
    print(report(results))


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command")
    raw = sub.add_parser("raw")
    raw.add_argument("--port", type=int, required=True)
    raw.add_argument("--body", required=True)
    parser.add_argument("--creates", type=int, default=2000)
    parser.add_argument("--reads", type=int, default=3000)
    parser.add_argument("--db", default="sqlite,postgresql")
    parser.add_argument("--server-options", default="{}", help="Settings as JSON")
    args = parser.parse_args()
    if args.command == "raw":
        run_raw(args.port, args.body)
    else:
        asyncio.run(main(args))


if __name__ == "__main__":
    cli()
