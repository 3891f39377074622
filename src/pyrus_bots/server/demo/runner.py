"""Start the demo: the platform on a fresh SQLite file, the three demo bots as real processes on
loopback, a few sample tasks; print where to look; stop everything on Ctrl-C.

Every part is a separate process started the way a user would start it (``pyrus-bots serve``,
uvicorn for the bots), so the demo shows the real system, not an in-process imitation.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import httpx
import yaml

from pyrus_bots.server.demo import bots as demo_bots
from pyrus_bots.server.demo.lifetime import die_with_parent, say, stop_on_terminating_signals

WORKSPACE_FILE = Path(__file__).with_name("workspace.yaml")
HOST = "127.0.0.1"
PREFERRED_PORT = 8000
STARTUP_TIMEOUT = 60.0  # seconds to wait for a process to answer
STOP_TIMEOUT = 10.0  # seconds a process gets to exit after SIGTERM
DEMO_RETRY_SCHEDULE = (0.0, 4.0, 8.0)  # short, yet slow enough to watch in the UI
DEMO_BOT_TIMEOUT = 3.0
DEMO_INLINE_BUDGET = 2.0  # the slow bot answers the webhook after this and replies later
DEMO_SLOW_WORK = 6.0

# (bot id in the workspace, name, the factory uvicorn serves)
DEMO_BOTS = (
    (2001, "purchase-check", "purchase_check_app"),
    (2002, "slow-triage", "slow_triage_app"),
    (2003, "flaky-notifier", "flaky_notifier_app"),
)
DEMO_LOGINS = (  # e-mail, UI password, API security key, what the person does
    ("alice@demo.test", "alice-demo-password", "alice-demo-key", "may create and change bots"),
    ("mark@demo.test", "mark-demo-password", "mark-demo-key", "approves purchase requests"),
    ("erin@demo.test", "erin-demo-password", "erin-demo-key", "files requests and tickets"),
)
SAMPLE_AUTHOR = ("erin@demo.test", "erin-demo-key")


@dataclass(slots=True)
class DemoOptions:
    port: int = 0
    """Port of the platform; 0 takes 8000 when free, else any free port."""
    state_dir: Path | None = None
    """Where the database, workspace and logs go; a temporary directory (removed) when None."""
    retry_schedule: tuple[float, ...] = DEMO_RETRY_SCHEDULE
    bot_timeout: float = DEMO_BOT_TIMEOUT
    inline_budget: float = DEMO_INLINE_BUDGET
    slow_work_seconds: float = DEMO_SLOW_WORK
    flaky_failures: int = 2
    sample_tasks: bool = True
    quiet: bool = False


@dataclass(slots=True)
class _Process:
    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path
    log: IO[bytes]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
        return True


def _python_command(code: str) -> list[str]:
    return [sys.executable, "-c", code]


@dataclass
class DemoStack:
    """The running demo. Use as a context manager, or call :meth:`start` and :meth:`stop`."""

    options: DemoOptions = field(default_factory=DemoOptions)
    port: int = 0
    bot_ports: dict[int, int] = field(default_factory=dict)
    state_dir: Path = Path()
    sample_task_ids: list[int] = field(default_factory=list)
    _processes: list[_Process] = field(default_factory=list)
    _owns_state_dir: bool = False

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def ui_url(self) -> str:
        return f"{self.base_url}/ui/"

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/v4/"

    # --- lifecycle ------------------------------------------------------------------------

    def start(self) -> None:
        try:
            self._prepare_state_dir()
            self.port = self.options.port or (
                PREFERRED_PORT if _port_is_free(PREFERRED_PORT) else free_port()
            )
            self.bot_ports = {bot_id: free_port() for bot_id, _, _ in DEMO_BOTS}
            workspace = self._write_workspace()
            for bot_id, name, factory in DEMO_BOTS:
                self._start_bot(bot_id, name, factory)
            self._start_server(workspace)
            self._wait_until_up(self.base_url + "/healthz", "the platform")
            for bot_id, name, _ in DEMO_BOTS:
                self._wait_until_listening(self.bot_ports[bot_id], name)
            if self.options.sample_tasks:
                self.sample_task_ids = self.create_sample_tasks()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop the platform first (no new calls), then every bot at once; remove a temporary
        state directory."""
        platform = [p for p in self._processes if p.name == "platform"]
        bots = [p for p in self._processes if p.name != "platform"]
        for group in (platform, bots):
            for process in group:
                self._signal(process)
            for process in group:
                self._reap(process)
        self._processes.clear()
        if self._owns_state_dir and self.state_dir.exists():
            shutil.rmtree(self.state_dir, ignore_errors=True)

    def __enter__(self) -> DemoStack:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def failed_process(self) -> str | None:
        """The name of a demo process that has exited, if any."""
        for process in self._processes:
            if process.popen.poll() is not None:
                return process.name
        return None

    def log_tail(self, name: str, lines: int = 30) -> str:
        for process in self._processes:
            if process.name == name:
                process.log.flush()
                text = process.log_path.read_text(errors="replace")
                return "\n".join(text.splitlines()[-lines:])
        return ""

    # --- parts ----------------------------------------------------------------------------

    def _prepare_state_dir(self) -> None:
        if self.options.state_dir is None:
            self.state_dir = Path(tempfile.mkdtemp(prefix="pyrus-bots-demo-"))
            self._owns_state_dir = True
            return
        self.state_dir = self.options.state_dir.resolve()
        self.state_dir.mkdir(parents=True, exist_ok=True)
        # A fresh database every run: the demo always starts from the same state.
        for leftover in self.state_dir.glob("demo.db*"):
            leftover.unlink()

    def _write_workspace(self) -> Path:
        data: dict[str, Any] = yaml.safe_load(WORKSPACE_FILE.read_text())
        for bot in data["bots"]:
            bot["hook_url"] = f"http://{HOST}:{self.bot_ports[bot['id']]}/"
            if bot["id"] == 2002:
                bot["settings"] = f'{{"work_seconds": {self.options.slow_work_seconds:g}}}'
            if bot["id"] == 2003:
                bot["settings"] = f'{{"failures": {self.options.flaky_failures}}}'
        path = self.state_dir / "workspace.yaml"
        path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
        return path

    def _secret_of(self, bot_id: int) -> str:
        data = yaml.safe_load(WORKSPACE_FILE.read_text())
        return str(next(b["security_key"] for b in data["bots"] if b["id"] == bot_id))

    def _spawn(self, name: str, command: list[str], env: dict[str, str]) -> None:
        log_path = self.state_dir / f"{name}.log"
        log = log_path.open("ab")
        popen = subprocess.Popen(
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            # Own process group: Ctrl-C reaches only the runner, which stops the rest in order.
            start_new_session=True,
            # ... and a child never outlives the runner, even one killed with SIGKILL.
            preexec_fn=die_with_parent(),
        )
        self._processes.append(_Process(name, popen, log_path, log))

    def _start_bot(self, bot_id: int, name: str, factory: str) -> None:
        env = dict(os.environ)
        env[demo_bots.SECRET_ENV] = self._secret_of(bot_id)
        env[demo_bots.API_URL_ENV] = self.api_url
        env[demo_bots.INLINE_BUDGET_ENV] = f"{self.options.inline_budget:g}"
        command = [
            sys.executable,
            "-m",
            "uvicorn",
            f"pyrus_bots.server.demo.bots:{factory}",
            "--factory",
            "--host",
            HOST,
            "--port",
            str(self.bot_ports[bot_id]),
            "--log-level",
            "warning",
            "--no-access-log",
        ]
        self._spawn(name, command, env)

    def _start_server(self, workspace: Path) -> None:
        opts = self.options
        command = [
            *_python_command("from pyrus_bots.cli import main; main()"),
            "serve",
            "--host",
            HOST,
            "--port",
            str(self.port),
            "--db",
            f"sqlite:///{self.state_dir / 'demo.db'}",
            "--workspace",
            str(workspace),
            "--retry-schedule",
            ",".join(f"{s:g}" for s in opts.retry_schedule),
            "--bot-timeout",
            f"{opts.bot_timeout:g}",
        ]
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYRUS_BOTS_")}
        self._spawn("platform", command, env)

    def _check_alive(self, name: str) -> None:
        for process in self._processes:
            if process.name == name and process.popen.poll() is not None:
                raise RuntimeError(
                    f"the demo's {name} process exited with code {process.popen.returncode}; "
                    f"the end of its log:\n{self.log_tail(name)}"
                )

    def _wait_until_up(self, url: str, name: str) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        process_name = "platform"
        while time.monotonic() < deadline:
            self._check_alive(process_name)
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(url, timeout=2.0).status_code == 200:
                    return
            time.sleep(0.2)
        raise RuntimeError(f"{name} did not answer {url} within {STARTUP_TIMEOUT:g} s")

    def _wait_until_listening(self, port: int, name: str) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            self._check_alive(name)
            with contextlib.suppress(OSError), socket.create_connection((HOST, port), 0.5):
                return
            time.sleep(0.1)
        raise RuntimeError(f"the {name} bot did not listen on port {port}")

    @staticmethod
    def _signal(process: _Process) -> None:
        if process.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                process.popen.send_signal(signal.SIGTERM)

    @staticmethod
    def _reap(process: _Process) -> None:
        try:
            process.popen.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.popen.kill()
            process.popen.wait(STOP_TIMEOUT)
        process.log.close()

    # --- sample tasks ---------------------------------------------------------------------

    def api_client(self, login: str, security_key: str) -> httpx.Client:
        """An HTTP client authorised on the platform's API as ``login``."""
        answer = httpx.post(
            self.api_url + "auth",
            json={"login": login, "security_key": security_key},
            timeout=10.0,
        )
        answer.raise_for_status()
        token = answer.json()["access_token"]
        return httpx.Client(
            base_url=self.api_url,
            headers={"Authorization": f"Bearer {token}"},
            timeout=10.0,
        )

    def create_task(self, fields: list[dict[str, Any]], form_id: int) -> int:
        with self.api_client(*SAMPLE_AUTHOR) as api:
            answer = api.post("tasks", json={"form_id": form_id, "fields": fields})
            answer.raise_for_status()
            return int(answer.json()["task"]["id"])

    def create_sample_tasks(self) -> list[int]:
        """One purchase under the limit, one over it, one support ticket."""
        return [
            self.create_task(
                [{"id": 1, "value": "Laptop for the new hire"}, {"id": 2, "value": 850}],
                demo_bots.PURCHASE_FORM_ID,
            ),
            self.create_task(
                [{"id": 1, "value": "Trade fair booth"}, {"id": 2, "value": 4800}],
                demo_bots.PURCHASE_FORM_ID,
            ),
            self.create_task(
                [
                    {"id": 1, "value": "VPN drops every hour"},
                    {"id": 3, "value": {"choice_ids": [3]}},
                ],
                demo_bots.SUPPORT_FORM_ID,
            ),
        ]


