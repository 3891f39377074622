"""The claim loop: lease the deliveries that may go now and start one coroutine for each.

One asyncio task claims work, woken by new rows, finished calls, due retries and a fallback poll
(``poll_interval``). A claim takes, per bot, no more rows than the calls the worker may still
hold open to it and the calls its limit lets start soon (``rules.claim_capacity``), so rows of a
bot at its limit stay in the queue for another worker or a later claim.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter

from sqlalchemy.ext.asyncio import AsyncSession

from pyrus_bots.server import settings as settings_module
from pyrus_bots.server.clock import Clock
from pyrus_bots.server.delivery import metrics, rules
from pyrus_bots.server.delivery.flights import Flight
from pyrus_bots.server.delivery.limits import CallLimit
from pyrus_bots.server.delivery.sender import Sender
from pyrus_bots.server.delivery.sources import SourceReader
from pyrus_bots.server.store import outbox_claims
from pyrus_bots.server.store.db import Database

log = logging.getLogger("pyrus_bots.delivery")


class ClaimLoop:
    """Claims due deliveries for one worker and keeps track of those in flight."""

    def __init__(
        self,
        database: Database,
        settings: settings_module.Settings,
        clock: Clock,
        worker_id: str,
        *,
        reader: SourceReader,
        limit: CallLimit,
        sender: Sender,
    ) -> None:
        self.database = database
        self.settings = settings
        self.clock = clock
        self.worker_id = worker_id
        self._reader = reader
        self._limit = limit
        self._sender = sender
        self.flights: dict[int, Flight] = {}
        self._per_bot: Counter[int] = Counter()
        self._wake_event = asyncio.Event()
        self.stopping = False
        self._claim_seq = 0

    def wake(self) -> None:
        self._wake_event.set()

    async def run(self) -> None:
        poll = self.settings.poll_interval
        while not self.stopping:
            self._wake_event.clear()
            try:
                delay = await self.claim_once()
            except Exception:
                log.exception("claiming deliveries failed; retrying in %.0f s", poll)
                delay = poll
            if delay > 0 and not self.stopping:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(delay):
                        await self._wake_event.wait()
            if self.flights and not self.stopping:
                # A claim costs a few queries whether it takes one row or a hundred.
                await asyncio.sleep(self.settings.claim_coalesce)

    async def claim_once(self) -> float:
        """Lease what may go now; return how long to sleep before the next claim."""
        settings = self.settings
        capacity = min(settings.global_concurrency - len(self.flights), settings.claim_batch)
        if capacity <= 0:
            return settings.poll_interval  # a finishing attempt wakes the loop
        horizon = settings.rate_claim_horizon
        now = self.clock.now()
        async with self.database.session() as session, session.begin():
            bot_ids, blocked = await self._reader.bot_states(session)
            rooms = await self._limit.room(session, bot_ids, horizon)
            free: dict[int, int] = {}
            next_rate_free: float | None = None
            for bot_id, room in rooms.items():
                if room.free <= 0:
                    self._sender.note_limited(bot_id, now)
                    free_in = room.free_in - horizon
                    next_rate_free = (
                        free_in if next_rate_free is None else min(next_rate_free, free_in)
                    )
                concurrency_left = settings.bot_concurrency - self._per_bot[bot_id]
                free[bot_id] = rules.claim_capacity(concurrency_left, room.free)
            unavailable = blocked | {b for b, n in free.items() if n <= 0}
            self._claim_seq += 1
            rows = await outbox_claims.claim_due(
                session,
                now=now,
                owner=self.worker_id,
                token_prefix=f"{self.worker_id}:{self._claim_seq}",
                lease_seconds=settings.worker_lease,
                free_slots=free,
                limit=capacity,
                blocked_bot_ids=unavailable,
            )
            flights = [
                Flight(
                    delivery_id=row.id,
                    bot_id=row.bot_id,
                    task_id=row.task_id,
                    token=row.lease_token or "",
                    event=row.event,
                    number=row.attempts + 1,
                    series=row.series,
                    due_at=row.due_at,
                )
                for row in rows
            ]
            if flights:
                await self._take_permits(session, flights)
                sources = await self._reader.read(session, flights, now)
                for flight in flights:
                    flight.source = sources.get(flight.delivery_id)
            next_due = None
            if len(rows) < capacity:
                next_due = await outbox_claims.next_due_at(
                    session, now=now, blocked_bot_ids=unavailable
                )
        for flight in flights:
            self._launch(flight)
        if len(rows) >= capacity:
            return 0.0
        delay = settings.poll_interval
        if next_due is not None:
            delay = min(delay, (next_due - now).total_seconds())
        if next_rate_free is not None:
            delay = min(delay, next_rate_free)
        return max(delay, 0.005)

    async def _take_permits(self, session: AsyncSession, flights: list[Flight]) -> None:
        """Take the call permits of a claim's flights together, in the claim's transaction; a
        flight left without one asks again on its own before sending."""
        granted = await self._limit.take(session, Counter(f.bot_id for f in flights))
        for flight in flights:
            permits = granted.get(flight.bot_id)
            if permits:
                flight.permit = permits.pop()

    def _launch(self, flight: Flight) -> None:
        self.flights[flight.delivery_id] = flight
        self._per_bot[flight.bot_id] += 1
        metrics.IN_FLIGHT.set(len(self.flights))
        flight.task = asyncio.create_task(self._fly(flight), name=f"delivery-{flight.delivery_id}")

    async def _fly(self, flight: Flight) -> None:
        try:
            await self._sender.deliver(flight)
        finally:
            self.flights.pop(flight.delivery_id, None)
            self._per_bot[flight.bot_id] -= 1
            if self._per_bot[flight.bot_id] <= 0:
                del self._per_bot[flight.bot_id]
            metrics.IN_FLIGHT.set(len(self.flights))
            self.wake()

    async def land(self, grace: float) -> list[str]:
        """Stop the flights: calls waiting for the limit at once, the others (sending, or in a
        database transaction, which must not be cut) within ``grace`` seconds. Return the
        lease tokens the worker held, for the rows to be given back."""
        leased = [f.token for f in self.flights.values()]
        waiting = [f.task for f in self.flights.values() if f.task and f.waiting_for_limit]
        for task in waiting:
            task.cancel()
        busy = [f.task for f in self.flights.values() if f.task and not f.waiting_for_limit]
        if busy:
            await asyncio.wait(busy, timeout=grace)
        left = [f.task for f in self.flights.values() if f.task]
        for task in left:
            task.cancel()
        await asyncio.gather(*left, *waiting, return_exceptions=True)
        self.flights.clear()
        self._per_bot.clear()
        return leased
