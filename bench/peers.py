"""Peers of the delivery worker: the same unit of work on two PostgreSQL job queues.

Each job: claim it, read its task (a ``jsonb`` document, the webhook envelope the platform would
send), sign the body (HMAC-SHA1 with the bot's secret), POST it to the same aiohttp bot as
``bench/delivery.py``, then in one transaction write the bot's reply as a comment, move the task
to step 2 and log the attempt. Each queue is used as its documentation recommends:

- ``pgqueuer``: an ``asyncpg`` connection for the queue manager, an ``asyncpg`` pool for the
  job's own queries, ``PgQueuer.run(max_concurrent_tasks=64, mode=drain)``, default batch size;
- ``procrastinate``: ``PsycopgConnector`` (its pool), an async task, ``run_worker_async(
  concurrency=64, wait=False)``; the job's own queries on the connector's pool.

Both run in the benchmark's process, as the platform's worker does in part (1). Not part of the
package (the ``bench`` extra installs them); never imported by ``pyrus_bots``.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol

import aiohttp
import asyncpg
import orjson


class Meter(Protocol):
    def start(self) -> None: ...
    def stop(self) -> None: ...


SCHEMA = """
CREATE TABLE peer_tasks (
    id bigint PRIMARY KEY, bot_index int NOT NULL, url text NOT NULL, step int NOT NULL,
    document jsonb NOT NULL, last_comment_id bigint, updated_at timestamptz NOT NULL
);
CREATE TABLE peer_comments (
    id bigserial PRIMARY KEY, task_id bigint NOT NULL, author_index int NOT NULL,
    body jsonb NOT NULL, created_at timestamptz NOT NULL
);
CREATE TABLE peer_attempts (
    id bigserial PRIMARY KEY, task_id bigint NOT NULL, status int NOT NULL,
    request_size int NOT NULL, latency_ms double precision NOT NULL,
    response_body text NOT NULL, started_at timestamptz NOT NULL,
    finished_at timestamptz NOT NULL
);
"""

READ_TASK = "SELECT bot_index, url, document FROM peer_tasks WHERE id = $1"
WRITE_COMMENT = (
    "INSERT INTO peer_comments (task_id, author_index, body, created_at) "
    "VALUES ($1, $2, $3, $4) RETURNING id"
)
MOVE_STEP = "UPDATE peer_tasks SET step = 2, last_comment_id = $1, updated_at = $2 WHERE id = $3"
LOG_ATTEMPT = (
    "INSERT INTO peer_attempts (task_id, status, request_size, latency_ms, response_body, "
    "started_at, finished_at) VALUES ($1, $2, $3, $4, $5, $6, $7)"
)


def _psycopg(sql: str) -> str:
    """The statements above with psycopg's placeholders."""
    for n in range(9, 0, -1):
        sql = sql.replace(f"${n}", "%s")
    return sql


async def prepare(url: str, documents: list[tuple[int, int, str, bytes]]) -> None:
    """The peers' tables, filled with ``(task id, bot index, hook url, envelope JSON)``."""
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(SCHEMA)
        now = datetime.now(UTC)
        await conn.executemany(
            "INSERT INTO peer_tasks (id, bot_index, url, step, document, updated_at) "
            "VALUES ($1, $2, $3, 1, $4::text::jsonb, $5)",
            [(i, b, u, d.decode(), now) for i, b, u, d in documents],
        )
    finally:
        await conn.close()


async def count_moved(url: str) -> int:
    conn = await asyncpg.connect(url)
    try:
        return int(await conn.fetchval("SELECT count(*) FROM peer_tasks WHERE step = 2"))
    finally:
        await conn.close()


def signed(document: dict[str, Any], secret: str) -> tuple[bytes, dict[str, str]]:
    body = orjson.dumps(document)
    signature = hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()
    return body, {"Content-Type": "application/json", "X-Pyrus-Sig": signature}


async def post(http: aiohttp.ClientSession, url: str, body: bytes, headers: dict[str, str]) -> Any:
    started_at = datetime.now(UTC)
    started = time.perf_counter()
    async with http.post(url, data=body, headers=headers) as response:
        reply = await response.read()
        status = response.status
    return status, reply, started_at, (time.perf_counter() - started) * 1000


