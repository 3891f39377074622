"""Ending attempts: record the attempt, apply the reply, and complete, retry or pause the row.

Every attempt ends in one transaction that re-checks the lease, so a reply is never applied
twice; what the attempt means for its row is decided by ``rules.judge_attempt``. Answered (2XX)
attempts that finish together are written together (``batching.GroupCommit``): one transaction
and a few statements for the batch.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.protocol.models.requests import CommentRequest
from pyrus_bots.server.clock import Clock
from pyrus_bots.server.delivery import metrics, rules
from pyrus_bots.server.delivery.batching import GroupCommit
from pyrus_bots.server.delivery.dispatcher import SUCCESS, HttpResult
from pyrus_bots.server.delivery.flights import Finished, Flight
from pyrus_bots.server.delivery.limits import CallLimit
from pyrus_bots.server.delivery.payload import MASK
from pyrus_bots.server.delivery.reply import ReplyOutcome, parse_reply, reply_outcome
from pyrus_bots.server.delivery.url_fetch import fetch_urls
from pyrus_bots.server.settings import Settings
from pyrus_bots.server.store import outbox
from pyrus_bots.server.store.db import Database
from pyrus_bots.server.store.outbox import DONE, FAILED, SUPERSEDED, DeliveryAttempt
from pyrus_bots.server.tasks.attachments import comment_with_attachments, needs_preparing
from pyrus_bots.server.tasks.changes import CommentCall, comment_tasks
from pyrus_bots.server.tasks.url_attachments import url_refs
from pyrus_bots.server.workflow.state import Directory

log = logging.getLogger("pyrus_bots.delivery")


class Finisher:
    """Writes the end of each attempt, and gives back rows that could not go."""

    def __init__(
        self,
        database: Database,
        settings: Settings,
        clock: Clock,
        limit: CallLimit,
        db_slots: asyncio.Semaphore,
    ) -> None:
        self.database = database
        self.settings = settings
        self.clock = clock
        self._limit = limit
        self._db_slots = db_slots
        self._answered = GroupCommit(
            self.finish_answered, self.finish_alone, max_items=settings.finish_batch
        )

    async def finish(self, finished: Finished) -> None:
        """Record an attempt: answered ones with others that finish meanwhile, failed alone."""
        if finished.result.ok:
            async with self._reply_files(finished):
                await self._answered.submit(finished)
        else:
            await self.finish_alone(finished)

    @contextlib.asynccontextmanager
    async def _reply_files(self, finished: Finished) -> AsyncIterator[None]:
        """Parse the answer, and fetch the files its reply gives by URL before the attempt's
        transaction (they stay readable until the attempt is written)."""
        finished.reply = parse_reply(finished.result, self.settings.max_reply_bytes)
        async with contextlib.AsyncExitStack() as stack:
            if isinstance(finished.reply, CommentRequest):
                try:
                    refs = url_refs(finished.reply)
                    finished.fetched = await stack.enter_async_context(
                        fetch_urls(self.settings, refs)
                    )
                except PyrusError as error:
                    finished.fetch_error = error
            yield

    async def idle(self) -> None:
        """Return once every answer submitted so far is written."""
        await self._answered.idle()

    async def release_calls(
        self, flights: Sequence[Flight], session: AsyncSession | None = None
    ) -> None:
        """The calls of these flights ended (or never went): release their permits together,
        in ``session``'s transaction when given (the caller then calls :meth:`released` once
        it committed)."""
        calls = [(f.bot_id, f.permit) for f in flights if f.permit is not None]
        if not calls:
            return
        if session is not None:
            await self._limit.release(calls, session)
            return
        self.released(flights)
        try:
            await self._limit.release(calls)
        except Exception:
            log.exception("releasing bot call slots failed; they free after the longest call")

    @staticmethod
    def released(flights: Sequence[Flight]) -> None:
        """The permits of these flights were released (their transaction committed)."""
        for flight in flights:
            flight.permit = None

    async def finish_alone(self, finished: Finished) -> None:
        """Record one attempt, apply its reply and complete or reschedule: one transaction."""
        flight, result = finished.flight, finished.result
        async with self._db_slots:
            now = self.clock.now()
            reply = ReplyOutcome(result.outcome, result.detail)
            async with self.database.session() as session, session.begin():
                row = await outbox.lock_leased(
                    session, delivery_id=flight.delivery_id, token=flight.token
                )
                newer = False
                if row is not None and not result.ok:
                    last = rules.is_last_attempt(flight.number, self.settings.retry_schedule)
                    newer = not last and await outbox.newer_pending_exists(session, row)
                judgement = rules.judge_attempt(
                    lease_held=row is not None,
                    answered=result.ok,
                    number=flight.number,
                    schedule=self.settings.retry_schedule,
                    trigger_at=row.trigger_at if row is not None else now,
                    newer_trigger=newer,
                )
                await self.release_calls([flight], session)
                if row is None:
                    self._lease_lost(flight)
                    self.released([flight])  # committed as the block ends
                    return
                if judgement.verdict is rules.Verdict.DONE:
                    reply = await self._apply_reply(session, finished, now)
                    row.state = DONE
                    row.completed_at = now
                elif judgement.verdict is rules.Verdict.PAUSE:
                    row.state = FAILED
                    row.completed_at = now
                    await outbox.pause_pair(session, row, now)
                elif judgement.verdict is rules.Verdict.SUPERSEDED:
                    row.state = SUPERSEDED  # a newer trigger for the pair goes instead
                    row.completed_at = now
                else:
                    assert judgement.due_at is not None
                    row.due_at = judgement.due_at
                row.attempts = flight.number
                row.outcome = reply.outcome
                row.updated_at = now
                row.lease_owner = row.lease_token = None
                row.lease_until = None
                session.add(DeliveryAttempt(**self._attempt_values(finished, reply, now)))
        self.released([flight])
        self._observe(reply.outcome, result, finished.waited)

    async def finish_answered(self, batch: list[Finished]) -> None:
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
                await self.release_calls([f.flight for f in batch], session)
        self.released([f.flight for f in batch])
        for finished in batch:
            if finished.flight.delivery_id not in held:
                self._lease_lost(finished.flight)
        for finished, reply in done:
            self._observe(reply.outcome, finished.result, finished.waited)

    def _lease_lost(self, flight: Flight) -> None:
        log.warning(
            "delivery %d: lease lost before the attempt was recorded; another worker "
            "re-delivers it",
            flight.delivery_id,
        )

    async def _apply_reply(
        self, session: AsyncSession, finished: Finished, now: datetime
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
        self, session: AsyncSession, batch: list[Finished], now: datetime
    ) -> list[ReplyOutcome]:
        """The outcome of each answered attempt, its reply applied as the bot's comment where it
        carries one (all of them through the task service together)."""
        outcomes: list[ReplyOutcome | None] = []
        calls: dict[int, list[tuple[int, CommentCall]]] = {}
        directories: dict[int, Directory] = {}
        for index, finished in enumerate(batch):
            parsed = finished.reply
            if parsed is None:
                parsed = parse_reply(finished.result, self.settings.max_reply_bytes)
            flight = finished.flight
            if isinstance(parsed, ReplyOutcome):
                outcomes.append(parsed)
                continue
            if finished.fetch_error is not None:
                error = finished.fetch_error
                outcomes.append(reply_outcome(error, bot_id=flight.bot_id, task_id=flight.task_id))
                continue
            directory = finished.prepared.directory
            bot = directory.people.get(flight.bot_id)
            if bot is None:
                outcomes.append(ReplyOutcome(SUCCESS, "bot missing from the directory"))
                continue
            if needs_preparing(parsed):
                # Files to store or versions to record: this reply goes alone, in a savepoint.
                call = CommentCall(flight.task_id, bot, parsed)
                alone = await comment_with_attachments(
                    session, directory, call, finished.fetched, now
                )
                outcomes.append(reply_outcome(alone, bot_id=bot.id, task_id=flight.task_id))
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

    def _attempt_values(
        self, finished: Finished, reply: ReplyOutcome, finished_at: datetime
    ) -> dict[str, Any]:
        """The attempt log row (column values), with the webhook's token masked."""
        flight, prepared, result = finished.flight, finished.prepared, finished.result
        logged_body = None
        if result.status is not None:
            logged_body = result.body[: self.settings.response_log_limit].decode(
                "utf-8", errors="replace"
            )
            # PostgreSQL's text cannot hold NUL: a bot answering one must not make the attempt
            # unrecordable (it would be rolled back and the bot called again, forever).
            logged_body = logged_body.replace("\x00", "\ufffd")
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
            "request_body": prepared.webhook.logged_body(self.settings.request_log_limit),
            "request_size": len(prepared.webhook.body),
            "request_sha256": prepared.webhook.digest(),
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

    async def give_back(self, flight: Flight, *, delay: float) -> None:
        """Release the row's lease untouched, due again after ``delay`` seconds, and the call's
        permit."""
        with contextlib.suppress(Exception):
            async with self.database.session() as session, session.begin():
                await self.release_calls([flight], session)
                row = await outbox.lock_leased(
                    session, delivery_id=flight.delivery_id, token=flight.token
                )
                if row is not None:
                    row.lease_owner = row.lease_token = None
                    row.lease_until = None
                    if delay:
                        row.due_at = self.clock.now() + timedelta(seconds=delay)
            self.released([flight])
        await self.release_calls([flight])  # the transaction failed: release on its own
