"""The sync client is the exact twin of the async one, and the fake API works in process."""

from __future__ import annotations

import inspect

import httpx

from pyrus_bots.bot.client import AsyncPyrusClient, PyrusClient
from pyrus_bots.testing.fake_api import FakePyrusAPI

ASYNC_ONLY = {"aclose"}
SYNC_ONLY = {"close"}


def public_methods(cls: type) -> dict[str, inspect.Signature]:
    return {
        name: inspect.signature(member)
        for name, member in inspect.getmembers(cls)
        if not name.startswith("_") and callable(member)
    }


def test_same_methods_and_parameters() -> None:
    async_methods = public_methods(AsyncPyrusClient)
    sync_methods = public_methods(PyrusClient)
    assert set(async_methods) - ASYNC_ONLY == set(sync_methods) - SYNC_ONLY
    for name in set(sync_methods) - SYNC_ONLY:
        assert list(async_methods[name].parameters) == list(sync_methods[name].parameters), name
    for name, signature in async_methods.items():
        member = getattr(AsyncPyrusClient, name)
        if name not in {"for_platform"}:
            assert inspect.iscoroutinefunction(member), name
        assert name in SYNC_ONLY | set(sync_methods) or name in ASYNC_ONLY
        del signature


def test_constructor_parameters_match() -> None:
    async_init = inspect.signature(AsyncPyrusClient.__init__).parameters
    sync_init = inspect.signature(PyrusClient.__init__).parameters
    assert list(async_init) == list(sync_init)
    assert {name: p.default for name, p in async_init.items()} == {
        name: p.default for name, p in sync_init.items()
    }


async def test_fake_in_process_through_asgi_transport() -> None:
    fake = FakePyrusAPI()
    fake.add_task({"id": 9, "text": "in process"})
    async with AsyncPyrusClient(
        "token-in-process",
        api_url="http://fake/v4/",
        transport=httpx.ASGITransport(app=fake),
    ) as client:
        task = await client.comment_task(9, {"text": "done", "action": "finished"})
    assert task.is_closed is True
    async with fake.async_client() as shortcut:
        reopened = await shortcut.comment_task(9, {"text": "again"})
    assert reopened.is_closed is False  # a comment reopens a closed task
    assert fake.comments(9) == [{"text": "done", "action": "finished"}, {"text": "again"}]
    assert [call.path for call in fake.calls] == ["/v4/tasks/9/comments"] * 2
    assert all("authorization" not in call.headers for call in fake.calls)