async def run_pgqueuer(
    url: str, tasks: list[int], secret_of: Callable[[int], str], meter: Meter
) -> None:
    """Install, enqueue ``tasks``, then drain the queue between ``meter.start()`` and
    ``meter.stop()``."""
    from pgqueuer import PgQueuer
    from pgqueuer.db import AsyncpgDriver
    from pgqueuer.models import Job
    from pgqueuer.queries import Queries
    from pgqueuer.types import QueueExecutionMode

    async def init(conn: asyncpg.Connection) -> None:
        await conn.set_type_codec(
            "jsonb",
            encoder=lambda v: orjson.dumps(v).decode(),
            decoder=orjson.loads,
            schema="pg_catalog",
        )

    queue_conn = await asyncpg.connect(url)
    pool = await asyncpg.create_pool(url, min_size=8, max_size=16, init=init)
    http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
    try:
        driver = AsyncpgDriver(queue_conn)
        await Queries(driver).install()
        await Queries(driver).enqueue(
            ["deliver"] * len(tasks), [str(t).encode() for t in tasks], [0] * len(tasks)
        )
        pgq = PgQueuer(driver)
        meter.start()

        @pgq.entrypoint("deliver")
        async def deliver(job: Job) -> None:
            task_id = int(job.payload or b"0")
            row = await pool.fetchrow(READ_TASK, task_id)
            body, headers = signed(row["document"], secret_of(row["bot_index"]))
            status, reply, started_at, latency = await post(http, row["url"], body, headers)
            async with pool.acquire() as conn, conn.transaction():
                comment_id = await conn.fetchval(
                    WRITE_COMMENT, task_id, row["bot_index"], orjson.loads(reply), started_at
                )
                finished_at = datetime.now(UTC)
                await conn.execute(MOVE_STEP, comment_id, finished_at, task_id)
                await conn.execute(
                    LOG_ATTEMPT,
                    task_id,
                    status,
                    len(body),
                    latency,
                    reply.decode(),
                    started_at,
                    finished_at,
                )

        await pgq.run(max_concurrent_tasks=64, mode=QueueExecutionMode.drain)
        meter.stop()
    finally:
        await http.close()
        await pool.close()
        await queue_conn.close()


async def run_procrastinate(
    url: str, tasks: list[int], secret_of: Callable[[int], str], meter: Meter
) -> None:
    """Install, enqueue ``tasks``, then drain the queue between ``meter.start()`` and
    ``meter.stop()``."""
    import procrastinate
    from psycopg.types.json import Jsonb

    app = procrastinate.App(
        connector=procrastinate.PsycopgConnector(
            conninfo=url, json_dumps=lambda v: orjson.dumps(v).decode(), json_loads=orjson.loads
        )
    )
    http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))

    @app.task(name="deliver")
    async def deliver(task_id: int) -> None:
        pool = app.connector.pool  # type: ignore[attr-defined]
        async with pool.connection() as conn:
            cursor = await conn.execute(_psycopg(READ_TASK), (task_id,))
            bot_index, hook, document = await cursor.fetchone()
        body, headers = signed(document, secret_of(bot_index))
        status, reply, started_at, latency = await post(http, hook, body, headers)
        async with pool.connection() as conn, conn.transaction():
            cursor = await conn.execute(
                _psycopg(WRITE_COMMENT),
                (task_id, bot_index, Jsonb(orjson.loads(reply)), started_at),
            )
            (comment_id,) = await cursor.fetchone()
            finished_at = datetime.now(UTC)
            await conn.execute(_psycopg(MOVE_STEP), (comment_id, finished_at, task_id))
            await conn.execute(
                _psycopg(LOG_ATTEMPT),
                (task_id, status, len(body), latency, reply.decode(), started_at, finished_at),
            )

    try:
        async with app.open_async():
            await app.schema_manager.apply_schema_async()
            await deliver.batch_defer_async(*({"task_id": t} for t in tasks))
            meter.start()
            await app.run_worker_async(concurrency=64, wait=False, install_signal_handlers=False)
            meter.stop()
    finally:
        await http.close()


RUNNERS = {"pgqueuer": run_pgqueuer, "procrastinate": run_procrastinate}
