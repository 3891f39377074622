"""The README's bot, as written, against a real `pyrus-bots serve` process on loopback.

The bot sets a multiple-choice field by the option's name (``set_field("u_status",
"Rejected")``). The platform delivers tasks as Pyrus does, with the field's current value and
not the form's options, so this passes only if the SDK reads the form template through the API
with the delivery's token. The only change to the README code is the API base URL.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

import pyrus_bots
from pyrus_bots.testing.fake_api import serve_asgi_in_thread

README = Path(__file__).resolve().parents[2] / "README.md"
BOT_SECRET = "readme-bot-secret"
ALICE_KEY = "alice-key"
BOT_ID = 2001


def readme_bot_code() -> str:
    """The Python block under the README's "A bot in ten lines"."""
    section = README.read_text().split("## A bot in ten lines", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert match is not None, "the README has no bot example"
    return match.group(1)


def workspace(hook_url: str) -> dict[str, Any]:
    return {
        "organization": {"id": 1, "name": "Acme"},
        "people": [
            {
                "id": 1001,
                "email": "alice@acme.test",
                "first_name": "Alice",
                "security_key": ALICE_KEY,
            }
        ],
        "bots": [
            {"id": BOT_ID, "name": "Checker", "security_key": BOT_SECRET, "hook_url": hook_url}
        ],
        "forms": [
            {
                "id": 321,
                "name": "Purchase request",
                "fields": [
                    {"id": 1, "code": "u_item", "name": "Item", "type": "text"},
                    {"id": 2, "code": "u_amount", "name": "Amount", "type": "money"},
                    {
                        "id": 3,
                        "code": "u_status",
                        "name": "Status",
                        "type": "multiple_choice",
                        "options": [
                            {"id": 1, "value": "New"},
                            {"id": 2, "value": "Approved"},
                            {"id": 3, "value": "Rejected"},
                        ],
                    },
                ],
                "steps": [
                    {"name": "Automatic check", "approvers": [BOT_ID]},
                    {"name": "Manager", "approvers": [1001]},
                ],
            }
        ],
    }


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_platform(
    db_url: str, port: int, workspace_file: Path, log: Path
) -> subprocess.Popen[bytes]:
    # The same sources as this test run, whichever checkout that is.
    source = str(Path(pyrus_bots.__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": source}
    command = [
        sys.executable,
        "-c",
        "from pyrus_bots.cli import main; main()",
        "serve",
        "--db",
        db_url,
        "--port",
        str(port),
        "--workspace",
        str(workspace_file),
        "--retry-schedule",
        "0,1,2",
    ]
    process = subprocess.Popen(command, stdout=log.open("ab"), stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"serve exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    process.kill()
    raise AssertionError(f"serve did not start: {log.read_text()[-2000:]}")


def wait_for_bot_comment(api: httpx.Client, task_id: int) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        task: dict[str, Any] = api.get(f"/v4/tasks/{task_id}").json()["task"]
        if any(c.get("author", {}).get("id") == BOT_ID for c in task.get("comments", [])):
            return task
        time.sleep(0.1)
    raise AssertionError(f"the bot never commented on task {task_id}")


@pytest.mark.timeout(120)
def test_the_readme_bot_sets_a_choice_by_name_on_the_platform(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BOT_SECRET", BOT_SECRET)
    namespace: dict[str, Any] = {"__name__": "readme_bot"}
    exec(compile(readme_bot_code(), str(README), "exec"), namespace)
    bot = namespace["bot"]
    port = free_port()
    bot.api_url = f"http://127.0.0.1:{port}/v4/"  # the platform instead of api.pyrus.com

    with serve_asgi_in_thread(namespace["app"]) as bot_url:
        workspace_file = tmp_path / "workspace.yaml"
        workspace_file.write_text(yaml.safe_dump(workspace(bot_url + "/")))
        log = tmp_path / "serve.log"
        platform = start_platform(db_url, port, workspace_file, log)
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as api:
                auth = api.post(
                    "/v4/auth", json={"login": "alice@acme.test", "security_key": ALICE_KEY}
                )
                api.headers["Authorization"] = f"Bearer {auth.json()['access_token']}"
                created = {}
                for amount in (1500, 10):
                    answer = api.post(
                        "/v4/tasks",
                        json={"form_id": 321, "fields": [{"id": 2, "value": amount}]},
                    )
                    assert answer.status_code == 200, answer.text
                    created[amount] = answer.json()["task"]["id"]

                big = wait_for_bot_comment(api, created[1500])
                [verdict] = [c for c in big["comments"] if c["author"]["id"] == BOT_ID]
                assert verdict["text"] == "Over the limit"
                assert verdict["approval_choice"] == "rejected"
                status = next(f for f in big["fields"] if f.get("code") == "u_status")
                assert status["value"]["choice_ids"] == [3]
                assert status["value"]["choice_names"] == ["Rejected"]
                assert big["current_step"] == 1

                small = wait_for_bot_comment(api, created[10])
                [hello] = [c for c in small["comments"] if c["author"]["id"] == BOT_ID]
                assert hello["text"] == "Hello, alice@acme.test."
                assert small["current_step"] == 2
        finally:
            platform.terminate()
            platform.wait(15)
    assert "Traceback" not in log.read_text()
