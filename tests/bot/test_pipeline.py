"""The delivery pipeline in process: signature, body checks, routing, handler errors, deadline
fallback, explicit deferral, dedupe of retries, logging without secrets."""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

import orjson
import pytest

from pyrus_bots.bot import Bot, Event, Reply
from pyrus_bots.testing import BotTester, make_delivery, make_task
from pyrus_bots.testing.fake_api import FakePyrusAPI

from .conftest import SECRET, purchase_task


def make_bot(**options: Any) -> Bot:
    options.setdefault("inline_budget", 0.2)
    return Bot(SECRET, name="test-bot", **options)


async def test_the_issue_example_runs_as_written(bot_tester: Any) -> None:
    bot = make_bot()

    @bot.on_task(form_id=321, step=1)
    async def check(event: Event) -> Reply:
        if event.task.field("u_amount").value > 1000:  # type: ignore[union-attr]
            return Reply.reject("Over the limit").set_field("u_status", "Rejected")
        return Reply.approve(f"Hello, {event.task.author.email}.")  # type: ignore[union-attr]

    tester = bot_tester(bot)
    big = await tester.send(purchase_task())
    assert big.status == 200 and big.rejected and big.text == "Over the limit"
    assert big.field("u_status") == {"choice_ids": [3]} and big.choice("u_status") == "Rejected"
    small = await tester.send(purchase_task(fields={"u_amount": 10}))
    assert small.approved and small.text == "Hello, alice@acme.test."


async def test_bad_signature_is_401_and_logged_without_secret_or_signature(
    caplog: pytest.LogCaptureFixture,
) -> None:
    bot = make_bot()
    delivery = make_delivery("another-secret", purchase_task())
    caplog.set_level(logging.DEBUG, logger="pyrus_bots.bot")
    assert (await bot.process(delivery.body, delivery.signature)).status == 401
    assert (await bot.process(delivery.body, None)).status == 401
    assert (await bot.process(delivery.body, "")).status == 401
    assert "bad or missing X-Pyrus-Sig" in caplog.text
    assert SECRET not in caplog.text and str(delivery.signature) not in caplog.text


async def test_signature_case_and_prefix_are_tolerated() -> None:
    bot = make_bot()
    delivery = make_delivery(bot, purchase_task())
    sig = str(delivery.signature)
    assert (await bot.process(delivery.body, sig.lower())).status == 200
    other = make_delivery(bot, purchase_task())
    assert (await bot.process(other.body, "sha1=" + str(other.signature))).status == 200


@pytest.mark.parametrize(
    ("body", "status"),
    [(b"not json", 400), (b"[1, 2]", 400), (b'{"event": "comment"}', 400), (b'"x"', 400)],
)
async def test_bad_bodies_are_400(body: bytes, status: int) -> None:
    bot = make_bot()
    outcome = await bot.process(body, bot.sign(body))
    assert outcome.status == status
    assert b"error" in outcome.body


async def test_routing_by_event_form_step_predicate_first_match_and_default() -> None:
    bot = make_bot()
    seen: list[str] = []

    @bot.on_task(form_id=321, step=2)
    async def second_step(event: Event) -> str:
        seen.append("step2")
        return "step 2"

    @bot.on_task(form_id=[321, 322], when=lambda e: e.settings.get("mode") == "strict")
    async def strict(event: Event) -> str:
        return "strict"

    @bot.on_task(form_id=321)
    async def any_step(event: Event) -> str:
        return "form 321"

    @bot.on_task(form_id=321)
    async def never(event: Event) -> str:  # registered after a broader match
        return "never"

    @bot.on_close()
    async def closed(event: Event) -> str:
        return f"closed {event.task_id}"

    @bot.default
    async def fallback(event: Event) -> str:
        return "default"

    tester = BotTester(bot)
    assert (await tester.send(purchase_task(step=2))).text == "step 2"
    assert (await tester.send(purchase_task(), settings={"mode": "strict"})).text == "strict"
    assert (await tester.send(purchase_task())).text == "form 321"
    assert (await tester.send(purchase_task(form_id=999))).text == "default"
    assert (await tester.send(make_task())).text == "default"  # a simple task
    task = purchase_task(closed=True)
    assert (await tester.send(task, event="close")).text == f"closed {task['id']}"
    assert seen == ["step2"]


