"""Sub-fields of multiple-choice options in the SDK and the test kit: delivered inside the choice's
value while their option is chosen, listed in the template under ``info.options[].fields``, and
settable by code from a reply, also when the reply chooses the option itself."""

from __future__ import annotations

import logging

import pytest

from pyrus_bots.bot import Bot, Event, Reply
from pyrus_bots.protocol.models.fields import MultipleChoiceValue
from pyrus_bots.testing import BotTester, make_form, typed
from pyrus_bots.testing.fake_api import FakePyrusAPI

from .conftest import SECRET

PAYMENT = make_form(
    501,
    name="Payment",
    fields={
        "u_title": "text",
        "u_method": typed(
            "multiple_choice",
            options=["Card", "Invoice"],
            option_fields={"Invoice": {"u_inn": "text", "u_currency": typed("text", name="Cur")}},
        ),
    },
)


def test_the_kit_delivers_sub_fields_inside_the_chosen_option() -> None:
    task = PAYMENT.task({"u_method": "Invoice", "u_inn": "7701"})
    method = task["fields"][1]
    assert method["value"]["choice_names"] == ["Invoice"]
    assert method["value"]["fields"] == [
        {"id": 3, "type": "text", "name": "Inn", "code": "u_inn", "value": "7701", "parent_id": 2},
        {"id": 4, "type": "text", "name": "Cur", "code": "u_currency", "parent_id": 2},
    ]
    assert [f["id"] for f in task["fields"]] == [1, 2]
    card = PAYMENT.task({"u_method": "Card"})
    assert "fields" not in card["fields"][1]["value"]
    invoice = PAYMENT.to_pyrus()["fields"][1]["info"]["options"][1]
    assert [(f["id"], f["code"], f["parent_id"]) for f in invoice["fields"]] == [
        (3, "u_inn", 2),
        (4, "u_currency", 2),
    ]
    with pytest.raises(ValueError, match="u_inn"):
        PAYMENT.task({"u_method": "Card", "u_inn": "7701"})


def test_typed_value_exposes_the_sub_fields() -> None:
    bot = Bot(SECRET)
    seen: list[MultipleChoiceValue] = []

    @bot.on_task(form_id=501)
    def check(event: Event) -> None:
        field = event.task.field("u_method")
        assert field is not None
        seen.append(field.typed_value())
        inn = event.task.field("u_inn")
        assert inn is not None and inn.value == "7701" and inn.parent_id == 2

    BotTester(bot).send_sync(PAYMENT.task({"u_method": "Invoice", "u_inn": "7701"}))
    [value] = seen
    assert value.choice_ids == [2]
    assert [(f.code, f.value) for f in value.fields] == [("u_inn", "7701"), ("u_currency", None)]


async def test_reply_sets_a_sub_field_of_the_chosen_option() -> None:
    bot = Bot(SECRET)

    @bot.on_task(form_id=501)
    async def check(event: Event) -> Reply:
        return Reply.approve().set_field("u_currency", "EUR")

    result = await BotTester(bot).send(PAYMENT.task({"u_method": "Invoice"}))
    assert result.field_updates == [{"id": 4, "value": "EUR"}]


async def test_reply_chooses_an_option_and_fills_its_sub_field() -> None:
    """The task has Card chosen, so it does not list Invoice's fields: the SDK reads them from
    the form template, as it does for choice names."""
    api = FakePyrusAPI()
    api.add_form(PAYMENT)
    bot = Bot(SECRET)

    @bot.on_task(form_id=501)
    async def check(event: Event) -> Reply:
        return Reply.comment("by invoice").set_field("u_method", "Invoice").set_field("u_inn", "77")

    result = await BotTester(bot, api=api).send(PAYMENT.task({"u_method": "Card"}))
    assert result.field_updates == [
        {"id": 2, "value": {"choice_ids": [2]}},
        {"id": 3, "value": "77"},
    ]


async def test_an_unknown_field_is_still_refused_after_reading_the_template(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.ERROR, logger="pyrus_bots.bot")
    api = FakePyrusAPI()
    api.add_form(PAYMENT)
    bot = Bot(SECRET)

    @bot.on_task(form_id=501)
    async def check(event: Event) -> Reply:
        return Reply.comment().set_field("u_nope", "x")

    reply = await BotTester(bot, api=api).send(PAYMENT.task({"u_method": "Card"}))
    assert reply.status == 500
    assert "the task has no field 'u_nope'" in caplog.text
