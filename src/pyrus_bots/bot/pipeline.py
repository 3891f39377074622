"""The delivery pipeline every adapter calls, as a base of :class:`~pyrus_bots.bot.app.Bot`.

One delivery goes: verify the signature over the exact bytes -> parse with orjson -> claim the
dedupe key -> route on raw keys -> run the handler under the inline budget -> answer with the
reply (orjson), or with an empty 200 and post the reply through the API later.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, cast

import orjson

from pyrus_bots.bot import logs
from pyrus_bots.bot.dedupe import ClaimState, DedupeStore
from pyrus_bots.bot.event import Event
from pyrus_bots.bot.outcome import (
    EMPTY,
    EMPTY_OBJECT,
    HANDLER_FAILED,
    NO_TASK,
    NOT_JSON,
    UNAUTHORIZED,
    Outcome,
)
from pyrus_bots.bot.reply import Later, current_delivery
from pyrus_bots.bot.routing import Route, Router
from pyrus_bots.bot.templates import TemplateCache, render_for_delivery
from pyrus_bots.protocol.signature import verify

if TYPE_CHECKING:
    from pyrus_bots.bot.client import AsyncPyrusClient
    from pyrus_bots.bot.recording import DeliveryRecorder

__all__ = ["DeliveryPipeline"]


class DeliveryPipeline:
    """Answers deliveries for a bot; the bot provides its key, name, router, dedupe store,
    inline budget and API clients (:class:`~pyrus_bots.bot.app.Bot` sets them)."""

    _key: bytes
    name: str
    router: Router
    dedupe: DedupeStore | None
    inline_budget: float
    max_body_size: int
    _background: set[asyncio.Task[Any]]
    templates: TemplateCache
    recorder: DeliveryRecorder | None = None
    """Records each verified delivery and its answer (``Bot(record=...)``)."""

    def open_api(self, access_token: str) -> AsyncPyrusClient:
        raise NotImplementedError

    async def process(
        self, body: bytes, signature: str | None, retry: str | None = None
    ) -> Outcome:
        """Answer one delivery: ``body`` as received, the ``X-Pyrus-Sig`` and
        ``X-Pyrus-Retry`` header values. Returns as soon as the answer is known; a handler
        deferred past the budget keeps running in the background. Tests and synchronous
        adapters use this; the ASGI adapter calls :meth:`handle` directly."""
        loop = asyncio.get_running_loop()
        answered: asyncio.Future[Outcome] = loop.create_future()

        async def answer(outcome: Outcome) -> None:
            if not answered.done():
                answered.set_result(outcome)

        def settle(work: asyncio.Task[None]) -> None:
            if answered.done():
                return
            if work.cancelled():
                answered.cancel()
            else:  # handle() answers before it returns unless it raised
                error = work.exception()
                answered.set_exception(error or RuntimeError("the delivery got no answer"))

        work = loop.create_task(self.handle(body, signature, retry, answer))
        work.add_done_callback(settle)
        return await answered

    async def handle(
        self,
        body: bytes,
        signature: str | None,
        retry: str | None,
        answer: Callable[[Outcome], Awaitable[None]],
    ) -> None:
        """Answer one delivery through ``answer`` (called exactly once). The handler runs
        inline in the caller's task; past the inline budget (or on ``event.defer()``) the
        answer goes out from a side task while the handler carries on here, and its reply is
        then posted through the API."""
        if not verify(body, self._key, signature):
            logs.bad_signature(self.name)
            await answer(UNAUTHORIZED)
            return
        if self.recorder is not None:
            answer = self.recorder.wrap(body, retry, answer, bot=self.name)
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError:
            logs.bad_body(self.name, "the body is not JSON")
            await answer(NOT_JSON)
            return
        if type(data) is not dict:
            logs.bad_body(self.name, "the body is not a JSON object")
            await answer(NOT_JSON)
            return
        task = data.get("task")
        if type(task) is not dict:
            logs.bad_body(self.name, "the body has no task object")
            await answer(NO_TASK)
            return
        event = Event(
            data, task, retry=_attempt(retry), open_api=self.open_api, templates=self.templates
        )

        key = self._dedupe_key(event) if self.dedupe is not None else None
        if key is not None:
            duplicate = await self._claim(key, event)
            if duplicate is not None:
                await answer(duplicate)
                return

        route = self.router.match(event)
        if route is None:
            logs.no_route(self.name, event)
            await answer(await self._answered(key, Outcome(200, EMPTY_OBJECT)))
            return
        await self._run(route, event, key, answer)

    def _dedupe_key(self, event: Event) -> str:
        comments = event.task_dict.get("comments")
        last = comments[-1].get("id") if comments else event.task_dict.get("last_note_id")
        return f"{self.name}:{event.task_id}:{last}:{event.kind}"

    async def _claim(self, key: str, event: Event) -> Outcome | None:
        assert self.dedupe is not None
        try:
            claim = await self.dedupe.claim(key)
        except Exception:
            logs.dedupe_failed(self.name, "claim")
            return None
        if claim.state is ClaimState.NEW:
            return None
        logs.duplicate(self.name, event, claim.state.value)
        return EMPTY if claim.state is ClaimState.RUNNING else Outcome(200, claim.reply)

    async def _answered(self, key: str | None, outcome: Outcome) -> Outcome:
        """Record the answer for retries, then give it."""
        if key is not None and self.dedupe is not None:
            try:
                await self.dedupe.finish(key, outcome.body)
            except Exception:
                logs.dedupe_failed(self.name, "finish")
        return outcome

    async def _release(self, key: str | None) -> None:
        if key is not None and self.dedupe is not None:
            try:
                await self.dedupe.release(key)
            except Exception:
                logs.dedupe_failed(self.name, "release")

    async def _run(
        self,
        route: Route,
        event: Event,
        key: str | None,
        answer: Callable[[Outcome], Awaitable[None]],
    ) -> None:
        loop = asyncio.get_running_loop()
        current = asyncio.current_task()
        early: list[str] = []  # why the answer went out ahead of the handler, once it has
        answered_inline = False

        def answer_early(reason: str, now: dict[str, Any] | None) -> None:
            if early or answered_inline:
                return
            early.append(reason)
            logs.deferred(self.name, event, route.name, reason)
            if current is not None:  # drain() waits for the rest of this handler
                self._background.add(current)
                current.add_done_callback(self._background.discard)
            outcome = Outcome(200, orjson.dumps(now) if now else b"")
            self._spawn(self._send_early(key, outcome, answer))

        event._loop = loop
        event._defer = lambda now: answer_early("deferred by the handler", now)
        timer = loop.call_later(self.inline_budget, answer_early, "inline budget spent", None)
        try:
            result = await self._call(route, event)
        except Exception as exc:
            if early:
                logs.background_failed(self.name, event, route.name)
            else:
                answered_inline = True
                logs.handler_failed(self.name, event, route.name, exc)
                await self._release(key)
                await answer(HANDLER_FAILED)
            await event._close_api()
            return
        finally:
            timer.cancel()
            event._defer = None
        if not early:
            if isinstance(result, Later):
                answer_early("Reply.later", cast("dict[str, Any] | None", result.now))
            else:
                answered_inline = True
                await answer(await self._answered(key, Outcome(200, orjson.dumps(result))))
                if event._api is not None:
                    await event._close_api()
                return
        # The answer went out already: the reply goes through the API.
        try:
            if isinstance(result, Later):
                token = current_delivery.set(event)
                try:
                    result = await render_for_delivery(await result.work, event, self.templates)
                except Exception:
                    logs.background_failed(self.name, event, route.name)
                    return
                finally:
                    current_delivery.reset(token)
            await self._post(event, result)
        finally:
            await event._close_api()

    async def _send_early(
        self, key: str | None, outcome: Outcome, answer: Callable[[Outcome], Awaitable[None]]
    ) -> None:
        await answer(await self._answered(key, outcome))

    async def _call(self, route: Route, event: Event) -> Any:
        """Run the handler and render its reply (a dict), or a :class:`Later` whose ``now`` is
        rendered. Rendering here makes a bad reply a handler error, inside the budget."""
        token = current_delivery.set(event)
        try:
            if route.is_async:
                result = await route.handler(event)
            else:
                result = await asyncio.to_thread(route.handler, event)
            if isinstance(result, Later):
                try:
                    now = result.now
                    result.now = (
                        await render_for_delivery(now, event, self.templates) if now else None
                    )
                except BaseException:
                    _discard(result.work)
                    raise
                return result
            return await render_for_delivery(result, event, self.templates)
        finally:
            current_delivery.reset(token)

    async def _post(self, event: Event, reply: dict[str, Any]) -> None:
        if not reply:
            return
        task_id = event.task_id
        if not event.access_token or task_id is None:
            logs.no_token(self.name, event)
            return
        try:
            await event.api.comment_task(task_id, reply)
        except Exception as exc:
            logs.post_failed(self.name, event, exc)
            return
        logs.posted(self.name, event)

    def _spawn(self, coro: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)


def _attempt(header: str | None) -> int:
    """The attempt number from ``X-Pyrus-Retry: N/M`` (1 when absent or unreadable)."""
    if not header:
        return 1
    head = header.partition("/")[0].strip()
    return int(head) if head.isdigit() else 1


def _discard(work: Awaitable[Any]) -> None:
    if inspect.iscoroutine(work):
        work.close()
    elif isinstance(work, asyncio.Future):
        work.cancel()
