"""Dedupe of retried deliveries.

Pyrus sends no delivery id and retries a delivery it thinks failed (no 2XX within 60 s, a lost
connection). The SDK keys a delivery by (bot, task id, last comment id, event): a retry of a
delivery still running gets an empty 200 and does not run the handler again; a retry of a
finished one gets the same reply again (Pyrus never saw the first one).

Stores implement :class:`DedupeStore`. :class:`MemoryDedupeStore` (the default) is per process;
:class:`SQLiteDedupeStore` shares one SQLite file between worker processes (gunicorn with
several workers, uvicorn ``--workers``): the first process to claim a key runs the handler.
"""

from __future__ import annotations

import asyncio
import enum
import sqlite3
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

__all__ = [
    "DEFAULT_DEDUPE_TTL",
    "DEFAULT_MAX_ENTRIES",
    "DEFAULT_RUNNING_LEASE",
    "Claim",
    "ClaimState",
    "DedupeStore",
    "MemoryDedupeStore",
    "SQLiteDedupeStore",
]

DEFAULT_DEDUPE_TTL = 900.0
"""Seconds a finished delivery's reply is kept: Pyrus's three attempts span about 3 minutes."""

DEFAULT_RUNNING_LEASE = 300.0
"""Seconds after which a delivery still marked running is taken as lost (its process died)."""

DEFAULT_MAX_ENTRIES = 100_000
"""Bound of the in-memory store; the oldest entries go first."""


class ClaimState(enum.Enum):
    NEW = "new"  # the caller owns the delivery: run the handler
    RUNNING = "running"  # another attempt is running it
    DONE = "done"  # finished: ``reply`` holds the answer given


@dataclass(frozen=True, slots=True)
class Claim:
    state: ClaimState
    reply: bytes = b""


NEW_CLAIM = Claim(ClaimState.NEW)
RUNNING_CLAIM = Claim(ClaimState.RUNNING)


@runtime_checkable
class DedupeStore(Protocol):
    """Where the SDK remembers deliveries. Keys are opaque strings (no secrets in them)."""

    async def claim(self, key: str) -> Claim:
        """Atomically: NEW (and mark running) if the key is unknown or expired, else its state."""
        ...

    async def finish(self, key: str, reply: bytes) -> None:
        """The delivery was answered with ``reply``; later claims get DONE with it."""
        ...

    async def release(self, key: str) -> None:
        """The handler failed: forget the key so that Pyrus's retry runs it again."""
        ...

    async def aclose(self) -> None:
        """Free resources (called when the bot shuts down)."""
        ...


class MemoryDedupeStore:
    """Per-process store: a bounded LRU with a TTL. Not shared between worker processes."""

    def __init__(
        self,
        *,
        ttl: float = DEFAULT_DEDUPE_TTL,
        running_lease: float = DEFAULT_RUNNING_LEASE,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ttl = ttl
        self._lease = running_lease
        self._max = max_entries
        self._clock = clock
        # key -> (expires at, reply or None while running)
        self._entries: OrderedDict[str, tuple[float, bytes | None]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    async def claim(self, key: str) -> Claim:
        return self.claim_now(key)

    def claim_now(self, key: str) -> Claim:
        """The synchronous body of :meth:`claim` (no I/O)."""
        now = self._clock()
        entry = self._entries.get(key)
        if entry is not None and entry[0] > now:
            reply = entry[1]
            return RUNNING_CLAIM if reply is None else Claim(ClaimState.DONE, reply)
        self._entries[key] = (now + self._lease, None)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)
        return NEW_CLAIM

    async def finish(self, key: str, reply: bytes) -> None:
        self._entries[key] = (self._clock() + self._ttl, reply)
        self._entries.move_to_end(key)

    async def release(self, key: str) -> None:
        self._entries.pop(key, None)

    async def aclose(self) -> None:
        self._entries.clear()


_SCHEMA = """
CREATE TABLE IF NOT EXISTS pyrus_bot_deliveries (
    key TEXT PRIMARY KEY,
    reply BLOB,              -- NULL while running
    expires_at REAL NOT NULL -- wall clock (shared between processes)
)
"""


class SQLiteDedupeStore:
    """A store in one SQLite file shared by every worker process of a bot.

    Uses the standard library's ``sqlite3`` in WAL mode; each call runs in a worker thread so
    the event loop never waits on the file lock. Claims are atomic across processes
    (``BEGIN IMMEDIATE``). Expired rows are purged now and then.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        ttl: float = DEFAULT_DEDUPE_TTL,
        running_lease: float = DEFAULT_RUNNING_LEASE,
        clock: Callable[[], float] = time.time,
        busy_timeout: float = 5.0,
    ) -> None:
        self._path = str(path)
        self._ttl = ttl
        self._lease = running_lease
        self._clock = clock
        self._busy_timeout = busy_timeout
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._calls = 0

    def __repr__(self) -> str:
        return f"SQLiteDedupeStore({self._path!r})"

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            conn = sqlite3.connect(
                self._path,
                timeout=self._busy_timeout,
                isolation_level=None,  # explicit transactions only
                check_same_thread=False,  # used from worker threads under self._lock
            )
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute(_SCHEMA)
            self._conn = conn
        return self._conn

    async def claim(self, key: str) -> Claim:
        return await asyncio.to_thread(self.claim_sync, key)

    async def finish(self, key: str, reply: bytes) -> None:
        await asyncio.to_thread(self.finish_sync, key, reply)

    async def release(self, key: str) -> None:
        await asyncio.to_thread(self.release_sync, key)

    async def aclose(self) -> None:
        await asyncio.to_thread(self.close)

    def claim_sync(self, key: str) -> Claim:
        with self._lock:
            conn = self._connection()
            now = self._clock()
            conn.execute("BEGIN IMMEDIATE")
            try:
                row = conn.execute(
                    "SELECT reply, expires_at FROM pyrus_bot_deliveries WHERE key = ?", (key,)
                ).fetchone()
                if row is not None and row[1] > now:
                    conn.execute("COMMIT")
                    reply = row[0]
                    return RUNNING_CLAIM if reply is None else Claim(ClaimState.DONE, bytes(reply))
                conn.execute(
                    "INSERT OR REPLACE INTO pyrus_bot_deliveries (key, reply, expires_at) "
                    "VALUES (?, NULL, ?)",
                    (key, now + self._lease),
                )
                self._calls += 1
                if self._calls % 1000 == 0:
                    conn.execute("DELETE FROM pyrus_bot_deliveries WHERE expires_at <= ?", (now,))
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            return NEW_CLAIM

    def finish_sync(self, key: str, reply: bytes) -> None:
        with self._lock:
            self._connection().execute(
                "INSERT OR REPLACE INTO pyrus_bot_deliveries (key, reply, expires_at) "
                "VALUES (?, ?, ?)",
                (key, reply, self._clock() + self._ttl),
            )

    def release_sync(self, key: str) -> None:
        with self._lock:
            self._connection().execute("DELETE FROM pyrus_bot_deliveries WHERE key = ?", (key,))

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
