"""Waking idle delivery workers across processes: PostgreSQL ``LISTEN``/``NOTIFY``.

The transaction that writes deliveries calls :func:`notify_deliveries`; PostgreSQL holds the
notification until that transaction commits (and drops it on rollback), so a worker never wakes
for a row it cannot see yet. Each worker process keeps one dedicated connection listening
(:class:`DeliveryListener`) and claims at once when woken; polling stays as the fallback for a
lost connection, which is re-opened in the background.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import ColumnElement, func, text
from sqlalchemy import event as sa_event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from pyrus_bots.server.store.dialects import dialect_name

CHANNEL = "pyrus_bots_deliveries"

log = logging.getLogger("pyrus_bots.delivery")

_wake_listeners: list[Callable[[], None]] = []
_HOOKED = "pyrus_bots.delivery.wake_after_commit"


def add_wake_listener(listener: Callable[[], None]) -> None:
    """Call ``listener`` after each commit that wrote deliveries (a worker in this process)."""
    if listener not in _wake_listeners:
        _wake_listeners.append(listener)


def remove_wake_listener(listener: Callable[[], None]) -> None:
    if listener in _wake_listeners:
        _wake_listeners.remove(listener)


def _wake_all(_session: Any) -> None:
    for listener in list(_wake_listeners):
        listener()


def wake_after_commit(session: AsyncSession) -> None:
    """Wake this process's workers once the session's transaction commits (on every backend;
    other processes learn of the rows through :func:`notify_deliveries`)."""
    sync_session = session.sync_session
    if not sync_session.info.get(_HOOKED):
        sync_session.info[_HOOKED] = True
        sa_event.listen(sync_session, "after_commit", _wake_all)


async def notify_deliveries(session: AsyncSession) -> None:
    """Tell every listening worker, when this transaction commits, that deliveries were written.

    A no-op on SQLite (one worker, woken in-process). PostgreSQL folds identical notifications of
    one transaction into one.
    """
    if dialect_name(session) == "postgresql":
        await session.execute(text(f"NOTIFY {CHANNEL}"))


def notify_expression() -> ColumnElement[Any]:
    """``pg_notify`` on the deliveries channel as an SQL expression (PostgreSQL), the same
    notification as :func:`notify_deliveries`: a statement that writes deliveries can carry it
    (e.g. in ``RETURNING``) and spare the transaction the separate ``NOTIFY`` round trip."""
    return func.pg_notify(CHANNEL, "")


class DeliveryListener:
    """One connection that ``LISTEN``s and calls ``on_notify`` for every notification."""

    def __init__(self, url: str, on_notify: Callable[[], None], *, reconnect_delay: float) -> None:
        """``reconnect_delay``: seconds between attempts to re-open a lost connection."""
        self._url = make_url(url)
        self._reconnect_delay = reconnect_delay
        self._on_notify = on_notify
        self._connection: asyncpg.Connection | None = None
        self._lost = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Listen now (raises when the database cannot be reached), then keep listening."""
        await self._connect()
        self._task = asyncio.create_task(self._keep_listening(), name="delivery-listen")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._connection is not None:
            with contextlib.suppress(Exception):
                await self._connection.close(timeout=2)
            self._connection = None

    @property
    def listening(self) -> bool:
        return self._connection is not None and not self._connection.is_closed()

    async def _connect(self) -> None:
        connection: asyncpg.Connection = await asyncpg.connect(
            host=self._url.host or "127.0.0.1",
            port=self._url.port or 5432,
            user=self._url.username,
            password=self._url.password,
            database=self._url.database,
        )
        self._lost.clear()
        connection.add_termination_listener(self._terminated)
        await connection.add_listener(CHANNEL, self._notified)
        self._connection = connection

    def _notified(self, *_args: Any) -> None:
        self._on_notify()

    def _terminated(self, *_args: Any) -> None:
        self._lost.set()

    async def _keep_listening(self) -> None:
        while True:
            await self._lost.wait()
            log.warning("the LISTEN connection was lost; polling until it is back")
            self._connection = None
            while self._connection is None:
                await asyncio.sleep(self._reconnect_delay)
                try:
                    await self._connect()
                except (OSError, asyncpg.PostgresError) as exc:
                    log.warning("re-opening the LISTEN connection failed: %s", exc)
                    continue
                self._on_notify()  # rows written while nobody listened are due now
