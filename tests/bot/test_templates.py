"""Choice and catalog names in replies, resolved as on Pyrus: the delivered task carries no
options, so the SDK reads the form template (and the catalog) through the API, caches it, and
refuses an unknown name with the valid ones listed."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from pyrus_bots.bot import Bot, Event, Reply
from pyrus_bots.bot.reply_errors import (
    UnknownCatalogItemError,
    UnknownChoiceError,
    UnresolvedNameError,
)
from pyrus_bots.bot.templates import TemplateCache
from pyrus_bots.testing import BotTester, make_form, make_task, typed
from pyrus_bots.testing.fake_api import FakePyrusAPI

from .conftest import SECRET, purchase_form

CATALOG = {
    "catalog_id": 4001,
    "name": "Cost centers",
    "catalog_headers": [{"name": "Code", "type": "text"}, {"name": "Name", "type": "text"}],
    "items": [
        {"item_id": 71, "values": ["CC1", "Marketing"]},
        {"item_id": 72, "values": ["CC2", "Sales"]},
        {"item_id": 73, "values": ["CC3", "Gone"], "deleted": True},
    ],
}


def status_bot(value: Any = "Rejected", field: str = "u_status") -> Bot:
    bot = Bot(SECRET, name="names-bot")

    @bot.on_task(form_id=321)
    async def check(event: Event) -> Reply:
        return Reply.reject("Over the limit").set_field(field, value)

    return bot


def form_calls(api: FakePyrusAPI, path: str = "/v4/forms/321") -> int:
    return sum(1 for c in api.calls if c.method == "GET" and c.path.partition("?")[0] == path)


def test_a_delivered_task_carries_values_not_options() -> None:
    form = purchase_form()
    task = form.task({"u_status": "Approved", "u_amount": 10})
    status = next(f for f in task["fields"] if f["code"] == "u_status")
    assert status == {
        "id": 3,
        "type": "multiple_choice",
        "name": "Status",
        "code": "u_status",
        "value": {"choice_ids": [2], "choice_names": ["Approved"]},
    }
    assert all("info" not in f for f in task["fields"])
    assert [f["code"] for f in task["fields"]][:3] == ["u_item", "u_amount", "u_status"]
    assert "value" not in task["fields"][0]  # empty fields are listed without a value
    template = form.to_pyrus()
    assert template["steps"] == {"1": "Step 1", "2": "Step 2"}
    assert template["fields"][2]["info"]["options"][2] == {
        "choice_id": 3,
        "choice_value": "Rejected",
    }
    assert template["fields"][5]["info"]["catalog_id"] == 4001
    with pytest.raises(KeyError, match="u_nope"):
        form.task({"u_nope": 1})


async def test_a_choice_name_is_read_from_the_template_once_per_form(
    bot_tester: Any, pyrus_api: FakePyrusAPI
) -> None:
    tester = bot_tester(status_bot())
    first = await tester.send(purchase_form().task({"u_amount": 1500, "u_status": "New"}))
    assert first.rejected and first.field("u_status") == {"choice_ids": [3]}
    assert first.choice("u_status") == "Rejected"
    second = await tester.send(purchase_form().task({"u_amount": 2500}))
    assert second.field("u_status") == {"choice_ids": [3]}
    assert form_calls(pyrus_api) == 1  # the second delivery used the cached template


async def test_an_unknown_choice_name_fails_the_handler_listing_the_valid_names(
    bot_tester: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="pyrus_bots.bot")
    reply = await bot_tester(status_bot("Maybe")).send(purchase_form().task())
    assert reply.status == 500
    assert "no choice named 'Maybe'; valid names: 'New', 'Approved', 'Rejected'" in caplog.text


async def test_an_option_added_after_caching_is_found_by_reading_the_template_again() -> None:
    bot = Bot(SECRET)

    @bot.on_task(form_id=321)
    async def choose(event: Event) -> Reply:
        return Reply().set_field("u_status", event.settings["choice"])

    api = FakePyrusAPI()
    old = make_form(321, fields={"u_status": typed("multiple_choice", options=["New"])})
    api.add_form(old)
    tester = BotTester(bot, api=api)
    first = await tester.send(old.task(), settings={"choice": "New"})
    assert first.field("u_status") == {"choice_ids": [1]}
    new = make_form(321, fields={"u_status": typed("multiple_choice", options=["New", "Late"])})
    api.add_form(new)
    late = await tester.send(new.task(), settings={"choice": "Late"})
    assert late.field("u_status") == {"choice_ids": [2]}
    assert form_calls(api) == 2


async def test_the_cache_expires_and_is_bounded() -> None:
    now = [0.0]
    api = FakePyrusAPI()
    for form_id in (1, 2):
        api.add_form(
            make_form(form_id, fields={"u_status": typed("multiple_choice", options=["A"])})
        )
    cache = TemplateCache(maxsize=1, ttl=60, timer=lambda: now[0])
    client = api.async_client()
    try:
        assert (await cache.form(client, 1))[1] is False
        assert (await cache.form(client, 1))[1] is True
        now[0] = 61.0  # past the TTL: read again
        assert (await cache.form(client, 1))[1] is False
        await cache.form(client, 2)  # the cache holds one form: form 1 goes
        assert (await cache.form(client, 1))[1] is False
    finally:
        await client.aclose()
    assert form_calls(api, "/v4/forms/1") == 3 and len(cache) == 1


async def test_a_choice_name_without_a_readable_template_is_a_clear_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    bot = status_bot()
    api = FakePyrusAPI()  # no form 321: GET /v4/forms/321 answers 403
    with pytest.raises(UnresolvedNameError, match=r"access_denied_form.*use the choice id"):
        await _render(bot, api, purchase_form().task())
    caplog.set_level(logging.ERROR, logger="pyrus_bots.bot")
    no_api = BotTester(status_bot())  # never reaches the real Pyrus
    assert (await no_api.send(purchase_form().task())).status == 500
    assert "no FakePyrusAPI is attached to the BotTester" in caplog.text


async def test_choice_ids_need_no_template(bot_tester: Any, pyrus_api: FakePyrusAPI) -> None:
    reply = await bot_tester(status_bot(2)).send(purchase_form().task())
    assert reply.field("u_status") == {"choice_ids": [2]} and form_calls(pyrus_api) == 0
    current = await bot_tester(status_bot("New")).send(purchase_form().task({"u_status": "New"}))
    assert current.field("u_status") == {"choice_ids": [1]} and form_calls(pyrus_api) == 0


async def test_catalog_names_become_item_ids_through_the_catalog(pyrus_api: FakePyrusAPI) -> None:
    pyrus_api.add_catalog(CATALOG)
    task = purchase_form().task()
    assert (await _render(status_bot("CC2", "u_cc"), pyrus_api, task))["value"] == {
        "item_ids": [72]
    }
    several = await _render(status_bot(["CC1", "CC2"], "u_cc"), pyrus_api, task)
    assert several["value"] == {"item_ids": [71, 72]}
    with pytest.raises(UnknownCatalogItemError, match="valid names: 'CC1', 'CC2'") as caught:
        await _render(status_bot("CC3", "u_cc"), pyrus_api, task)  # deleted items do not count
    assert caught.value.valid == ["CC1", "CC2"] and caught.value.name == "CC3"


async def test_a_catalog_the_bot_may_not_read_leaves_names_to_pyrus(
    pyrus_api: FakePyrusAPI,
) -> None:
    bot = status_bot("CC2", "u_cc")
    for _ in range(2):
        update = await _render(bot, pyrus_api, purchase_form().task())
        assert update["value"] == {"item_name": "CC2"}
    assert form_calls(pyrus_api, "/v4/catalogs/4001") == 1  # the refusal is cached too


async def test_event_comment_resolves_names_too(pyrus_api: FakePyrusAPI) -> None:
    bot = Bot(SECRET)

    @bot.on_task()
    async def progress(event: Event) -> None:
        await event.comment(Reply("working").set_field("u_status", "Approved"))

    task = purchase_form().task()
    await BotTester(bot, api=pyrus_api).send(task)
    [posted] = pyrus_api.comments(task["id"])
    assert posted["field_updates"] == [{"id": 3, "value": {"choice_ids": [2]}}]


def test_unknown_choice_error_outside_a_bot() -> None:
    task = purchase_form().task()
    with pytest.raises(UnresolvedNameError, match="needs the form template"):
        Reply().set_field("u_status", "Approved").to_dict(task)
    with pytest.raises(UnknownChoiceError) as caught:
        Reply().set_field("u_status", "Done").to_dict(task, form=purchase_form())
    assert caught.value.valid == ["New", "Approved", "Rejected"] and caught.value.name == "Done"
    wire = Reply().set_field("u_status", "Approved").to_dict(task, form=purchase_form().to_pyrus())
    assert wire["field_updates"] == [{"id": 3, "value": {"choice_ids": [2]}}]


async def _render(bot: Bot, api: FakePyrusAPI, task: dict[str, Any]) -> dict[str, Any]:
    """The one field update ``bot``'s reply to ``task`` renders to (errors raised as is)."""
    from pyrus_bots.bot.templates import render_for_delivery

    [route] = bot.router.routes
    tester = BotTester(bot, api=api)
    event = Event({"task": task, "access_token": "t"}, task, open_api=bot.open_api)
    try:
        result = await route.handler(event)
        rendered = await render_for_delivery(result, event, bot.templates)
    finally:
        await event._close_api()
        tester.close()
    [update] = rendered["field_updates"]
    return dict(update)


