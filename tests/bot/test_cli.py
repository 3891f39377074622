"""``pyrus-bots bot run MODULE:ATTR`` as a real process, and ``pyrus-bots send`` against it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest

from pyrus_bots.testing import make_payload

from .conftest import free_port, purchase_task

CLI = [str(Path(sys.executable).parent / "pyrus-bots")]

BOT_MODULE = """
from pyrus_bots.bot import Bot, Reply

bot = Bot("cli-secret", name="cli-bot")

@bot.on_task()
def hello(event):
    return Reply.approve(f"Hi {event.task.author.first_name}, attempt {event.retry}")

async def raw_app(scope, receive, send):
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"raw"})
"""


@pytest.fixture
def bot_dir(tmp_path: Path) -> Path:
    (tmp_path / "cli_bot_module.py").write_text(BOT_MODULE)
    payload = make_payload(purchase_task())
    (tmp_path / "payload.json").write_bytes(orjson.dumps(payload, option=orjson.OPT_INDENT_2))
    return tmp_path


def _run_server(cwd: Path, target: str, *extra: str) -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [*CLI, "bot", "run", target, "--port", str(port), *extra],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    base = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.get(base, timeout=1)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    output = process.stdout.read().decode() if process.stdout else ""
                    raise AssertionError(f"bot run did not start: {output}") from None
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def served_bot(bot_dir: Path) -> Iterator[str]:
    yield from _run_server(bot_dir, "cli_bot_module:bot")


def _send(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, "send", *args], cwd=cwd, capture_output=True, text=True, timeout=60
    )


def test_bot_run_serves_and_send_replays_a_payload(bot_dir: Path, served_bot: str) -> None:
    result = _send(bot_dir, served_bot, "--secret", "cli-secret", "payload.json")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("HTTP 200 OK")
    reply = orjson.loads(result.stdout.split("\n", 1)[1])
    assert reply == {"text": "Hi Alice, attempt 1", "approval_choice": "approved"}

    retried = _send(bot_dir, served_bot, "--secret", "cli-secret", "--retry", "3/3", "payload.json")
    assert retried.returncode == 0
    # the same delivery again: dedupe answers the first reply (attempt 1)
    assert "attempt 1" in retried.stdout

    wrong = _send(bot_dir, served_bot, "--secret", "not-it", "payload.json")
    assert wrong.returncode == 1
    assert wrong.stdout.startswith("HTTP 401")
    assert "not-it" not in wrong.stdout + wrong.stderr


def test_send_validates_retry_and_reports_connection_errors(bot_dir: Path) -> None:
    bad = _send(bot_dir, "http://127.0.0.1:1/", "--secret", "s", "--retry", "x", "payload.json")
    assert bad.returncode == 2 and "N/M" in bad.stderr
    down = _send(bot_dir, f"http://127.0.0.1:{free_port()}/", "--secret", "s", "payload.json")
    assert down.returncode == 2 and "ConnectError" in down.stderr


def test_bot_run_serves_any_asgi_app(bot_dir: Path) -> None:
    for base in _run_server(bot_dir, "cli_bot_module:raw_app"):
        assert httpx.post(base, content=b"x").text == "raw"


def test_bot_run_rejects_a_bad_target(bot_dir: Path) -> None:
    result = subprocess.run(
        [*CLI, "bot", "run", "cli_bot_module:missing"],
        cwd=bot_dir,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode != 0 and "no attribute" in result.stderr + result.stdout
