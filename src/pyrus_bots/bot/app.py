"""The Bot: handlers, routing and the delivery pipeline every adapter calls.

One delivery goes: verify the signature over the exact bytes -> parse with orjson -> claim the
dedupe key -> route on raw keys -> run the handler under the inline budget -> answer with the
reply (orjson), or with an empty 200 and post the reply through the API later.
"""

from __future__ import annotations

import asyncio
import hashlib
import inspect
from collections.abc import Awaitable, Callable, Collection, Mapping
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, TypeVar, cast

import orjson

from pyrus_bots.bot import logs
from pyrus_bots.bot.dedupe import ClaimState, DedupeStore, MemoryDedupeStore
from pyrus_bots.bot.event import Event
from pyrus_bots.bot.reply import Later, current_delivery, render_reply
from pyrus_bots.bot.routing import Handler, Predicate, Route, Router
from pyrus_bots.protocol.signature import sign, verify

if TYPE_CHECKING:
    from pyrus_bots.bot.asgi import ASGIApp
    from pyrus_bots.bot.client import AsyncPyrusClient
    from pyrus_bots.bot.wsgi import WSGIApp

__all__ = [
    "DEFAULT_API_URL",
    "DEFAULT_INLINE_BUDGET",
    "DEFAULT_MAX_BODY_SIZE",
    "Bot",
    "Outcome",
]

DEFAULT_API_URL = "https://api.pyrus.com/v4/"
DEFAULT_INLINE_BUDGET = 50.0
"""Seconds a handler may take before Pyrus gets an empty 200 (Pyrus waits 60 s)."""
DEFAULT_MAX_BODY_SIZE = 32 * 1024 * 1024
"""Largest delivery accepted, in bytes (real payloads exceed 2 MB)."""
DEFAULT_DRAIN_TIMEOUT = 30.0
"""Seconds shutdown waits for handlers still running in the background."""

H = TypeVar("H", bound=Handler)


class Outcome(NamedTuple):
    """The HTTP answer to one delivery."""

    status: int
    body: bytes


def _error(status: int, text: str) -> Outcome:
    return Outcome(status, orjson.dumps({"error": text}))


EMPTY = Outcome(200, b"")
EMPTY_OBJECT = b"{}"
UNAUTHORIZED = _error(401, "bad signature")
NOT_JSON = _error(400, "the body is not a JSON object")
NO_TASK = _error(400, "the body has no task object")
METHOD_NOT_ALLOWED = _error(405, "deliveries are POST requests")
TOO_LARGE = _error(413, "the body is over the size limit")
NOT_FOUND = _error(404, "no bot at this path")
HANDLER_FAILED = _error(500, "the bot failed; Pyrus will retry")


