"""SQLite runs one delivery worker: an OS file lock next to the database file enforces it.

Two workers on one SQLite file would both lease rows (SQLite has no ``SKIP LOCKED``) and each
would release the other's leases at start-up. The lock is held by the worker process for its
whole life; the kernel drops it when the process ends, however it ends.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import IO

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError


class WorkerAlreadyRunning(RuntimeError):
    """Another process already delivers from this SQLite database."""


def sqlite_file(db_url: str) -> Path | None:
    """The database file of a SQLite URL; ``None`` for other databases."""
    try:
        url = make_url(db_url)
    except ArgumentError:
        return None  # not a URL at all: opening the database reports it
    if url.get_backend_name() != "sqlite" or not url.database:
        return None
    return Path(url.database).resolve()


def lock_path(db_url: str) -> Path | None:
    """The lock file of a SQLite URL (``<file>.worker.lock``); ``None`` for other databases."""
    database = sqlite_file(db_url)
    return None if database is None else database.with_name(database.name + ".worker.lock")


def hold_sqlite_worker_lock(db_url: str) -> IO[str] | None:
    """Take the worker lock of a SQLite database for this process's lifetime.

    Returns the open lock file (keep a reference: closing it releases the lock), ``None`` for
    PostgreSQL, or raises :class:`WorkerAlreadyRunning` with a message for the user.
    """
    database = sqlite_file(db_url)
    path = lock_path(db_url)
    if database is None or path is None:
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = path.open("a+")
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "unknown"
        handle.close()
        raise WorkerAlreadyRunning(
            f"another pyrus-bots worker (pid {holder}) already delivers from the SQLite "
            f"database {database}: SQLite supports one worker "
            "process. Start this one with --role api, or use PostgreSQL "
            "(--db postgresql://...) to run several workers."
        ) from None
    handle.seek(0)
    handle.truncate()
    handle.write(str(os.getpid()))
    handle.flush()
    return handle