def banner(stack: DemoStack) -> str:
    names = {2001: "Purchase check", 2002: "Slow triage", 2003: "Flaky notifier"}
    lines = [
        "",
        "pyrus-bots demo is running.",
        "",
        f"  Web UI   {stack.ui_url}",
        f"  API      {stack.api_url}   (point SDK bots and the official clients here)",
        "",
        "  The UI needs no sign-in here (the platform listens on loopback only, no admin",
        "  token). To act as a person, sign in with e-mail and password (the security key",
        "  is the person's API secret, for POST /v4/auth):",
        f"    {'e-mail':<16} {'password':<20} {'security key':<14} ",
    ]
    lines += [
        f"    {login:<16} {password:<20} {key:<14} {what}"
        for login, password, key, what in DEMO_LOGINS
    ]
    lines += ["", "  Bots (SDK, each its own process):"]
    lines += [
        f"    {names[bot_id]:<15} http://{HOST}:{port}/" for bot_id, port in stack.bot_ports.items()
    ]
    if stack.sample_task_ids:
        shown = ", ".join(f"{stack.base_url}/ui/tasks/{i}" for i in stack.sample_task_ids)
        lines += ["", f"  Sample tasks: {shown}"]
    lines += [
        "",
        f"  Logs and database: {stack.state_dir}"
        + (" (removed on exit)" if stack.options.state_dir is None else ""),
        "",
        "Press Ctrl-C to stop.",
    ]
    return "\n".join(lines)


def run_demo(options: DemoOptions | None = None) -> int:
    """Run until a terminating signal (or a demo process dies); the exit code for the command
    line. Every way out stops the demo's processes."""
    stack = DemoStack(options or DemoOptions())
    with stop_on_terminating_signals():
        try:
            if not stack.options.quiet:
                say("Starting the pyrus-bots demo...")
            stack.start()
            say(banner(stack))
            while True:
                dead = stack.failed_process()
                if dead is not None:
                    say(f"\nThe demo's {dead} process stopped:\n{stack.log_tail(dead)}")
                    return 1
                time.sleep(0.5)
        except KeyboardInterrupt:
            say("\nStopping the demo...")
            return 0
        except RuntimeError as exc:
            say(f"The demo could not start: {exc}", error=True)
            return 1
        finally:
            stack.stop()
            if not stack.options.quiet:
                say("Demo stopped.")
