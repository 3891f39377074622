"""Agreement with the official ``pyrus-api`` client: both send the same calls to the same
paths, and the fake API serves the official client too (spec 8.1, recipe A)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pyrus_bots.testing.fake_api import FakePyrusAPI

from .conftest import BOT_KEY, BOT_LOGIN, Client, invoke

pytestmark = pytest.mark.filterwarnings("ignore:keys will default:DeprecationWarning")

pyrus_client = pytest.importorskip("pyrus.client")
pyrus_requests = pytest.importorskip("pyrus.models.requests")

Build = Callable[..., Client]


def official(base_url: str) -> Any:
    api = pyrus_client.PyrusAPI(login=BOT_LOGIN, security_key=BOT_KEY)
    api._protocol = "http"
    api._host = base_url.removeprefix("http://")
    api._files_host = api._host
    return api


def paths(fake: FakePyrusAPI) -> list[tuple[str, str]]:
    return [(call.method, call.path.split("?")[0]) for call in fake.calls]


async def test_same_calls_as_the_official_client(
    make_client: Build, fake: FakePyrusAPI, fake_url: str, tmp_path: Path
) -> None:
    api = official(fake_url)
    api.get_task(5)
    api.comment_task(5, pyrus_requests.TaskCommentRequest(text="official"))
    upload_path = tmp_path / "a.txt"
    upload_path.write_bytes(b"official bytes")
    guid = api.upload_file(str(upload_path)).guid
    api.comment_task(5, pyrus_requests.TaskCommentRequest(text="file", attachments=[guid]))
    file_id = fake.task(5)["attachments"][0]["id"]
    downloaded = api.download_file(file_id)
    assert downloaded.raw_file == b"official bytes"
    official_calls = paths(fake)
    assert official_calls == [
        ("POST", "/v4/auth"),
        ("GET", "/v4/tasks/5"),
        ("POST", "/v4/tasks/5/comments"),
        ("POST", "/v4/files/upload"),
        ("POST", "/v4/tasks/5/comments"),
        ("GET", "/services/attachment"),
    ]

    fake.calls.clear()
    client = make_client(login=BOT_LOGIN, security_key=BOT_KEY, platform=fake_url)
    await invoke(client, "get_task", 5)
    await invoke(client, "comment_task", 5, {"text": "ours"})
    uploaded = await invoke(client, "upload_file", "a.txt", b"our bytes")
    task = await invoke(client, "comment_task", 5, {"text": "file", "attachments": [uploaded.guid]})
    assert await invoke(client, "download_file", task.attachments[-1].id) == b"our bytes"
    assert paths(fake) == official_calls


def test_official_client_reads_what_the_fake_answers(fake: FakePyrusAPI, fake_url: str) -> None:
    api = official(fake_url)
    task = api.get_task(5).task
    assert task.id == 5
    assert task.form_id == 321
    assert api.get_forms().forms[0].id == 321
    answer = api.comment_task(
        5, pyrus_requests.TaskCommentRequest(text="ok", approval_choice="approved")
    )
    assert answer.task.current_step == 2
    assert answer.task.comments[-1].text == "ok"
