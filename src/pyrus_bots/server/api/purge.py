"""The periodic purge: expired API tokens, expired UI sessions, forgotten sign-in failures.

Every ``purge_interval`` seconds each process deletes what has expired; the deletes are
idempotent, so several processes purging the same database at once only repeat each other.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress

from pyrus_bots.server.clock import Clock
from pyrus_bots.server.settings import Settings
from pyrus_bots.server.store import sign_in_failures, tokens, ui_sessions
from pyrus_bots.server.store.db import Database

log = logging.getLogger("pyrus_bots.server.purge")


async def purge_expired(database: Database, settings: Settings, clock: Clock) -> int:
    """One purge; returns how many rows it deleted."""
    now = clock.now()
    async with database.session() as session, session.begin():
        deleted = await tokens.purge_expired_tokens(session, now)
        deleted += await ui_sessions.purge_expired_sessions(session, now)
        deleted += await sign_in_failures.purge_failures(
            session, now, settings.sign_in_failure_memory
        )
    return deleted


class PeriodicPurge:
    """Runs :func:`purge_expired` in the background from ``start`` to ``stop``."""

    def __init__(self, database: Database, settings: Settings, clock: Clock) -> None:
        self._args = (database, settings, clock)
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="pyrus-bots purge")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        interval = self._args[1].purge_interval
        while True:
            try:
                await purge_expired(*self._args)
            except Exception:
                log.exception(
                    "purging expired tokens and sessions failed; next try in %ss", interval
                )
            await asyncio.sleep(interval)
