"""Send deliveries to a bot in process and look at its answer.

``BotTester(bot).send(...)`` signs a delivery, passes it through the bot's real ASGI adapter
(no network) and returns a :class:`BotReply`; with a :class:`FakePyrusAPI` attached, the bot's
API calls (deferred replies, ``event.api``) go to the fake, in process too.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Any

import httpx
import orjson

from pyrus_bots.bot.choices import apply_form
from pyrus_bots.bot.fields import FieldIndex, FieldRef
from pyrus_bots.bot.loop_thread import LoopThread
from pyrus_bots.protocol.models.requests import CommentRequest, parse_comment_request
from pyrus_bots.testing.deliveries import Delivery, make_delivery

if TYPE_CHECKING:
    from pyrus_bots.bot.app import Bot
    from pyrus_bots.testing.fake_api import FakePyrusAPI
    from pyrus_bots.testing.replay import RecordingSource, ReplayReport

__all__ = ["FAKE_API_URL", "BotReply", "BotTester"]

FAKE_API_URL = "http://fake-pyrus.test/v4/"
"""Where a tester points the bot's API client when a FakePyrusAPI is attached."""


class BotReply:
    """The bot's HTTP answer to one delivery, with helpers for assertions::

    reply = await tester.send(task=make_task(form_id=321, fields={"u_amount": 5}))
    assert reply.approved and reply.text == "Hello"
    assert reply.field("u_status") == {"choice_ids": [2]}
    """

    def __init__(
        self,
        status: int,
        body: bytes,
        delivery: Delivery,
        *,
        deferred: bool,
        form: Mapping[str, Any] | None = None,
    ) -> None:
        self.status = status
        self.body = body
        self.delivery = delivery
        self.form = form
        """The template of the task's form in the fake API (None without one)."""
        self.deferred = deferred
        """True when the bot answered before its handler finished (deadline or defer)."""

    def __repr__(self) -> str:
        return f"BotReply(status={self.status}, body={self.body[:200]!r})"

    @cached_property
    def json(self) -> Any:
        """The decoded body (None when empty)."""
        return orjson.loads(self.body) if self.body else None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def empty(self) -> bool:
        """A 2XX that changes nothing (empty body or ``{}``)."""
        return self.ok and not self.json

    @cached_property
    def request(self) -> CommentRequest:
        """The reply as a validated comment request (what Pyrus would apply)."""
        if not self.ok:
            raise AssertionError(f"the bot answered {self.status}: {self.body!r}")
        return parse_comment_request(self.json or {})

    @property
    def data(self) -> dict[str, Any]:
        """The reply as a dict (``{}`` when empty)."""
        data = self.json
        return data if isinstance(data, dict) else {}

    @property
    def text(self) -> str | None:
        return self.data.get("text")

    @property
    def formatted_text(self) -> str | None:
        return self.data.get("formatted_text")

    @property
    def approval_choice(self) -> str | None:
        return self.data.get("approval_choice")

    @property
    def approved(self) -> bool:
        return self.approval_choice == "approved"

    @property
    def rejected(self) -> bool:
        return self.approval_choice == "rejected"

    @property
    def acknowledged(self) -> bool:
        return self.approval_choice == "acknowledged"

    @property
    def revoked(self) -> bool:
        return self.approval_choice == "revoked"

    @property
    def field_updates(self) -> list[dict[str, Any]]:
        updates = self.data.get("field_updates") or []
        return [u for u in updates if isinstance(u, dict)]

    def updates(self, ref: FieldRef) -> bool:
        """Whether the reply sets the field ``ref`` (id, code or name)."""
        return self._find(ref) is not None

    def field(self, ref: FieldRef) -> Any:
        """The value the reply writes to field ``ref`` (as sent on the wire); KeyError if the
        reply does not set it."""
        update = self._find(ref)
        if update is None:
            written = [u.get("code") or u.get("name") or u.get("id") for u in self.field_updates]
            raise KeyError(f"the reply does not set field {ref!r} (it sets {written})")
        return update.get("value")

    def choice(self, ref: FieldRef) -> str | list[str]:
        """The option name(s) a multiple-choice update selects, read from the form template
        (or, without one, from the names the task's value carries)."""
        value = self.field(ref)
        index = FieldIndex.of_task(self.delivery.task)
        if self.form is not None:
            apply_form(index, self.form)
        spec = index.find(ref)
        names = {choice_id: name for name, choice_id in spec.choices.items()}
        ids = value.get("choice_ids") or [value.get("choice_id")]
        found = [names.get(i, str(i)) for i in ids]
        return found[0] if len(found) == 1 else found

    def _find(self, ref: FieldRef) -> dict[str, Any] | None:
        field_id: int | None = ref if isinstance(ref, int) else None
        if field_id is None:
            try:
                field_id = FieldIndex.of_task(self.delivery.task).find(ref).id
            except ValueError:
                field_id = None
        for update in self.field_updates:
            if field_id is not None and update.get("id") == field_id:
                return update
            if isinstance(ref, str) and ref in (update.get("code"), update.get("name")):
                return update
        return None


