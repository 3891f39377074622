"""The test kit itself: realistic deliveries, the tester's reply helpers, the pytest fixtures."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from pyrus_bots.bot import Bot, Event, Reply
from pyrus_bots.protocol import TaskWithComments, WebhookPayload
from pyrus_bots.protocol.signature import verify
from pyrus_bots.testing import (
    AUTHOR,
    BOT_PERSON,
    BotTester,
    make_comment,
    make_delivery,
    make_form,
    make_payload,
    make_task,
    typed,
)
from pyrus_bots.testing.fake_api import FakePyrusAPI


def test_make_task_builds_a_task_the_protocol_models_accept() -> None:
    task = make_task(
        form_id=321,
        step=2,
        steps=3,
        fields={
            "u_text": "hello",
            "u_count": 3,
            "u_ok": True,
            "u_day": date(2026, 1, 5),
            "u_status": typed("multiple_choice", ["B"], options={7: "A", 8: "B"}),
            "u_owner": typed("person", "bob@acme.test"),
            "u_empty": typed("money"),
        },
    )
    model = TaskWithComments.model_validate(task)
    assert model.form_id == 321 and model.current_step == 2 and len(model.steps) == 3
    assert model.waiting_on(2)[0].id == BOT_PERSON["id"]
    assert model.author is not None and model.author.email == AUTHOR["email"]
    values = {f["code"]: f.get("value") for f in task["fields"]}
    assert values == {
        "u_text": "hello",
        "u_count": 3,
        "u_ok": "checked",
        "u_day": "2026-01-05",
        "u_status": {"choice_ids": [8], "choice_names": ["B"]},
        "u_owner": {"id": values["u_owner"]["id"], "first_name": "Bob", "email": "bob@acme.test"},
        "u_empty": None,
    }
    assert task["fields"][5]["type"] == "person"
    assert task["last_note_id"] == task["comments"][-1]["id"]
    simple = make_task(comments=[make_comment("one"), make_comment("two", author=5)])
    assert simple["responsible"]["id"] == BOT_PERSON["id"] and "form_id" not in simple
    assert [c["text"] for c in simple["comments"]] == ["one", "two"]
    assert make_task()["id"] != make_task()["id"]
    with pytest.raises(TypeError, match="typed"):
        make_task(fields={"u_x": object()})


def test_make_delivery_is_signed_like_pyrus() -> None:
    bot = Bot("kit-secret")
    delivery = make_delivery(bot, event="close", settings={"a": 1}, form_id=5)
    assert verify(delivery.body, "kit-secret", delivery.signature)
    assert delivery.signature == str(delivery.signature).upper()
    assert delivery.headers["User-Agent"] == "Pyrus-Bot-4"
    assert delivery.headers["X-Pyrus-Retry"] == "1/3"
    assert delivery.retried(3).headers["X-Pyrus-Retry"] == "3/3"
    assert delivery.retried(3).body == delivery.body
    payload = WebhookPayload.model_validate(delivery.payload)
    assert payload.event == "close" and payload.bot_settings == '{"a":1}'
    by_secret = make_delivery("kit-secret", payload=make_payload(make_task()))
    assert verify(by_secret.body, "kit-secret", by_secret.signature)


async def test_bot_reply_helpers() -> None:
    bot = Bot("kit-secret")

    @bot.on_task()
    async def handler(event: Event) -> Reply:
        return Reply.reject("no").set_field("u_status", ["A", "B"]).set_field("u_count", 4)

    form = make_form(1, fields={"u_status": typed("multiple_choice", options=["A", "B"])})
    api = FakePyrusAPI()
    api.add_form(form)
    task = make_task(
        form_id=1,
        fields={"u_status": typed("multiple_choice", options=["A", "B"]), "u_count": 1},
    )
    reply = await BotTester(bot, api=api).send(task)
    assert reply.ok and reply.rejected and not reply.approved and not reply.empty
    assert not reply.acknowledged and not reply.revoked and reply.approval_choice == "rejected"
    assert reply.updates("u_count") and reply.updates(2) and not reply.updates("nothing")
    assert reply.field("u_count") == 4 and reply.field("Count") == 4
    assert reply.choice("u_status") == ["A", "B"]
    assert reply.request.text == "no"
    with pytest.raises(KeyError, match="does not set field 'u_missing'"):
        reply.field("u_missing")
    assert "BotReply(status=200" in repr(reply)
    forged = await BotTester(bot).send(task, headers={"X-Pyrus-Sig": "00" * 20})
    assert forged.status == 401
    with pytest.raises(AssertionError, match="401"):
        _ = forged.request


async def test_fixtures_wire_the_bot_to_the_fake_api(
    bot_tester: Any, pyrus_api: FakePyrusAPI
) -> None:
    bot = Bot("kit-secret", inline_budget=5)

    @bot.on_task()
    async def handler(event: Event) -> str:
        task = await event.api.get_task(event.task_id or 0)
        await event.comment(Reply.comment("seen").set_field("u_n", 2))
        return f"{len(task.comments)} comment(s)"

    tester = bot_tester(bot)
    task = make_task(form_id=1, fields={"u_n": 1})
    reply = await tester.send(task)
    assert reply.text == "1 comment(s)"
    assert pyrus_api.comments(task["id"]) == [
        {"text": "seen", "field_updates": [{"id": 1, "value": 2}]}
    ]
    assert pyrus_api.task(task["id"])["fields"][0]["value"] == 2
