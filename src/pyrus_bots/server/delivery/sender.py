"""Sending one delivery: build and sign its webhook, wait for the bot's call limit, call the bot.

One code path for every backend: the call limit (``limits``) hands out permits, whether it lives
in this process or in the database. A payload built before a long wait for the limit is built
again, since the task may have changed meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from pyrus_bots.server.clock import Clock
from pyrus_bots.server.delivery.dispatcher import HookClient
from pyrus_bots.server.delivery.finisher import Finisher
from pyrus_bots.server.delivery.flights import Finished, Flight, Prepared, Skip
from pyrus_bots.server.delivery.limits import CallLimit
from pyrus_bots.server.delivery.sources import SourceReader
from pyrus_bots.server.settings import Settings

log = logging.getLogger("pyrus_bots.delivery")


class Sender:
    """Calls bots for leased deliveries and hands each attempt to the finisher."""

    def __init__(
        self,
        settings: Settings,
        clock: Clock,
        reader: SourceReader,
        limit: CallLimit,
        finisher: Finisher,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self._reader = reader
        self._limit = limit
        self._finisher = finisher
        self._client: HookClient | None = None
        self.stopping = False
        self._limited_at: dict[int, datetime] = {}
        """When each bot was last found at its call limit (attributes waits to the limit)."""

    def open(self) -> None:
        self.stopping = False
        self._client = HookClient(
            policy=self.settings.hook_policy,
            timeout=self.settings.bot_timeout,
            ca_bundle=self.settings.hook_ca_bundle,
            max_body=self.settings.max_reply_bytes,
            dns_cache_seconds=self.settings.dns_cache_seconds,
        )

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None

    def note_limited(self, bot_id: int, at: datetime) -> None:
        """The bot was found at its call limit at ``at`` (while claiming)."""
        self._limited_at[bot_id] = at

    async def deliver(self, flight: Flight) -> None:
        """Make one attempt and have it recorded; give the row back when it cannot go."""
        try:
            prepared, waited = await self._prepare_within_limit(flight)
            if self.stopping or self._client is None:
                raise Skip("the worker is stopping")
            flight.sending = True
            started_at = self.clock.now()
            webhook = prepared.webhook
            result = await self._client.post(webhook.url, webhook.body, webhook.headers)
            await self._finisher.finish(Finished(flight, prepared, result, started_at, waited))
        except Skip as skip:
            log.info("delivery %d waits: %s", flight.delivery_id, skip)
            await self._finisher.give_back(flight, delay=0.0)
        except asyncio.CancelledError:
            raise  # a slot still held frees by itself after the longest call plus the window
        except Exception:
            log.exception("delivery %d failed inside the platform", flight.delivery_id)
            await self._finisher.give_back(flight, delay=self.settings.error_backoff)

    async def _prepare_within_limit(self, flight: Flight) -> tuple[Prepared, float]:
        """Build the payload and hold a permit of the bot's call limit right before sending;
        return it with the seconds the call waited for the limit."""
        prepared: Prepared | None = None
        if flight.source is not None:
            prepared = self._reader.build(flight, flight.source)
            flight.source = None
        waited = 0.0
        while True:
            if prepared is None:
                prepared = await self._reader.prepare(flight)
            if flight.permit is not None:  # most shared-limit calls got theirs with the claim
                break
            grant = await self._limit.acquire(flight.bot_id)
            if grant.permit is not None:
                flight.permit = grant.permit
                break
            wait = max(grant.wait, self.settings.limit_retry_wait)
            waited += wait
            self._limited_at[flight.bot_id] = self.clock.now()
            flight.waiting_for_limit = True
            await asyncio.sleep(wait)
            flight.waiting_for_limit = False
            if waited > self.settings.rebuild_after_wait:
                prepared = None  # the task may have changed meanwhile
        limited_at = self._limited_at.get(flight.bot_id)
        if limited_at is not None and limited_at >= flight.due_at:
            # The bot was at its limit while this row was due: it waited since then.
            waited = max(waited, (self.clock.now() - flight.due_at).total_seconds())
        return prepared, waited