class BotTester:
    """Drives a bot in process: ``await tester.send(task=...)`` (or ``send_sync``)."""

    def __init__(self, bot: Bot, api: FakePyrusAPI | None = None) -> None:
        self.bot = bot
        self.api = api
        self._app = bot.asgi()
        self._runner: LoopThread | None = None
        self._running: set[asyncio.Task[None]] = set()
        if api is not None:
            bot.api_url = FAKE_API_URL
            bot.api_options["transport"] = httpx.ASGITransport(app=api)
            bot.api_options.setdefault("retry_backoff", 0.01)
        else:  # a test never reaches the real Pyrus: API calls fail at once
            bot.api_options.setdefault("transport", _NO_API)
            bot.api_options.setdefault("max_retries", 0)

    def delivery(
        self,
        task: Mapping[str, Any] | None = None,
        *,
        event: str = "comment",
        settings: str | Mapping[str, Any] | None = None,
        retry: int = 1,
        **task_options: Any,
    ) -> Delivery:
        """A delivery signed for this bot (see :func:`make_delivery`)."""
        return make_delivery(
            self.bot, task, event=event, settings=settings, retry=retry, **task_options
        )

    async def send(
        self,
        task: Mapping[str, Any] | None = None,
        *,
        event: str = "comment",
        settings: str | Mapping[str, Any] | None = None,
        retry: int = 1,
        delivery: Delivery | None = None,
        headers: Mapping[str, str] | None = None,
        **task_options: Any,
    ) -> BotReply:
        """Deliver to the bot and return its answer. Give a ``task`` (see ``make_task``) or
        the options of ``make_task``; or a ready ``delivery``. ``headers`` override the
        delivery's (e.g. a wrong ``X-Pyrus-Sig``)."""
        if delivery is None:
            delivery = self.delivery(
                task, event=event, settings=settings, retry=retry, **task_options
            )
        if self.api is not None:
            task_id = delivery.task.get("id")
            if isinstance(task_id, int) and task_id not in self.api.tasks:
                self.api.add_task(copy.deepcopy(delivery.task))
        sent_headers = {**delivery.headers, **(headers or {})}
        status, body, app_task = await _asgi_post(self._app, delivery.body, sent_headers)
        deferred = not app_task.done() and app_task in self.bot._background
        if deferred:  # the bot answered and carries on: drain() waits for it
            self._running.add(app_task)
            app_task.add_done_callback(self._running.discard)
        else:
            await app_task  # finishing (closing its API client, say)
        form = self.api.forms.get(delivery.task.get("form_id", 0)) if self.api else None
        return BotReply(status, body, delivery, deferred=deferred, form=form)

    def send_sync(self, task: Mapping[str, Any] | None = None, **options: Any) -> BotReply:
        """:meth:`send` for synchronous tests (the bot runs on a private loop thread)."""
        return self._loop().run(self.send(task, **options))

    async def replay(
        self, source: RecordingSource, *, access_token: str | None = None
    ) -> ReplayReport:
        """Deliver recorded deliveries (a file, a directory or recordings) to the bot and
        compare its answers with the recorded ones (see :mod:`pyrus_bots.testing.replay`)."""
        from pyrus_bots.testing.replay import replay_into

        async def deliver(delivery: Delivery) -> tuple[int, bytes]:
            reply = await self.send(delivery=delivery)
            return reply.status, reply.body

        return await replay_into(deliver, self.bot._key, source, access_token=access_token)

    def replay_sync(
        self, source: RecordingSource, *, access_token: str | None = None
    ) -> ReplayReport:
        """:meth:`replay` for synchronous tests."""
        return self._loop().run(self.replay(source, access_token=access_token))

    async def drain(self, grace: float = 10.0) -> None:
        """Wait until the bot's background handlers (deferred replies) are done."""
        if self._running:
            _, pending = await asyncio.wait(set(self._running), timeout=grace)
            if pending:
                raise AssertionError(f"deferred handlers still running after {grace} s")
        if not await self.bot.drain(grace):
            raise AssertionError(f"background handlers still running after {grace} s")

    def drain_sync(self, grace: float = 10.0) -> None:
        self._loop().run(self.drain(grace))

    def _loop(self) -> LoopThread:
        if self._runner is None:
            self._runner = LoopThread("pyrus-bots-tester")
        return self._runner

    def close(self) -> None:
        if self._runner is not None:
            self._runner.stop()
            self._runner = None


def _refuse_api(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError(
        "no FakePyrusAPI is attached to the BotTester: pass api=FakePyrusAPI()", request=request
    )


_NO_API = httpx.MockTransport(_refuse_api)


async def _asgi_post(
    app: Any, body: bytes, headers: Mapping[str, str]
) -> tuple[int, bytes, asyncio.Task[None]]:
    """One POST through an ASGI app, in process. Returns when the response is complete, with
    the app's task (which may run on after it: a deferred handler)."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/",
        "raw_path": b"/",
        "root_path": "",
        "query_string": b"",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()]
        + [(b"content-length", str(len(body)).encode())],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 80),
    }
    sent = False
    status = 0
    chunks: list[bytes] = []
    complete = asyncio.Event()
    disconnected = asyncio.Event()

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await disconnected.wait()
        return {"type": "http.disconnect"}

    async def send(message: Mapping[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                complete.set()

    app_task: asyncio.Task[None] = asyncio.ensure_future(app(scope, receive, send))
    waiter = asyncio.ensure_future(complete.wait())
    await asyncio.wait({app_task, waiter}, return_when=asyncio.FIRST_COMPLETED)
    if not complete.is_set():  # the app returned (or failed) without a complete response
        waiter.cancel()
        app_task.result()
        raise AssertionError("the bot returned without a complete response")
    return status, b"".join(chunks), app_task
