"""A bot's reply with ``{url}`` attachments: the platform fetches the files and attaches them
to the bot's comment, or logs the reply as ``invalid_reply`` and changes nothing."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest

from api.file_clients import download
from api.file_origin import CONTENT, FileOrigin, serve_files
from api.harness import BOB, BOT_ID, RunningServer, make_api_workspace, person_client


@pytest.fixture
def origin() -> Iterator[FileOrigin]:
    with serve_files() as running:
        yield running


def wait_for(check: Any, within: float = 20.0) -> Any:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError("timed out")


def bot_comments(client: httpx.Client, task_id: int) -> list[dict[str, Any]]:
    task = client.get(f"/v4/tasks/{task_id}").json()["task"]
    return [c for c in task["comments"] if c["author"]["id"] == BOT_ID]


def test_bot_reply_with_url_attachment(start_server: Any, origin: FileOrigin) -> None:
    workspace = make_api_workspace()
    workspace["bots"][0]["hook_url"] = f"{origin.base_url}/hook"
    server: RunningServer = start_server(workspace=workspace)
    bob = person_client(server, BOB)
    admin = server.admin_client()

    origin.reply = orjson.dumps(
        {
            "text": "Here is the file",
            "attachments": [{"url": f"{origin.base_url}/files/bot.pdf", "name": "From bot.pdf"}],
        }
    )
    task = bob.post("/v4/tasks", json={"text": "Files", "participants": [{"id": BOT_ID}]})
    task_id = task.json()["task"]["id"]  # the bot, a participant, is called at once
    [reply] = wait_for(lambda: bot_comments(bob, task_id))
    [attached] = reply["attachments"]
    assert attached["name"] == "From bot.pdf" and attached["size"] == len(CONTENT)
    assert download(bob, attached["id"]) == CONTENT

    # A URL that answers 404: the reply is invalid, logged, and nothing of it is applied.
    origin.reply = orjson.dumps(
        {"text": "broken", "attachments": [{"url": f"{origin.base_url}/missing"}]}
    )
    assert bob.post(f"/v4/tasks/{task_id}/comments", json={"text": "again"}).status_code == 200

    def invalid() -> list[dict[str, Any]]:
        rows = admin.get("/admin/api/deliveries", params={"task_id": task_id}).json()
        return [
            d
            for d in rows["deliveries"]
            if d["outcome"] == "invalid_reply: unrecognized_attachment_id"
        ]

    wait_for(invalid)
    assert [c["text"] for c in bot_comments(bob, task_id)] == ["Here is the file"]