async def test_no_matching_handler_and_no_default_answers_an_empty_object() -> None:
    bot = make_bot()

    @bot.on_task(form_id=1)
    def only_form_1(event: Event) -> str:
        return "x"

    reply = await BotTester(bot).send(purchase_task())
    assert reply.status == 200 and reply.body == b"{}" and reply.empty


async def test_sync_handlers_run_off_the_event_loop_and_async_ones_on_it() -> None:
    bot = make_bot()
    threads: dict[str, int] = {}

    @bot.on_task(step=1)
    def sync_handler(event: Event) -> Reply:
        threads["sync"] = threading.get_ident()
        return Reply.approve("sync").set_field("u_amount", 1)  # checked in the thread too

    @bot.on_task(step=2)
    async def async_handler(event: Event) -> None:
        threads["async"] = threading.get_ident()

    tester = BotTester(bot)
    reply = await tester.send(purchase_task())
    assert reply.approved and reply.field("u_amount") == 1
    assert (await tester.send(purchase_task(step=2))).body == b"{}"
    assert threads["async"] == threading.get_ident() != threads["sync"]


async def test_handler_results_dict_str_none_and_model() -> None:
    from pyrus_bots.protocol import parse_comment_request

    results: list[Any] = [
        {"text": "d", "approval_choice": "acknowledged"},
        "plain",
        None,
        parse_comment_request({"formatted_text": "<i>m</i>"}),
    ]
    bot = make_bot(dedupe=False)

    @bot.on_task()
    async def handler(event: Event) -> Any:
        return results.pop(0)

    tester = BotTester(bot)
    assert (await tester.send(purchase_task())).json == {
        "text": "d",
        "approval_choice": "acknowledged",
    }
    assert (await tester.send(purchase_task())).json == {"text": "plain"}
    assert (await tester.send(purchase_task())).body == b"{}"
    assert (await tester.send(purchase_task())).formatted_text == "<i>m</i>"


async def test_handler_exception_is_500_logged_with_traceback_and_retry_runs_again(
    caplog: pytest.LogCaptureFixture,
) -> None:
    bot = make_bot()
    calls = 0

    @bot.on_task()
    async def flaky(event: Event) -> str:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("database down")
        return "recovered"

    tester = BotTester(bot)
    delivery = tester.delivery(purchase_task())
    caplog.set_level(logging.INFO, logger="pyrus_bots.bot")
    first = await tester.send(delivery=delivery)
    assert first.status == 500
    assert "handler" in caplog.text and "flaky" in caplog.text
    assert "RuntimeError: database down" in caplog.text  # the traceback
    assert "test-access-token" not in caplog.text and SECRET not in caplog.text
    second = await tester.send(delivery=delivery.retried(2))
    assert second.status == 200 and second.text == "recovered" and calls == 2


async def test_a_wrong_field_value_in_the_reply_is_a_handler_error_before_anything_is_sent(
    caplog: pytest.LogCaptureFixture,
) -> None:
    bot = make_bot()

    @bot.on_task()
    async def wrong(event: Event) -> Reply:
        return Reply.approve().set_field("u_amount", "a lot")

    reply = await BotTester(bot).send(purchase_task())
    assert reply.status == 500
    assert "needs a number" in caplog.text


async def test_retry_of_a_finished_delivery_gets_the_same_reply_without_running_again() -> None:
    bot = make_bot()
    calls = 0

    @bot.on_task()
    async def once(event: Event) -> Reply:
        nonlocal calls
        calls += 1
        return Reply.approve(f"call {calls}")

    tester = BotTester(bot)
    delivery = tester.delivery(purchase_task())
    first = await tester.send(delivery=delivery)
    again = await tester.send(delivery=delivery.retried(2))
    assert first.body == again.body and again.text == "call 1" and calls == 1
    # a new comment on the same task is a new delivery
    task = dict(delivery.task)
    task["comments"] = [*task["comments"], {"id": 1, "text": "more"}]
    assert (await tester.send(task)).text == "call 2"
    # a close event of the same comment is another delivery too
    assert (await tester.send(delivery.task, event="close")).body == b"{}"


