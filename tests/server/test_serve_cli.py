"""``pyrus-bots serve`` as a real process: starts on SQLite with a workspace, answers /healthz,
refuses to listen beyond loopback without an admin token, and a second start with the same
workspace changes nothing."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from api.harness import ALICE, make_api_workspace

pytestmark = pytest.mark.timeout(120)

CLI = str(Path(sys.executable).with_name("pyrus-bots"))
DOMAIN_TABLES = (
    "organizations",
    "people",
    "person_rights",
    "bots",
    "roles",
    "role_members",
    "forms",
    "form_people",
    "catalogs",
    "catalog_items",
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYRUS_BOTS_")}
    env.update(extra)
    return env


@contextmanager
def serving(args: list[str], env: dict[str, str] | None = None) -> Iterator[tuple[str, list[str]]]:
    """Run ``pyrus-bots serve ARGS`` until /healthz answers; yield (base URL, output lines)."""
    port = _free_port()
    process = subprocess.Popen(
        [CLI, "serve", "--port", str(port), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env or _env(),
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                output = process.stdout.read() if process.stdout else ""
                raise AssertionError(f"serve exited with {process.returncode}:\n{output}")
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError("serve did not answer /healthz in time")
            time.sleep(0.1)
        lines: list[str] = []
        yield base, lines
    finally:
        process.send_signal(signal.SIGINT)
        try:
            output, _ = process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
    lines.extend(output.splitlines())


def _snapshot(db_file: Path) -> dict[str, Any]:
    with sqlite3.connect(db_file) as connection:
        tables = {
            table: sorted(map(repr, connection.execute(f"SELECT * FROM {table}").fetchall()))
            for table in DOMAIN_TABLES
        }
        tables["directory_version"] = connection.execute(
            "SELECT value FROM counters WHERE name = 'directory_version'"
        ).fetchall()
    return tables


def test_serve_twice_with_the_same_workspace(tmp_path: Path) -> None:
    workspace = tmp_path / "workspace.json"
    workspace.write_text(json.dumps(make_api_workspace()))
    db_file = tmp_path / "serve.db"
    args = ["--db", f"sqlite:///{db_file}", "--workspace", str(workspace)]
    with serving(args) as (base, output):
        health = httpx.get(f"{base}/healthz")
        assert health.json() == {"status": "ok"}
        auth = httpx.post(
            f"{base}/v4/auth", json={"login": ALICE["email"], "security_key": ALICE["key"]}
        )
        assert auth.json()["api_url"] == f"{base}/v4/"
        assert httpx.get(f"{base}/metrics").text.startswith("# HELP")
    assert any("listening on" in line and base in line for line in output), output
    assert any("workspace" in line and "objects written" in line for line in output), output
    first = _snapshot(db_file)
    assert len(first["people"]) == 4 and len(first["catalog_items"]) == 3

    # The second start takes every option from the environment (PYRUS_BOTS_<NAME>).
    env = _env(
        PYRUS_BOTS_DB=f"sqlite:///{db_file}",
        PYRUS_BOTS_WORKSPACE=str(workspace),
        PYRUS_BOTS_API_LIMIT="7/60",
        PYRUS_BOTS_PUBLIC_URL="http://pyrus.example.test:9999",
    )
    with serving([], env=env) as (base, output):
        auth = httpx.post(
            f"{base}/v4/auth", json={"login": ALICE["email"], "security_key": ALICE["key"]}
        ).json()
        assert auth["api_url"] == "http://pyrus.example.test:9999/v4/"
        profile = httpx.get(
            f"{base}/v4/profile", headers={"Authorization": f"Bearer {auth['access_token']}"}
        )
        assert profile.headers["X-RateLimit-Limit"] == "7"
    assert any("already up to date" in line for line in output), output
    assert _snapshot(db_file) == first


@pytest.mark.parametrize("how", ["option", "environment"])
def test_refuses_wide_listening_without_admin_token(tmp_path: Path, how: str) -> None:
    args = [CLI, "serve", "--db", f"sqlite:///{tmp_path / 'x.db'}", "--port", str(_free_port())]
    env = _env()
    if how == "option":
        args += ["--host", "0.0.0.0"]
    else:
        env["PYRUS_BOTS_HOST"] = "0.0.0.0"
    result = subprocess.run(args, capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 2
    assert "--admin-token" in result.stderr and "0.0.0.0" in result.stderr
    assert not (tmp_path / "x.db").exists()  # refused before touching anything


def test_bad_options_and_files_fail_clearly(tmp_path: Path) -> None:
    bad_workspace = tmp_path / "bad.yaml"
    bad_workspace.write_text(
        "organization: {id: 1, name: A}\nforms:\n  - {id: 1, name: F, "
        "fields: [{id: 1, name: X, type: nonsense}]}\n"
    )
    db = f"sqlite:///{tmp_path / 'bad.db'}"
    result = subprocess.run(
        [CLI, "serve", "--db", db, "--workspace", str(bad_workspace), "--port", str(_free_port())],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=60,
    )
    assert result.returncode == 1
    assert "bad.yaml" in result.stderr and "nonsense" in result.stderr
    unreachable = subprocess.run(
        [CLI, "serve", "--db", "postgresql://u:hunter2@127.0.0.1:1/x", "--port", str(_free_port())],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=60,
    )
    assert unreachable.returncode == 1 and "127.0.0.1:1" in unreachable.stderr
    assert "hunter2" not in unreachable.stderr + unreachable.stdout
    for option, value in (("--api-limit", "lots"), ("--retry-schedule", "5,1"), ("--role", "boss")):
        result = subprocess.run(
            [CLI, "serve", option, value], capture_output=True, text=True, env=_env(), timeout=60
        )
        assert result.returncode == 2 and option in result.stderr
