"""The SDK's client (both drivers) on lists, calendar, tasks by approver and announcements,
against the real platform."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest

from api.harness import ALICE, BOB, CAROL, RunningServer
from pyrus_bots.bot.client import AsyncPyrusClient, PyrusAPIError, PyrusClient
from pyrus_bots.protocol.models.list_requests import CreateListRequest, UpdateListRequest


async def _call(client: Any, name: str, *args: Any, **kwargs: Any) -> Any:
    result = getattr(client, name)(*args, **kwargs)
    return await result if asyncio.iscoroutine(result) else result


@pytest.mark.parametrize("driver", [AsyncPyrusClient, PyrusClient])
async def test_sdk_list_and_announcement_calls(
    module_server: RunningServer, driver: type[AsyncPyrusClient] | type[PyrusClient]
) -> None:
    def client(person: dict[str, Any]) -> Any:
        return driver.for_platform(
            module_server.base_url, login=person["email"], security_key=person["key"]
        )

    alice, bob, carol = client(ALICE), client(BOB), client(CAROL)
    try:
        await _exercise(alice, bob, carol, driver.__name__)
    finally:
        for each in (alice, bob, carol):
            await _call(each, "aclose" if isinstance(each, AsyncPyrusClient) else "close")


async def _exercise(alice: Any, bob: Any, carol: Any, name: str) -> None:
    parent = await _call(
        alice, "create_list", CreateListRequest(name="SDK", added_members=[BOB["id"]])
    )
    child = await _call(alice, "create_list", {"name": "SDK child", "parent_id": parent.id})
    assert child.parent_id == parent.id and child.manager_ids == [ALICE["id"]]
    bulk = await _call(alice, "create_lists", [{"name": "SDK a"}, {"name": "SDK b"}])
    assert [lst.name for lst in bulk] == ["SDK a", "SDK b"]
    renamed = await _call(alice, "update_list", parent.id, UpdateListRequest(name="SDK root"))
    assert (renamed.name, renamed.version) == ("SDK root", 2)
    colored = await _call(alice, "update_lists", [{"id": bulk[0].id, "color": "#123456"}])
    assert colored[0].color == "#123456"
    tree = await _call(alice, "get_list", parent.id)
    assert [c.id for c in tree.children] == [child.id]
    await _call(alice, "delete_list", child.id)
    await _call(alice, "delete_lists", [b.id for b in bulk])
    names = {lst.name for lst in await _call(alice, "get_lists_tree")}
    assert "SDK root" in names and not names & {"SDK a", "SDK b"}
    deleted = await _call(alice, "get_list", child.id, with_deleted=True)
    assert deleted.deleted is True
    with pytest.raises(PyrusAPIError) as refused:
        await _call(alice, "get_list", child.id)
    assert (refused.value.status, refused.value.code) == (400, "invalid_value_format")

    task = await _call(
        bob,
        "create_task",
        {"text": "sdk", "responsible": {"id": CAROL["id"]}, "due_date": "2032-02-02"},
    )
    start, end = datetime(2032, 2, 1, tzinfo=UTC), datetime(2032, 2, 3, tzinfo=UTC)
    calendar = await _call(carol, "get_calendar", start, end)
    assert task.id in [t.id for t in calendar.tasks] and calendar.has_more is False
    assert (await _call(bob, "get_tasks_by_approver", BOB["id"])).tasks == []

    posted = await _call(alice, "create_announcement", {"text": f"SDK {name}"})
    commented = await _call(bob, "comment_announcement", posted.id, {"text": "ok"})
    assert [c.text for c in commented.comments] == ["ok"]
    assert (await _call(bob, "get_announcement", posted.id)).author.id == ALICE["id"]
    assert posted.id in [a.id for a in await _call(bob, "get_announcements", item_count=5)]
