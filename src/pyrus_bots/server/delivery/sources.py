"""What webhooks are built from: the bots, the organisation, tasks, comments and tokens.

The worker reuses the list of bots for ``bot_list_ttl`` seconds and the organisation until its
version counter moves, reads the tasks and comments of a whole claim in a few queries, and keeps
one webhook token per bot while it stays valid for the hour the protocol promises.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from pyrus_bots.server.clock import Clock
from pyrus_bots.server.delivery.flights import Flight, Prepared, Skip, Source
from pyrus_bots.server.delivery.payload import build_webhook
from pyrus_bots.server.settings import Settings
from pyrus_bots.server.store import bots as bot_store
from pyrus_bots.server.store import outbox, webhook_sources
from pyrus_bots.server.store.bots import BotRecord
from pyrus_bots.server.store.counters import DIRECTORY_VERSION, current_value
from pyrus_bots.server.store.db import Database
from pyrus_bots.server.store.directory import load_directory
from pyrus_bots.server.workflow.render import render_task
from pyrus_bots.server.workflow.state import Comment, Directory, TaskState


class SourceReader:
    """Reads and caches what the webhooks of claimed deliveries are built from, and builds them."""

    def __init__(
        self, database: Database, settings: Settings, clock: Clock, db_slots: asyncio.Semaphore
    ) -> None:
        self.database = database
        self.settings = settings
        self.clock = clock
        self._db_slots = db_slots
        self._directory: tuple[int, Directory] | None = None
        self._bots: tuple[float, set[int], set[int]] | None = None
        self._bot_records: dict[int, BotRecord] = {}
        self._bots_generation = 0
        self._webhook_tokens: dict[int, tuple[str, str, datetime]] = {}
        """Per bot: the security key it was issued under, a token, when the token expires."""

    async def bot_states(self, session: AsyncSession) -> tuple[set[int], set[int]]:
        """All bot ids, and those whose triggers must wait (disabled, no hook URL, paused).

        Also refreshes the cached bot records and the directory the attempts of this claim use.
        """
        mono = self.clock.monotonic()
        rereads = 0
        while self._bots is None or mono - self._bots[0] >= self.settings.bot_list_ttl:
            rereads += 1
            generation = self._bots_generation
            records = await bot_store.list_bots(session)
            paused = await outbox.paused_bot_ids(session)
            await self._load_directory(session)
            if generation != self._bots_generation and rereads < 3:
                continue  # bots changed while reading: read again
            self._bot_records = {r.person_id: r for r in records}
            blocked = {r.person_id for r in records if not r.enabled or not r.hook_url} | paused
            self._bots = (mono, set(self._bot_records), blocked)
        return self._bots[1], self._bots[2]

    def forget_bot_states(self) -> None:
        """Re-read bots at the next claim (an admin enabled, disabled, paused or resumed one)."""
        self._bots = None
        self._bots_generation += 1

    async def read(
        self, session: AsyncSession, flights: list[Flight], now: datetime
    ) -> dict[int, Source]:
        """What the webhooks of these deliveries are built from: three queries for them all."""
        # Bot records and the directory were read at most bot_list_ttl ago, when claiming.
        usable = [
            f
            for f in flights
            if (bot := self._bot_records.get(f.bot_id)) is not None and bot.enabled and bot.hook_url
        ]
        if len(usable) < len(flights):
            self._bots = None  # re-read bots at the next claim
        if not usable:
            return {}
        directory = self._directory[1] if self._directory else await self._load_directory(session)
        task_ids = {f.task_id for f in usable}
        tasks = await webhook_sources.tasks_by_id(session, task_ids)
        comments = await webhook_sources.comments_by_task(session, task_ids)
        found = [f for f in usable if f.task_id in tasks]
        tokens = await self._webhook_tokens_for(session, [f.bot_id for f in found], now)
        return {
            f.delivery_id: Source(
                bot=self._bot_records[f.bot_id],
                task=tasks[f.task_id],
                comments=_as_of(tasks[f.task_id], comments[f.task_id]),
                token=token,
                directory=directory,
                read_at=now,
            )
            for f, token in zip(found, tokens, strict=True)
        }

    async def _webhook_tokens_for(
        self, session: AsyncSession, bot_ids: list[int], now: datetime
    ) -> list[str]:
        """An access token per entry of ``bot_ids``: one token per bot is reused while it stays
        valid for at least the hour the protocol promises, and replaced when the bot's security
        key changes (a key reset revokes the bot's tokens)."""
        ttl = self.settings.webhook_token_ttl
        keep_until = now + timedelta(seconds=ttl / 2 + self.settings.token_reuse_margin)
        stale = []
        for bot_id in dict.fromkeys(bot_ids):
            key = self._bot_records[bot_id].security_key or ""
            cached = self._webhook_tokens.get(bot_id)
            if cached is None or cached[0] != key or cached[2] < keep_until:
                stale.append(bot_id)
        if stale:
            fresh = await webhook_sources.issue_tokens(session, stale, ttl=ttl, now=now)
            expires = now + timedelta(seconds=ttl)
            for bot_id, token in zip(stale, fresh, strict=True):
                key = self._bot_records[bot_id].security_key or ""
                self._webhook_tokens[bot_id] = (key, token, expires)
        return [self._webhook_tokens[bot_id][1] for bot_id in bot_ids]

    def build(self, flight: Flight, source: Source) -> Prepared:
        """Render the task as the bot sees it and sign the webhook (CPU only)."""
        bot = source.bot
        rendered = render_task(
            source.directory,
            source.task,
            source.comments[-1:] if bot.send_only_last_comment else source.comments,
            only_last_comment=bot.send_only_last_comment,
            now=source.read_at,
            files_url=f"{self.settings.base_url}/",
        )
        webhook = build_webhook(
            url=bot.hook_url or "",
            event=flight.event,
            bot_id=flight.bot_id,
            task_id=flight.task_id,
            access_token=source.token,
            bot_settings=bot.settings,
            task=rendered,
            security_key=bot.security_key or "",
            attempt=flight.number,
            attempts_per_series=len(self.settings.retry_schedule),
            signature_case=self.settings.signature_case,
        )
        return Prepared(webhook=webhook, directory=source.directory)

    async def prepare(self, flight: Flight) -> Prepared:
        """Read the task now and build the webhook (a claim's batch read went stale)."""
        async with self._db_slots:
            now = self.clock.now()
            async with self.database.session() as session, session.begin():
                sources = await self.read(session, [flight], now)
        source = sources.get(flight.delivery_id)
        if source is None:
            raise Skip(f"bot {flight.bot_id} unavailable or task {flight.task_id} gone")
        return self.build(flight, source)

    async def _load_directory(self, session: AsyncSession) -> Directory:
        """The organisation, reloaded only when its version counter moved."""
        version = await current_value(session, DIRECTORY_VERSION)
        if self._directory is not None and self._directory[0] == version:
            return self._directory[1]
        directory = await load_directory(session, include_files=True)
        self._directory = (version, directory)
        return directory


def _as_of(task: TaskState, comments: list[Comment]) -> list[Comment]:
    """The comments the task row had when it was read. The claim's transaction reads the task
    and then its comments in two statements (PostgreSQL's READ COMMITTED gives each its own
    snapshot): a comment committed in between would reach the bot with the task as it was
    before that comment changed it."""
    last = task.last_note_id
    if last is None:
        return comments
    return [c for c in comments if c.id is None or c.id <= last]
