"""The delivery worker: claims due outbox rows, calls bots, records attempts, applies replies.

One asyncio task claims work (woken by new rows, completions, due retries and a fallback poll);
each claimed delivery runs as its own coroutine, so a bot holding its connection for 60 s costs a
coroutine and a socket. Claims take a lease (renewed while the attempt runs): a worker that dies
loses its rows to another once the lease expires, and every attempt ends in one transaction that
re-checks the lease, records the attempt, applies the reply and completes the row, so a reply is
never applied twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from pyrus_bots.server import settings as settings_module
from pyrus_bots.server.clock import SYSTEM_CLOCK, Clock
from pyrus_bots.server.delivery import metrics, snapshot
from pyrus_bots.server.delivery.batching import GroupCommit
from pyrus_bots.server.delivery.dispatcher import SUCCESS, HookClient, HttpResult
from pyrus_bots.server.delivery.payload import MASK, Webhook, build_webhook
from pyrus_bots.server.delivery.ratelimit import SlidingWindowLimiter
from pyrus_bots.server.delivery.reply import ReplyOutcome, parse_reply, reply_outcome
from pyrus_bots.server.settings import Settings
from pyrus_bots.server.store import bots as bot_store
from pyrus_bots.server.store import notify, outbox
from pyrus_bots.server.store.bots import BotRecord
from pyrus_bots.server.store.counters import DIRECTORY_VERSION, current_value
from pyrus_bots.server.store.db import Database
from pyrus_bots.server.store.directory import load_directory
from pyrus_bots.server.store.outbox import DONE, FAILED, SUPERSEDED, DeliveryAttempt
from pyrus_bots.server.store.shared_limits import (
    MAX_SHARED_SLOTS,
    CallRoom,
    SharedBotCallLimit,
)
from pyrus_bots.server.tasks import CommentCall, comment_tasks
from pyrus_bots.server.workflow.render import render_task
from pyrus_bots.server.workflow.state import Comment, Directory, TaskState

log = logging.getLogger("pyrus_bots.delivery")

POLL_INTERVAL = 1.0  # seconds between claims when nothing wakes the worker
CLAIM_BATCH = 50  # rows per claim: reading and decoding them blocks the event loop briefly
CLAIM_COALESCE = 0.01  # while calls are in flight, let finishing ones free slots for one claim
RATE_CLAIM_HORIZON = 1.0  # claim a rate-limited bot's rows this long before they may go
REBUILD_AFTER_WAIT = 0.5  # a payload older than this (waiting for the limit) is rebuilt
BOT_LIST_TTL = 1.0  # seconds the list of bots (enabled, paused) is reused when claiming
ERROR_BACKOFF = 5.0  # seconds before a delivery that hit an internal error is tried again
WORKER_DB_SLOTS = 8  # transactions of attempts at once: the rest of the pool stays for the API
STOP_GRACE = 1.0  # seconds beyond the bot timeout that stop() waits for attempts in flight
SHARED_LIMIT_MIN_WAIT = 0.02  # seconds before asking again for a call slot another took
FINISH_BATCH = 64  # answered attempts per transaction: more saves little and blocks the loop longer
TOKEN_REUSE_MARGIN = 60.0  # a cached webhook token is replaced this long before it would be
# valid less than the hour DESIGN.md 3.4 promises


@dataclass(slots=True)
class _Flight:
    """A leased delivery this worker is working on."""

    delivery_id: int
    bot_id: int
    task_id: int
    token: str
    event: str
    number: int
    series: int
    due_at: datetime
    sending: bool = False
    waiting_for_limit: bool = False
    slot: int | None = None
    """The bot call slot this delivery holds (shared limit, PostgreSQL)."""
    source: _Source | None = field(default=None, repr=False)
    task: asyncio.Task[None] | None = field(default=None, repr=False)


@dataclass(slots=True)
class _Source:
    """What one webhook is built from, read in the claim's transaction."""

    bot: BotRecord
    task: TaskState
    comments: list[Comment]
    token: str
    directory: Directory
    read_at: datetime


@dataclass(slots=True)
class _Prepared:
    webhook: Webhook
    directory: Directory


@dataclass(slots=True)
class _Finished:
    """An attempt made, to be recorded (and its reply applied) in the database."""

    flight: _Flight
    prepared: _Prepared
    result: HttpResult
    started_at: datetime
    waited: float


