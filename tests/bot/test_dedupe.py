"""Dedupe stores: the in-memory default (TTL, bound) and the SQLite store shared between
processes."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from pyrus_bots.bot import ClaimState, DedupeStore, MemoryDedupeStore, SQLiteDedupeStore


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["memory", "sqlite"])
def store_and_clock(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[DedupeStore, Clock]:
    clock = Clock()
    if request.param == "memory":
        return MemoryDedupeStore(ttl=60, running_lease=30, clock=clock), clock
    return SQLiteDedupeStore(tmp_path / "d.db", ttl=60, running_lease=30, clock=clock), clock


async def test_claim_finish_release_and_expiry(store_and_clock: tuple[DedupeStore, Clock]) -> None:
    store, clock = store_and_clock
    assert isinstance(store, DedupeStore)
    assert (await store.claim("k")).state is ClaimState.NEW
    assert (await store.claim("k")).state is ClaimState.RUNNING
    await store.finish("k", b'{"text":"x"}')
    done = await store.claim("k")
    assert done.state is ClaimState.DONE and done.reply == b'{"text":"x"}'
    clock.now += 61  # past the TTL: a new delivery as far as the store knows
    assert (await store.claim("k")).state is ClaimState.NEW
    await store.release("k")
    assert (await store.claim("k")).state is ClaimState.NEW
    clock.now += 31  # a running entry whose process died is taken over after the lease
    assert (await store.claim("k")).state is ClaimState.NEW
    await store.finish("empty", b"")
    assert (await store.claim("empty")).reply == b""
    await store.aclose()


async def test_memory_store_is_bounded() -> None:
    store = MemoryDedupeStore(max_entries=3)
    for key in "abcd":
        await store.claim(key)
    assert len(store) == 3
    assert (await store.claim("a")).state is ClaimState.NEW  # the oldest went first
    assert (await store.claim("d")).state is ClaimState.RUNNING


def _claim_in_process(path: str, key: str, results: multiprocessing.Queue[str]) -> None:
    store = SQLiteDedupeStore(path)
    results.put(store.claim_sync(key).state.value)
    store.close()


def test_sqlite_store_lets_exactly_one_of_several_processes_claim(tmp_path: Path) -> None:
    path = str(tmp_path / "shared.db")
    SQLiteDedupeStore(path).close()  # create the schema once
    context = multiprocessing.get_context("spawn")
    results: multiprocessing.Queue[str] = context.Queue()
    workers = [
        context.Process(target=_claim_in_process, args=(path, "bot:1:2:comment", results))
        for _ in range(4)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)
    states = sorted(results.get(timeout=5) for _ in workers)
    assert states == ["new", "running", "running", "running"]


MULTI_WORKER_BOT = """
import os
from pyrus_bots.bot import Bot, SQLiteDedupeStore

bot = Bot("workers-secret", dedupe=SQLiteDedupeStore(os.environ["DEDUPE_DB"]))

@bot.on_task()
def count(event):
    with open(os.environ["RUNS_FILE"], "a") as runs:
        runs.write(f"{os.getpid()}\\n")
    return "counted"
"""


def test_sqlite_store_dedupes_across_uvicorn_worker_processes(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys
    import time

    import httpx

    from pyrus_bots.testing import make_delivery

    from .conftest import free_port, purchase_task

    (tmp_path / "workers_bot.py").write_text(MULTI_WORKER_BOT)
    runs = tmp_path / "runs.txt"
    port = free_port()
    env = {**os.environ, "DEDUPE_DB": str(tmp_path / "d.db"), "RUNS_FILE": str(runs)}
    uvicorn = str(Path(sys.executable).parent / "uvicorn")
    server = subprocess.Popen(
        [uvicorn, "workers_bot:bot", "--workers", "2", "--port", str(port), "--log-level", "error"],
        cwd=tmp_path,
        env=env,
    )
    try:
        delivery = make_delivery("workers-secret", purchase_task())
        url = f"http://127.0.0.1:{port}/"
        deadline = time.monotonic() + 30
        replies = []
        while len(replies) < 8:
            try:
                # a new connection each time, so the kernel may pick either worker
                with httpx.Client() as client:
                    replies.append(
                        client.post(url, content=delivery.body, headers=delivery.headers)
                    )
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the workers did not start"
                time.sleep(0.2)
        assert {r.json()["text"] for r in replies} == {"counted"}
        assert len(runs.read_text().split()) == 1  # one run for eight attempts
    finally:
        server.terminate()
        server.wait(timeout=15)
