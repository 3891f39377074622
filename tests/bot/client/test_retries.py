"""Retries over real HTTP: 5XX and 429, connection refused, timeouts; what is never retried."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from pyrus_bots.bot.client import PyrusAPIError, PyrusClient, PyrusTransportError, RetryPolicy
from pyrus_bots.bot.client.retry import parse_retry_after
from pyrus_bots.testing.fake_api import FakePyrusAPI

from .conftest import (
    BOT_KEY,
    BOT_LOGIN,
    Client,
    CountingTransport,
    Scripted,
    ScriptedAPI,
    invoke,
)

Build = Callable[..., Client]
TASK = {"task": {"id": 1, "text": "t"}}


async def test_503_then_200(make_client: Build, fake: FakePyrusAPI, fake_url: str) -> None:
    fake.fail_next("GET", "/v4/tasks/5", 503, times=2)
    client = make_client("t", platform=fake_url)
    assert (await invoke(client, "get_task", 5)).id == 5
    assert [c.path for c in fake.calls] == ["/v4/tasks/5"] * 3


async def test_gives_up_after_max_retries(
    make_client: Build, fake: FakePyrusAPI, fake_url: str
) -> None:
    fake.fail_next("GET", "/v4/tasks/5", 502, times=10)
    client = make_client("t", platform=fake_url, max_retries=2)
    with pytest.raises(PyrusAPIError) as caught:
        await invoke(client, "get_task", 5)
    assert (caught.value.status, caught.value.code) == (502, "server_error")
    assert len(fake.calls) == 3


async def test_429_honours_retry_after(
    make_client: Build, fake: FakePyrusAPI, fake_url: str
) -> None:
    fake.fail_next("GET", "/v4/forms", 429, "too_many_requests", retry_after=0.4)
    client = make_client("t", platform=fake_url, retry_backoff=0.001)
    started = time.monotonic()
    await invoke(client, "get_forms")
    assert time.monotonic() - started >= 0.4
    assert len(fake.calls) == 2


async def test_retry_after_beyond_the_cap_is_raised(
    make_client: Build, scripted: tuple[ScriptedAPI, str]
) -> None:
    server, base = scripted
    server.plan(
        "/v4/forms",
        Scripted(
            429,
            {"error": "slow down", "error_code": "too_many_requests"},
            headers={"Retry-After": "3600"},
        ),
    )
    client = make_client("t", platform=base)
    with pytest.raises(PyrusAPIError) as caught:
        await invoke(client, "get_forms")
    assert caught.value.retry_after == 3600
    assert len(server.seen) == 1


async def test_4xx_is_never_retried(make_client: Build, fake: FakePyrusAPI, fake_url: str) -> None:
    client = make_client("t", platform=fake_url)
    with pytest.raises(PyrusAPIError) as caught:
        await invoke(client, "comment_task", 5, {"field_updates": [{"id": 999, "value": 1}]})
    assert (caught.value.status, caught.value.code) == (400, "invalid_field_id")
    with pytest.raises(PyrusAPIError):
        await invoke(client, "get_task", 404)
    assert len(fake.calls) == 2


async def test_post_is_not_repeated_after_500(
    make_client: Build, fake: FakePyrusAPI, fake_url: str
) -> None:
    """A comment that may have been applied must not be sent twice."""
    fake.fail_next("POST", "/v4/tasks/5/comments", 500)
    client = make_client("t", platform=fake_url)
    with pytest.raises(PyrusAPIError):
        await invoke(client, "comment_task", 5, {"text": "once"})
    assert len(fake.calls) == 1


async def test_post_is_repeated_after_503_and_429(
    make_client: Build, fake: FakePyrusAPI, fake_url: str
) -> None:
    fake.fail_next("POST", "/v4/tasks/5/comments", 503)
    fake.fail_next("POST", "/v4/tasks/5/comments", 429, "too_many_requests", retry_after=0.01)
    client = make_client("t", platform=fake_url)
    task = await invoke(client, "comment_task", 5, {"text": "eventually"})
    assert task.comments[-1].text == "eventually"
    assert len(fake.calls) == 3
    assert len(fake.comments(5)) == 1


async def test_connection_refused(make_client: Build, closed_port_url: str) -> None:
    transport = CountingTransport()
    client = make_client("t", platform=closed_port_url, max_retries=2, transport=transport)
    with pytest.raises(PyrusTransportError) as caught:
        await invoke(client, "comment_task", 5, {"text": "x"})  # safe: never left the machine
    assert caught.value.code == "connection_error"
    assert caught.value.status == 0
    assert transport.sent == 3


async def test_timeout_retried_for_reads_only(
    make_client: Build, scripted: tuple[ScriptedAPI, str]
) -> None:
    server, base = scripted
    server.plan("/v4/tasks/1", Scripted(json=TASK, delay=1.0), Scripted(json=TASK))
    server.plan("/v4/tasks/1/comments", Scripted(json=TASK, delay=1.0))
    client = make_client("t", platform=base, timeout=0.3)
    started = time.monotonic()
    assert (await invoke(client, "get_task", 1)).id == 1
    assert time.monotonic() - started < 1.0
    assert len(server.hits("/v4/tasks/1")) == 2

    with pytest.raises(PyrusTransportError) as caught:
        await invoke(client, "comment_task", 1, {"text": "maybe applied"})
    assert caught.value.code == "timeout"
    assert len(server.hits("/v4/tasks/1/comments")) == 1


async def test_non_json_error_body(make_client: Build, scripted: tuple[ScriptedAPI, str]) -> None:
    server, base = scripted
    server.plan("/v4/forms", Scripted(404, content=b"<html>not here</html>"))
    client = make_client("t", platform=base)
    with pytest.raises(PyrusAPIError) as caught:
        await invoke(client, "get_forms")
    assert (caught.value.status, caught.value.code) == (404, "http_404")
    assert "GET /v4/forms" in str(caught.value)


def test_backoff_grows_with_jitter_and_is_capped() -> None:
    policy = RetryPolicy(backoff_base=0.5, backoff_max=3.0, rng=random.Random(7))
    for retry in range(6):
        nominal = min(3.0, 0.5 * 2**retry)
        delays = [policy.backoff(retry) for _ in range(50)]
        assert all(nominal / 2 <= delay < nominal for delay in delays)
        assert len(set(delays)) > 1


def test_retry_after_forms() -> None:
    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("2") == 2.0
    assert parse_retry_after("0.25") == 0.25
    assert (
        parse_retry_after(format_datetime(now + timedelta(seconds=30), usegmt=True), now=now) == 30
    )
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def test_sync_client_threads_authenticate_once(fake: FakePyrusAPI, fake_url: str) -> None:
    client = PyrusClient.for_platform(fake_url, login=BOT_LOGIN, security_key=BOT_KEY)
    with client, ThreadPoolExecutor(6) as pool:
        tasks = list(pool.map(lambda _: client.get_task(5), range(12)))
    assert {task.id for task in tasks} == {5}
    assert sum(1 for call in fake.calls if call.path == "/v4/auth") == 1


async def test_bare_download_errors_get_file_codes(
    make_client: Build, scripted: tuple[ScriptedAPI, str]
) -> None:
    server, base = scripted
    server.plan("/services/attachment", Scripted(404, content=b""))
    client = make_client("t", platform=base)
    with pytest.raises(PyrusAPIError) as caught:
        await invoke(client, "download_file", 12)
    assert (caught.value.status, caught.value.code) == (404, "file_is_missing")