class _Skip(Exception):
    """The delivery cannot go now (bot disabled, deleted, no hook URL): give the row back."""


class DeliveryService:
    def __init__(self, database: Database, settings: Settings, clock: Clock = SYSTEM_CLOCK) -> None:
        self.database = database
        self.settings = settings
        self.clock = clock
        self.worker_id = f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._limiter = SlidingWindowLimiter(*settings.bot_call_limit)
        self._shared_calls: SharedBotCallLimit | None = None
        if database.dialect == "postgresql" and settings.bot_call_limit[0] <= MAX_SHARED_SLOTS:
            # Several workers may call one bot: its call limit lives in the database (larger
            # limits, which only a benchmark sets, are kept per worker).
            self._shared_calls = SharedBotCallLimit(
                database.engine,
                *settings.bot_call_limit,
                hold=settings.bot_timeout + STOP_GRACE,
            )
        self._flights: dict[int, _Flight] = {}
        self._per_bot: Counter[int] = Counter()
        self._wake_event = asyncio.Event()
        self._db_slots = asyncio.Semaphore(WORKER_DB_SLOTS)
        self._stopping = False
        self._claim_seq = 0
        self._client: HookClient | None = None
        self._loops: list[asyncio.Task[None]] = []
        self._directory: tuple[int, Directory] | None = None
        self._bots: tuple[float, set[int], set[int]] | None = None
        self._bot_records: dict[int, BotRecord] = {}
        self._bots_generation = 0
        self._rate_blocked_at: dict[int, datetime] = {}
        """When each bot was last found at its call limit (attributes waits to the limit)."""
        self._finisher = GroupCommit(
            self._finish_answered, self._finish_alone, max_items=FINISH_BATCH
        )
        self._webhook_tokens: dict[int, tuple[str, str, datetime]] = {}
        """Per bot: the security key it was issued under, a token, when the token expires."""

    # --- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        self._stopping = False
        self._client = HookClient(
            policy=self.settings.hook_policy,
            timeout=self.settings.bot_timeout,
            ca_bundle=self.settings.hook_ca_bundle,
            max_body=settings_module.MAX_REPLY_BYTES,
        )
        async with self.database.session() as session, session.begin():
            if self.database.dialect == "sqlite":
                # SQLite runs one worker: leases left in the file belong to a dead process.
                released = await outbox.release_owner(session)
                if released:
                    log.info("released %d deliveries leased before a restart", released)
            if self._shared_calls is None:
                await self._prime_limiter(session)
        notify.add_wake_listener(self.wake)
        self._loops = [
            asyncio.create_task(self._claim_loop(), name="delivery-claim"),
            asyncio.create_task(self._maintenance_loop(), name="delivery-maintenance"),
        ]

    async def stop(self) -> None:
        """Stop claiming, let attempts already sending finish (up to the timeout), release the
        rest of the leases."""
        self._stopping = True
        notify.remove_wake_listener(self.wake)
        self.wake()
        claim_loop = self._loops[0] if self._loops else None
        if claim_loop is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await claim_loop
        leased = [f.token for f in self._flights.values()]
        # Calls waiting for the rate limit give their rows back now; the others (sending, or in
        # a database transaction, which must not be cut) get until the bot timeout to finish.
        waiting = [f.task for f in self._flights.values() if f.task and f.waiting_for_limit]
        for task in waiting:
            task.cancel()
        busy = [f.task for f in self._flights.values() if f.task and not f.waiting_for_limit]
        if busy:
            await asyncio.wait(busy, timeout=self.settings.bot_timeout + STOP_GRACE)
        left = [f for f in self._flights.values() if f.task]
        for flight in left:
            assert flight.task is not None
            flight.task.cancel()
        await asyncio.gather(*(t for t in (f.task for f in left) if t), return_exceptions=True)
        await asyncio.gather(*(w for w in waiting if w), return_exceptions=True)
        await self._finisher.idle()  # answers already submitted are written before the pool goes
        if leased:
            # Rows finished meanwhile no longer carry these tokens: only the rest are released.
            with contextlib.suppress(Exception):
                async with self.database.session() as session, session.begin():
                    await outbox.release(session, tokens=leased)
        self._flights.clear()
        self._per_bot.clear()
        for loop in self._loops[1:]:
            loop.cancel()
        await asyncio.gather(*self._loops[1:], return_exceptions=True)
        self._loops = []
        if self._client is not None:
            await self._client.close()
            self._client = None
        metrics.IN_FLIGHT.set(0)

    def wake(self) -> None:
        """New work may be due: claim at once instead of at the next poll."""
        self._wake_event.set()

    @property
    def in_flight(self) -> int:
        return len(self._flights)

    # --- claiming -----------------------------------------------------------------------------

    async def _claim_loop(self) -> None:
        while not self._stopping:
            self._wake_event.clear()
            try:
                delay = await self._claim_once()
            except Exception:
                log.exception("claiming deliveries failed; retrying in %.0f s", POLL_INTERVAL)
                delay = POLL_INTERVAL
            if delay > 0 and not self._stopping:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(delay):
                        await self._wake_event.wait()
            if self._flights and not self._stopping:
                # A claim costs a few queries whether it takes one row or a hundred.
                await asyncio.sleep(CLAIM_COALESCE)

    async def _claim_once(self) -> float:
        """Lease what may go now; return how long to sleep before the next claim."""
        capacity = min(self.settings.global_concurrency - len(self._flights), CLAIM_BATCH)
        if capacity <= 0:
            return POLL_INTERVAL  # a finishing attempt wakes the loop
        now = self.clock.now()
        mono = self.clock.monotonic()
        async with self.database.session() as session, session.begin():
            bot_ids, blocked = await self._bot_states(session)
            free: dict[int, int] = {}
            next_rate_free: float | None = None
            shared: dict[int, CallRoom] | None = None
            if self._shared_calls is not None:
                shared = await self._shared_calls.available(
                    bot_ids, now.timestamp() + RATE_CLAIM_HORIZON
                )
            for bot_id in bot_ids:
                slots = self.settings.bot_concurrency - self._per_bot[bot_id]
                room = shared.get(bot_id) if shared is not None else None
                if shared is not None:
                    calls = room.free if room is not None else self.settings.bot_call_limit[0]
                else:
                    calls = self._limiter.available(bot_id, mono, RATE_CLAIM_HORIZON)
                if calls <= 0:
                    self._rate_blocked_at[bot_id] = now
                    if room is not None:
                        # The epoch time the first slot frees, on the monotonic clock.
                        next_slot = room.next_free - now.timestamp()
                        free_at = mono + next_slot - RATE_CLAIM_HORIZON
                    else:
                        free_at = self._limiter.next_free(bot_id, mono) - RATE_CLAIM_HORIZON
                    next_rate_free = (
                        free_at if next_rate_free is None else min(next_rate_free, free_at)
                    )
                free[bot_id] = min(slots, calls)
            unavailable = blocked | {b for b, n in free.items() if n <= 0}
            self._claim_seq += 1
            rows = await outbox.claim_due(
                session,
                now=now,
                owner=self.worker_id,
                token_prefix=f"{self.worker_id}:{self._claim_seq}",
                lease_seconds=self.settings.worker_lease,
                free_slots=free,
                limit=capacity,
                blocked_bot_ids=unavailable,
            )
            flights = [
                _Flight(
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
                sources = await self._read_sources(session, flights, now)
                for flight in flights:
                    flight.source = sources.get(flight.delivery_id)
            next_due = None
            if len(rows) < capacity:
                next_due = await outbox.next_due_at(session, now=now, blocked_bot_ids=unavailable)
        if flights and self._shared_calls is not None:
            await self._take_call_slots(self._shared_calls, flights)
        for flight in flights:
            self._launch(flight)
        if len(rows) >= capacity:
            return 0.0
        delay = POLL_INTERVAL
        if next_due is not None:
            delay = min(delay, (next_due - now).total_seconds())
        if next_rate_free is not None:
            delay = min(delay, next_rate_free - mono)
        return max(delay, 0.005)

    async def _take_call_slots(self, limit: SharedBotCallLimit, flights: list[_Flight]) -> None:
        """Take the call slots of a claim's flights in one statement; a flight left without one
        (another worker took it meanwhile) asks again on its own before sending."""
        try:
            granted = await limit.acquire_many(
                Counter(f.bot_id for f in flights), self.clock.now().timestamp()
            )
        except Exception:
            log.exception("taking bot call slots failed; each call asks for its own")
            return
        for flight in flights:
            slots = granted.get(flight.bot_id)
            if slots:
                flight.slot = slots.pop()

    async def _bot_states(self, session: AsyncSession) -> tuple[set[int], set[int]]:
        """All bot ids, and those whose triggers must wait (disabled, no hook URL, paused).

        Also refreshes the cached bot records and the directory the attempts of this claim use.
        """
        mono = self.clock.monotonic()
        rereads = 0
        while self._bots is None or mono - self._bots[0] >= BOT_LIST_TTL:
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
        self.wake()

    def _launch(self, flight: _Flight) -> None:
        self._flights[flight.delivery_id] = flight
        self._per_bot[flight.bot_id] += 1
        metrics.IN_FLIGHT.set(len(self._flights))
        flight.task = asyncio.create_task(
            self._deliver(flight), name=f"delivery-{flight.delivery_id}"
        )

    # --- one delivery -------------------------------------------------------------------------

    async def _deliver(self, flight: _Flight) -> None:
        try:
            prepared, waited = await self._prepare_within_limit(flight)
            if self._stopping or self._client is None:
                raise _Skip("the worker is stopping")
            flight.sending = True
            started_at = self.clock.now()
            result = await self._client.post(
                prepared.webhook.url, prepared.webhook.body, prepared.webhook.headers
            )
            finished = _Finished(flight, prepared, result, started_at, waited)
            if result.ok:
                await self._finisher.submit(finished)  # with other answers, in one transaction
            else:
                await self._release_call(flight)
                await self._finish_alone(finished)
        except _Skip as skip:
            log.info("delivery %d waits: %s", flight.delivery_id, skip)
            await self._release_call(flight)
            await self._give_back(flight, delay=0.0)
        except asyncio.CancelledError:
            raise  # a slot still held frees by itself after the longest call plus the window
        except Exception:
            log.exception("delivery %d failed inside the platform", flight.delivery_id)
            await self._release_call(flight)
            await self._give_back(flight, delay=ERROR_BACKOFF)
        finally:
            self._flights.pop(flight.delivery_id, None)
            self._per_bot[flight.bot_id] -= 1
            if self._per_bot[flight.bot_id] <= 0:
                del self._per_bot[flight.bot_id]
            metrics.IN_FLIGHT.set(len(self._flights))
            self.wake()

    async def _prepare_within_limit(self, flight: _Flight) -> tuple[_Prepared, float]:
        """Build the payload and take a slot of the bot's call limit right before sending."""
        if self._shared_calls is not None:
            return await self._prepare_within_shared_limit(flight, self._shared_calls)
        prepared: _Prepared | None = None
        if flight.source is not None:
            prepared = self._build(flight, flight.source)
            flight.source = None
        waited = 0.0
        while True:
            mono = self.clock.monotonic()
            wait = self._limiter.next_free(flight.bot_id, mono) - mono
            if wait > 0:
                waited += wait
                if waited > REBUILD_AFTER_WAIT:
                    prepared = None  # the task may have changed meanwhile
                self._rate_blocked_at[flight.bot_id] = self.clock.now()
                flight.waiting_for_limit = True
                await asyncio.sleep(wait)
                flight.waiting_for_limit = False
                continue
            if prepared is None:
                prepared = await self._prepare(flight)
                continue  # time passed: check the limit again
            if self._limiter.try_acquire(flight.bot_id, self.clock.monotonic()) == 0.0:
                limited_at = self._rate_blocked_at.get(flight.bot_id)
                if limited_at is not None and limited_at >= flight.due_at:
                    # The bot was at its limit while this row was due: it waited since then.
                    waited = max(waited, (self.clock.now() - flight.due_at).total_seconds())
                return prepared, waited

    async def _prepare_within_shared_limit(
        self, flight: _Flight, limit: SharedBotCallLimit
    ) -> tuple[_Prepared, float]:
        """As :meth:`_prepare_within_limit`, with the bot's call slots in the database, so that
        the limit holds across every worker calling the bot."""
        prepared: _Prepared | None = None
        if flight.source is not None:
            prepared = self._build(flight, flight.source)
            flight.source = None
        waited = 0.0
        while flight.slot is None:  # most flights got theirs with the claim
            now = self.clock.now()
            grant = await limit.acquire(flight.bot_id, now.timestamp())
            if grant.slot is not None:
                flight.slot = grant.slot
                break
            wait = max(grant.retry_at - now.timestamp(), SHARED_LIMIT_MIN_WAIT)
            waited += wait
            self._rate_blocked_at[flight.bot_id] = now
            flight.waiting_for_limit = True
            await asyncio.sleep(wait)
            flight.waiting_for_limit = False
        if prepared is None or waited > REBUILD_AFTER_WAIT:
            prepared = await self._prepare(flight)  # the task may have changed meanwhile
        limited_at = self._rate_blocked_at.get(flight.bot_id)
        if limited_at is not None and limited_at >= flight.due_at:
            waited = max(waited, (self.clock.now() - flight.due_at).total_seconds())
        return prepared, waited

    async def _release_calls(self, flights: list[_Flight]) -> None:
        """The calls of these flights ended: their slots free one window from now (together)."""
        ended = self.clock.now().timestamp()
        calls = [(f.bot_id, f.slot, ended) for f in flights if f.slot is not None]
        if self._shared_calls is None or not calls:
            return
        for flight in flights:
            flight.slot = None
        try:
            await self._shared_calls.release_many(calls)
        except Exception:
            log.exception("releasing bot call slots failed; they free after the longest call")

    async def _release_call(self, flight: _Flight) -> None:
        """The call ended (or never went): its slot frees one window from now."""
        await self._release_calls([flight])

    async def _prepare(self, flight: _Flight) -> _Prepared:
        """Read the task now and build the webhook (a claim's batch read went stale)."""
        async with self._db_slots:
            now = self.clock.now()
            async with self.database.session() as session, session.begin():
                sources = await self._read_sources(session, [flight], now)
        source = sources.get(flight.delivery_id)
        if source is None:
            raise _Skip(f"bot {flight.bot_id} unavailable or task {flight.task_id} gone")
        return self._build(flight, source)

    async def _read_sources(
        self, session: AsyncSession, flights: list[_Flight], now: datetime
    ) -> dict[int, _Source]:
        """What the webhooks of these deliveries are built from: three queries for them all."""
        # Bot records and the directory were read at most BOT_LIST_TTL ago, when claiming.
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
        tasks = await snapshot.tasks_by_id(session, task_ids)
        comments = await snapshot.comments_by_task(session, task_ids)
        found = [f for f in usable if f.task_id in tasks]
        tokens = await self._webhook_tokens_for(session, [f.bot_id for f in found], now)
        return {
            f.delivery_id: _Source(
                bot=self._bot_records[f.bot_id],
                task=tasks[f.task_id],
                comments=comments[f.task_id],
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
        keep_until = now + timedelta(
            seconds=settings_module.WEBHOOK_TOKEN_TTL / 2 + TOKEN_REUSE_MARGIN
        )
        stale = []
        for bot_id in dict.fromkeys(bot_ids):
            key = self._bot_records[bot_id].security_key or ""
            cached = self._webhook_tokens.get(bot_id)
            if cached is None or cached[0] != key or cached[2] < keep_until:
                stale.append(bot_id)
        if stale:
            fresh = await snapshot.issue_tokens(
                session, stale, ttl=settings_module.WEBHOOK_TOKEN_TTL, now=now
            )
            expires = now + timedelta(seconds=settings_module.WEBHOOK_TOKEN_TTL)
            for bot_id, token in zip(stale, fresh, strict=True):
                key = self._bot_records[bot_id].security_key or ""
                self._webhook_tokens[bot_id] = (key, token, expires)
        return [self._webhook_tokens[bot_id][1] for bot_id in bot_ids]

    def _build(self, flight: _Flight, source: _Source) -> _Prepared:
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
        return _Prepared(webhook=webhook, directory=source.directory)

    async def _load_directory(self, session: AsyncSession) -> Directory:
        """The organisation, reloaded only when its version counter moved."""
        version = await current_value(session, DIRECTORY_VERSION)
        if self._directory is not None and self._directory[0] == version:
            return self._directory[1]
        directory = await load_directory(session, include_files=True)
        self._directory = (version, directory)
        return directory

    async def _finish_alone(self, finished: _Finished) -> None:
        """Record one attempt, apply its reply and complete or reschedule: one transaction."""
        flight, result = finished.flight, finished.result
        await self._release_call(flight)
        async with self._db_slots:
            now = self.clock.now()
            reply = ReplyOutcome(result.outcome, result.detail)
            async with self.database.session() as session, session.begin():
                row = await outbox.lock_leased(
                    session, delivery_id=flight.delivery_id, token=flight.token
                )
                if row is None:
                    self._lease_lost(flight)
                    return
                if result.ok:
                    reply = await self._apply_reply(session, finished, now)
                    row.state = DONE
                    row.completed_at = now
                else:
                    await self._after_failure(session, row, now)
                row.attempts = flight.number
                row.outcome = reply.outcome
                row.updated_at = now
                row.lease_owner = row.lease_token = None
                row.lease_until = None
                session.add(DeliveryAttempt(**self._attempt_values(finished, reply, now)))
        self._observe(reply.outcome, result, finished.waited)

    async def _finish_answered(self, batch: list[_Finished]) -> None:
        """Record answered (2XX) attempts, apply their replies and complete their deliveries,
        all in one transaction and a few statements for the whole batch."""
        async with self._db_slots:
            now = self.clock.now()
            async with self.database.session() as session, session.begin():
                held = await outbox.lock_leased_many(
                    session, {f.flight.delivery_id: f.flight.token for f in batch}
                )
                kept = [f for f in batch if f.flight.delivery_id in held]
                replies = await self._apply_replies(session, kept, now)
                done = list(zip(kept, replies, strict=True))
                await outbox.record_attempts(
                    session, [self._attempt_values(f, reply, now) for f, reply in done]
                )
                await outbox.complete_many(
                    session,
                    [(f.flight.delivery_id, f.flight.number, reply.outcome) for f, reply in done],
                    now,
                )
        for finished in batch:
            if finished.flight.delivery_id not in held:
                self._lease_lost(finished.flight)
        for finished, reply in done:
            self._observe(reply.outcome, finished.result, finished.waited)
        await self._release_calls([f.flight for f in batch])

    def _lease_lost(self, flight: _Flight) -> None:
        log.warning(
            "delivery %d: lease lost before the attempt was recorded; another worker "
            "re-delivers it",
            flight.delivery_id,
        )

    async def _apply_reply(
        self, session: AsyncSession, finished: _Finished, now: datetime
    ) -> ReplyOutcome:
        """One reply, inside a savepoint: when writing it fails for a reason other than the
        database (a fault of the platform, which would fail again), the attempt is recorded
        as ``invalid_reply: server_error`` instead of the bot being called again and again."""
        try:
            async with session.begin_nested():
                return (await self._apply_replies(session, [finished], now))[0]
        except SQLAlchemyError:
            raise  # the database failed: the attempt is rolled back and delivered again
        except Exception as exc:
            flight = finished.flight
            return reply_outcome(exc, bot_id=flight.bot_id, task_id=flight.task_id)

    async def _apply_replies(
        self, session: AsyncSession, batch: list[_Finished], now: datetime
    ) -> list[ReplyOutcome]:
        """The outcome of each answered attempt, its reply applied as the bot's comment where it
        carries one (all of them through the task service together)."""
        outcomes: list[ReplyOutcome | None] = []
        calls: dict[int, list[tuple[int, CommentCall]]] = {}
        directories: dict[int, Directory] = {}
        for index, finished in enumerate(batch):
            parsed = parse_reply(finished.result, settings_module.MAX_REPLY_BYTES)
            if isinstance(parsed, ReplyOutcome):
                outcomes.append(parsed)
                continue
            directory = finished.prepared.directory
            bot = directory.people.get(finished.flight.bot_id)
            if bot is None:
                outcomes.append(ReplyOutcome(SUCCESS, "bot missing from the directory"))
                continue
            outcomes.append(None)
            # Webhooks built before and after a directory change apply with their own one.
            directories[id(directory)] = directory
            calls.setdefault(id(directory), []).append(
                (index, CommentCall(finished.flight.task_id, bot, parsed))
            )
        for key, indexed in calls.items():
            results = await comment_tasks(
                session, directories[key], [call for _, call in indexed], now
            )
            for (index, call), result in zip(indexed, results, strict=True):
                outcomes[index] = reply_outcome(result, bot_id=call.author.id, task_id=call.task_id)
        filled = [outcome for outcome in outcomes if outcome is not None]
        assert len(filled) == len(batch)
        return filled

    async def _after_failure(
        self, session: AsyncSession, row: outbox.Delivery, now: datetime
    ) -> None:
        schedule = self.settings.retry_schedule
        done = row.attempts + 1
        if done >= len(schedule):
            row.state = FAILED
            row.completed_at = now
            await outbox.pause_pair(session, row, now)
        elif await outbox.newer_pending_exists(session, row):
            row.state = SUPERSEDED  # a newer trigger for the pair goes instead
            row.completed_at = now
        else:
            # Offsets count from the trigger; a slow attempt makes the next one due at once.
            row.due_at = row.trigger_at + timedelta(seconds=schedule[done])

    def _attempt_values(
        self, finished: _Finished, reply: ReplyOutcome, finished_at: datetime
    ) -> dict[str, Any]:
        """The attempt log row (column values), with the webhook's token masked."""
        flight, prepared, result = finished.flight, finished.prepared, finished.result
        logged_body = None
        if result.status is not None:
            logged_body = result.body[: settings_module.RESPONSE_LOG_LIMIT].decode(
                "utf-8", errors="replace"
            )
        token = prepared.webhook.access_token
        response_headers = (
            {k: v.replace(token, MASK) for k, v in result.headers.items()}
            if result.status is not None
            else None
        )
        return {
            "delivery_id": flight.delivery_id,
            "bot_id": flight.bot_id,
            "task_id": flight.task_id,
            "series": flight.series,
            "number": flight.number,
            "event": flight.event,
            "due_at": flight.due_at,
            "started_at": finished.started_at,
            "finished_at": finished_at,
            "latency_ms": round(result.latency * 1000, 3),
            "rate_limit_wait_ms": round(finished.waited * 1000, 3),
            "url": prepared.webhook.url,
            "request_headers": dict(prepared.webhook.headers),
            "request_body": prepared.webhook.logged_body(),
            "response_status": result.status,
            "response_headers": response_headers,
            "response_body": logged_body,
            "response_size": result.body_size if result.status is not None else None,
            "outcome": reply.outcome,
            "detail": reply.detail,
            "reply_applied": reply.applied,
            "comment_id": reply.comment_id,
        }

    def _observe(self, outcome: str, result: HttpResult, waited: float) -> None:
        metrics.ATTEMPTS.labels(outcome=metrics.outcome_kind(outcome)).inc()
        metrics.LATENCY.observe(result.latency)
        if waited > 0:
            metrics.RATE_LIMIT_WAITS.inc()
            metrics.RATE_LIMIT_WAIT_SECONDS.inc(waited)

    async def _give_back(self, flight: _Flight, *, delay: float) -> None:
        with contextlib.suppress(Exception):
            async with self.database.session() as session, session.begin():
                row = await outbox.lock_leased(
                    session, delivery_id=flight.delivery_id, token=flight.token
                )
                if row is not None:
                    row.lease_owner = row.lease_token = None
                    row.lease_until = None
                    if delay:
                        row.due_at = self.clock.now() + timedelta(seconds=delay)

    # --- upkeep -------------------------------------------------------------------------------

    async def _maintenance_loop(self) -> None:
        """Renew leases of rows in flight and refresh the queue gauges."""
        period = max(0.05, min(self.settings.worker_lease / 3, 5.0))
        while True:
            await asyncio.sleep(period)
            try:
                now = self.clock.now()
                async with self.database.session() as session, session.begin():
                    await outbox.renew_leases(
                        session,
                        owner=self.worker_id,
                        delivery_ids=list(self._flights),
                        until=now + timedelta(seconds=self.settings.worker_lease),
                    )
                    metrics.QUEUE_DEPTH.set(await outbox.queue_depth(session))
                    metrics.PAUSED_PAIRS.set(await outbox.paused_pair_count(session))
            except Exception:
                log.exception("renewing delivery leases failed")

    async def _prime_limiter(self, session: AsyncSession) -> None:
        """Count calls made in the current window before this process started."""
        now = self.clock.now()
        mono = self.clock.monotonic()
        window = self.settings.bot_call_limit[1]
        calls = await outbox.recent_call_times(session, since=now - timedelta(seconds=window))
        for bot_id, started in sorted(calls, key=lambda c: c[1]):
            self._limiter.prime(bot_id, mono - (now - started).total_seconds())
