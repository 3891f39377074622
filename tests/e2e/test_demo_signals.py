"""No process of ``pyrus-bots demo`` outlives it: the runner stops the platform and the bots on
every terminating signal (the terminal closing sends SIGHUP), and a runner killed outright takes
its children with it (they die with their parent). Real processes, real ports."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_demo import _command, _free_port, _listening, _read_banner

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"),
    reason="reads children from /proc; the parent-death signal is Linux's",
)
GONE_TIMEOUT = 30.0


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _alive(pid: int) -> bool:
    """Running (a zombie waiting for a parent that does not reap is not running)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in {"Z", "X"}


def _wait_gone(pids: list[int], ports: list[int]) -> None:
    deadline = time.monotonic() + GONE_TIMEOUT
    while time.monotonic() < deadline:
        if not any(_alive(p) for p in pids) and not any(_listening(p) for p in ports):
            return
        time.sleep(0.2)
    alive = [p for p in pids if _alive(p)]
    open_ports = [p for p in ports if _listening(p)]
    raise AssertionError(f"outlived the demo: processes {alive}, ports {open_ports}")


@pytest.mark.parametrize(
    "signum", [signal.SIGHUP, signal.SIGTERM, signal.SIGQUIT, signal.SIGKILL], ids=lambda s: s.name
)
def test_no_demo_process_outlives_the_runner(signum: signal.Signals) -> None:
    port = _free_port()
    runner = subprocess.Popen(
        [*_command(), "demo", "--port", str(port), "--retry-schedule", "0,1,2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # the signal reaches the runner alone, as `kill` would
    )
    children: list[int] = []
    try:
        banner = _read_banner(runner)
        bot_ports = [int(p) for p in re.findall(r"http://127\.0\.0\.1:(\d+)/\n", banner)]
        children = _children(runner.pid)
        assert len(bot_ports) == 3 and len(children) == 4, (bot_ports, children)
        assert all(_alive(p) for p in children) and _listening(port)

        runner.send_signal(signum)
        rest, _ = runner.communicate(timeout=GONE_TIMEOUT)
        if signum is not signal.SIGKILL:
            assert runner.returncode == 0, rest
            assert "Demo stopped." in rest
        _wait_gone(children, [port, *bot_ports])
    finally:
        if runner.poll() is None:
            runner.kill()
            runner.wait()
        for pid in children:
            if _alive(pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