async def test_retry_while_the_first_attempt_still_runs_gets_an_empty_200() -> None:
    bot = make_bot(inline_budget=5)
    started = asyncio.Event()
    release = asyncio.Event()
    calls = 0

    @bot.on_task()
    async def slow(event: Event) -> str:
        nonlocal calls
        calls += 1
        started.set()
        await release.wait()
        return "done"

    tester = BotTester(bot)
    delivery = tester.delivery(purchase_task())
    first = asyncio.create_task(tester.send(delivery=delivery))
    await started.wait()
    retry = await tester.send(delivery=delivery.retried(2))
    assert retry.status == 200 and retry.body == b"" and calls == 1
    release.set()
    assert (await first).text == "done"


async def test_deadline_answers_empty_then_posts_the_reply_through_the_api(
    bot_tester: Any, pyrus_api: FakePyrusAPI
) -> None:
    bot = make_bot(inline_budget=0.1)

    @bot.on_task()
    async def slow(event: Event) -> Reply:
        await asyncio.sleep(1.0)
        return Reply.approve("late but done").set_field("u_status", "Approved")

    tester = bot_tester(bot)
    task = purchase_task()
    loop = asyncio.get_running_loop()
    began = loop.time()
    reply = await tester.send(task)
    assert loop.time() - began < 0.8  # at the budget (0.1 s), well before the work ends
    assert reply.status == 200 and reply.body == b"" and reply.deferred
    assert pyrus_api.comments(task["id"]) == []
    await tester.drain()
    assert pyrus_api.comments(task["id"]) == [
        {
            "text": "late but done",
            "approval_choice": "approved",
            "field_updates": [{"id": 3, "value": {"choice_ids": [2]}}],
        }
    ]
    call = next(c for c in pyrus_api.calls if c.method == "POST")
    assert call.path == f"/v4/tasks/{task['id']}/comments"
    # a retry after the empty answer is not run again (the reply went through the API)
    again = await tester.send(delivery=tester.delivery(task).retried(2))
    assert again.body == b""
    await tester.drain()
    assert len(pyrus_api.comments(task["id"])) == 1


async def test_sync_handler_past_the_deadline_is_posted_too(
    bot_tester: Any, pyrus_api: FakePyrusAPI
) -> None:
    import time

    bot = make_bot(inline_budget=0.05)

    @bot.on_task()
    def slow(event: Event) -> str:
        time.sleep(0.2)
        return "from a thread"

    tester = bot_tester(bot)
    task = purchase_task()
    assert (await tester.send(task)).body == b""
    await tester.drain()
    assert pyrus_api.comments(task["id"]) == [{"text": "from a thread"}]


async def test_event_defer_answers_now_and_posts_the_rest(
    bot_tester: Any, pyrus_api: FakePyrusAPI
) -> None:
    bot = make_bot(inline_budget=5)
    finished = asyncio.Event()

    @bot.on_task()
    async def explicit(event: Event) -> Reply:
        event.defer(Reply.comment("Working on it"))
        await asyncio.sleep(0.05)
        await event.comment("halfway")  # progress through the API
        finished.set()
        return Reply.approve("all done")

    tester = bot_tester(bot)
    task = purchase_task()
    reply = await tester.send(task)
    assert reply.text == "Working on it" and reply.deferred
    assert not finished.is_set()
    await tester.drain()
    assert [c.get("text") for c in pyrus_api.comments(task["id"])] == ["halfway", "all done"]


