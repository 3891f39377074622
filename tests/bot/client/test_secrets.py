"""Tokens and security keys never appear in exception texts or reprs."""

from __future__ import annotations

import traceback
from collections.abc import Callable

import pytest

from pyrus_bots.bot.client import PyrusAPIError, PyrusTransportError

from .conftest import BOT_LOGIN, Client, Scripted, ScriptedAPI, invoke

Build = Callable[..., Client]
TOKEN = "secret-token-5f2a9c1e7b"
KEY = "secret-key-93d1b0aa6e"


def full_text(error: BaseException) -> str:
    return "".join(traceback.format_exception(error)) + repr(error)


async def test_server_echoing_the_token_is_redacted(
    make_client: Build, scripted: tuple[ScriptedAPI, str]
) -> None:
    server, base = scripted
    server.plan(
        "/v4/tasks/5",
        Scripted(400, {"error": f"bad token {TOKEN}", "error_code": f"invalid_{TOKEN}"}),
    )
    client = make_client(TOKEN, platform=base)
    with pytest.raises(PyrusAPIError) as caught:
        await invoke(client, "get_task", 5)
    assert server.seen[0].authorization == f"Bearer {TOKEN}"
    text = full_text(caught.value)
    assert TOKEN not in text
    assert "bad token ***" in caught.value.message
    assert TOKEN not in repr(client)


async def test_auth_errors_hide_the_key_and_old_tokens(
    make_client: Build, scripted: tuple[ScriptedAPI, str]
) -> None:
    server, base = scripted
    server.plan(
        "/v4/auth",
        Scripted(json={"access_token": TOKEN}),
        Scripted(401, {"error": f"key {KEY} revoked", "error_code": "invalid_credentials"}),
    )
    server.plan(
        "/v4/tasks/5", Scripted(401, {"error": f"{TOKEN} expired", "error_code": "expired_token"})
    )
    client = make_client(login=BOT_LOGIN, security_key=KEY, platform=base)
    with pytest.raises(PyrusAPIError) as caught:
        await invoke(client, "get_task", 5)
    assert caught.value.code == "invalid_credentials"
    text = full_text(caught.value)
    assert KEY not in text and TOKEN not in text
    assert KEY not in repr(client._core) and TOKEN not in repr(client._core)


async def test_transport_errors_carry_no_secret(make_client: Build, closed_port_url: str) -> None:
    client = make_client(TOKEN, platform=closed_port_url, max_retries=0)
    with pytest.raises(PyrusTransportError) as caught:
        await invoke(client, "get_task", 5)
    assert TOKEN not in full_text(caught.value)