class Bot:
    """A Pyrus bot: handlers for deliveries, served by :meth:`asgi`, :meth:`wsgi` or
    :meth:`lambda_handler`.

    ``secret`` is the bot's security key (the HMAC key of ``X-Pyrus-Sig``). ``api_url`` is
    where deferred replies go (real Pyrus by default, or this project's platform).
    ``inline_budget`` is how long a handler may run before Pyrus gets an empty 200 and the
    reply is posted through the API instead. ``dedupe`` remembers deliveries so retries do
    not run a handler twice (``False`` turns that off). ``api_options`` go to every
    :class:`~pyrus_bots.bot.client.AsyncPyrusClient` the bot opens (``timeout``,
    ``max_retries``, ``transport``...).
    """

    def __init__(
        self,
        secret: str | bytes,
        *,
        name: str | None = None,
        api_url: str = DEFAULT_API_URL,
        inline_budget: float = DEFAULT_INLINE_BUDGET,
        max_body_size: int = DEFAULT_MAX_BODY_SIZE,
        dedupe: DedupeStore | Literal[False] | None = None,
        api_options: Mapping[str, Any] | None = None,
    ) -> None:
        key = secret.encode() if isinstance(secret, str) else bytes(secret)
        if not key:
            raise ValueError("a bot needs its security key (secret)")
        if inline_budget <= 0:
            raise ValueError("inline_budget is a positive number of seconds")
        self._key = key
        # A stable, non-reversible id for dedupe keys and logs when no name is given.
        self.name = name or "bot-" + hashlib.sha256(b"pyrus-bots:" + key).hexdigest()[:12]
        self.api_url = api_url
        self.api_options: dict[str, Any] = dict(api_options or {})
        self.inline_budget = inline_budget
        self.max_body_size = max_body_size
        self.dedupe: DedupeStore | None = (
            None if dedupe is False else dedupe if dedupe is not None else MemoryDedupeStore()
        )
        self.router = Router()
        self._background: set[asyncio.Task[Any]] = set()
        self._asgi: ASGIApp | None = None
        self._wsgi: WSGIApp | None = None

    def __repr__(self) -> str:
        return f"Bot(name={self.name!r}, handlers={len(self.router.routes)})"

    # --- registering handlers -------------------------------------------------------------

    def on_task(
        self,
        form_id: int | Collection[int] | None = None,
        *,
        step: int | Collection[int] | None = None,
        event: str | None = "comment",
        when: Predicate | None = None,
    ) -> Callable[[H], H]:
        """Decorate a handler for tasks (by default ``comment`` deliveries) of ``form_id`` on
        ``step`` for which ``when(event)`` holds. Omitted filters match anything; pass
        ``event=None`` to take ``close`` deliveries too. First match wins."""

        def register(handler: H) -> H:
            self.add_handler(handler, form_id=form_id, step=step, event=event, when=when)
            return handler

        return register

    def on_comment(
        self,
        form_id: int | Collection[int] | None = None,
        *,
        step: int | Collection[int] | None = None,
        when: Predicate | None = None,
    ) -> Callable[[H], H]:
        """Decorate a handler for ``comment`` deliveries (a task arrived or changed)."""
        return self.on_task(form_id, step=step, event="comment", when=when)

    def on_close(
        self,
        form_id: int | Collection[int] | None = None,
        *,
        when: Predicate | None = None,
    ) -> Callable[[H], H]:
        """Decorate a handler for ``close`` deliveries (a task in the bot's inbox closed)."""
        return self.on_task(form_id, event="close", when=when)

    def default(self, handler: H) -> H:
        """Decorate the handler for deliveries no other handler takes (else the reply is {})."""
        self.router.default = Route.build(handler, event=None, form_id=None, step=None, when=None)
        return handler

    def add_handler(
        self,
        handler: Handler,
        *,
        form_id: int | Collection[int] | None = None,
        step: int | Collection[int] | None = None,
        event: str | None = "comment",
        when: Predicate | None = None,
    ) -> None:
        """Register ``handler`` without a decorator (same filters as :meth:`on_task`)."""
        self.router.add(Route.build(handler, event=event, form_id=form_id, step=step, when=when))

    def sign(self, body: bytes) -> str:
        """The ``X-Pyrus-Sig`` Pyrus would send with ``body`` (upper-case hex), for tests."""
        return sign(body, self._key, upper=True)

    # --- the pipeline ---------------------------------------------------------------------

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
        event = Event(data, task, retry=_attempt(retry), open_api=self.open_api)

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
                    result = render_reply(await result.work, event.task_dict)
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
                    result.now = render_reply(result.now, event.task_dict) if result.now else None
                except BaseException:
                    _discard(result.work)
                    raise
                return result
            return render_reply(result, event.task_dict)
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

    def open_api(self, access_token: str) -> AsyncPyrusClient:
        """An API client acting as the bot with ``access_token`` (the caller closes it)."""
        from pyrus_bots.bot.client import AsyncPyrusClient

        return AsyncPyrusClient(access_token, api_url=self.api_url, **self.api_options)

    def _spawn(self, coro: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    # --- lifecycle ------------------------------------------------------------------------

    @property
    def pending(self) -> int:
        """Handlers still running in the background (deferred replies not yet posted)."""
        return len(self._background)

    async def drain(self, grace: float | None = None) -> bool:
        """Wait up to ``grace`` seconds (None: no limit) for background handlers (deferred
        replies) to finish; False if some still run."""
        while self._background:
            _, pending = await asyncio.wait(set(self._background), timeout=grace)
            if pending:
                return False
        return True

    async def aclose(self, grace: float = DEFAULT_DRAIN_TIMEOUT) -> None:
        """Shut down: let background handlers finish (up to ``grace`` s), close the store."""
        if not await self.drain(grace):
            logs.drain_timeout(self.name, len(self._background))
        if self.dedupe is not None:
            await self.dedupe.aclose()

    # --- adapters -------------------------------------------------------------------------

    def bot_for_path(self, path: str) -> Bot | None:
        """A single bot answers on every path (mount it where you like)."""
        return self

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        """A bot is an ASGI application itself (``uvicorn module:bot``)."""
        await self.asgi()(scope, receive, send)

    def asgi(self) -> ASGIApp:
        """The bot as an ASGI application (uvicorn, Starlette/FastAPI ``mount``)."""
        if self._asgi is None:
            from pyrus_bots.bot.asgi import ASGIApp

            self._asgi = ASGIApp(self)
        return self._asgi

    def wsgi(self) -> WSGIApp:
        """The bot as a WSGI application (gunicorn, Flask, Django); the async pipeline runs
        on a private event loop thread."""
        if self._wsgi is None:
            from pyrus_bots.bot.wsgi import WSGIApp

            self._wsgi = WSGIApp(self)
        return self._wsgi

    def lambda_handler(self, event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
        """AWS Lambda entry point for API Gateway (REST and HTTP) and Function URL events:
        ``handler = bot.lambda_handler``."""
        from pyrus_bots.bot.aws_lambda import handle_lambda_event

        return handle_lambda_event(self, event)


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
