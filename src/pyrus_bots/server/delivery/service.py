"""The delivery worker: claims due outbox rows, calls bots, records attempts, applies replies.

Each claimed delivery runs as its own coroutine, so a bot holding its connection for 60 s costs a
coroutine and a socket. Claims take a lease (renewed while the attempt runs): a worker that dies
loses its rows to another once the lease expires, and every attempt ends in one transaction that
re-checks the lease, records the attempt, applies the reply and completes the row, so a reply is
never applied twice.

The worker is a claim loop (``claims``), a sender (``sender``, with ``sources`` and the call
limit of ``limits``) and a finisher (``finisher``); what events mean is decided by ``rules``.
This class starts, stops and wakes them, and renews the leases of rows in flight.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from datetime import timedelta

from pyrus_bots.server.clock import SYSTEM_CLOCK, Clock
from pyrus_bots.server.delivery import metrics
from pyrus_bots.server.delivery.claims import ClaimLoop
from pyrus_bots.server.delivery.finisher import Finisher
from pyrus_bots.server.delivery.limits import call_limit_for
from pyrus_bots.server.delivery.sender import Sender
from pyrus_bots.server.delivery.sources import SourceReader
from pyrus_bots.server.settings import Settings
from pyrus_bots.server.store import delivery_log, notify, outbox_claims
from pyrus_bots.server.store.db import Database

log = logging.getLogger("pyrus_bots.delivery")


class DeliveryService:
    def __init__(self, database: Database, settings: Settings, clock: Clock = SYSTEM_CLOCK) -> None:
        self.database = database
        self.settings = settings
        self.clock = clock
        self.worker_id = f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._limit = call_limit_for(database, settings, clock)
        db_slots = asyncio.Semaphore(settings.worker_db_slots)
        self._reader = SourceReader(database, settings, clock, db_slots)
        self._finisher = Finisher(database, settings, clock, self._limit, db_slots)
        self._sender = Sender(settings, clock, self._reader, self._limit, self._finisher)
        self._claims = ClaimLoop(
            database,
            settings,
            clock,
            self.worker_id,
            reader=self._reader,
            limit=self._limit,
            sender=self._sender,
        )
        self._loops: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        self._claims.stopping = False
        self._sender.open()
        if self.database.dialect == "sqlite":
            # SQLite runs one worker: leases left in the file belong to a dead process.
            async with self.database.session() as session, session.begin():
                released = await outbox_claims.release_owner(session)
            if released:
                log.info("released %d deliveries leased before a restart", released)
        await self._limit.start()
        notify.add_wake_listener(self.wake)
        self._loops = [
            asyncio.create_task(self._claims.run(), name="delivery-claim"),
            asyncio.create_task(self._maintenance_loop(), name="delivery-maintenance"),
        ]

    async def stop(self) -> None:
        """Stop claiming, let attempts already sending finish (up to the timeout), release the
        rest of the leases."""
        self._claims.stopping = self._sender.stopping = True
        notify.remove_wake_listener(self.wake)
        self.wake()
        claim_loop = self._loops[0] if self._loops else None
        if claim_loop is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await claim_loop
        leased = await self._claims.land(self.settings.bot_timeout + self.settings.stop_grace)
        await self._finisher.idle()  # answers already submitted are written before the pool goes
        if leased:
            # Rows finished meanwhile no longer carry these tokens: only the rest are released.
            with contextlib.suppress(Exception):
                async with self.database.session() as session, session.begin():
                    await outbox_claims.release(session, tokens=leased)
        for loop in self._loops[1:]:
            loop.cancel()
        await asyncio.gather(*self._loops[1:], return_exceptions=True)
        self._loops = []
        await self._sender.close()
        metrics.IN_FLIGHT.set(0)

    def wake(self) -> None:
        """New work may be due: claim at once instead of at the next poll."""
        self._claims.wake()

    @property
    def in_flight(self) -> int:
        return len(self._claims.flights)

    def forget_bot_states(self) -> None:
        """Re-read bots at the next claim (an admin enabled, disabled, paused or resumed one)."""
        self._reader.forget_bot_states()
        self.wake()

    async def _maintenance_loop(self) -> None:
        """Renew leases of rows in flight and refresh the queue gauges."""
        period = max(0.05, min(self.settings.worker_lease / 3, 5.0))
        while True:
            await asyncio.sleep(period)
            try:
                now = self.clock.now()
                async with self.database.session() as session, session.begin():
                    await outbox_claims.renew_leases(
                        session,
                        owner=self.worker_id,
                        delivery_ids=list(self._claims.flights),
                        until=now + timedelta(seconds=self.settings.worker_lease),
                    )
                    metrics.QUEUE_DEPTH.set(await delivery_log.queue_depth(session))
                    metrics.PAUSED_PAIRS.set(await delivery_log.paused_pair_count(session))
            except Exception:
                log.exception("renewing delivery leases failed")
