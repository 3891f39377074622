"""``pyrus-bots demo`` as a user runs it: the real command, real processes, Ctrl-C to stop."""

from __future__ import annotations

import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

STARTUP_TIMEOUT = 90.0
WAIT_FOR_BOTS = 30.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _command() -> list[str]:
    script = shutil.which("pyrus-bots", path=str(Path(sys.executable).parent))
    if script is not None:
        return [script]
    return [sys.executable, "-c", "from pyrus_bots.cli import main; main()"]


def _read_banner(process: subprocess.Popen[str]) -> str:
    assert process.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
        if "Press Ctrl-C to stop." in line:
            return "".join(lines)
    process.kill()
    raise AssertionError("the demo did not come up:\n" + "".join(lines))


def _wait_for(url: str, text: str) -> str:
    deadline = time.monotonic() + WAIT_FOR_BOTS
    page = ""
    while time.monotonic() < deadline:
        page = httpx.get(url, timeout=5.0).text
        if text in page:
            return page
        time.sleep(0.3)
    raise AssertionError(f"{text!r} never appeared on {url}")


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), 0.5):
            return True
    except OSError:
        return False


def test_the_demo_routes_sample_tasks_and_stops_cleanly() -> None:
    port = _free_port()
    process = subprocess.Popen(
        [*_command(), "demo", "--port", str(port), "--retry-schedule", "0,1,2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        banner = _read_banner(process)
        ui = f"http://127.0.0.1:{port}/ui/"
        assert ui in banner
        assert "alice@demo.test" in banner and "alice-demo-key" in banner
        assert "alice-demo-password" in banner  # people sign in to the UI with a password
        page = httpx.get(ui + "login")
        signed_in = httpx.post(
            ui + "login",
            data={
                "csrf": re.search(r'name="csrf" value="([^"]+)"', page.text).group(1),  # type: ignore[union-attr]
                "login": "alice@demo.test",
                "password": "alice-demo-password",
            },
            cookies=page.cookies,
        )
        assert signed_in.status_code == 303, signed_in.text
        state_dir = Path(re.search(r"Logs and database: (\S+)", banner).group(1))  # type: ignore[union-attr]
        bot_ports = [int(p) for p in re.findall(r"http://127\.0\.0\.1:(\d+)/\n", banner)]
        assert len(bot_ports) == 3 and all(_listening(p) for p in bot_ports)

        # Sample task 1 is under the limit: the bot approves and the manager's step is next.
        approved = _wait_for(ui + "tasks/1", "moved the task to step 2 (Manager)")
        assert "is within the limit" in approved
        # Sample task 2 is over it: rejected, the task stays on (returns to) the bot's step.
        rejected = _wait_for(ui + "tasks/2", "returned the task to step 1 (Automatic check)")
        assert "is over the limit" in rejected
        # The platform called each bot; the delivery log lists the calls.
        assert "succeeded" in httpx.get(ui + "bots/2001/deliveries").text
    finally:
        process.send_signal(signal.SIGINT)
        try:
            rest, _ = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
    assert process.returncode == 0, rest
    assert "Demo stopped." in rest
    assert not any(_listening(p) for p in [port, *bot_ports])
    assert not state_dir.exists()


@pytest.mark.parametrize("bad", ["1,0", "soon"])
def test_a_bad_retry_schedule_is_refused(bad: str) -> None:
    from typer.testing import CliRunner

    from pyrus_bots.cli import app

    result = CliRunner().invoke(app, ["demo", "--retry-schedule", bad])
    assert result.exit_code == 2
    assert "retry-schedule" in result.output