async def test_reply_later_runs_work_in_the_background(
    bot_tester: Any, pyrus_api: FakePyrusAPI
) -> None:
    bot = make_bot()

    async def fetch_and_decide(event: Event) -> Reply:
        task = await event.api.get_task(event.task_id or 0)  # the bot reads through the API
        return Reply.approve(f"task {task.id} checked")

    @bot.on_task()
    async def handler(event: Event) -> Any:
        return Reply.later(fetch_and_decide(event))

    tester = bot_tester(bot)
    task = purchase_task()
    reply = await tester.send(task)
    assert reply.status == 200 and reply.body == b""
    await tester.drain()
    assert pyrus_api.comments(task["id"]) == [
        {"text": f"task {task['id']} checked", "approval_choice": "approved"}
    ]
    assert [c.method for c in pyrus_api.calls] == ["GET", "POST"]


async def test_background_failure_is_logged_and_nothing_posted(
    bot_tester: Any, pyrus_api: FakePyrusAPI, caplog: pytest.LogCaptureFixture
) -> None:
    bot = make_bot(inline_budget=0.05)

    @bot.on_task()
    async def doomed(event: Event) -> str:
        await asyncio.sleep(0.1)
        raise ValueError("late failure")

    tester = bot_tester(bot)
    task = purchase_task()
    assert (await tester.send(task)).status == 200
    await tester.drain()
    assert pyrus_api.comments(task["id"]) == []
    assert "failed in the background" in caplog.text and "late failure" in caplog.text


async def test_api_failure_of_the_deferred_post_is_logged_without_the_token(
    bot_tester: Any, pyrus_api: FakePyrusAPI, caplog: pytest.LogCaptureFixture
) -> None:
    bot = make_bot(inline_budget=0.05, api_options={"max_retries": 0})

    @bot.on_task()
    async def slow(event: Event) -> str:
        await asyncio.sleep(0.1)
        return "x"

    tester = bot_tester(bot)
    task = purchase_task()
    pyrus_api.fail_next("POST", f"/v4/tasks/{task['id']}/comments", 403, "access_denied_task")
    await tester.send(task)
    await tester.drain()
    assert "posting the deferred reply failed" in caplog.text
    assert "test-access-token" not in caplog.text


async def test_sqlite_dedupe_store_plugs_in(tmp_path: Any) -> None:
    from pyrus_bots.bot import SQLiteDedupeStore

    store = SQLiteDedupeStore(tmp_path / "dedupe.db")
    bot = make_bot(dedupe=store)
    calls = 0

    @bot.on_task()
    async def once(event: Event) -> str:
        nonlocal calls
        calls += 1
        return "ok"

    tester = BotTester(bot)
    delivery = tester.delivery(purchase_task())
    await tester.send(delivery=delivery)
    again = await tester.send(delivery=delivery.retried(3))
    assert again.text == "ok" and calls == 1
    await bot.aclose()


async def test_event_views_are_lazy_and_typed() -> None:
    bot = make_bot()
    seen: dict[str, Any] = {}

    @bot.on_task()
    async def look(event: Event) -> None:
        seen["before"] = "task" in event.__dict__
        seen["author"] = event.task.author.email  # type: ignore[union-attr]
        seen["after"] = "task" in event.__dict__
        seen["payload_token"] = event.payload.access_token
        seen["last"] = event.last_comment.text  # type: ignore[union-attr]
        seen["settings"] = event.settings
        seen["value"] = event.field_value("u_amount")
        seen["empty"] = event.field_value("u_due", "none")
        seen["ids"] = (event.task_id, event.form_id, event.step, event.user_id, event.retry)
        seen["repr"] = repr(event)

    tester = BotTester(bot)
    task = purchase_task()
    await tester.send(delivery=tester.delivery(task, settings={"from": "a"}).retried(2))
    assert seen["before"] is False and seen["after"] is True
    assert seen["author"] == "alice@acme.test"
    assert seen["payload_token"] == "test-access-token"
    assert seen["last"] == "Please check"
    assert seen["settings"] == {"from": "a"}
    assert seen["value"] == 1500 and seen["empty"] == "none"
    assert seen["ids"] == (task["id"], 321, 1, 2001, 2)
    assert "token" not in seen["repr"]


