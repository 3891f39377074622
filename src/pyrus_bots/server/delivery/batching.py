"""Group commit: items that finish while one batch is being written are written in the next.

Under load, one transaction then carries many attempts instead of one each, so the statements
per attempt shrink as the load grows; an item alone is written at once, with no added wait.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

log = logging.getLogger("pyrus_bots.delivery")

T = TypeVar("T")


class GroupCommit(Generic[T]):
    """Writes submitted items with ``write_many``, one batch at a time, at most ``max_items``
    per batch. When a batch fails, each of its items is written alone with ``write_one``, so a
    single bad item fails only its own submitter."""

    def __init__(
        self,
        write_many: Callable[[list[T]], Awaitable[None]],
        write_one: Callable[[T], Awaitable[None]],
        *,
        max_items: int,
    ) -> None:
        self._write_many = write_many
        self._write_one = write_one
        self._max_items = max_items
        self._queue: list[tuple[T, asyncio.Future[None]]] = []
        self._runner: asyncio.Task[None] | None = None

    async def submit(self, item: T) -> None:
        """Return once ``item`` is written; raise what writing it raised."""
        done = asyncio.get_running_loop().create_future()
        self._queue.append((item, done))
        if self._runner is None:
            self._runner = asyncio.create_task(self._run(), name="delivery-group-commit")
        await done

    async def idle(self) -> None:
        """Return once everything submitted so far is written (or failed)."""
        while self._runner is not None:
            with contextlib.suppress(Exception):
                await asyncio.shield(self._runner)

    async def _run(self) -> None:
        batch: list[tuple[T, asyncio.Future[None]]] = []
        try:
            while self._queue:
                batch = self._queue[: self._max_items]
                del self._queue[: self._max_items]
                await self._write(batch)
        except BaseException:
            # Cancelled (the loop is closing): nobody may wait forever for a write.
            for _, done in batch + self._queue:
                if not done.done():
                    done.set_exception(RuntimeError("the delivery worker stopped writing"))
            self._queue.clear()
            raise
        finally:
            self._runner = None

    async def _write(self, batch: list[tuple[T, asyncio.Future[None]]]) -> None:
        try:
            await self._write_many([item for item, _ in batch])
        except Exception:
            log.warning(
                "writing %d finished attempts together failed; writing them one by one",
                len(batch),
                exc_info=True,
            )
        else:
            for _, done in batch:
                if not done.done():  # a cancelled submitter no longer waits
                    done.set_result(None)
            return
        for item, done in batch:
            try:
                await self._write_one(item)
            except Exception as exc:
                if not done.done():
                    done.set_exception(exc)
            else:
                if not done.done():
                    done.set_result(None)
