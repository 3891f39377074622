"""Authentication: lazy login, switching to the auth answer's hosts, one re-auth on 401."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from pyrus_bots.bot.client import AsyncPyrusClient, PyrusAPIError
from pyrus_bots.testing.fake_api import FakePyrusAPI

from .conftest import BOT_KEY, BOT_LOGIN, Client, Scripted, ScriptedAPI, invoke

Build = Callable[..., Client]


async def test_lazy_auth_then_bearer_token(
    make_client: Build, fake: FakePyrusAPI, fake_url: str
) -> None:
    client = make_client(login=BOT_LOGIN, security_key=BOT_KEY, platform=fake_url)
    assert client.access_token is None
    assert fake.calls == []
    task = await invoke(client, "get_task", 5)
    assert task.id == 5
    assert [(c.method, c.path) for c in fake.calls] == [
        ("POST", "/v4/auth"),
        ("GET", "/v4/tasks/5"),
    ]
    assert fake.calls[0].json == {"login": BOT_LOGIN, "security_key": "***"}
    await invoke(client, "get_task", 5)
    assert len(fake.calls) == 3  # no second auth


async def test_auth_sends_person_id(make_client: Build, fake: FakePyrusAPI, fake_url: str) -> None:
    client = make_client(login=BOT_LOGIN, security_key=BOT_KEY, person_id=42, platform=fake_url)
    await invoke(client, "authenticate")
    assert fake.calls[0].json == {"login": BOT_LOGIN, "security_key": "***", "person_id": 42}


async def test_switches_to_api_and_files_url_from_auth_answer(
    make_client: Build,
    scripted: tuple[ScriptedAPI, str],
    fake: FakePyrusAPI,
    fake_url: str,
) -> None:
    """The auth host (scripted server) sends the client to another cluster (the fake)."""
    auth_server, auth_base = scripted
    token = fake.issue_token()
    auth_server.plan(
        "/v4/auth",
        Scripted(json={"access_token": token, "api_url": f"{fake_url}/v4/", "files_url": fake_url}),
    )
    file_id = fake.add_file("a.txt", b"cluster two")
    client = make_client(
        login=BOT_LOGIN,
        security_key=BOT_KEY,
        api_url=f"{auth_base}/v4/",
        auth_url=f"{auth_base}/v4/auth",
        files_url=f"{auth_base}/",
    )
    assert (await invoke(client, "get_task", 5)).id == 5
    assert await invoke(client, "download_file", file_id) == b"cluster two"
    assert client.api_url == f"{fake_url}/v4/"
    assert client.files_url == f"{fake_url}/"
    assert [seen.path for seen in auth_server.seen] == ["/v4/auth"]
    assert [c.path for c in fake.calls] == ["/v4/tasks/5", f"/services/attachment?Id={file_id}"]


async def test_reauth_once_on_401(make_client: Build, fake: FakePyrusAPI, fake_url: str) -> None:
    client = make_client(login=BOT_LOGIN, security_key=BOT_KEY, platform=fake_url)
    await invoke(client, "get_task", 5)
    first_token = client.access_token
    fake.revoke_tokens()
    assert (await invoke(client, "get_task", 5)).id == 5
    assert client.access_token != first_token
    assert [(c.method, c.path) for c in fake.calls] == [
        ("POST", "/v4/auth"),
        ("GET", "/v4/tasks/5"),
        ("GET", "/v4/tasks/5"),  # 401
        ("POST", "/v4/auth"),
        ("GET", "/v4/tasks/5"),
    ]


async def test_second_401_is_raised_not_looped(
    make_client: Build, scripted: tuple[ScriptedAPI, str]
) -> None:
    server, base = scripted
    server.plan("/v4/auth", Scripted(json={"access_token": "fresh-token-abc"}))
    server.plan(
        "/v4/tasks/5", Scripted(401, {"error": "token expired", "error_code": "expired_token"})
    )
    client = make_client(login=BOT_LOGIN, security_key=BOT_KEY, platform=base)
    with pytest.raises(PyrusAPIError) as caught:
        await invoke(client, "get_task", 5)
    assert (caught.value.status, caught.value.code) == (401, "expired_token")
    assert [seen.path for seen in server.seen] == [
        "/v4/auth",
        "/v4/tasks/5",
        "/v4/auth",
        "/v4/tasks/5",
    ]


async def test_webhook_token_without_login_raises_401(
    make_client: Build, fake: FakePyrusAPI, fake_url: str
) -> None:
    client = make_client("webhook-token-1", platform=fake_url)
    await invoke(client, "get_task", 5)
    fake.revoke_tokens()
    with pytest.raises(PyrusAPIError) as caught:
        await invoke(client, "get_task", 5)
    assert (caught.value.status, caught.value.code) == (401, "invalid_token")
    assert all(c.path != "/v4/auth" for c in fake.calls)


async def test_wrong_security_key(make_client: Build, fake: FakePyrusAPI, fake_url: str) -> None:
    wrong_key = "not-the-key-987654"
    client = make_client(login=BOT_LOGIN, security_key=wrong_key, platform=fake_url)
    with pytest.raises(PyrusAPIError) as caught:
        await invoke(client, "get_task", 5)
    assert (caught.value.status, caught.value.code) == (401, "invalid_credentials")
    assert wrong_key not in str(caught.value) and wrong_key not in repr(caught.value)
    assert [c.path for c in fake.calls] == ["/v4/auth"]  # auth failure is not retried


async def test_concurrent_first_calls_authenticate_once(fake: FakePyrusAPI, fake_url: str) -> None:
    async with AsyncPyrusClient.for_platform(
        fake_url, login=BOT_LOGIN, security_key=BOT_KEY
    ) as client:
        tasks = await asyncio.gather(*(client.get_task(5) for _ in range(8)))
    assert {task.id for task in tasks} == {5}
    assert sum(1 for c in fake.calls if c.path == "/v4/auth") == 1


def test_needs_a_token_or_credentials() -> None:
    with pytest.raises(ValueError, match="access token"):
        AsyncPyrusClient(login=BOT_LOGIN)


def test_for_platform_urls() -> None:
    client = AsyncPyrusClient.for_platform("http://127.0.0.1:8000/", "t")
    assert client.api_url == "http://127.0.0.1:8000/v4/"
    assert client.files_url == "http://127.0.0.1:8000/"
    assert client._core.auth_url == "http://127.0.0.1:8000/v4/auth"


def test_defaults_point_at_pyrus_cloud() -> None:
    client = AsyncPyrusClient("t")
    assert client.api_url == "https://api.pyrus.com/v4/"
    assert client.files_url == "https://files.pyrus.com/"
    assert client._core.auth_url == "https://accounts.pyrus.com/api/v4/auth"