async def test_non_json_settings_stay_text() -> None:
    bot = make_bot()
    got: list[Any] = []

    @bot.on_task()
    async def look(event: Event) -> None:
        got.append(event.settings)

    await BotTester(bot).send(purchase_task(), settings="limit=5")
    assert got == ["limit=5"]


def test_handlers_are_registered_plainly_too_and_bad_filters_fail_early() -> None:
    bot = make_bot()
    bot.add_handler(lambda e: "x", form_id=1)
    assert len(bot.router.routes) == 1
    with pytest.raises(ValueError, match="event"):
        bot.on_task(event="created")(lambda e: None)
    with pytest.raises(TypeError, match="form_id"):
        bot.on_task(form_id="321")(lambda e: None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="security key"):
        Bot("")


def test_send_sync_for_synchronous_tests() -> None:
    bot = make_bot()

    @bot.on_task()
    def hello(event: Event) -> Reply:
        return Reply.approve("sync test")

    tester = BotTester(bot)
    try:
        assert tester.send_sync(purchase_task()).approved
    finally:
        tester.close()


async def test_the_response_body_is_compact_json() -> None:
    bot = make_bot()

    @bot.on_task()
    async def hello(event: Event) -> Reply:
        return Reply.approve("hi")

    reply = await BotTester(bot).send(purchase_task())
    assert orjson.loads(reply.body) == {"text": "hi", "approval_choice": "approved"}


async def test_a_sync_handler_can_defer_from_its_thread(
    bot_tester: Any, pyrus_api: FakePyrusAPI
) -> None:
    import time

    bot = make_bot(inline_budget=5)

    @bot.on_task()
    def blocking(event: Event) -> str:
        event.defer("queued")
        time.sleep(1.0)
        return "finished in the thread"

    tester = bot_tester(bot)
    task = purchase_task()
    loop = asyncio.get_running_loop()
    began = loop.time()
    reply = await tester.send(task)
    assert reply.text == "queued" and loop.time() - began < 0.8
    await tester.drain()
    assert pyrus_api.comments(task["id"]) == [{"text": "finished in the thread"}]


async def test_a_handler_without_token_cannot_post_later(caplog: pytest.LogCaptureFixture) -> None:
    bot = make_bot(inline_budget=0.05)

    @bot.on_task()
    async def slow(event: Event) -> str:
        await asyncio.sleep(0.1)
        return "lost"

    tester = BotTester(bot)
    delivery = make_delivery(bot, payload={"event": "comment", "task": purchase_task()})
    assert (await tester.send(delivery=delivery)).body == b""
    await tester.drain()
    assert "carries no access_token" in caplog.text


async def test_defer_then_return_at_once_answers_now_and_posts_the_result(
    bot_tester: Any, pyrus_api: FakePyrusAPI
) -> None:
    bot = make_bot(inline_budget=5)

    @bot.on_task(step=1)
    async def quick(event: Event) -> str:
        event.defer("ack")
        return "result"

    @bot.on_task(step=2)
    def quick_sync(event: Event) -> str:
        event.defer("ack from a thread")
        return "result from a thread"

    tester = bot_tester(bot)
    first, second = purchase_task(), purchase_task(step=2)
    assert (await tester.send(first)).text == "ack"
    assert (await tester.send(second)).text == "ack from a thread"
    await tester.drain()
    assert pyrus_api.comments(first["id"]) == [{"text": "result"}]
    assert pyrus_api.comments(second["id"]) == [{"text": "result from a thread"}]


async def test_process_returns_at_the_answer_while_the_handler_runs_on() -> None:
    bot = make_bot(inline_budget=0.05, dedupe=False)
    release = asyncio.Event()

    @bot.on_task()
    async def slow(event: Event) -> None:
        await release.wait()

    delivery = make_delivery(bot, purchase_task())
    outcome = await bot.process(delivery.body, delivery.signature)
    assert outcome == (200, b"") and bot.pending >= 1
    release.set()
    assert await bot.drain(5) and bot.pending == 0