def test_make_task_with_typed_options_carries_no_options() -> None:
    task = make_task(321, fields={"u_status": typed("multiple_choice", "B", options=["A", "B"])})
    assert task["fields"][0] == {
        "id": 1,
        "type": "multiple_choice",
        "name": "Status",
        "code": "u_status",
        "value": {"choice_ids": [2], "choice_names": ["B"]},
    }


async def test_sync_handlers_and_later_replies_resolve_names(
    bot_tester: Any, pyrus_api: FakePyrusAPI
) -> None:
    bot = Bot(SECRET, name="sync-and-later")

    @bot.on_task(form_id=321, step=1)
    def sync_check(event: Event) -> Reply:  # runs in a worker thread
        return Reply.approve().set_field("u_status", "Approved")

    async def work() -> Reply:
        return Reply.reject().set_field("u_status", "Rejected")

    @bot.on_task(form_id=321, step=2)
    async def later(event: Event) -> Any:
        return Reply.later(work(), now=Reply("on it").set_field("u_status", "New"))

    tester = bot_tester(bot)
    inline = await tester.send(purchase_form().task())
    assert inline.field("u_status") == {"choice_ids": [2]}
    task = purchase_form().task(step=2)
    deferred = await tester.send(task)
    assert deferred.field("u_status") == {"choice_ids": [1]}
    await tester.drain()
    [posted] = pyrus_api.comments(task["id"])
    assert posted["field_updates"] == [{"id": 3, "value": {"choice_ids": [3]}}]
